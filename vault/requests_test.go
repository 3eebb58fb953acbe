package vault_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

func TestRequests(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "requested")
	none := vault.Acceptance{}
	stranger, _ := in.signUp(t, "stranger4")
	w, _ := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis 2025", "avis")
	pay := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie", "paie") // not requested

	for _, c := range []struct {
		name string
		p    *vault.Principal
		nr   vault.NewRequest
		want error
	}{
		{"owner asks", owner, vault.NewRequest{OwnerID: stranger.ID(), Types: []string{"rib"}, Days: 31}, vault.ErrInvalid},
		{"no types", w, vault.NewRequest{OwnerID: owner.ID(), Days: 31}, vault.ErrInvalid},
		{"unknown type", w, vault.NewRequest{OwnerID: owner.ID(), Types: []string{"x"}, Days: 31}, vault.ErrInvalid},
		{"bad days", w, vault.NewRequest{OwnerID: owner.ID(), Types: []string{"rib"}, Days: 7}, vault.ErrInvalid},
		{"unknown owner", w, vault.NewRequest{OwnerID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Types: []string{"rib"}, Days: 31}, vault.ErrNotFound},
	} {
		if _, err := in.svc.CreateRequest(ctx, c.p, c.nr); !errors.Is(err, c.want) {
			t.Errorf("CreateRequest(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	r, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{
		OwnerID: owner.ID(), Purpose: "Dossier RSA", Types: []string{"avis-impot", "quittance-loyer"}, Days: 31, Message: "Bonjour",
	})
	if err != nil {
		t.Fatalf("CreateRequest: %v", err)
	}
	if r.Status != vault.RequestPending || r.WorkerName != "Mme Morel" || r.OrgName != "CCAS de Roubaix" || len(r.Fulfilled) != 2 {
		t.Fatalf("request = %+v", r)
	}
	rs, err := in.svc.Requests(ctx, owner)
	if err != nil || len(rs) != 1 || rs[0].Purpose != "Dossier RSA" || rs[0].Message != "Bonjour" || rs[0].WorkerName != "Mme Morel" {
		t.Fatalf("owner Requests = %+v, %v", rs, err)
	}
	if rs, _ := in.svc.Requests(ctx, stranger); len(rs) != 0 {
		t.Fatalf("stranger sees requests: %+v", rs)
	}
	if _, err := in.svc.AcceptRequest(ctx, stranger, r.ID, vault.Acceptance{Documents: []string{tax.ID}}); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("stranger accepts: %v", err)
	}
	if _, err := in.svc.AcceptRequest(ctx, owner, r.ID, vault.Acceptance{Documents: []string{"aaaaaaaaaaaaaaaaaaaaaaaaaa"}}); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("accept with unknown document: %v", err)
	}
	for name, a := range map[string]vault.Acceptance{
		"nothing chosen":          none,
		"a type not asked for":    {Documents: []string{tax.ID}, Future: []string{"rib"}},
		"later papers of 'other'": {Documents: []string{tax.ID}, Future: []string{"other"}},
	} {
		if _, err := in.svc.AcceptRequest(ctx, owner, r.ID, a); !errors.Is(err, vault.ErrInvalid) {
			t.Fatalf("accept with %s: %v, want ErrInvalid", name, err)
		}
	}
	// The owner gives the tax notice she has, and chooses to share the
	// rent receipts she adds until the consent ends.
	c, err := in.svc.AcceptRequest(ctx, owner, r.ID, vault.Acceptance{Documents: []string{tax.ID}, Future: []string{"quittance-loyer"}, ShowName: "Amina"})
	if err != nil {
		t.Fatalf("AcceptRequest: %v", err)
	}
	if !slices.Equal(c.Scope.Documents, []string{tax.ID}) || !slices.Equal(c.Scope.Types, []string{"quittance-loyer"}) ||
		len(c.Scope.Categories) != 0 || c.Purpose != "Dossier RSA" || c.Days != 31 || !c.Live || c.OwnerName != "Amina" {
		t.Fatalf("consent = %+v", c)
	}
	if wcs, _ := in.svc.Consents(ctx, w); len(wcs) != 1 || wcs[0].OwnerName != "Amina" {
		t.Fatalf("the worker does not see the chosen name: %+v", wcs)
	}
	dir.clock.Add(time.Minute)
	if _, err := in.svc.AcceptRequest(ctx, owner, r.ID, vault.Acceptance{Documents: []string{tax.ID}}); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("second accept: %v", err)
	}
	if err := in.svc.DeclineRequest(ctx, owner, r.ID); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("decline after accept: %v", err)
	}
	in.mustRead(t, w, tax, "avis")
	in.mustNotRead(t, w, pay)
	progress := func() vault.Request {
		t.Helper()
		rs, err := in.svc.Requests(ctx, w)
		if err != nil || len(rs) != 1 {
			t.Fatalf("worker Requests = %+v, %v", rs, err)
		}
		return rs[0]
	}
	if p := progress(); p.Status != vault.RequestAccepted || !p.Fulfilled["avis-impot"] || p.Fulfilled["quittance-loyer"] || p.ConsentID != c.ID {
		t.Fatalf("progress = %+v", p)
	}
	// The owner hands a drop link answering the request to a helper.
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Pour Mme Morel", Requested: []string{"quittance-loyer"}, RequestID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "quittance-loyer", Title: "Quittance mars"}, strings.NewReader("quittance")); err != nil {
		t.Fatal(err)
	}
	p := progress()
	if p.Status != vault.RequestFulfilled || !p.Fulfilled["quittance-loyer"] {
		t.Fatalf("progress after deposit = %+v", p)
	}
	ds, err := in.svc.List(ctx, w)
	if err != nil || len(ds) != 2 {
		t.Fatalf("worker List = %+v, %v", ds, err)
	}
	// A worker's own link answering a request the owner accepted with the
	// old RIB only: the new RIB sent through it stays hers.
	r2, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: owner.ID(), Purpose: "RIB", Types: []string{"rib"}, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	rib := in.addTyped(t, owner.ID(), "rib", "RIB ancien", "rib0")
	if _, err := in.svc.AcceptRequest(ctx, owner, r2.ID, vault.Acceptance{Documents: []string{rib.ID}}); err != nil {
		t.Fatal(err)
	}
	wtok, _, err := in.svc.CreateDropLink(ctx, w, owner.ID(), vault.NewDropLink{Label: "Nouveau RIB", RequestID: r2.ID})
	if err != nil {
		t.Fatalf("worker link for own request: %v", err)
	}
	dir.clock.Add(time.Minute)
	if _, err := in.svc.Deposit(ctx, wtok, vault.NewDocument{Type: "rib", Title: "RIB nouveau"}, strings.NewReader("rib1")); err != nil {
		t.Fatal(err)
	}
	var newRIB vault.Document
	all, _ := in.svc.List(ctx, owner)
	for _, d := range all {
		if d.Title == "RIB nouveau" {
			newRIB = d
		}
	}
	in.mustRead(t, w, rib, "rib0")
	in.mustNotRead(t, w, newRIB)
	// Another worker cannot attach a link to someone else's request.
	w2, _ := in.orgWorker(t, "", "Autre", "M. Autre")
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w2), Scope: vault.Scope{Documents: []string{pay.ID}}, Days: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.CreateDropLink(ctx, w2, owner.ID(), vault.NewDropLink{RequestID: r2.ID}); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("link on another worker's request: %v", err)
	}
	// Decline.
	r3, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: owner.ID(), Types: []string{"passeport"}, Days: 365})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.DeclineRequest(ctx, owner, r3.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ = in.svc.Requests(ctx, owner)
	statuses := map[string]string{}
	for _, r := range rs {
		statuses[r.ID] = r.Status
	}
	if statuses[r3.ID] != vault.RequestDeclined || statuses[r.ID] != vault.RequestFulfilled || statuses[r2.ID] != vault.RequestFulfilled {
		t.Fatalf("statuses = %v", statuses)
	}
	// Revoking the consent empties the progress.
	if err := in.svc.RevokeConsent(ctx, owner, c.ID); err != nil {
		t.Fatal(err)
	}
	rs, _ = in.svc.Requests(ctx, w)
	for _, rq := range rs {
		if rq.ID == r.ID && (rq.Fulfilled["avis-impot"] || rq.Status != vault.RequestAccepted) {
			t.Fatalf("progress after revocation = %+v", rq)
		}
	}
	in.mustNotRead(t, w, tax)
}
