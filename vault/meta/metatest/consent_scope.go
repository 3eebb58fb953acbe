package metatest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// typedDoc commits a document of a category and type created at created.
func typedDoc(t *testing.T, s Store, ownerID, category, docType string, created time.Time) meta.Document {
	t.Helper()
	ctx := context.Background()
	d := newDoc(ownerID, meta.StatePending)
	d.Category, d.DocType, d.Created = category, docType, created
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatalf("InsertDocument: %v", err)
	}
	if err := s.CommitDocument(ctx, d.ID, 1234, []meta.Wrap{ownerWrap(d)}); err != nil {
		t.Fatalf("CommitDocument: %v", err)
	}
	d.State, d.Size = meta.StateCommitted, 1234
	return d
}

// testConsentTypes: a consent covers the documents chosen, and the papers
// of its types created after it; never an unticked paper, another paper of
// the same category, a later paper of another type, or a paper of type
// "other" or without a type. A legacy category consent covers the papers
// with a type of its category, never "other" or untyped ones. The read
// check (LiveConsentCovers) and Consent.Covers agree on every case.
func testConsentTypes(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	w, legacyW := newWorker(t, s), newWorker(t, s)
	before, after := at.Add(-time.Hour), at.Add(time.Hour)
	ticked := typedDoc(t, s, o.ID, "income", "bulletin-paie", before)
	unticked := typedDoc(t, s, o.ID, "income", "bulletin-paie", before)
	sameCat := typedDoc(t, s, o.ID, "income", "attestation-caf", before)
	laterSameType := typedDoc(t, s, o.ID, "income", "bulletin-paie", after)
	laterSameCat := typedDoc(t, s, o.ID, "income", "attestation-caf", after)
	laterOther := typedDoc(t, s, o.ID, "other", "other", after)
	laterUntyped := typedDoc(t, s, o.ID, "income", "", after)
	atGrant := typedDoc(t, s, o.ID, "income", "bulletin-paie", at)

	// Exactly the ticked paper.
	exact := newConsent(o.ID, w.ID, []string{ticked.ID}, nil)
	if err := s.InsertConsent(ctx, exact); err != nil {
		t.Fatalf("InsertConsent: %v", err)
	}
	wantCovers(t, s, exact, w.ID, map[string]bool{
		"ticked": true, "unticked": false, "same category": false, "later, same type": false,
		"later, same category": false, "later, other": false, "later, untyped": false,
	}, map[string]meta.Document{
		"ticked": ticked, "unticked": unticked, "same category": sameCat, "later, same type": laterSameType,
		"later, same category": laterSameCat, "later, other": laterOther, "later, untyped": laterUntyped,
	})

	// The ticked paper plus the payslips added later.
	w2 := newWorker(t, s)
	typed := newConsent(o.ID, w2.ID, []string{ticked.ID}, nil)
	typed.Types = []string{"bulletin-paie"}
	if err := s.InsertConsent(ctx, typed); err != nil {
		t.Fatalf("InsertConsent with types: %v", err)
	}
	got, err := s.Consent(ctx, typed.ID)
	if err != nil || !slices.Equal(got.Types, []string{"bulletin-paie"}) || len(got.Categories) != 0 {
		t.Fatalf("Consent = %+v, %v", got, err)
	}
	wantCovers(t, s, got, w2.ID, map[string]bool{
		"ticked": true, "unticked": false, "same category": false, "later, same type": true,
		"later, same category": false, "later, other": false, "later, untyped": false, "created with the consent": false,
	}, map[string]meta.Document{
		"ticked": ticked, "unticked": unticked, "same category": sameCat, "later, same type": laterSameType,
		"later, same category": laterSameCat, "later, other": laterOther, "later, untyped": laterUntyped,
		"created with the consent": atGrant,
	})
	if got := covers(t, s, laterSameType.ID, w2.ID, typed.Expires); got {
		t.Error("a type scope covers after expiry")
	}

	// "other" and "" are never a type scope.
	for _, bad := range []string{"other", ""} {
		c := newConsent(o.ID, w2.ID, nil, nil)
		c.Types = []string{bad}
		if err := s.InsertConsent(ctx, c); err == nil {
			t.Errorf("a consent with type %q was stored", bad)
		}
		if _, err := s.Consent(ctx, c.ID); err == nil {
			t.Errorf("half-inserted consent with type %q", bad)
		}
	}

	// A consent granted before types existed names a category: it covers
	// what it always covered, except papers of type "other" or untyped.
	legacy := newConsent(o.ID, legacyW.ID, nil, []string{"income", "other"})
	if err := s.InsertConsent(ctx, legacy); err != nil {
		t.Fatalf("InsertConsent legacy: %v", err)
	}
	wantCovers(t, s, legacy, legacyW.ID, map[string]bool{
		"unticked": true, "same category": true, "later, same category": true,
		"later, other": false, "later, untyped": false,
	}, map[string]meta.Document{
		"unticked": unticked, "same category": sameCat, "later, same category": laterSameCat,
		"later, other": laterOther, "later, untyped": laterUntyped,
	})
}

// wantCovers checks the read check and Consent.Covers for each case.
func wantCovers(t *testing.T, s SharingStore, c meta.Consent, workerID string, want map[string]bool, docs map[string]meta.Document) {
	t.Helper()
	for name, wants := range want {
		d := docs[name]
		if got := covers(t, s, d.ID, workerID, at); got != wants {
			t.Errorf("%s: LiveConsentCovers = %v, want %v", name, got, wants)
		}
		if got := c.Covers(d); got != wants {
			t.Errorf("%s: Consent.Covers = %v, want %v", name, got, wants)
		}
	}
}

// testWorkerLinkEndsWithConsent: a worker's drop link is redeemed only
// while the consent it was made under is live; the owner's link does not
// depend on any consent.
func testWorkerLinkEndsWithConsent(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	w := newWorker(t, s)
	d := committedDoc(t, s, o.ID)
	c := newConsent(o.ID, w.ID, []string{d.ID}, nil)
	c.Expires = at.Add(2 * time.Hour)
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	link := func() meta.DropLink {
		l := newLink(o.ID, 10)
		l.CreatedByKind, l.CreatedByID, l.ConsentID = meta.RecipientWorker, w.ID, c.ID
		l.Expires = at.Add(24 * time.Hour)
		if err := s.InsertDropLink(ctx, l); err != nil {
			t.Fatalf("InsertDropLink: %v", err)
		}
		return l
	}
	noConsent := newLink(o.ID, 1)
	noConsent.CreatedByKind, noConsent.CreatedByID = meta.RecipientWorker, w.ID
	if err := s.InsertDropLink(ctx, noConsent); err == nil {
		t.Fatal("a worker's link without its consent was stored")
	}
	l := link()
	got, err := s.DropLinkByTokenHash(ctx, l.TokenHash)
	if err != nil || got.ConsentID != c.ID || !got.ConsentExpires.Equal(c.Expires) || !got.UsableAt(at) {
		t.Fatalf("DropLinkByTokenHash = %+v, %v", got, err)
	}
	if _, err := s.RedeemDropLink(ctx, l.TokenHash, at); err != nil {
		t.Fatalf("redeem while the consent is live: %v", err)
	}
	// Expiry of the consent, long before the link's own.
	late := c.Expires
	if got.UsableAt(late) {
		t.Error("UsableAt after the consent expired")
	}
	_, err = s.RedeemDropLink(ctx, l.TokenHash, late)
	wantErr(t, "redeem after the consent expired", err, meta.ErrNotFound)
	// Revocation.
	l2 := link()
	if _, err := s.RevokeConsent(ctx, c.ID, o.ID, at); err != nil {
		t.Fatal(err)
	}
	got, _ = s.DropLinkByTokenHash(ctx, l2.TokenHash)
	if got.UsableAt(at) || got.ConsentRevoked.IsZero() {
		t.Errorf("link usable after revocation: %+v", got)
	}
	_, err = s.RedeemDropLink(ctx, l2.TokenHash, at)
	wantErr(t, "redeem after revocation", err, meta.ErrNotFound)
	// The owner's own link is not tied to a consent.
	own := newLink(o.ID, 1)
	if err := s.InsertDropLink(ctx, own); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemDropLink(ctx, own.TokenHash, at); err != nil {
		t.Fatalf("owner's link: %v", err)
	}
}
