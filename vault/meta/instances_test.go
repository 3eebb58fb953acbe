package meta_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/meta"
)

// Two stores on one database stand for two Coffre instances. Each race
// below must end as it would with one instance: SQLite (two handles on one
// file, exclusive writers) and PostgreSQL (concurrent transactions at READ
// COMMITTED) give the same outcome.
func eachEngine(t *testing.T, fn func(t *testing.T, a, b *meta.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "coffre.db")
		fn(t, openSQLite(t, path).DB, openSQLite(t, path).DB)
	})
	t.Run("postgres", func(t *testing.T) {
		url := testenv.Postgres(t).NewDatabase(t)
		fn(t, openPostgresURL(t, url).DB, openPostgresURL(t, url).DB)
	})
}

// race runs n calls of fn at once, alternating between the two instances,
// and returns their errors.
func race(n int, a, b *meta.DB, fn func(i int, s *meta.DB) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			<-start
			errs[i] = fn(i, s)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts nil errors and errors matching want; others fail the test.
func tally(t *testing.T, errs []error, want error) (ok, matched int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, want):
			matched++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	return ok, matched
}

var instSeq atomic.Int64

func instID(prefix string) string { return fmt.Sprintf("%s-%d", prefix, instSeq.Add(1)) }

func instOwner(t *testing.T, s *meta.DB) string {
	t.Helper()
	id := instID("owner")
	if err := s.CreateOwner(context.Background(), meta.Owner{ID: id, PublicKey: "age1" + id, IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}}); err != nil {
		t.Fatal(err)
	}
	return id
}

func instDoc(t *testing.T, s *meta.DB, ownerID string) string {
	t.Helper()
	ctx := context.Background()
	id := instID("doc")
	d := meta.Document{ID: id, OwnerID: ownerID, Category: "income", TitleSealed: []byte{1}, MediaType: "application/pdf",
		Pages: 1, Profile: "caf", BlobKey: "doc/" + id, State: meta.StatePending}
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitDocument(ctx, id, 1, []meta.Wrap{{DocumentID: id, RecipientKind: meta.RecipientOwner, RecipientID: ownerID, WrappedKey: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	return id
}

func instWorker(t *testing.T, s *meta.DB) string {
	t.Helper()
	id := instID("worker")
	if err := s.CreateWorkerAccount(context.Background(), meta.Worker{ID: id, PublicKey: "age1" + id, IdentityBySecret: []byte{1}},
		meta.WorkerAccount{EmailHash: "email-" + id}); err != nil {
		t.Fatal(err)
	}
	return id
}

// Login throttling counts across instances: of many simultaneous attempts
// against a counter that blocks from the 5th, exactly 5 pass.
func TestInstancesThrottle(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		now := time.Now()
		rule := meta.ThrottleRule{Key: instID("account"), Window: time.Hour, Block: func(n int) time.Duration {
			if n >= 5 {
				return time.Hour
			}
			return 0
		}}
		var passed atomic.Int32
		errs := race(20, a, b, func(_ int, s *meta.DB) error {
			ok, _, err := s.BeginAttempt(context.Background(), now, rule)
			if ok {
				passed.Add(1)
			}
			return err
		})
		tally(t, errs, nil)
		if passed.Load() != 5 {
			t.Fatalf("%d attempts passed, want 5", passed.Load())
		}
		st, err := a.Throttle(context.Background(), rule.Key)
		if err != nil || st.Failures != 5 || !st.BlockedUntil.After(now) {
			t.Fatalf("counter = %+v, %v; want 5 failures and a block", st, err)
		}
	})
}

// A drop link redeemed from both instances at once is used exactly as many
// times as it allows.
func TestInstancesDropLinkRedeem(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		owner := instOwner(t, a)
		for _, maxUses := range []int{1, 3} {
			token := instID("token")
			hash := fmt.Sprintf("%x", sha256.Sum256([]byte(token)))
			if err := a.InsertDropLink(context.Background(), meta.DropLink{ID: instID("link"), OwnerID: owner, TokenHash: hash,
				PublicSealed: []byte{1}, DetailsSealed: []byte{1}, CreatedByKind: meta.RecipientOwner, CreatedByID: owner,
				Created: time.Now(), Expires: time.Now().Add(time.Hour), MaxUses: maxUses}); err != nil {
				t.Fatal(err)
			}
			errs := race(12, a, b, func(_ int, s *meta.DB) error {
				_, err := s.RedeemDropLink(context.Background(), hash, time.Now())
				return err
			})
			if ok, refused := tally(t, errs, meta.ErrNotFound); ok != maxUses || refused != 12-maxUses {
				t.Fatalf("max %d uses: %d redeemed, %d refused", maxUses, ok, refused)
			}
		}
	})
}

// Appends to one journal from both instances, retried on ErrConflict as the
// vault does, give seq 1..n without gaps, each entry chained to the one
// before.
func TestInstancesJournal(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		owner := instOwner(t, a)
		const n = 16
		errs := race(n, a, b, func(i int, s *meta.DB) error {
			for range 50 {
				err := s.AppendJournal(context.Background(), owner, func(h meta.JournalHead, _ meta.JournalReader) (meta.JournalAppend, error) {
					sum := sha256.Sum256(append(append([]byte{}, h.Hash...), byte(i)))
					e := meta.JournalEntry{OwnerID: owner, Seq: h.Seq + 1, At: time.Now(), Kind: "test", ActorKind: "system",
						PayloadSealed: []byte{byte(i)}, PrevHash: h.Hash, Hash: sum[:]}
					return meta.JournalAppend{Entry: e, Hashes: []meta.JournalHash{{Index: h.Seq, Hash: sum[:]}},
						Head: meta.JournalHead{Seq: e.Seq, Hash: sum[:], TreeSize: e.Seq, Checkpoint: []byte("c")}}, nil
				})
				if !errors.Is(err, meta.ErrConflict) {
					return err
				}
			}
			return errors.New("still conflicting after 50 tries")
		})
		tally(t, errs, nil)
		es, err := a.JournalEntries(context.Background(), owner)
		if err != nil || len(es) != n {
			t.Fatalf("%d entries, %v; want %d", len(es), err, n)
		}
		var prev []byte
		for i, e := range es {
			if e.Seq != int64(i+1) || !bytes.Equal(e.PrevHash, prev) {
				t.Fatalf("entry %d: seq %d, chained to %x, want %x", i, e.Seq, e.PrevHash, prev)
			}
			prev = e.Hash
		}
		if h, err := b.JournalHead(context.Background(), owner); err != nil || h.Seq != n || !bytes.Equal(h.Hash, prev) {
			t.Fatalf("head = %+v, %v", h, err)
		}
	})
}

// Revoking one consent from both instances at once: one revocation, the
// others told it was already revoked (ErrConflict), not "not found".
func TestInstancesRevokeConsent(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		ctx := context.Background()
		owner, worker := instOwner(t, a), instWorker(t, a)
		doc := instDoc(t, a, owner)
		c := meta.Consent{ID: instID("consent"), OwnerID: owner, GranteeKind: meta.RecipientWorker, GranteeID: worker,
			GranteePublicKey: "age1" + worker, DetailsSealed: []byte{1}, Days: 31, Documents: []string{doc},
			Created: time.Now(), Expires: time.Now().Add(time.Hour)}
		if err := a.InsertConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := a.AddWrap(ctx, meta.Wrap{DocumentID: doc, RecipientKind: meta.RecipientWorker, RecipientID: worker, WrappedKey: []byte{2}}); err != nil {
			t.Fatal(err)
		}
		errs := race(6, a, b, func(_ int, s *meta.DB) error {
			_, err := s.RevokeConsent(ctx, c.ID, owner, time.Now())
			return err
		})
		if ok, again := tally(t, errs, meta.ErrConflict); ok != 1 || again != 5 {
			t.Fatalf("%d revocations, %d already revoked; want 1 and 5", ok, again)
		}
		if _, err := b.DocumentAccess(ctx, doc, meta.RecipientWorker, worker); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("grantee still reads after revocation: %v", err)
		}
	})
}

// Accepting and declining one request from both instances at once: exactly
// one decision, the others ErrConflict.
func TestInstancesDecideRequest(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		ctx := context.Background()
		owner, worker := instOwner(t, a), instWorker(t, a)
		r := meta.Request{ID: instID("request"), OwnerID: owner, WorkerID: worker, DetailsSealed: []byte{1},
			Types: []string{"avis-impot"}, Days: 31, Created: time.Now()}
		if err := a.InsertRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		errs := race(6, a, b, func(i int, s *meta.DB) error {
			if i < 3 {
				return s.DeclineRequest(ctx, r.ID, owner, time.Now())
			}
			c := meta.Consent{ID: instID("consent"), OwnerID: owner, GranteeKind: meta.RecipientWorker, GranteeID: worker,
				GranteePublicKey: "age1" + worker, DetailsSealed: []byte{1}, Days: 31, Categories: []string{"tax"},
				Created: time.Now(), Expires: time.Now().Add(time.Hour)}
			return s.AcceptRequest(ctx, r.ID, owner, c, time.Now())
		})
		if ok, late := tally(t, errs, meta.ErrConflict); ok != 1 || late != 5 {
			t.Fatalf("%d decisions, %d refused; want 1 and 5", ok, late)
		}
		got, err := b.Request(ctx, r.ID)
		if err != nil || got.Status == meta.RequestPending {
			t.Fatalf("request = %+v, %v", got, err)
		}
		cs, err := b.ConsentsOfOwner(ctx, owner)
		if want := map[bool]int{true: 1, false: 0}[got.Status == meta.RequestAccepted]; err != nil || len(cs) != want {
			t.Fatalf("%d consents after %s, want %d (%v)", len(cs), got.Status, want, err)
		}
	})
}

// A TOTP code presented to both instances at once is accepted once.
func TestInstancesTOTPReplay(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		worker := instWorker(t, a)
		errs := race(8, a, b, func(_ int, s *meta.DB) error {
			return s.UseTOTPStep(context.Background(), worker, 59000001)
		})
		if ok, replay := tally(t, errs, meta.ErrConflict); ok != 1 || replay != 7 {
			t.Fatalf("%d accepted, %d replays refused; want 1 and 7", ok, replay)
		}
	})
}

// Pages added from both instances at once to several uploads of one drop
// link: the per-link cap holds exactly.
func TestInstancesPendingPagesCap(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		ctx := context.Background()
		owner := instOwner(t, a)
		link := instID("link")
		if err := a.InsertDropLink(ctx, meta.DropLink{ID: link, OwnerID: owner, TokenHash: instID("hash"),
			PublicSealed: []byte{1}, DetailsSealed: []byte{1}, CreatedByKind: meta.RecipientOwner, CreatedByID: owner,
			Created: time.Now(), Expires: time.Now().Add(time.Hour), MaxUses: 5}); err != nil {
			t.Fatal(err)
		}
		var uploads []string
		for range 4 {
			u := meta.PendingUpload{ID: instID("upload"), LinkID: link, Created: time.Now(), Expires: time.Now().Add(time.Hour)}
			if err := a.EnsurePendingUpload(ctx, u); err != nil {
				t.Fatal(err)
			}
			uploads = append(uploads, u.ID)
		}
		const perLink = 3
		errs := race(8, a, b, func(i int, s *meta.DB) error {
			p := meta.PendingPage{UploadID: uploads[i%4], Page: 1 + i/4, BlobKey: instID("pending/blob"), Size: 10, Created: time.Now()}
			added, err := s.AddPendingPage(ctx, p, time.Now(), 10, perLink)
			if err == nil && !added {
				err = errors.New("page reported already stored")
			}
			return err
		})
		if ok, full := tally(t, errs, meta.ErrPendingFull); ok != perLink || full != 8-perLink {
			t.Fatalf("%d pages added, %d refused; want %d and %d", ok, full, perLink, 8-perLink)
		}
	})
}

// A page taken back from both instances at once is deleted once (the
// others find it gone, without error); once the upload's send has begun,
// its pages can no longer be taken back.
func TestInstancesDeletePendingPage(t *testing.T) {
	eachEngine(t, func(t *testing.T, a, b *meta.DB) {
		ctx := context.Background()
		owner := instOwner(t, a)
		link := instID("link")
		if err := a.InsertDropLink(ctx, meta.DropLink{ID: link, OwnerID: owner, TokenHash: instID("hash"),
			PublicSealed: []byte{1}, DetailsSealed: []byte{1}, CreatedByKind: meta.RecipientOwner, CreatedByID: owner,
			Created: time.Now(), Expires: time.Now().Add(time.Hour), MaxUses: 5}); err != nil {
			t.Fatal(err)
		}
		u := meta.PendingUpload{ID: instID("upload"), LinkID: link, Created: time.Now(), Expires: time.Now().Add(time.Hour)}
		if err := a.EnsurePendingUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 2; n++ {
			if _, err := a.AddPendingPage(ctx, meta.PendingPage{UploadID: u.ID, Page: n, BlobKey: instID("pending/blob"), Size: 10, Created: time.Now()}, time.Now(), 10, 10); err != nil {
				t.Fatal(err)
			}
		}
		var deleted atomic.Int32
		errs := race(8, a, b, func(_ int, s *meta.DB) error {
			p, ok, err := s.DeletePendingPage(ctx, u.ID, 1)
			if ok {
				deleted.Add(1)
				if p.Page != 1 || p.BlobKey == "" {
					return fmt.Errorf("deleted page %+v", p)
				}
			}
			return err
		})
		if ok, _ := tally(t, errs, meta.ErrConflict); ok != 8 || deleted.Load() != 1 {
			t.Fatalf("%d deletes without error, %d deleted; want 8 and 1", ok, deleted.Load())
		}
		if pages, err := b.PendingPages(ctx, u.ID); err != nil || len(pages) != 1 || pages[0].Page != 2 {
			t.Fatalf("pages left %+v, %v; want page 2", pages, err)
		}
		if _, _, err := a.DeletePendingPage(ctx, instID("upload"), 1); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("unknown upload: %v, want ErrNotFound", err)
		}
		if err := a.ClaimPendingUpload(ctx, u.ID, time.Now(), time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.DeletePendingPage(ctx, u.ID, 2); !errors.Is(err, meta.ErrConflict) {
			t.Errorf("during the send: %v, want ErrConflict", err)
		}
	})
}
