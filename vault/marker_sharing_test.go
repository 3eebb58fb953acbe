package vault_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// TestSharingMarker puts a unique marker in every text that parts [A] and
// [B] store — titles, drop link labels, consent purposes and shown names,
// request purposes and messages, journal details, worker, organisation and
// owner names — and finds no trace of it at rest (SQLite db, -wal, -shm,
// blob directory), before and after the database is closed. Tokens of the
// drop links are checked the same way.
func TestSharingMarker(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	marker := "COFFRE-MARKER-" + hex.EncodeToString(rb[:])
	m := func(s string) string { return s + " " + marker }

	ownerID, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "marker.owner", Secret: []byte(goodSecret), DisplayName: m("Amina")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := in.svc.Login(ctx, "marker.owner", []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := in.orgWorker(t, "", m("CCAS"), m("Mme Morel"))
	d := in.addTyped(t, ownerID, "avis-impot", m("Avis"), "avis")
	if err := in.svc.Rename(ctx, owner, d.ID, m("Avis renommé")); err != nil {
		t.Fatal(err)
	}
	r, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: ownerID, Purpose: m("RSA"), Message: m("Bonjour"), Types: []string{"avis-impot", "rib"}, Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.AcceptRequest(ctx, owner, r.ID, vault.Acceptance{Documents: []string{d.ID}, Future: []string{"rib"}, ShowName: m("Amina")}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Types: []string{"rib"}},
		Purpose: m("Banque"), ShowName: m("A. K."), Days: 1}); err != nil {
		t.Fatal(err)
	}
	token, _, err := in.svc.CreateDropLink(ctx, owner, ownerID, vault.NewDropLink{Label: m("Papiers"), RequestID: r.ID, MaxUses: 3})
	if err != nil {
		t.Fatal(err)
	}
	wtoken, _, err := in.svc.CreateDropLink(ctx, w, ownerID, vault.NewDropLink{Label: m("Lien du CCAS")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "rib", Title: m("RIB")}, strings.NewReader("rib")); err != nil {
		t.Fatal(err)
	}
	in.mustRead(t, w, d, "avis")
	if _, err := in.svc.Journal(ctx, owner); err != nil {
		t.Fatal(err)
	}
	// The marker is really there for those entitled to it.
	if info, err := in.svc.DropLinkInfo(ctx, token); err != nil || !strings.Contains(info.Label, marker) {
		t.Fatalf("DropLinkInfo = %+v, %v", info, err)
	}

	forms := markerForms(marker)
	for name, f := range markerForms(token) {
		forms["token-"+name] = f
	}
	for name, f := range markerForms(wtoken) {
		forms["wtoken-"+name] = f
	}
	files, hits := scan(t, []string{dir.dir}, forms)
	if files < 3 {
		t.Fatalf("only %d files scanned", files)
	}
	for _, h := range hits {
		t.Errorf("found at rest: %s", h)
	}
	if err := in.meta.Close(); err != nil {
		t.Fatal(err)
	}
	_, hits = scan(t, []string{dir.dir}, forms)
	for _, h := range hits {
		t.Errorf("found at rest after close: %s", h)
	}
}
