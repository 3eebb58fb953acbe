package meta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

// TestSealingResumesAfterCrash: the first sealing of a database of the
// release before migration 12 stops (a crash) after its first batch of
// sessions; the open fails, the record says the sealing started, and the
// next open finishes it: every row then reads, and a third open seals
// nothing. SQLite and PostgreSQL.
func TestSealingResumesAfterCrash(t *testing.T) {
	key := bytes.Repeat([]byte{0x33}, RowKeySize)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			var path, url string
			if dialect == "sqlite" {
				path = filepath.Join(t.TempDir(), "coffre.db")
			} else {
				url = testenv.Postgres(t).NewDatabase(t)
			}
			open := func(opts ...Option) (*DB, error) {
				if dialect == "sqlite" {
					s, err := OpenSQLite(ctx, path, opts...)
					if err != nil {
						return nil, err
					}
					t.Cleanup(func() { _ = s.Close() })
					return s.DB, nil
				}
				s, err := OpenPostgres(ctx, url, opts...)
				if err != nil {
					return nil, err
				}
				t.Cleanup(func() { _ = s.Close() })
				return s.DB, nil
			}
			plain, err := open()
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 3, 3, 14, 2, 0, 0, time.UTC)
			if err := plain.CreateOwner(ctx, Owner{ID: "o1", PublicKey: "age1o1", IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}, Created: at}); err != nil {
				t.Fatal(err)
			}
			const n = 2*sealBatch + 50
			for i := range n {
				if err := plain.CreateSession(ctx, Session{TokenHash: fmt.Sprintf("tok%03d", i), Kind: RecipientOwner, PrincipalID: "o1",
					IdentityWrap: []byte("w"), Created: at, LastSeen: at, IdleExpires: at.Add(time.Hour), AbsoluteExpires: at.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			crash := errors.New("crash")
			sealBatchHook = func(table string) error {
				if table == "sessions" {
					return crash
				}
				return nil
			}
			_, err = open(WithRowKey(key))
			sealBatchHook = nil
			if !errors.Is(err, crash) {
				t.Fatalf("open during the crash: %v", err)
			}
			var macs, started int
			var sealed *int64
			if err := plain.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE mac IS NOT NULL`).Scan(&macs); err != nil {
				t.Fatal(err)
			}
			if err := plain.queryRow(ctx, `SELECT COUNT(*), MAX(sealed_at) FROM row_macs`).Scan(&started, &sealed); err != nil {
				t.Fatal(err)
			}
			if macs != sealBatch || started != 1 || sealed != nil {
				t.Fatalf("after the crash: %d sessions sealed, record %d, end %v; want %d, 1, none", macs, started, sealed, sealBatch)
			}
			db, err := open(WithRowKey(key))
			if err != nil || db.SealStatus() != nil {
				t.Fatalf("open after the crash: %v, %v", err, db.SealStatus())
			}
			if got := db.SealedAtOpen(); got != n-sealBatch {
				t.Fatalf("the rerun sealed %d rows, want %d", got, n-sealBatch)
			}
			for i := range n {
				if _, err := db.Session(ctx, fmt.Sprintf("tok%03d", i)); err != nil {
					t.Fatalf("session %d: %v", i, err)
				}
			}
			if _, err := db.Owner(ctx, "o1"); err != nil {
				t.Fatalf("owner: %v", err)
			}
			third, err := open(WithRowKey(key))
			if err != nil || third.SealedAtOpen() != 0 || third.SealStatus() != nil {
				t.Fatalf("third open: %v, sealed %d, %v", err, third.SealedAtOpen(), third.SealStatus())
			}
		})
	}
}
