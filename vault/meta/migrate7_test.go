package meta

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

// at6 opens a raw database of the dialect at schema version 6 (the
// previous release) and returns a store on it without migrating further.
func at6(t *testing.T, dialect string) (*sql.DB, *DB, []Migration) {
	t.Helper()
	ctx := context.Background()
	var raw *sql.DB
	d := SQLiteDialect
	if dialect == "postgres" {
		d = PostgresDialect
		var err error
		raw, err = sql.Open("pgx", testenv.Postgres(t).NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = raw.Close() })
	} else {
		raw = openRaw(t)
	}
	ms, err := Migrations(dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, raw, d, ms[:6], time.Now); err != nil {
		t.Fatalf("migrations 1-6: %v", err)
	}
	db := &DB{writer: raw, reader: raw, dialect: d, retries: 5}
	db.ops = ops{r: raw, w: raw, d: d, now: time.Now, atomic: db.Tx}
	return raw, db, ms
}

// TestMigration7FromVersion6: a database at version 6 holding what the
// previous release wrote (a consent for a paper plus the categories
// "income" and "other", an older revoked consent, drop links of the owner
// and of workers) migrates to version 7 on SQLite and PostgreSQL: the
// consent keeps its paper and its category "income" (which no longer
// covers untyped papers), "other" is removed, and each worker's link is
// tied to the consent live when it was made (none: the link is dead).
func TestMigration7FromVersion6(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			raw, db, ms := at6(t, dialect)
			t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			o := Owner{ID: "owner1", PublicKey: "age1owner", IdentityBySecret: []byte("s"), IdentityByRecovery: []byte("r"), Created: t0}
			if err := db.CreateOwner(ctx, o); err != nil {
				t.Fatal(err)
			}
			for _, w := range []string{"w1", "w2"} {
				if err := db.CreateWorker(ctx, Worker{ID: w, PublicKey: "age1" + w, IdentityBySecret: []byte("s"), Created: t0}); err != nil {
					t.Fatal(err)
				}
			}
			doc := func(id, category, docType string) Document {
				d := Document{ID: id, OwnerID: o.ID, Category: category, DocType: docType, TitleSealed: []byte("t"),
					MediaType: "application/pdf", Pages: 1, Profile: "caf", BlobKey: "doc/" + id, State: StatePending, Created: t0}
				if err := db.InsertDocument(ctx, d); err != nil {
					t.Fatal(err)
				}
				if err := db.CommitDocument(ctx, id, 10, []Wrap{{DocumentID: id, RecipientKind: RecipientOwner, RecipientID: o.ID, WrappedKey: []byte("w"), Created: t0}}); err != nil {
					t.Fatal(err)
				}
				return d
			}
			ticked, payslip := doc("ticked", "income", "bulletin-paie"), doc("payslip", "income", "bulletin-paie")
			untyped, other := doc("untyped", "income", ""), doc("other", "other", "other")
			consent := func(id string, created time.Time, cats []string) Consent {
				return Consent{ID: id, OwnerID: o.ID, GranteeKind: RecipientWorker, GranteeID: "w1", GranteePublicKey: "age1w1",
					DetailsSealed: []byte("d"), Days: 365, Documents: []string{ticked.ID}, Categories: cats,
					Created: created, Expires: created.Add(365 * 24 * time.Hour)}
			}
			old := consent("old", t0.Add(-48*time.Hour), []string{"income"})
			if err := db.InsertConsent(ctx, old); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(ctx, db.dialect.Rebind(`UPDATE consents SET revoked_at = ? WHERE id = ?`), toDB(t0.Add(-24*time.Hour)), old.ID); err != nil {
				t.Fatal(err)
			}
			live := consent("live", t0, []string{"income", "other"})
			if err := db.InsertConsent(ctx, live); err != nil {
				t.Fatal(err)
			}
			// Drop links as release 6 wrote them (no consent column yet).
			for _, l := range []struct{ id, kind, by string }{{"lw1", "worker", "w1"}, {"lw2", "worker", "w2"}, {"lown", "owner", o.ID}} {
				if _, err := raw.ExecContext(ctx, db.dialect.Rebind(`INSERT INTO drop_links (id, owner_id, token_hash, public_sealed,
					details_sealed, created_by_kind, created_by_id, request_id, created_at, expires_at, max_uses, uses, revoked_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 5, 0, NULL)`),
					l.id, o.ID, "hash-"+l.id, []byte("p"), []byte("d"), l.kind, l.by, toDB(t0.Add(time.Hour)), toDB(t0.Add(30*24*time.Hour))); err != nil {
					t.Fatalf("old drop link: %v", err)
				}
			}

			// The current release opens it (the reads below use columns
			// of later versions too).
			applied, err := migrate(ctx, raw, db.dialect, ms, time.Now)
			if err != nil || len(applied) != len(ms)-6 || applied[0] != 7 {
				t.Fatalf("migrate to %d = %v, %v", len(ms), applied, err)
			}
			c, err := db.Consent(ctx, live.ID)
			if err != nil || !slices.Equal(c.Documents, []string{ticked.ID}) || !slices.Equal(c.Categories, []string{"income"}) || len(c.Types) != 0 {
				t.Fatalf("migrated consent = %+v, %v", c, err)
			}
			now := t0.Add(2 * time.Hour)
			for _, tc := range []struct {
				d    Document
				want bool
			}{{ticked, true}, {payslip, true}, {untyped, false}, {other, false}} {
				got, err := db.LiveConsentCovers(ctx, tc.d.ID, RecipientWorker, "w1", now)
				if err != nil || got != tc.want {
					t.Errorf("after migration, %s covered = %v, %v; want %v", tc.d.ID, got, err, tc.want)
				}
			}
			for id, want := range map[string]string{"lw1": live.ID, "lw2": "", "lown": ""} {
				l, err := db.DropLink(ctx, id)
				if err != nil || l.ConsentID != want {
					t.Errorf("link %s: consent %q, %v; want %q", id, l.ConsentID, err, want)
				}
			}
			if _, err := db.RedeemDropLink(ctx, "hash-lw1", now); err != nil {
				t.Errorf("worker link under a live consent: %v", err)
			}
			if _, err := db.RedeemDropLink(ctx, "hash-lw2", now); err == nil {
				t.Error("a worker link with no consent still works")
			}
			if _, err := db.RedeemDropLink(ctx, "hash-lown", now); err != nil {
				t.Errorf("owner's link: %v", err)
			}
		})
	}
}
