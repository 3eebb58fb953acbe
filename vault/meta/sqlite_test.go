package meta_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/meta/metatest"
)

// testRowKey is the row key of every store of these tests: they write and
// check row macs (integrity.go) like the vault does.
var testRowKey = bytes.Repeat([]byte{0x5a}, meta.RowKeySize)

func openSQLite(t *testing.T, path string) *meta.SQLite {
	t.Helper()
	s, err := meta.OpenSQLite(context.Background(), path, meta.WithRowKey(testRowKey))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) metatest.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "coffre.db"))
	})
}

func TestSQLiteReopenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coffre.db")
	s1, err := meta.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.CreateOwner(ctx, meta.Owner{ID: "o1", PublicKey: "age1x", IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}}); err != nil {
		t.Fatal(err)
	}
	v1, _ := s1.SchemaVersion(ctx)
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openSQLite(t, path)
	v2, err := s2.SchemaVersion(ctx)
	if err != nil || v2 != v1 {
		t.Fatalf("version after reopen = %d, %v; want %d", v2, err, v1)
	}
	if _, err := s2.Owner(ctx, "o1"); err != nil {
		t.Fatalf("data lost across reopen: %v", err)
	}
	ms, _ := meta.Migrations("sqlite")
	if v2 != len(ms) {
		t.Fatalf("version %d, want %d", v2, len(ms))
	}
}

// Two stores on one file stand for two processes: their writers must wait
// for each other (busy_timeout + IMMEDIATE), never fail with SQLITE_BUSY.
func TestSQLiteTwoProcessesWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coffre.db")
	a := openSQLite(t, path)
	b := openSQLite(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i, s := range []*meta.SQLite{a, b, a, b} {
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
		if _, err := b.Owner(ctx, string(rune('a'+i))+"-y"); err != nil {
			t.Errorf("owner written by %d missing: %v", i, err)
		}
	}
}

func TestSQLitePragmas(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "coffre.db"))
	ctx := context.Background()
	// Foreign keys are enforced: a wrap for a missing document fails.
	err := s.Tx(ctx, func(tx *meta.Tx) error {
		return tx.CommitDocument(ctx, "none", 1, []meta.Wrap{{DocumentID: "none", RecipientKind: meta.RecipientOwner, RecipientID: "o", WrappedKey: []byte{1}}})
	})
	if !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("commit of missing doc: %v", err)
	}
	for _, tc := range []struct{ name, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	} {
		got, err := meta.SQLitePragma(ctx, s, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("pragma %s = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestOpenSQLiteBadPath(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"empty", ""},
		{"memory", ":memory:"},
		{"query", filepath.Join(t.TempDir(), "a?b")},
		{"missing dir", filepath.Join(t.TempDir(), "nope", "coffre.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := meta.OpenSQLite(context.Background(), tc.path); err == nil {
				_ = s.Close()
				t.Fatal("OpenSQLite succeeded")
			}
		})
	}
}

func sqliteIntegrityEnv(t *testing.T) metatest.IntegrityEnv {
	path := filepath.Join(t.TempDir(), "coffre.db")
	raw, err := sql.Open("sqlite", path+"?_busy_timeout=5000&_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = raw.Close() })
	return metatest.IntegrityEnv{
		Open: func(t *testing.T, keyed bool) metatest.IntegrityStore {
			var opts []meta.Option
			if keyed {
				opts = append(opts, meta.WithRowKey(testRowKey))
			}
			s, err := meta.OpenSQLite(context.Background(), path, opts...)
			if err != nil {
				t.Fatalf("OpenSQLite: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Exec: func(t *testing.T, q string, args ...any) {
			t.Helper()
			if _, err := raw.Exec(q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		},
		Blob: func(t *testing.T, q string, args ...any) []byte {
			t.Helper()
			var b []byte
			if err := raw.QueryRow(q, args...).Scan(&b); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return b
		},
	}
}

// TestSQLiteIntegrity: someone who writes the SQLite file but lacks the
// pepper edits rows; the store refuses each one (metatest.RunIntegrity).
func TestSQLiteIntegrity(t *testing.T) { metatest.RunIntegrity(t, sqliteIntegrityEnv) }

// TestSQLiteSealing: a database of the release before migration 12 gets
// its macs once, at the first open with the key.
func TestSQLiteSealing(t *testing.T) { metatest.RunSealing(t, sqliteIntegrityEnv) }
