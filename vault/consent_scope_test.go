package vault_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// testConsentScopeMatrix: accepting a request shares exactly the papers
// ticked. The matrix of papers a worker might reach (the one ticked, one
// of the requested type left unticked, one of the same category, one
// added later, papers of type "other" or without a type, before and after)
// against the two ways to accept (papers only; papers plus the later
// papers of a requested type), on every backend (SQLite, PostgreSQL).
func testConsentScopeMatrix(t *testing.T, mk backend) {
	e := newEnv(t, mk, nil, nil)
	in := &instance{svc: e.svc}
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "matrice.consentement")
	wExact, _ := in.orgWorker(t, "", "CCAS", "Mme Exacte")
	wLater, _ := in.orgWorker(t, "", "France Services", "M. Ensuite")

	add := func(typ, category, content string) vault.Document {
		d, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Type: typ, Category: category, Title: content, Pages: 1}, strings.NewReader(content))
		if err != nil {
			t.Fatalf("AddDocument(%s): %v", content, err)
		}
		return d
	}
	ticked := add("bulletin-paie", "", "paie cochée")
	unticked := add("bulletin-paie", "", "paie non cochée")
	sameCat := add("attestation-caf", "", "attestation CAF")
	other := add("other", "", "papier autre")
	untyped := add("", "income", "papier sans type")

	types := []string{"bulletin-paie", "other"}
	accept := func(w *vault.Principal, a vault.Acceptance) vault.Consent {
		t.Helper()
		r, err := e.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: owner.ID(), Purpose: "Dossier", Types: types, Days: 31})
		if err != nil {
			t.Fatalf("CreateRequest: %v", err)
		}
		c, err := e.svc.AcceptRequest(ctx, owner, r.ID, a)
		if err != nil {
			t.Fatalf("AcceptRequest: %v", err)
		}
		if len(c.Scope.Categories) != 0 {
			t.Fatalf("accepting made a category consent: %+v", c.Scope)
		}
		return c
	}
	accept(wExact, vault.Acceptance{Documents: []string{ticked.ID}})
	c := accept(wLater, vault.Acceptance{Documents: []string{ticked.ID}, Future: []string{"bulletin-paie"}})
	if !slices.Equal(c.Scope.Types, []string{"bulletin-paie"}) {
		t.Fatalf("types = %v", c.Scope.Types)
	}
	// "other" cannot be chosen for later papers.
	r, err := e.svc.CreateRequest(ctx, wExact, vault.NewRequest{OwnerID: owner.ID(), Purpose: "Autre", Types: types, Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AcceptRequest(ctx, owner, r.ID, vault.Acceptance{Future: []string{"other"}}); err == nil {
		t.Fatal("later papers of type other were shared")
	}

	time.Sleep(2 * time.Millisecond) // later papers are strictly later
	laterSameType := add("bulletin-paie", "", "paie ajoutée ensuite")
	laterSameCat := add("attestation-caf", "", "attestation ajoutée ensuite")
	laterOther := add("other", "", "autre ajouté ensuite")
	laterUntyped := add("", "income", "sans type ajouté ensuite")

	papers := []struct {
		name          string
		d             vault.Document
		exact, future bool
	}{
		{"the ticked paper", ticked, true, true},
		{"an unticked paper of the requested type", unticked, false, false},
		{"a paper of the same category", sameCat, false, false},
		{"a paper of type other", other, false, false},
		{"a paper without a type", untyped, false, false},
		{"a later paper of the requested type", laterSameType, false, true},
		{"a later paper of the same category", laterSameCat, false, false},
		{"a later paper of type other", laterOther, false, false},
		{"a later paper without a type", laterUntyped, false, false},
	}
	for _, who := range []struct {
		name string
		w    *vault.Principal
		pick func(exact, future bool) bool
	}{
		{"ticked papers only", wExact, func(exact, _ bool) bool { return exact }},
		{"ticked papers and later payslips", wLater, func(_, future bool) bool { return future }},
	} {
		t.Run(who.name, func(t *testing.T) {
			var want []string
			for _, p := range papers {
				if who.pick(p.exact, p.future) {
					in.mustRead(t, who.w, p.d, p.d.Title)
					want = append(want, p.d.ID)
				} else {
					in.mustNotRead(t, who.w, p.d)
				}
			}
			if got := in.listIDs(t, who.w); !sameSet(got, want) {
				t.Fatalf("List = %v, want %v", got, want)
			}
		})
	}
}
