package vault_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
)

// TestStorageSettingsRefused: malformed, oversized and hostile settings,
// disabled owner buckets and a failing probe are refused with nothing
// saved; the keys never appear in an error.
func TestStorageSettingsRefused(t *testing.T) {
	ctx := testCtx(t)
	srv := testenv.MinIO(t)
	e := newStorageEnv(t, localBackend, srv, true)
	owner := e.owner(t)
	good := e.settings(t)
	long := strings.Repeat("a", 300)
	cases := []struct {
		name, field string
		edit        func(*vault.StorageSettings)
	}{
		{"empty endpoint", "endpoint", func(s *vault.StorageSettings) { s.Endpoint = "" }},
		{"scheme", "endpoint", func(s *vault.StorageSettings) { s.Endpoint = "http://" + s.Endpoint }},
		{"path", "endpoint", func(s *vault.StorageSettings) { s.Endpoint += "/x" }},
		{"user info", "endpoint", func(s *vault.StorageSettings) { s.Endpoint = "user@" + s.Endpoint }},
		{"bad port", "endpoint", func(s *vault.StorageSettings) { s.Endpoint = "127.0.0.1:99999" }},
		{"oversized endpoint", "endpoint", func(s *vault.StorageSettings) { s.Endpoint = long }},
		{"newline", "endpoint", func(s *vault.StorageSettings) { s.Endpoint = "a.example\nb" }},
		{"upper-case bucket", "bucket", func(s *vault.StorageSettings) { s.Bucket = "MyBucket" }},
		{"short bucket", "bucket", func(s *vault.StorageSettings) { s.Bucket = "ab" }},
		{"bucket traversal", "bucket", func(s *vault.StorageSettings) { s.Bucket = "../etc" }},
		{"region", "region", func(s *vault.StorageSettings) { s.Region = "eu west" }},
		{"prefix dots", "prefix", func(s *vault.StorageSettings) { s.Prefix = "a/../b" }},
		{"prefix oversized", "prefix", func(s *vault.StorageSettings) { s.Prefix = long }},
		{"no access key", "access_key", func(s *vault.StorageSettings) { s.AccessKey = "" }},
		{"secret with space", "secret_key", func(s *vault.StorageSettings) { s.SecretKey = "a b" }},
		{"secret oversized", "secret_key", func(s *vault.StorageSettings) { s.SecretKey = long }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := good
			c.edit(&st)
			_, err := e.svc.SetOwnerStorage(ctx, owner, st)
			var fe *vault.StorageFieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, vault.ErrInvalid) {
				t.Fatalf("err = %v, want a %s field error", err, c.field)
			}
		})
	}
	bad := good
	bad.SecretKey = "wrong-secret-key-0123456789"
	_, err := e.svc.SetOwnerStorage(ctx, owner, bad)
	if !errors.Is(err, vault.ErrStorageUnreachable) || strings.Contains(err.Error(), bad.SecretKey) {
		t.Fatalf("wrong key: err = %v, want ErrStorageUnreachable without the key", err)
	}
	missing := good
	missing.Bucket = "no-such-bucket-here"
	if _, err := e.svc.SetOwnerStorage(ctx, owner, missing); !errors.Is(err, vault.ErrStorageUnreachable) {
		t.Fatalf("missing bucket: err = %v", err)
	}
	if info, err := e.svc.OwnerStorage(ctx, owner); err != nil || info.TargetID != "" {
		t.Fatalf("something was saved: %+v, %v", info, err)
	}

	off := newStorageEnv(t, localBackend, srv, false)
	o2 := off.owner(t)
	if _, err := off.svc.SetOwnerStorage(ctx, o2, good); !errors.Is(err, vault.ErrStorageDisabled) {
		t.Fatalf("owner buckets off: err = %v", err)
	}
	if err := off.svc.ClearOwnerStorage(ctx, o2); !errors.Is(err, vault.ErrStorageDisabled) {
		t.Fatalf("owner buckets off, clear: err = %v", err)
	}
	plain := newEnv(t, localBackend, nil, nil)
	org, _, err := plain.svc.CreateOrganisation(ctx, "CCAS")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.svc.SetOrganisationStorage(ctx, org.ID, good); !errors.Is(err, vault.ErrStorageDisabled) {
		t.Fatalf("no opener: err = %v", err)
	}
	if _, err := e.svc.SetOrganisationStorage(ctx, "nosuchorg", good); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("unknown organisation: err = %v", err)
	}
}

// TestStorageKeysSealedInDatabase: the bucket keys are nowhere in clear in
// the database files (the DB alone opens nothing).
func TestStorageKeysSealedInDatabase(t *testing.T) {
	testStorageKeysSealed(t, localBackend, "coffre.db", nil)
}

// TestStorageKeysSealedInPostgres: nor anywhere in the PostgreSQL cluster's
// files (tables and WAL).
func TestStorageKeysSealedInPostgres(t *testing.T) {
	pg := testenv.Postgres(t)
	// The test server commits without waiting for the WAL
	// (synchronous_commit off): a checkpoint puts the tables and the WAL
	// on disk before the scan.
	checkpoint := func() {
		db, err := sql.Open("pgx", pg.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(testCtx(t), `CHECKPOINT`); err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
	}
	testStorageKeysSealed(t, withPostgres(pg, localBackend), "", checkpoint)
}

// testStorageKeysSealed scans the files of the env's directories whose
// name contains file ("" for all), after flush (nil: none) has written
// them out.
func testStorageKeysSealed(t *testing.T, mk backend, file string, flush func()) {
	ctx := testCtx(t)
	srv := testenv.MinIO(t)
	e := newStorageEnv(t, mk, srv, true)
	owner := e.owner(t)
	st := e.settings(t)
	info, err := e.svc.SetOwnerStorage(ctx, owner, st)
	if err != nil {
		t.Fatal(err)
	}
	e.add(t, owner.ID(), "payslip", randomBytes(t, 5000))
	if err := e.meta.Close(); err != nil { // flush the WAL into the files
		t.Fatal(err)
	}
	if flush != nil {
		flush()
	}
	needles := [][]byte{[]byte(st.SecretKey), []byte(st.AccessKey), []byte(st.Bucket)}
	scanned, sawID := 0, false
	scan := func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.Contains(fi.Name(), file) || !fi.Mode().IsRegular() {
			return nil // files come and go in a live cluster
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		// Control: the target's id is stored in clear, so the scan sees rows.
		sawID = sawID || bytes.Contains(b, []byte(info.TargetID))
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds %q in clear", path, n)
			}
		}
		return nil
	}
	for _, dir := range e.dirs {
		if err := filepath.Walk(dir, scan); err != nil {
			t.Fatal(err)
		}
	}
	if scanned == 0 || !sawID {
		t.Fatalf("scanned %d files, target id seen: %v; the scan does not see the database", scanned, sawID)
	}
	t.Logf("%d files scanned, no key nor bucket name in clear", scanned)
}
