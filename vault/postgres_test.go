package vault_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
)

// One PostgreSQL server serves the package's tests (each env gets its own
// database).
func TestMain(m *testing.M) { os.Exit(testenv.PostgresMain(m)) }

// TestPostgresS3Backend runs the suite as several instances would: metadata
// on PostgreSQL, payloads on MinIO.
func TestPostgresS3Backend(t *testing.T) {
	pg := testenv.Postgres(t)
	srv := testenv.MinIO(t)
	t.Logf("PostgreSQL %s at %s:%d, MinIO at %s", pg.Version, pg.Host, pg.Port, srv.Endpoint)
	runSuite(t, withPostgres(pg, s3Backend(srv)))
}

// pgURLs maps a test to the PostgreSQL database its env keeps metadata in:
// set by a withPostgres backend, taken by openMeta.
var pgURLs sync.Map // testing.TB → URL

// withPostgres is inner with the metadata in a fresh database of pg; the
// cluster's directory joins the directories the marker test scans.
func withPostgres(pg *testenv.PostgresServer, inner backend) backend {
	return func(t testing.TB, dataDir string) (blob.Store, []string) {
		pgURLs.Store(t, pg.NewDatabase(t))
		bs, dirs := inner(t, dataDir)
		return bs, append(dirs, pg.DataDir)
	}
}

// openMeta opens an env's metadata store: the database a withPostgres
// backend chose for t, else SQLite in dataDir. It is closed in t.Cleanup.
func openMeta(t testing.TB, dataDir string) *meta.DB {
	t.Helper()
	var db *meta.DB
	if url, ok := pgURLs.LoadAndDelete(t); ok {
		s, err := meta.OpenPostgres(testCtx(t), url.(string), vault.RowKeyOption(testPepper))
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		db = s.DB
	} else {
		s, err := meta.OpenSQLite(testCtx(t), filepath.Join(dataDir, "coffre.db"), vault.RowKeyOption(testPepper))
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		db = s.DB
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// envBackend is the backend newEnv uses for mk: mk itself, or with
// COFFRE_TEST_META=postgres mk with the metadata on PostgreSQL, so that
// every env-based test of the package runs on PostgreSQL:
//
//	COFFRE_TEST_META=postgres go test ./vault/
func envBackend(t testing.TB, mk backend) backend {
	if os.Getenv("COFFRE_TEST_META") != "postgres" {
		return mk
	}
	return withPostgres(testenv.Postgres(t), mk)
}
