package metatest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// SharingStore is the part of the store behind consents, drop links,
// requests, the journal and account deletion (migration 3). Run's sharing
// tests skip a store that lacks it.
type SharingStore interface {
	Store
	SetDocumentTitle(ctx context.Context, id, ownerID string, titleSealed []byte) error
	SetDocumentExpiry(ctx context.Context, id, ownerID string, expires time.Time) error
	SetDocumentType(ctx context.Context, id, ownerID, category, docType string, titleSealed []byte) error
	SetDocumentUnread(ctx context.Context, id, ownerID string, unread bool) error
	CountUnread(ctx context.Context, ownerID string) (int, error)
	DocumentsOfOwner(ctx context.Context, ownerID string) ([]meta.Document, error)
	DeleteOwnerData(ctx context.Context, ownerID string) error

	InsertConsent(ctx context.Context, c meta.Consent) error
	AddConsentDocument(ctx context.Context, consentID, docID string) error
	Consent(ctx context.Context, id string) (meta.Consent, error)
	ConsentsOfOwner(ctx context.Context, ownerID string) ([]meta.Consent, error)
	LiveConsentsOfOwner(ctx context.Context, ownerID string, now time.Time) ([]meta.Consent, error)
	LiveConsentsFor(ctx context.Context, kind meta.RecipientKind, granteeID string, now time.Time) ([]meta.Consent, error)
	LiveConsentCovers(ctx context.Context, docID string, kind meta.RecipientKind, granteeID string, now time.Time) (bool, error)
	RevokeConsent(ctx context.Context, id, ownerID string, now time.Time) (int64, error)
	DeleteUncoveredWraps(ctx context.Context, now, createdBefore time.Time) (int64, error)
	ExpiredUnswept(ctx context.Context, now time.Time, limit int) ([]meta.Consent, error)
	MarkConsentSwept(ctx context.Context, id string, now time.Time) error

	InsertDropLink(ctx context.Context, l meta.DropLink) error
	DropLink(ctx context.Context, id string) (meta.DropLink, error)
	DropLinkByTokenHash(ctx context.Context, tokenHash string) (meta.DropLink, error)
	DropLinksOfOwner(ctx context.Context, ownerID string) ([]meta.DropLink, error)
	RedeemDropLink(ctx context.Context, tokenHash string, now time.Time) (meta.DropLink, error)
	ReleaseDropLinkUse(ctx context.Context, id string) error
	RevokeDropLink(ctx context.Context, id string, now time.Time) error

	InsertRequest(ctx context.Context, r meta.Request) error
	Request(ctx context.Context, id string) (meta.Request, error)
	RequestsOfOwner(ctx context.Context, ownerID string) ([]meta.Request, error)
	RequestsOfWorker(ctx context.Context, workerID string) ([]meta.Request, error)
	AcceptRequest(ctx context.Context, id, ownerID string, c meta.Consent, now time.Time) error
	DeclineRequest(ctx context.Context, id, ownerID string, now time.Time) error

	AppendJournal(ctx context.Context, ownerID string, build func(head meta.JournalHead, r meta.JournalReader) (meta.JournalAppend, error)) error
	JournalHead(ctx context.Context, ownerID string) (meta.JournalHead, error)
	JournalEntries(ctx context.Context, ownerID string) ([]meta.JournalEntry, error)
	JournalOwners(ctx context.Context) ([]string, error)
	ReadJournalHashes(ctx context.Context, ownerID string, indexes []int64) ([][]byte, error)
	ConvertJournal(ctx context.Context, ownerID string, build func(head meta.JournalHead, es []meta.JournalEntry) ([]meta.JournalHash, meta.JournalHead, error)) (bool, error)
}

// sharing adapts a sharing test to Run's signature.
func sharing(fn func(t *testing.T, s SharingStore)) func(t *testing.T, s Store) {
	return func(t *testing.T, s Store) {
		ss, ok := s.(SharingStore)
		if !ok {
			t.Skip("store has no sharing methods")
		}
		fn(t, ss)
	}
}

func newWorker(t *testing.T, s Store) meta.Worker {
	t.Helper()
	w := meta.Worker{ID: uniq("worker"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("w-wrap"), Created: at}
	if err := s.CreateWorker(context.Background(), w); err != nil {
		t.Fatalf("CreateWorker: %v", err)
	}
	return w
}

func newConsent(ownerID, workerID string, docs, cats []string) meta.Consent {
	return meta.Consent{
		ID: uniq("consent"), OwnerID: ownerID, GranteeKind: meta.RecipientWorker, GranteeID: workerID,
		GranteePublicKey: "age1grantee", DetailsSealed: []byte("sealed-details"), Days: 31,
		Documents: docs, Categories: cats, Created: at, Expires: at.Add(31 * 24 * time.Hour),
	}
}

func granteeWrap(docID, workerID string) meta.Wrap {
	return meta.Wrap{DocumentID: docID, RecipientKind: meta.RecipientWorker, RecipientID: workerID, WrappedKey: []byte("w"), Created: at}
}

func covers(t *testing.T, s SharingStore, docID, workerID string, now time.Time) bool {
	t.Helper()
	ok, err := s.LiveConsentCovers(context.Background(), docID, meta.RecipientWorker, workerID, now)
	if err != nil {
		t.Fatalf("LiveConsentCovers: %v", err)
	}
	return ok
}

func testConsentScope(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o, other := newOwner(t, s), newOwner(t, s)
	w := newWorker(t, s)
	d1 := committedDoc(t, s, o.ID) // income
	d2 := committedDoc(t, s, o.ID)
	housing := newDoc(o.ID, meta.StatePending)
	housing.Category, housing.DocType = "housing", "quittance-loyer"
	if err := s.InsertDocument(ctx, housing); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitDocument(ctx, housing.ID, 1, []meta.Wrap{ownerWrap(housing)}); err != nil {
		t.Fatal(err)
	}
	foreign := committedDoc(t, s, other.ID)

	// A scope naming another owner's document is refused, all or nothing.
	bad := newConsent(o.ID, w.ID, []string{d1.ID, foreign.ID}, []string{"tax"})
	wantErr(t, "consent with foreign document", s.InsertConsent(ctx, bad), meta.ErrNotFound)
	if _, err := s.Consent(ctx, bad.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("half-inserted consent: %v", err)
	}
	c := newConsent(o.ID, w.ID, []string{d1.ID, d1.ID}, []string{"housing"})
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatalf("InsertConsent: %v", err)
	}
	wantErr(t, "duplicate consent", s.InsertConsent(ctx, c), meta.ErrConflict)
	got, err := s.Consent(ctx, c.ID)
	if err != nil || !slices.Equal(got.Documents, []string{d1.ID}) || !slices.Equal(got.Categories, []string{"housing"}) ||
		!got.Expires.Equal(c.Expires) || !got.Revoked.IsZero() || !bytes.Equal(got.DetailsSealed, c.DetailsSealed) || got.GranteeKind != meta.RecipientWorker {
		t.Fatalf("Consent = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name  string
		doc   string
		now   time.Time
		wants bool
	}{
		{"chosen document", d1.ID, at, true},
		{"document not chosen", d2.ID, at, false},
		{"covered category", housing.ID, at, true},
		{"another owner's", foreign.ID, at, false},
		{"one microsecond before expiry", d1.ID, c.Expires.Add(-time.Microsecond), true},
		{"at expiry", d1.ID, c.Expires, false},
		{"missing document", "nope", at, false},
	} {
		if got := covers(t, s, tc.doc, w.ID, tc.now); got != tc.wants {
			t.Errorf("%s: covers = %v, want %v", tc.name, got, tc.wants)
		}
	}
	if err := s.AddConsentDocument(ctx, c.ID, d2.ID); err != nil {
		t.Fatalf("AddConsentDocument: %v", err)
	}
	if err := s.AddConsentDocument(ctx, c.ID, d2.ID); err != nil {
		t.Fatalf("AddConsentDocument twice: %v", err)
	}
	wantErr(t, "AddConsentDocument(missing consent)", s.AddConsentDocument(ctx, "nope", d2.ID), meta.ErrNotFound)
	wantErr(t, "AddConsentDocument(missing doc)", s.AddConsentDocument(ctx, c.ID, "nope"), meta.ErrNotFound)
	if !covers(t, s, d2.ID, w.ID, at) {
		t.Fatal("added document not covered")
	}
	live, err := s.LiveConsentsFor(ctx, meta.RecipientWorker, w.ID, at)
	if err != nil || len(live) != 1 || live[0].ID != c.ID {
		t.Fatalf("LiveConsentsFor = %+v, %v", live, err)
	}
	if live, _ := s.LiveConsentsFor(ctx, meta.RecipientWorker, w.ID, c.Expires); len(live) != 0 {
		t.Fatalf("LiveConsentsFor after expiry = %+v", live)
	}
	if live, _ := s.LiveConsentsOfOwner(ctx, o.ID, at); len(live) != 1 {
		t.Fatalf("LiveConsentsOfOwner = %+v", live)
	}
	if all, _ := s.ConsentsOfOwner(ctx, other.ID); len(all) != 0 {
		t.Fatalf("other owner's consents = %+v", all)
	}
}

func testConsentRevoke(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	w, w2 := newWorker(t, s), newWorker(t, s)
	d := typedDoc(t, s, o.ID, "income", "bulletin-paie", at)
	byDoc := newConsent(o.ID, w.ID, []string{d.ID}, nil)
	byCat := newConsent(o.ID, w.ID, nil, []string{"income"})
	other := newConsent(o.ID, w2.ID, []string{d.ID}, nil)
	for _, c := range []meta.Consent{byDoc, byCat, other} {
		if err := s.InsertConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, wk := range []string{w.ID, w2.ID} {
		if err := s.AddWrap(ctx, granteeWrap(d.ID, wk)); err != nil {
			t.Fatal(err)
		}
	}
	wrapsOf := func() []string {
		ws, err := s.Wraps(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, w := range ws {
			ids = append(ids, w.RecipientID)
		}
		return ids
	}
	_, err := s.RevokeConsent(ctx, byDoc.ID, "someone-else", at)
	wantErr(t, "revoke by another owner", err, meta.ErrNotFound)
	n, err := s.RevokeConsent(ctx, byDoc.ID, o.ID, at)
	if err != nil || n != 0 {
		t.Fatalf("revoke (still covered by category) = %d, %v", n, err)
	}
	if !covers(t, s, d.ID, w.ID, at) || len(wrapsOf()) != 3 {
		t.Fatalf("after first revoke: covered=%v wraps=%v", covers(t, s, d.ID, w.ID, at), wrapsOf())
	}
	_, err = s.RevokeConsent(ctx, byDoc.ID, o.ID, at)
	wantErr(t, "revoke twice", err, meta.ErrConflict)
	n, err = s.RevokeConsent(ctx, byCat.ID, o.ID, at)
	if err != nil || n != 1 {
		t.Fatalf("revoke last consent = %d, %v", n, err)
	}
	if covers(t, s, d.ID, w.ID, at) {
		t.Fatal("covered after revocation")
	}
	ws := wrapsOf()
	if slices.Contains(ws, w.ID) || !slices.Contains(ws, w2.ID) || !slices.Contains(ws, o.ID) {
		t.Fatalf("wraps after revocation = %v (want owner and the other worker)", ws)
	}
	got, _ := s.Consent(ctx, byCat.ID)
	if !got.Revoked.Equal(at) || got.LiveAt(at) {
		t.Fatalf("revoked consent = %+v", got)
	}
}

func testConsentSweep(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	w := newWorker(t, s)
	d := committedDoc(t, s, o.ID)
	c := newConsent(o.ID, w.ID, []string{d.ID}, nil)
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWrap(ctx, granteeWrap(d.ID, w.ID)); err != nil {
		t.Fatal(err)
	}
	// A wrap no consent ever covered is swept too.
	d2 := committedDoc(t, s, o.ID)
	if err := s.AddWrap(ctx, granteeWrap(d2.ID, w.ID)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteUncoveredWraps(ctx, at, at); err != nil || n != 0 {
		t.Fatalf("sweep sparing young wraps = %d, %v", n, err)
	}
	if n, err := s.DeleteUncoveredWraps(ctx, at, at.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("sweep before expiry = %d, %v; want the uncovered wrap only", n, err)
	}
	if cs, err := s.ExpiredUnswept(ctx, at, 10); err != nil || len(cs) != 0 {
		t.Fatalf("ExpiredUnswept before expiry = %+v, %v", cs, err)
	}
	after := c.Expires.Add(time.Second)
	if n, err := s.DeleteUncoveredWraps(ctx, after, after); err != nil || n != 1 {
		t.Fatalf("sweep after expiry = %d, %v", n, err)
	}
	cs, err := s.ExpiredUnswept(ctx, after, 10)
	if err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Fatalf("ExpiredUnswept = %+v, %v", cs, err)
	}
	if err := s.MarkConsentSwept(ctx, c.ID, after); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "MarkConsentSwept twice", s.MarkConsentSwept(ctx, c.ID, after), meta.ErrConflict)
	wantErr(t, "MarkConsentSwept(missing)", s.MarkConsentSwept(ctx, "nope", after), meta.ErrNotFound)
	if cs, _ := s.ExpiredUnswept(ctx, after, 10); len(cs) != 0 {
		t.Fatalf("ExpiredUnswept after marking = %+v", cs)
	}
	if ws, _ := s.Wraps(ctx, d.ID); len(ws) != 1 || ws[0].RecipientKind != meta.RecipientOwner {
		t.Fatalf("wraps after sweep = %+v", ws)
	}
}

func newLink(ownerID string, maxUses int) meta.DropLink {
	return meta.DropLink{
		ID: uniq("link"), OwnerID: ownerID, TokenHash: uniq("hash"), PublicSealed: []byte("pub"), DetailsSealed: []byte("det"),
		CreatedByKind: meta.RecipientOwner, CreatedByID: ownerID, Created: at, Expires: at.Add(time.Hour), MaxUses: maxUses,
	}
}

func testDropLinks(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	l := newLink(o.ID, 2)
	if err := s.InsertDropLink(ctx, l); err != nil {
		t.Fatalf("InsertDropLink: %v", err)
	}
	wantErr(t, "duplicate link", s.InsertDropLink(ctx, l), meta.ErrConflict)
	dup := newLink(o.ID, 1)
	dup.TokenHash = l.TokenHash
	wantErr(t, "duplicate token hash", s.InsertDropLink(ctx, dup), meta.ErrConflict)
	wantErr(t, "link of missing owner", s.InsertDropLink(ctx, newLink("nobody", 1)), meta.ErrNotFound)

	got, err := s.DropLinkByTokenHash(ctx, l.TokenHash)
	if err != nil || got.ID != l.ID || got.Uses != 0 || got.MaxUses != 2 || !got.Expires.Equal(l.Expires) || got.RequestID != "" {
		t.Fatalf("DropLinkByTokenHash = %+v, %v", got, err)
	}
	for i := 1; i <= 2; i++ {
		r, err := s.RedeemDropLink(ctx, l.TokenHash, at)
		if err != nil || r.Uses != i {
			t.Fatalf("redeem %d = %+v, %v", i, r, err)
		}
	}
	_, err = s.RedeemDropLink(ctx, l.TokenHash, at)
	wantErr(t, "redeem used up", err, meta.ErrNotFound)
	if err := s.ReleaseDropLinkUse(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.RedeemDropLink(ctx, l.TokenHash, l.Expires)
	wantErr(t, "redeem at expiry", err, meta.ErrNotFound)
	if _, err := s.RedeemDropLink(ctx, l.TokenHash, at); err != nil {
		t.Fatalf("redeem after release: %v", err)
	}
	l2 := newLink(o.ID, 5)
	if err := s.InsertDropLink(ctx, l2); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeDropLink(ctx, l2.ID, at); err != nil {
		t.Fatal(err)
	}
	_, err = s.RedeemDropLink(ctx, l2.TokenHash, at)
	wantErr(t, "redeem revoked", err, meta.ErrNotFound)
	wantErr(t, "revoke missing", s.RevokeDropLink(ctx, "nope", at), meta.ErrNotFound)
	_, err = s.RedeemDropLink(ctx, "nope", at)
	wantErr(t, "redeem unknown", err, meta.ErrNotFound)
	ls, err := s.DropLinksOfOwner(ctx, o.ID)
	if err != nil || len(ls) != 2 {
		t.Fatalf("DropLinksOfOwner = %+v, %v", ls, err)
	}
}

// testDropLinkRace: of N concurrent redemptions of a single-use link,
// exactly one wins.
func testDropLinkRace(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	l := newLink(o.ID, 1)
	if err := s.InsertDropLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.RedeemDropLink(ctx, l.TokenHash, at)
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, meta.ErrNotFound):
			t.Errorf("redeem: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent redemptions won, want 1", wins, n)
	}
	if got, _ := s.DropLink(ctx, l.ID); got.Uses != 1 {
		t.Fatalf("uses = %d", got.Uses)
	}
}

func testRequests(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	w := newWorker(t, s)
	d := committedDoc(t, s, o.ID)
	r := meta.Request{ID: uniq("req"), OwnerID: o.ID, WorkerID: w.ID, DetailsSealed: []byte("x"),
		Types: []string{"avis-impot", "rib"}, Days: 31, Created: at}
	if err := s.InsertRequest(ctx, r); err != nil {
		t.Fatalf("InsertRequest: %v", err)
	}
	bad := r
	bad.ID, bad.WorkerID = uniq("req"), "nobody"
	wantErr(t, "request from missing worker", s.InsertRequest(ctx, bad), meta.ErrNotFound)
	got, err := s.Request(ctx, r.ID)
	if err != nil || got.Status != meta.RequestPending || !slices.Equal(got.Types, r.Types) || got.ConsentID != "" {
		t.Fatalf("Request = %+v, %v", got, err)
	}
	// A failing consent leaves the request pending.
	broken := newConsent(o.ID, w.ID, []string{"missing-doc"}, nil)
	wantErr(t, "accept with bad consent", s.AcceptRequest(ctx, r.ID, o.ID, broken, at), meta.ErrNotFound)
	if got, _ := s.Request(ctx, r.ID); got.Status != meta.RequestPending {
		t.Fatalf("status after failed accept = %s", got.Status)
	}
	wantErr(t, "accept by another owner", s.AcceptRequest(ctx, r.ID, "other", newConsent(o.ID, w.ID, []string{d.ID}, nil), at), meta.ErrNotFound)
	c := newConsent(o.ID, w.ID, []string{d.ID}, []string{"bank"})
	if err := s.AcceptRequest(ctx, r.ID, o.ID, c, at); err != nil {
		t.Fatalf("AcceptRequest: %v", err)
	}
	got, _ = s.Request(ctx, r.ID)
	if got.Status != meta.RequestAccepted || got.ConsentID != c.ID || !got.Decided.Equal(at) {
		t.Fatalf("accepted request = %+v", got)
	}
	wantErr(t, "accept twice", s.AcceptRequest(ctx, r.ID, o.ID, newConsent(o.ID, w.ID, []string{d.ID}, nil), at), meta.ErrConflict)
	wantErr(t, "decline accepted", s.DeclineRequest(ctx, r.ID, o.ID, at), meta.ErrConflict)
	r2 := r
	r2.ID = uniq("req")
	if err := s.InsertRequest(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if err := s.DeclineRequest(ctx, r2.ID, o.ID, at); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.RequestsOfOwner(ctx, o.ID); err != nil || len(rs) != 2 {
		t.Fatalf("RequestsOfOwner = %+v, %v", rs, err)
	}
	if rs, err := s.RequestsOfWorker(ctx, w.ID); err != nil || len(rs) != 2 {
		t.Fatalf("RequestsOfWorker = %+v, %v", rs, err)
	}
}

// ChainedAppend is an AppendJournal build that appends an entry of kind
// chained trivially to the head (the store does not compute hashes): the
// head's hash is the entry's, one stored hash per entry, a placeholder
// checkpoint.
func ChainedAppend(ownerID, kind string) func(h meta.JournalHead, r meta.JournalReader) (meta.JournalAppend, error) {
	return func(h meta.JournalHead, _ meta.JournalReader) (meta.JournalAppend, error) {
		e := meta.JournalEntry{
			OwnerID: ownerID, Seq: h.Seq + 1, At: at, Kind: kind, ActorKind: "owner", PayloadSealed: []byte("p"),
			PrevHash: h.Hash, Hash: append(append([]byte{}, h.Hash...), byte(h.Seq+1)),
		}
		return meta.JournalAppend{
			Entry:  e,
			Hashes: []meta.JournalHash{{Index: h.Seq, Hash: e.Hash}},
			Head:   meta.JournalHead{Seq: e.Seq, Hash: e.Hash, TreeSize: e.Seq, Checkpoint: []byte("checkpoint")},
		}, nil
	}
}

// appendEntry appends one entry with a trivial chain, retrying on conflicts.
func appendEntry(ctx context.Context, s SharingStore, ownerID string) error {
	for {
		err := s.AppendJournal(ctx, ownerID, ChainedAppend(ownerID, "k"))
		if !errors.Is(err, meta.ErrConflict) {
			return err
		}
	}
}

func testJournal(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	h, err := s.JournalHead(ctx, o.ID)
	if err != nil || h.Seq != 0 || h.Hash != nil {
		t.Fatalf("empty head = %+v, %v", h, err)
	}
	_, err = s.JournalHead(ctx, "nobody")
	wantErr(t, "head of missing owner", err, meta.ErrNotFound)
	wantErr(t, "append for missing owner", appendEntry(ctx, s, "nobody"), meta.ErrNotFound)
	// Concurrent appends: seq 1..n, no gaps, each chained to the previous.
	const n = 12
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := appendEntry(ctx, s, o.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	es, err := s.JournalEntries(ctx, o.ID)
	if err != nil || len(es) != n {
		t.Fatalf("JournalEntries = %d, %v", len(es), err)
	}
	var prev []byte
	for i, e := range es {
		if e.Seq != int64(i+1) || !bytes.Equal(e.PrevHash, prev) || !e.At.Equal(at) {
			t.Fatalf("entry %d = %+v", i, e)
		}
		prev = e.Hash
	}
	h, _ = s.JournalHead(ctx, o.ID)
	if h.Seq != n || !bytes.Equal(h.Hash, prev) || h.TreeSize != n || string(h.Checkpoint) != "checkpoint" {
		t.Fatalf("head = %+v", h)
	}
	// Stored tree hashes come back in the order asked (ChainedAppend
	// stores entry i's hash at index i-1), a missing one is ErrNotFound.
	hs, err := s.ReadJournalHashes(ctx, o.ID, []int64{n - 1, 0, 3})
	if err != nil || len(hs) != 3 || !bytes.Equal(hs[0], es[n-1].Hash) || !bytes.Equal(hs[1], es[0].Hash) || !bytes.Equal(hs[2], es[3].Hash) {
		t.Fatalf("ReadJournalHashes = %x, %v", hs, err)
	}
	_, err = s.ReadJournalHashes(ctx, o.ID, []int64{0, n + 5})
	wantErr(t, "missing journal hash", err, meta.ErrNotFound)
	// A journal whose tree covers every entry is not converted again.
	if did, err := s.ConvertJournal(ctx, o.ID, func(meta.JournalHead, []meta.JournalEntry) ([]meta.JournalHash, meta.JournalHead, error) {
		t.Error("build called for a converted journal")
		return nil, meta.JournalHead{}, nil
	}); err != nil || did {
		t.Fatalf("ConvertJournal of a converted journal = %v, %v", did, err)
	}
	// An entry that does not follow the head is refused.
	err = s.AppendJournal(ctx, o.ID, func(h meta.JournalHead, r meta.JournalReader) (meta.JournalAppend, error) {
		a, err := ChainedAppend(o.ID, "k")(h, r)
		a.Entry.Seq = h.Seq + 2
		return a, err
	})
	if err == nil {
		t.Fatal("append with a gap succeeded")
	}
	if owners, err := s.JournalOwners(ctx); err != nil || !slices.Contains(owners, o.ID) {
		t.Fatalf("JournalOwners = %v, %v", owners, err)
	}
}

func testDocumentEdits(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	d := committedDoc(t, s, o.ID)
	if err := s.SetDocumentTitle(ctx, d.ID, o.ID, []byte("new-sealed")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "retitle by another owner", s.SetDocumentTitle(ctx, d.ID, "x", []byte("t")), meta.ErrNotFound)
	exp := time.Date(2030, 5, 6, 0, 0, 0, 0, time.UTC)
	if err := s.SetDocumentExpiry(ctx, d.ID, o.ID, exp); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Document(ctx, d.ID)
	if string(got.TitleSealed) != "new-sealed" || !got.Expires.Equal(exp) {
		t.Fatalf("after edits: %+v", got)
	}
	if err := s.SetDocumentExpiry(ctx, d.ID, o.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Document(ctx, d.ID); !got.Expires.IsZero() {
		t.Fatalf("expiry not cleared: %v", got.Expires)
	}
	pending := newDoc(o.ID, meta.StatePending)
	pending.DocType = "avis-impot"
	if err := s.InsertDocument(ctx, pending); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "retitle pending", s.SetDocumentTitle(ctx, pending.ID, o.ID, []byte("t")), meta.ErrNotFound)
	ds, err := s.DocumentsOfOwner(ctx, o.ID)
	if err != nil || len(ds) != 2 || ds[1].DocType != "avis-impot" {
		t.Fatalf("DocumentsOfOwner = %+v, %v", ds, err)
	}
}

func testDeleteOwnerData(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o, keep := newOwner(t, s), newOwner(t, s)
	w := newWorker(t, s)
	d := committedDoc(t, s, o.ID)
	c := newConsent(o.ID, w.ID, []string{d.ID}, []string{"tax"})
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	r := meta.Request{ID: uniq("req"), OwnerID: o.ID, WorkerID: w.ID, DetailsSealed: []byte("x"), Types: []string{"rib"}, Days: 1, Created: at}
	if err := s.InsertRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	l := newLink(o.ID, 1)
	l.RequestID = r.ID
	if err := s.InsertDropLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{o.ID, keep.ID} {
		if err := appendEntry(ctx, s, id); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "delete owner with documents", s.DeleteOwnerData(ctx, o.ID), meta.ErrConflict)
	if err := s.DeleteDocument(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOwnerData(ctx, o.ID); err != nil {
		t.Fatalf("DeleteOwnerData: %v", err)
	}
	if _, err := s.Owner(ctx, o.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("owner after delete: %v", err)
	}
	for what, err := range map[string]error{
		"consent": func() error { _, err := s.Consent(ctx, c.ID); return err }(),
		"request": func() error { _, err := s.Request(ctx, r.ID); return err }(),
		"link":    func() error { _, err := s.DropLink(ctx, l.ID); return err }(),
	} {
		wantErr(t, what+" after delete", err, meta.ErrNotFound)
	}
	if es, _ := s.JournalEntries(ctx, o.ID); len(es) != 0 {
		t.Fatalf("journal after delete: %d entries", len(es))
	}
	if es, _ := s.JournalEntries(ctx, keep.ID); len(es) != 1 {
		t.Fatalf("other owner's journal: %d entries", len(es))
	}
	wantErr(t, "delete twice", s.DeleteOwnerData(ctx, o.ID), meta.ErrNotFound)
}
