package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAuthorizationMatrixConsentScope: what a worker reads after the owner
// accepts a request, on SQLite and on PostgreSQL. The owner has a payslip
// she ticks, one she leaves unticked, a CAF statement (same category), a
// paper of type "other" and one without a type; the worker asked for
// payslips and "other". One worker's request is accepted with the ticked
// payslip only; another's with the ticked payslip and, as an explicit
// choice, the payslips she adds until the end. Then she adds one more of
// each. Every cell of papers × workers × (metadata, content) is checked,
// and the list each worker gets. Accepting never yields a category; a
// grant naming a category, or "other" as a type, is refused with a reason.
func TestAuthorizationMatrixConsentScope(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			e := newEnv(t, envOptions{rateLimits: highLimits, postgres: db == "postgres"})
			testConsentScopeMatrix(t, e)
		})
	}
}

func testConsentScopeMatrix(t *testing.T, e *env) {
	own := e.client()
	var su struct {
		OwnerID string `json:"owner_id"`
	}
	want(t, own.do(t, "POST", "/api/v1/signup", map[string]string{
		"identifier": "amina.matrice", "secret": "lune carton pivert salade", "display_name": "Amina",
	}), 201, "signup").json(t, &su)
	own.loginOwner(t, "amina.matrice", "lune carton pivert salade")
	own.reauth(t, "lune carton pivert salade") // accepting needs the secret again
	seed := uint64(300)
	upload := func(typ, category, title string) string {
		t.Helper()
		seed++
		parts := []part{field("title", title), page(photo(t, 500, 700, seed))}
		if typ != "" {
			parts = append(parts, field("type", typ))
		}
		if category != "" {
			parts = append(parts, field("category", category))
		}
		var up struct {
			Document docJSON `json:"document"`
		}
		want(t, own.upload(t, "/api/v1/documents", parts...), 201, "upload "+title).json(t, &up)
		return up.Document.ID
	}
	ids := map[string]string{
		"ticked payslip":   upload("bulletin-paie", "", "Paie cochée"),
		"unticked payslip": upload("bulletin-paie", "", "Paie non cochée"),
		"same category":    upload("attestation-caf", "", "Attestation CAF"),
		"type other":       upload("other", "", "Papier autre"),
		"no type":          upload("", "income", "Papier sans type"),
	}
	workers := map[string]*client{}
	for _, name := range []string{"exact", "later"} {
		email := name + "@ccas.example"
		e.worker(email, "Agent "+name, "secret de "+name+" assez long")
		workers[name] = e.client()
		workers[name].loginWorker(t, email, "secret de "+name+" assez long")
	}
	request := func(w *client) string {
		t.Helper()
		var rq struct {
			ID string `json:"id"`
		}
		want(t, w.do(t, "POST", "/api/v1/requests", map[string]any{
			"owner_id": su.OwnerID, "purpose": "Dossier RSA", "types": []string{"bulletin-paie", "other"}, "days": 31,
		}), 201, "request").json(t, &rq)
		return rq.ID
	}
	type consentOut struct {
		ID        string `json:"id"`
		OwnerName string `json:"owner_name"`
		Scope     struct {
			Documents, Types, Categories []string
		} `json:"scope"`
		ScopeText []string `json:"scope_text"`
	}
	// Refusals first: nothing chosen, "other" for later papers.
	r0 := request(workers["exact"])
	for what, body := range map[string]map[string]any{
		"nothing chosen":          {"documents": []string{}},
		"later papers of 'other'": {"documents": []string{ids["ticked payslip"]}, "future_types": []string{"other"}},
	} {
		res := own.do(t, "POST", "/api/v1/requests/"+r0+"/accept", body)
		if res.status != 422 || !strings.Contains(string(res.body), `"message"`) {
			t.Errorf("accept with %s: %d %s, want 422 with a message", what, res.status, truncate(res.body))
		}
	}
	// expect checks a status without stopping the test, so that every
	// cell of the matrix below is reported.
	expect := func(res resp, status int, what string, v any) {
		t.Helper()
		if res.status != status {
			t.Errorf("%s: status %d, want %d; body %s", what, res.status, status, truncate(res.body))
			return
		}
		if v != nil {
			res.json(t, v)
		}
	}
	expect(own.do(t, "POST", "/api/v1/requests/"+r0+"/decline", nil), 204, "decline", nil)

	var exact, later consentOut
	expect(own.do(t, "POST", "/api/v1/requests/"+request(workers["exact"])+"/accept", map[string]any{
		"documents": []string{ids["ticked payslip"]},
	}), 201, "accept, ticked only", &exact)
	expect(own.do(t, "POST", "/api/v1/requests/"+request(workers["later"])+"/accept", map[string]any{
		"documents": []string{ids["ticked payslip"]}, "future_types": []string{"bulletin-paie"}, "show_name": "Amina K.",
	}), 201, "accept, ticked and later payslips", &later)
	if len(exact.Scope.Categories)+len(later.Scope.Categories) != 0 || len(exact.Scope.Types) != 0 ||
		!slices.Equal(later.Scope.Types, []string{"bulletin-paie"}) {
		t.Errorf("scopes: exact %+v, later %+v", exact.Scope, later.Scope)
	}
	// Said in words, on the owner's list of shares.
	var list struct {
		Consents []consentOut `json:"consents"`
	}
	own.lang = "en"
	want(t, own.get(t, "/api/v1/consents"), 200, "owner's consents").json(t, &list)
	own.lang = ""
	words := map[string][]string{}
	for _, k := range list.Consents {
		words[k.ID] = k.ScopeText
	}
	if got := words[exact.ID]; len(got) != 1 || got[0] != "Paie cochée" {
		t.Errorf("exact consent in words = %q", got)
	}
	if got := strings.Join(words[later.ID], " | "); !strings.Contains(got, "Paie cochée") ||
		!strings.Contains(got, "the papers of type “Payslip” you add until ") {
		t.Errorf("later consent in words = %q", got)
	}

	e.clock.Advance(time.Minute)
	own.loginOwner(t, "amina.matrice", "lune carton pivert salade")
	ids["later payslip"] = upload("bulletin-paie", "", "Paie ajoutée ensuite")
	ids["later, same category"] = upload("attestation-caf", "", "Attestation ajoutée ensuite")
	ids["later, type other"] = upload("other", "", "Autre ajouté ensuite")
	ids["later, no type"] = upload("", "income", "Sans type ajouté ensuite")

	readable := map[string][]string{
		"exact": {"ticked payslip"},
		"later": {"ticked payslip", "later payslip"},
	}
	for name, w := range workers {
		w.loginWorker(t, name+"@ccas.example", "secret de "+name+" assez long")
		for paper, id := range ids {
			status := 404
			if slices.Contains(readable[name], paper) {
				status = 200
			}
			for _, path := range []string{"/api/v1/documents/" + id, "/api/v1/documents/" + id + "/content"} {
				if res := w.get(t, path); res.status != status {
					t.Errorf("worker %q, %s: GET %s = %d, want %d", name, paper, strings.TrimPrefix(path, "/api/v1"), res.status, status)
				}
			}
		}
		var dl docList
		want(t, w.get(t, "/api/v1/documents"), 200, "worker list").json(t, &dl)
		var got, wantIDs []string
		for _, d := range dl.Documents {
			got = append(got, d.ID)
		}
		for _, p := range readable[name] {
			wantIDs = append(wantIDs, ids[p])
		}
		slices.Sort(got)
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("worker %q lists %v, want %v", name, got, wantIDs)
		}
	}
	// The worker sees the name the owner chose.
	var wl struct {
		Consents []consentOut `json:"consents"`
	}
	want(t, workers["later"].get(t, "/api/v1/consents"), 200, "worker consents").json(t, &wl)
	if len(wl.Consents) != 1 || wl.Consents[0].OwnerName != "Amina K." {
		t.Errorf("worker's consents = %+v", wl.Consents)
	}
	// A whole category, or "other" as a type, cannot be granted.
	wid := e.worker("grant@ccas.example", "Agent grant", "secret de grant assez long")
	for what, scope := range map[string]map[string]any{
		"a category":      {"categories": []string{"income"}},
		"type other":      {"types": []string{"other"}},
		"nothing chosen":  {"documents": []string{}},
		"category + docs": {"documents": []string{ids["ticked payslip"]}, "categories": []string{"income"}},
	} {
		res := own.do(t, "POST", "/api/v1/consents", map[string]any{
			"grantee": map[string]string{"kind": "worker", "id": wid}, "scope": scope, "purpose": "Dossier", "days": 31,
		})
		if res.status != 422 || !strings.Contains(string(res.body), `"field":"scope"`) {
			t.Errorf("grant of %s: %d %s, want 422 on the scope", what, res.status, truncate(res.body))
		}
	}
}
