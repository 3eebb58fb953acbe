package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestHelperPapersNewAndFiled (issue 15, point 9), on SQLite and
// PostgreSQL: a helper's paper of no known type is titled in the vault
// owner's language (not the helper's, not the owner's message), is new
// until she opens it (the list, the menu and the API say so; a worker
// never learns it), and one POST files it under a type the link asked for
// (type, category, title in her language), with an undo; a second tap
// changes nothing; hostile or foreign requests change nothing and say why
// in the person's language.
func TestHelperPapersNewAndFiled(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, envOptions{rateLimits: highLimits, postgres: backend == "postgres"})
			const secret = "pomme radis ballon hibou"
			owner := e.client()
			owner.lang = "en"
			var su struct {
				Session struct {
					CSRFToken string `json:"csrf_token"`
				} `json:"session"`
			}
			want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "papiers." + backend, "secret": secret, "lang": "en"}), 201, "sign up").json(t, &su)
			owner.csrf = su.Session.CSRFToken
			var link struct {
				Token string `json:"token"`
			}
			want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Merci pour les papiers", "requested": []string{"avis-impot", "bulletin-paie"}}), 201, "link").json(t, &link)
			// The helper's phone speaks French; the vault is in English.
			helper := e.client()
			helper.lang = "fr"
			want(t, helper.upload(t, "/api/v1/drop/"+link.Token+"/pages", page(photo(t, 500, 700, 3))), 201, "helper upload")

			var docs docList
			want(t, owner.get(t, "/api/v1/documents"), 200, "list").json(t, &docs)
			if len(docs.Documents) != 1 {
				t.Fatalf("documents: %+v", docs)
			}
			d := docs.Documents[0]
			if d.Title != "Paper received through an upload link" || d.Type != "" || d.Category != "other" || !d.New ||
				strings.Join(d.Hints, ",") != "avis-impot,bulletin-paie" {
				t.Fatalf("the helper's paper: %+v", d)
			}

			// Her list: "new", counted on the menu, with one-tap buttons (the
			// link's types first).
			list := string(want(t, owner.get(t, "/papers"), 200, "list page").body)
			for _, s := range []string{`data-newcount`, `You have 1 new paper.`, `data-new-badge`, `(1 new paper)`,
				`data-kind="avis-impot"`, `data-kind="bulletin-paie"`, `Paper received through an upload link`} {
				if !strings.Contains(list, s) {
					t.Errorf("the list lacks %q", s)
				}
			}
			if i, j := strings.Index(list, `data-kind="avis-impot"`), strings.Index(list, `data-kind="rib"`); i < 0 || j >= 0 && j < i {
				t.Errorf("the link's types do not come first")
			}

			// Hostile and foreign requests change nothing.
			stranger := e.client()
			signUpOwner(t, stranger, "etranger."+backend, "citron balcon otarie fanfare")
			wid := e.worker("morel."+backend+"@ccas.example", "Mme Morel", "secret de madame morel")
			_ = wid
			worker := e.client()
			worker.loginWorker(t, "morel."+backend+"@ccas.example", "secret de madame morel")
			anon := e.client()
			for _, c := range []struct {
				name   string
				cl     *client
				id     string
				form   url.Values
				status int
				says   string
			}{
				{"unknown type", owner, d.ID, url.Values{"type": {"no-such"}}, 422, "Unknown type of paper."},
				{"huge form", owner, d.ID, url.Values{"type": {strings.Repeat("a", 100_000)}}, 413, "What you sent is too large."},
				{"long type", owner, d.ID, url.Values{"type": {strings.Repeat("a", 5_000)}}, 422, "Unknown type of paper."},
				{"hostile type", owner, d.ID, url.Values{"type": {`"><script>alert(1)</script>`}}, 422, "Unknown type of paper."},
				{"malformed id", owner, "..%2Fx", url.Values{"type": {"avis-impot"}}, 404, ""},
				{"made-up id", owner, "0123456789abcdef0123456789abcdef", url.Values{"type": {"avis-impot"}}, 404, ""},
				{"another owner", stranger, d.ID, url.Values{"type": {"avis-impot"}}, 404, ""},
				// Sent to sign in as an owner.
				{"a worker", worker, d.ID, url.Values{"type": {"avis-impot"}}, 200, `name="secret"`},
				{"no session", anon, d.ID, url.Values{"type": {"avis-impot"}}, 200, `name="secret"`},
			} {
				res := c.cl.postForm(t, "/papers/"+c.id+"/kind", c.form)
				if res.status != c.status || !strings.Contains(string(res.body), c.says) || strings.Contains(string(res.body), "<script>alert") {
					i := strings.Index(string(res.body), "<main")
					t.Errorf("%s: %d %s", c.name, res.status, string(res.body[max(i, 0):min(i+600, len(res.body))]))
				}
			}
			noCSRF := owner.send(t, request{method: "POST", path: "/papers/" + d.ID + "/kind", body: strings.NewReader("type=avis-impot"),
				contentType: "application/x-www-form-urlencoded", noCSRF: true})
			if noCSRF.status != 403 {
				t.Errorf("a form without its token: %d", noCSRF.status)
			}
			var still docJSON
			want(t, owner.get(t, "/api/v1/documents/"+d.ID), 200, "doc").json(t, &still)
			if still.Type != "" || !still.New {
				t.Fatalf("a refused filing changed the paper: %+v", still)
			}
			// The worker, even with access, never learns whether she opened it.
			want(t, owner.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": secret}), 200, "reauth")
			want(t, owner.do(t, "POST", "/api/v1/consents", map[string]any{"grantee": map[string]string{"kind": "worker", "id": wid},
				"scope": map[string]any{"documents": []string{d.ID}}, "purpose": "Dossier", "days": 31}), 201, "consent")
			if body := string(want(t, worker.get(t, "/api/v1/documents/"+d.ID), 200, "worker reads").body); strings.Contains(body, `"new"`) || strings.Contains(body, `"hints"`) {
				t.Errorf("the worker is told: %s", body)
			}

			// One tap files it: type, category, a title in her language.
			filed := owner.postForm(t, "/papers/"+d.ID+"/kind", url.Values{"type": {"avis-impot"}, "back": {"list"}})
			if body := string(filed.body); filed.status != 200 || !strings.Contains(body, "Filed as “Tax notice”.") || !strings.Contains(body, `data-undo`) {
				t.Fatalf("after filing: %d %s", filed.status, truncate(filed.body))
			}
			var got docJSON
			want(t, owner.get(t, "/api/v1/documents/"+d.ID), 200, "doc").json(t, &got)
			if got.Type != "avis-impot" || got.Category != "tax" || got.Title != "Tax notice" || !got.New {
				t.Fatalf("filed: %+v", got)
			}
			// A second tap (or the page posted again) changes nothing.
			owner.postForm(t, "/papers/"+d.ID+"/kind", url.Values{"type": {"avis-impot"}, "back": {"list"}})
			var journal eventList
			want(t, owner.get(t, "/api/v1/journal"), 200, "journal").json(t, &journal)
			n := 0
			for _, ev := range journal.Events {
				if ev.Kind == "document-filed" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d filings journaled, want 1", n)
			}
			// Undo: back as it was.
			undone := owner.postForm(t, "/papers/"+d.ID+"/kind", url.Values{"type": {""}, "undo": {"1"}, "back": {"list"}})
			if !strings.Contains(string(undone.body), "Undone: the paper is filed as before.") {
				t.Errorf("after undo: %s", truncate(undone.body))
			}
			got = docJSON{}
			want(t, owner.get(t, "/api/v1/documents/"+d.ID), 200, "doc").json(t, &got)
			if got.Type != "" || got.Category != "other" || got.Title != "Paper received through an upload link" {
				t.Fatalf("after undo: %+v", got)
			}
			// Opening it: no longer new.
			paper := string(want(t, owner.get(t, "/papers/"+d.ID), 200, "paper page").body)
			if !strings.Contains(paper, "New: you are opening this paper for the first time.") || !strings.Contains(paper, `data-kind="avis-impot"`) {
				t.Errorf("the paper's page: %s", truncate([]byte(paper)))
			}
			// Beside the likely types, "Another type…" opens the whole
			// list (newcomer's review: a RIB was filed as a payslip).
			other := `href="/papers/` + d.ID + `?kind=1#kind" data-kind-other>`
			if !strings.Contains(paper, other) || !strings.Contains(paper, "Another type…") || strings.Contains(paper, "<details open>") {
				t.Errorf("the paper's page offers no other type, or opens the list at once")
			}
			if all := string(want(t, owner.get(t, "/papers/"+d.ID+"?kind=1"), 200, "every type").body); !strings.Contains(all, "<details open>\n<summary>") ||
				!strings.Contains(all, `<option value="rib">`) {
				t.Errorf("\"Another type…\" does not open the list of types")
			}
			list = string(want(t, owner.get(t, "/papers"), 200, "list page").body)
			if strings.Contains(list, "data-newcount") || strings.Contains(list, "data-new-badge") || strings.Contains(list, `data-new>`) {
				t.Errorf("still new after opening")
			}
			// The JSON API files and marks opened too; "new": true is refused.
			res := owner.do(t, "PATCH", "/api/v1/documents/"+d.ID, map[string]any{"new": true})
			if res.status != 422 {
				t.Errorf("PATCH new=true: %d", res.status)
			}
			got = docJSON{}
			want(t, owner.do(t, "PATCH", "/api/v1/documents/"+d.ID, map[string]any{"type": "bulletin-paie"}), 200, "PATCH type").json(t, &got)
			if got.Type != "bulletin-paie" || got.Category != "income" || got.Title != "Paper received through an upload link" {
				t.Errorf("PATCH type: %+v", got)
			}
			if res := owner.do(t, "PATCH", "/api/v1/documents/"+d.ID, map[string]any{"type": "no-such"}); res.status != 422 {
				t.Errorf("PATCH unknown type: %d", res.status)
			}
		})
	}
}
