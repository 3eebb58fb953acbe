package meta_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/meta"
)

// benchStore is what the hot-query benchmark drives.
type benchStore interface {
	Tx(ctx context.Context, fn func(*meta.Tx) error) error
	DocumentAccess(ctx context.Context, docID string, kind meta.RecipientKind, recipientID string) (meta.Access, error)
	ListAccess(ctx context.Context, kind meta.RecipientKind, recipientID string) ([]meta.Access, error)
	Owner(ctx context.Context, id string) (meta.Owner, error)
	OwnerAccountByIdentifier(ctx context.Context, identifierHash string) (meta.Owner, meta.OwnerAccount, error)
	Session(ctx context.Context, tokenHash string) (meta.Session, error)
	TouchSession(ctx context.Context, tokenHash string, lastSeen, idleExpires time.Time) error
	LiveConsentCovers(ctx context.Context, docID string, kind meta.RecipientKind, granteeID string, now time.Time) (bool, error)
	Close() error
}

// Bench data set: benchOwners owners with benchDocs committed documents
// each (so the indexes, not a tiny table, answer), one session and one
// worker consent per owner.
const (
	benchOwners = 200
	benchDocs   = 20
)

// BenchmarkHotQueries measures the latency of the queries on every
// request's path, on SQLite (file in WAL mode, synchronous=FULL) and on
// PostgreSQL (the test server on 127.0.0.1: TCP loopback, fsync off), in
// the same run:
//
//	go test ./vault/meta -run '^$' -bench HotQueries -benchtime 2000x -cpu 1
func BenchmarkHotQueries(b *testing.B) {
	engines := []struct {
		name string
		open func(b *testing.B) benchStore
	}{
		{"sqlite", func(b *testing.B) benchStore {
			s, err := meta.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "coffre.db"), meta.WithRowKey(testRowKey))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) benchStore {
			s, err := meta.OpenPostgres(context.Background(), testenv.Postgres(b).NewDatabase(b), meta.WithRowKey(testRowKey))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	// The test server runs without autovacuum: collect the statistics it
	// would have collected by the time such a data set exists.
	analyze := map[string]func(benchStore) error{
		"postgres": func(s benchStore) error { return meta.Analyze(context.Background(), s.(*meta.Postgres).DB) },
	}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			s := eng.open(b)
			b.Cleanup(func() { _ = s.Close() })
			ctx := context.Background()
			fillBench(b, s)
			if f := analyze[eng.name]; f != nil {
				if err := f(s); err != nil {
					b.Fatal(err)
				}
			}
			// Somewhere in the middle of the data set.
			owner, doc := benchOwnerID(benchOwners/2), benchDocID(benchOwners/2, benchDocs/2)
			idHash, token := benchHash("id", benchOwners/2), benchHash("session", benchOwners/2)
			now := time.Now()
			queries := []struct {
				name string
				fn   func(i int) error
			}{
				{"DocumentAccess", func(int) error {
					_, err := s.DocumentAccess(ctx, doc, meta.RecipientOwner, owner)
					return err
				}},
				{"ListAccess20", func(int) error {
					l, err := s.ListAccess(ctx, meta.RecipientOwner, owner)
					if err == nil && len(l) != benchDocs {
						err = fmt.Errorf("listed %d", len(l))
					}
					return err
				}},
				{"OwnerByID", func(int) error { _, err := s.Owner(ctx, owner); return err }},
				{"OwnerByIdentifier", func(int) error {
					_, _, err := s.OwnerAccountByIdentifier(ctx, idHash)
					return err
				}},
				// ResumeSession's reads: the session row, then its owner.
				{"SessionResume", func(int) error {
					sess, err := s.Session(ctx, token)
					if err == nil {
						_, err = s.Owner(ctx, sess.PrincipalID)
					}
					return err
				}},
				// The consent check made at every worker read.
				{"LiveConsentCovers", func(int) error {
					ok, err := s.LiveConsentCovers(ctx, doc, meta.RecipientWorker, "worker-bench", now)
					if err == nil && !ok {
						err = fmt.Errorf("not covered")
					}
					return err
				}},
				// A write: the once-a-minute session touch.
				{"TouchSession", func(i int) error {
					t := now.Add(time.Duration(i+1) * time.Second)
					return s.TouchSession(ctx, token, t, t.Add(30*time.Minute))
				}},
			}
			for _, q := range queries {
				b.Run(q.name, func(b *testing.B) {
					b.ReportAllocs()
					for i := range b.N {
						if err := q.fn(i); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func benchOwnerID(i int) string  { return fmt.Sprintf("owner-%04d", i) }
func benchDocID(i, j int) string { return fmt.Sprintf("doc-%04d-%03d", i, j) }
func benchHash(kind string, i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s-%d", kind, i)))
	return hex.EncodeToString(h[:])
}

// fillBench writes the data set, one transaction per owner.
func fillBench(b *testing.B, s benchStore) {
	b.Helper()
	ctx := context.Background()
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	far := time.Now().Add(24 * time.Hour)
	for i := range benchOwners {
		err := s.Tx(ctx, func(tx *meta.Tx) error {
			o := meta.Owner{ID: benchOwnerID(i), PublicKey: "age1" + benchOwnerID(i), IdentityBySecret: make([]byte, 200),
				IdentityByRecovery: make([]byte, 200), Created: created}
			acct := meta.OwnerAccount{IdentifierHash: benchHash("id", i), IdentifierSealed: make([]byte, 120), Lang: "fr"}
			if err := tx.CreateOwnerAccount(ctx, o, acct); err != nil {
				return err
			}
			var docs []string
			for j := range benchDocs {
				d := meta.Document{ID: benchDocID(i, j), OwnerID: o.ID, Category: "income", TitleSealed: make([]byte, 150),
					MediaType: "application/pdf", Pages: 2, Profile: "caf", BlobKey: "doc/" + benchDocID(i, j),
					State: meta.StatePending, Created: created.Add(time.Duration(j) * time.Hour)}
				if err := tx.InsertDocument(ctx, d); err != nil {
					return err
				}
				w := meta.Wrap{DocumentID: d.ID, RecipientKind: meta.RecipientOwner, RecipientID: o.ID, WrappedKey: make([]byte, 200), Created: created}
				if err := tx.CommitDocument(ctx, d.ID, 300<<10, []meta.Wrap{w}); err != nil {
					return err
				}
				docs = append(docs, d.ID)
			}
			if err := tx.CreateSession(ctx, meta.Session{TokenHash: benchHash("session", i), Kind: meta.RecipientOwner, PrincipalID: o.ID,
				IdentityWrap: make([]byte, 250), Created: created, LastSeen: created, IdleExpires: far, AbsoluteExpires: far}); err != nil {
				return err
			}
			return tx.InsertConsent(ctx, meta.Consent{ID: "consent-" + o.ID, OwnerID: o.ID, GranteeKind: meta.RecipientWorker,
				GranteeID: "worker-bench", GranteePublicKey: "age1worker", DetailsSealed: make([]byte, 100), Days: 31,
				Documents: docs[:benchDocs/2+1], Categories: []string{"identity"}, Created: created, Expires: far})
		})
		if err != nil {
			b.Fatalf("fill owner %d: %v", i, err)
		}
	}
}
