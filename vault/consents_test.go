package vault_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

func TestConsentLifecycle(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "amina.k")
	w, _ := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	other, _ := in.orgWorker(t, "", "France Services Lille", "M. Petit")

	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis 2025", "avis")
	pay := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie mars", "paie")
	rib := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")

	in.mustNotRead(t, w, tax)
	for _, c := range []struct {
		name string
		p    *vault.Principal
		nc   vault.NewConsent
		want error
	}{
		{"worker grants", w, vault.NewConsent{Grantee: workerGrantee(other), Scope: vault.Scope{Documents: []string{tax.ID}}, Days: 31}, vault.ErrInvalid},
		{"bad duration", owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}}, Days: 30}, vault.ErrInvalid},
		{"empty scope", owner, vault.NewConsent{Grantee: workerGrantee(w), Days: 31}, vault.ErrInvalid},
		{"unknown category", owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Categories: []string{"secrets"}}, Days: 31}, vault.ErrInvalid},
		{"a whole category", owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Categories: []string{"tax"}}, Days: 31}, vault.ErrInvalid},
		{"unknown type", owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Types: []string{"secrets"}}, Days: 31}, vault.ErrInvalid},
		{"type other", owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Types: []string{"other"}}, Days: 31}, vault.ErrInvalid},
		{"owner grantee", owner, vault.NewConsent{Grantee: vault.Grantee{Kind: vault.KindOwner, ID: owner.ID()}, Scope: vault.Scope{Types: []string{"avis-impot"}}, Days: 31}, vault.ErrInvalid},
		{"unknown worker", owner, vault.NewConsent{Grantee: vault.Grantee{Kind: vault.KindWorker, ID: "nobody"}, Scope: vault.Scope{Types: []string{"avis-impot"}}, Days: 31}, vault.ErrNotFound},
		{"unknown document", owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{"aaaaaaaaaaaaaaaaaaaaaaaaaa"}}, Days: 31}, vault.ErrNotFound},
	} {
		if _, err := in.svc.GrantConsent(ctx, c.p, c.nc); !errors.Is(err, c.want) {
			t.Errorf("GrantConsent(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	// Another owner's document cannot be put in a consent.
	stranger, _ := in.signUp(t, "stranger")
	if _, err := in.svc.GrantConsent(ctx, stranger, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}}, Days: 31}); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("consent on a stranger's document: %v", err)
	}

	c, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{
		Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}, Types: []string{"bulletin-paie"}},
		Purpose: "Dossier RSA", Days: 31, ShowName: "Amina K.",
	})
	if err != nil {
		t.Fatalf("GrantConsent: %v", err)
	}
	if !c.Live || c.GranteeName != "CCAS de Roubaix — Mme Morel" || c.Purpose != "Dossier RSA" ||
		!c.Expires.Equal(c.Created.Add(31*24*time.Hour)) {
		t.Fatalf("consent = %+v", c)
	}
	in.mustRead(t, w, tax, "avis")
	// A payslip she already had was not chosen: sharing the payslips she
	// adds does not reach it.
	in.mustNotRead(t, w, pay)
	in.mustNotRead(t, w, rib)
	in.mustNotRead(t, other, tax)
	// A payslip added later is covered at once, even through a
	// drop-link-like relay that only knows the public key.
	dir.clock.Add(time.Minute)
	pay2 := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie avril", "paie2")
	in.mustRead(t, w, pay2, "paie2")
	if got := in.listIDs(t, w); !sameSet(got, []string{tax.ID, pay2.ID}) {
		t.Fatalf("worker List = %v", got)
	}
	// The worker sees the consent, with the name the owner chose to show.
	wcs, err := in.svc.Consents(ctx, w)
	if err != nil || len(wcs) != 1 || wcs[0].OwnerName != "Amina K." || wcs[0].Purpose != "Dossier RSA" || wcs[0].OwnerID != owner.ID() {
		t.Fatalf("worker Consents = %+v, %v", wcs, err)
	}
	if ocs, err := in.svc.Consents(ctx, other); err != nil || len(ocs) != 0 {
		t.Fatalf("other worker Consents = %+v, %v", ocs, err)
	}

	// Revocation: the next request fails, and the wraps are gone.
	rc, _, err := in.svc.OpenDocument(ctx, w, tax.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.RevokeConsent(ctx, w, c.ID); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("worker revokes: %v", err)
	}
	if err := in.svc.RevokeConsent(ctx, stranger, c.ID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("stranger revokes: %v", err)
	}
	if err := in.svc.RevokeConsent(ctx, owner, c.ID); err != nil {
		t.Fatalf("RevokeConsent: %v", err)
	}
	_ = rc.Close()
	for _, d := range []vault.Document{tax, pay, pay2} {
		in.mustNotRead(t, w, d)
		ws, err := in.meta.Wraps(ctx, d.ID)
		if err != nil || len(ws) != 1 || ws[0].RecipientKind != meta.RecipientOwner {
			t.Fatalf("wraps after revoke = %+v, %v", ws, err)
		}
	}
	if got := in.listIDs(t, w); len(got) != 0 {
		t.Fatalf("worker List after revoke = %v", got)
	}
	if err := in.svc.RevokeConsent(ctx, owner, c.ID); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	ocs, err := in.svc.Consents(ctx, owner)
	if err != nil || len(ocs) != 1 || ocs[0].Live || ocs[0].Revoked.IsZero() || ocs[0].GranteeName == "" {
		t.Fatalf("owner Consents = %+v, %v", ocs, err)
	}
	// A later payslip is no longer wrapped for them.
	pay3 := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie mai", "paie3")
	if ws, _ := in.meta.Wraps(ctx, pay3.ID); len(ws) != 1 {
		t.Fatalf("wraps of a document added after revocation = %+v", ws)
	}
}

// Overlapping consents: revoking one keeps what another still covers.
func TestConsentOverlap(t *testing.T) {
	in := newAcctDir(t).open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "overlap")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis")
	byCat, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}, Types: []string{"avis-impot"}}, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	byDoc, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}}, Days: 365})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.RevokeConsent(ctx, owner, byCat.ID); err != nil {
		t.Fatal(err)
	}
	in.mustRead(t, w, tax, "avis")
	if err := in.svc.RevokeConsent(ctx, owner, byDoc.ID); err != nil {
		t.Fatal(err)
	}
	in.mustNotRead(t, w, tax)
}

// Expiry is enforced at read time, without any sweeper; the sweeper then
// removes the wraps and journals the expiry once, even with two instances.
func TestConsentExpiry(t *testing.T) {
	dir := newAcctDir(t)
	in, in2 := dir.open(t), dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "expiry")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis")
	c, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}, Types: []string{"avis-impot"}}, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir.clock.Add(24*time.Hour - time.Second)
	in.mustRead(t, w, tax, "avis")
	dir.clock.Add(time.Second)
	in.mustNotRead(t, w, tax)
	in2.mustNotRead(t, w, tax)
	if got := in.listIDs(t, w); len(got) != 0 {
		t.Fatalf("List after expiry = %v", got)
	}
	if ws, _ := in.meta.Wraps(ctx, tax.ID); len(ws) != 2 {
		t.Fatalf("wraps before the sweeper = %d, want 2 (expiry does not wait for it)", len(ws))
	}
	// A document added after expiry is not wrapped to the expired grantee.
	tax2 := in.addTyped(t, owner.ID(), "avis-impot", "Avis 2", "avis2")
	if ws, _ := in.meta.Wraps(ctx, tax2.ID); len(ws) != 1 {
		t.Fatalf("wraps of a document added after expiry = %d", len(ws))
	}
	// Two sweepers at once: one journal entry in all.
	counts := make(chan int, 2)
	for _, inst := range []*instance{in, in2} {
		go func() {
			n, err := inst.svc.ExpireConsents(ctx)
			if err != nil {
				t.Error(err)
			}
			counts <- n
		}()
	}
	if total := <-counts + <-counts; total != 1 {
		t.Fatalf("consents expired by two sweepers = %d, want 1", total)
	}
	if ws, _ := in.meta.Wraps(ctx, tax.ID); len(ws) != 1 {
		t.Fatalf("wraps after the sweeper = %+v", ws)
	}
	if n, err := in.svc.ExpireConsents(ctx); err != nil || n != 0 {
		t.Fatalf("third sweep = %d, %v", n, err)
	}
	evs, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var expired []vault.Event
	for _, e := range evs {
		if e.Kind == vault.EventConsentExpired {
			expired = append(expired, e)
		}
	}
	if len(expired) != 1 || !expired[0].At.Equal(c.Expires) || expired[0].Target != "CCAS — Mme Morel" {
		t.Fatalf("expiry events = %+v", expired)
	}
	if cs, _ := in.svc.Consents(ctx, w); len(cs) != 0 {
		t.Fatalf("worker Consents after expiry = %+v", cs)
	}
}

// A consent to an organisation: every member reads; other workers do not.
func TestConsentToOrganisation(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "orgconsent")
	w1, org := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	w2, _ := in.orgWorker(t, org, "", "M. Durand")
	outsider, _ := in.orgWorker(t, "", "Autre", "Mme Autre")
	rib := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
	c, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindOrganisation, ID: org}, Scope: vault.Scope{Documents: []string{rib.ID}, Types: []string{"rib"}}, Days: 31,
	})
	if err != nil {
		t.Fatalf("GrantConsent to organisation: %v", err)
	}
	if c.GranteeName != "CCAS de Roubaix" {
		t.Fatalf("GranteeName = %q", c.GranteeName)
	}
	in.mustRead(t, w1, rib, "rib")
	in.mustRead(t, w2, rib, "rib")
	in.mustNotRead(t, outsider, rib)
	dir.clock.Add(time.Minute)
	later := in.addTyped(t, owner.ID(), "rib", "RIB 2", "rib2")
	in.mustRead(t, w2, later, "rib2")
	if got := in.listIDs(t, w1); !sameSet(got, []string{rib.ID, later.ID}) {
		t.Fatalf("member List = %v", got)
	}
	if cs, err := in.svc.Consents(ctx, w2); err != nil || len(cs) != 1 {
		t.Fatalf("member Consents = %+v, %v", cs, err)
	}
	if err := in.svc.RevokeConsent(ctx, owner, c.ID); err != nil {
		t.Fatal(err)
	}
	in.mustNotRead(t, w1, rib)
	in.mustNotRead(t, w2, later)
}

func TestRenameAndExpiry(t *testing.T) {
	in := newAcctDir(t).open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "renamer")
	stranger, _ := in.signUp(t, "stranger2")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	d := in.addTyped(t, owner.ID(), "carte-identite", "CNI", "cni")
	if d.Type != "carte-identite" || d.Category != "identity" {
		t.Fatalf("typed document = %+v", d)
	}
	if err := in.svc.Rename(ctx, owner, d.ID, "Carte d'identité recto-verso"); err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2031, 7, 14, 0, 0, 0, 0, time.UTC)
	if err := in.svc.SetExpiry(ctx, owner, d.ID, exp); err != nil {
		t.Fatal(err)
	}
	got, err := in.svc.Document(ctx, owner, d.ID)
	if err != nil || got.Title != "Carte d'identité recto-verso" || !got.Expires.Equal(exp) || got.Type != "carte-identite" {
		t.Fatalf("after edits: %+v, %v", got, err)
	}
	if err := in.svc.SetExpiry(ctx, owner, d.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := in.svc.Document(ctx, owner, d.ID); !got.Expires.IsZero() {
		t.Fatalf("expiry not cleared: %v", got.Expires)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"stranger renames", in.svc.Rename(ctx, stranger, d.ID, "x"), vault.ErrNotFound},
		{"worker renames", in.svc.Rename(ctx, w, d.ID, "x"), vault.ErrInvalid},
		{"title too long", in.svc.Rename(ctx, owner, d.ID, string(make([]byte, vault.MaxTitleLen+1))), vault.ErrInvalid},
		{"missing document", in.svc.Rename(ctx, owner, "aaaaaaaaaaaaaaaaaaaaaaaaaa", "x"), vault.ErrNotFound},
		{"stranger sets expiry", in.svc.SetExpiry(ctx, stranger, d.ID, exp), vault.ErrNotFound},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	// Type and category must agree with the catalogue.
	for _, nd := range []vault.NewDocument{
		{Type: "passeport", Category: "income"},
		{Type: "no-such-type"},
		{Category: "not-a-category"},
	} {
		if _, err := in.svc.AddDocument(ctx, owner.ID(), nd, nil); !errors.Is(err, vault.ErrInvalid) {
			t.Errorf("AddDocument(%+v) = %v, want ErrInvalid", nd, err)
		}
	}
}

func TestCatalogue(t *testing.T) {
	cats := vault.Categories()
	var ids []string
	for _, c := range cats {
		ids = append(ids, c.ID)
		if c.Label["fr"] == "" || c.Label["en"] == "" {
			t.Errorf("category %s lacks a label", c.ID)
		}
	}
	want := []string{"identity", "residence", "income", "tax", "housing", "family", "health", "bank", "employment", "other"}
	if !slices.Equal(ids, want) {
		t.Fatalf("categories = %v", ids)
	}
	for _, id := range []string{"carte-identite", "passeport", "titre-sejour", "recepisse", "bulletin-paie", "avis-impot",
		"quittance-loyer", "bail", "attestation-caf", "attestation-ameli", "carte-vitale", "rib", "livret-famille",
		"acte-naissance", "justificatif-domicile", "attestation-france-travail", "contrat-travail", "certificat-scolarite", "other"} {
		dt, ok := vault.DocTypeByID(id)
		if !ok || dt.Label["fr"] == "" || dt.Label["en"] == "" || !slices.Contains(want, dt.Category) {
			t.Errorf("type %s = %+v, %v", id, dt, ok)
		}
	}
	if dt, _ := vault.DocTypeByID("titre-sejour"); dt.NoticeDays == 0 || dt.RenewalURL == "" {
		t.Errorf("titre-sejour has no notice or renewal link: %+v", dt)
	}
	// Callers cannot change the catalogue.
	vault.DocTypes()[0].Label["fr"] = "changed"
	if dt, _ := vault.DocTypeByID(vault.DocTypes()[0].ID); dt.Label["fr"] == "changed" {
		t.Fatal("catalogue mutated through DocTypes")
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
