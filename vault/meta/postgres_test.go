package meta_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/meta/metatest"
)

// One PostgreSQL server serves the whole test binary; each test gets its
// own database.
func TestMain(m *testing.M) { os.Exit(testenv.PostgresMain(m)) }

// openPostgres opens a store on a fresh database of the shared server.
func openPostgres(t testing.TB) *meta.Postgres {
	t.Helper()
	return openPostgresURL(t, testenv.Postgres(t).NewDatabase(t))
}

func openPostgresURL(t testing.TB, url string) *meta.Postgres {
	t.Helper()
	s, err := meta.OpenPostgres(context.Background(), url, meta.WithRowKey(testRowKey))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestPostgresConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) metatest.Store { return openPostgres(t) })
}

func TestPostgresReopenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t).NewDatabase(t)
	s1, err := meta.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.CreateOwner(ctx, meta.Owner{ID: "o1", PublicKey: "age1x", IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}}); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openPostgresURL(t, url)
	v, err := s2.SchemaVersion(ctx)
	ms, _ := meta.Migrations("postgres")
	if err != nil || v != len(ms) {
		t.Fatalf("version after reopen = %d, %v; want %d", v, err, len(ms))
	}
	if _, err := s2.Owner(ctx, "o1"); err != nil {
		t.Fatalf("data lost across reopen: %v", err)
	}
}

// Instances starting at once on an empty database: every one opens, and
// each version is applied exactly once (the advisory lock serialises them).
func TestPostgresConcurrentMigrations(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t).NewDatabase(t)
	const n = 4
	stores := make([]*meta.Postgres, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = meta.OpenPostgres(ctx, url, meta.WithRowKey(testRowKey)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	ms, _ := meta.Migrations("postgres")
	counts, err := meta.MigrationCounts(ctx, stores[0].DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(ms) {
		t.Fatalf("schema_migrations holds versions %v, want 1..%d", counts, len(ms))
	}
	for v, c := range counts {
		if c != 1 {
			t.Errorf("version %d recorded %d times", v, c)
		}
	}
}

// Two stores on one database stand for two instances: concurrent write
// transactions all succeed and all land.
func TestPostgresTwoInstancesWrite(t *testing.T) {
	ctx := context.Background()
	url := testenv.Postgres(t).NewDatabase(t)
	a, b := openPostgresURL(t, url), openPostgresURL(t, url)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i, s := range []*meta.Postgres{a, b, a, b} {
		wg.Go(func() {
			for j := range 25 {
				id := string(rune('a'+i)) + "-" + string(rune('a'+j))
				err := s.Tx(ctx, func(tx *meta.Tx) error {
					return tx.CreateOwner(ctx, meta.Owner{ID: id, PublicKey: "pk-" + id, IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{1}})
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("write: %v", err)
	}
	for i := range 4 {
		if _, err := a.Owner(ctx, string(rune('a'+i))+"-y"); err != nil {
			t.Errorf("owner written by %d missing: %v", i, err)
		}
	}
}

func TestPostgresDialectClassification(t *testing.T) {
	d := meta.PostgresDialect
	for _, tc := range []struct {
		code                        string
		unique, foreignKey, retries bool
	}{
		{"23505", true, false, false},
		{"23503", false, true, false},
		{"40001", false, false, true},
		{"40P01", false, false, true},
		{"55P03", false, false, true},
		{"23514", false, false, false}, // check violation
		{"42P01", false, false, false}, // undefined table
	} {
		err := wrapped(&pgconn.PgError{Code: tc.code})
		if d.IsUnique(err) != tc.unique || d.IsForeignKey(err) != tc.foreignKey || d.Retryable(err) != tc.retries {
			t.Errorf("code %s: unique %v, foreign key %v, retryable %v", tc.code, d.IsUnique(err), d.IsForeignKey(err), d.Retryable(err))
		}
	}
	if plain := errors.New("23505"); d.IsUnique(plain) || d.Retryable(plain) {
		t.Error("a non-PostgreSQL error was classified")
	}
	if got := d.Rebind(`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`); got != `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)` {
		t.Errorf("Rebind = %q", got)
	}
}

func wrapped(err error) error { return errors.Join(errors.New("context"), err) }

func TestOpenPostgresErrors(t *testing.T) {
	ctx := context.Background()
	// The URL's password must not leak into the error.
	_, err := meta.OpenPostgres(ctx, "postgres://u:s3cr3t-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("OpenPostgres on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("error leaks the password: %v", err)
	}
	_, err = meta.OpenPostgres(ctx, "postgres://u:s3cr3t-pw@[bad")
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("unparsable URL: %v", err)
	}
}

// Every SQLite migration has a PostgreSQL mirror of the same version and
// name, with the same statements once comments are dropped and BYTEA is
// read as BLOB. A construct that must differ would be listed here.
func TestPostgresMigrationsMirrorSQLite(t *testing.T) {
	lite, err := meta.Migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := meta.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d: mirror migrations/sqlite in migrations/postgres", len(pg), len(lite))
	}
	for i := range lite {
		if pg[i].Version != lite[i].Version || pg[i].Name != lite[i].Name {
			t.Errorf("migration %d: postgres %d_%s, sqlite %d_%s", i, pg[i].Version, pg[i].Name, lite[i].Version, lite[i].Name)
			continue
		}
		if a, b := normalizeSQL(lite[i].SQL), normalizeSQL(strings.ReplaceAll(pg[i].SQL, "BYTEA", "BLOB")); a != b {
			t.Errorf("migration %d_%s differs:\nsqlite:   %s\npostgres: %s", lite[i].Version, lite[i].Name, a, b)
		}
	}
}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	sqlSpace   = regexp.MustCompile(`\s+`)
)

func normalizeSQL(s string) string {
	return strings.TrimSpace(sqlSpace.ReplaceAllString(sqlComment.ReplaceAllString(s, ""), " "))
}

func postgresIntegrityEnv(t *testing.T) metatest.IntegrityEnv {
	url := testenv.Postgres(t).NewDatabase(t)
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return metatest.IntegrityEnv{
		Open: func(t *testing.T, keyed bool) metatest.IntegrityStore {
			var opts []meta.Option
			if keyed {
				opts = append(opts, meta.WithRowKey(testRowKey))
			}
			s, err := meta.OpenPostgres(context.Background(), url, opts...)
			if err != nil {
				t.Fatalf("OpenPostgres: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Exec: func(t *testing.T, q string, args ...any) {
			t.Helper()
			if _, err := raw.Exec(meta.PostgresDialect.Rebind(q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
		Blob: func(t *testing.T, q string, args ...any) []byte {
			t.Helper()
			var b []byte
			if err := raw.QueryRow(meta.PostgresDialect.Rebind(q), args...).Scan(&b); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return b
		},
	}
}

// TestPostgresIntegrity: the same edits made with SQL on PostgreSQL.
func TestPostgresIntegrity(t *testing.T) { metatest.RunIntegrity(t, postgresIntegrityEnv) }

// TestPostgresSealing: a PostgreSQL database of the release before
// migration 12 gets its macs once.
func TestPostgresSealing(t *testing.T) { metatest.RunSealing(t, postgresIntegrityEnv) }
