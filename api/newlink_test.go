package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNewLinkPageAfterUse: the page showing a link just made (and its
// code) shows it again on a reload while the link can take a paper; once
// its helper has used it, or it was stopped, the page no longer shows a
// code that would be refused: it goes back to the list of links, saying
// why in the person's language, and the link is listed as used.
func TestNewLinkPageAfterUse(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	for _, tc := range []struct{ lang, gone, used, again string }{
		{"fr", "Ce lien a déjà servi ou n&#39;est plus valable", "Ce lien a servi : ce qui a été envoyé est dans vos papiers.",
			"Vous pouvez le revoir sur ce téléphone pendant une heure, ici ou dans «\u00a0Liens d&#39;envoi\u00a0»."},
		{"en", "This link has already been used or is no longer valid", "This link has been used: what was sent is in your papers.",
			"You can see it again on this phone for an hour, here or in “Upload links”."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			owner := e.client()
			owner.lang = tc.lang
			signUpOwner(t, owner, "lien.servi."+tc.lang, "pomme radis ballon hibou")
			noFollow(owner)
			tokenRe := regexp.MustCompile(`value="[^"]*/d/([A-Za-z0-9_-]+)"`)
			// make returns the token the new-link page shows.
			newLink := func(label string) string {
				t.Helper()
				res := owner.postForm(t, "/links", url.Values{"label": {label}, "uses": {"1"}, "hours": {"24"}})
				if res.status != http.StatusSeeOther || res.header.Get("Location") != "/links/new" {
					t.Fatalf("new link: %d %q", res.status, res.header.Get("Location"))
				}
				page := string(want(t, owner.get(t, "/links/new"), 200, "new link page").body)
				m := tokenRe.FindStringSubmatch(page)
				if m == nil || !strings.Contains(page, `/qr.svg"`) {
					t.Fatalf("the new link page shows no link: %s", truncate([]byte(page)))
				}
				// Where to find it again is named as the menu names it
				// (newcomer's review: no menu entry was called "Mes liens").
				if !strings.Contains(page, tc.again) {
					t.Errorf("the new link page does not say %q", tc.again)
				}
				return m[1]
			}
			gone := func(what, to, says string) {
				t.Helper()
				res := owner.get(t, "/links/new")
				if res.status != http.StatusSeeOther || res.header.Get("Location") != to {
					t.Fatalf("%s: /links/new answers %d %q, want %s", what, res.status, res.header.Get("Location"), to)
				}
				list := string(want(t, owner.get(t, res.header.Get("Location")), 200, to).body)
				if !strings.Contains(list, says) || strings.Contains(list, "data-show-again") {
					t.Fatalf("%s: %s does not say %q, or offers the link again: %s", what, to, says, truncate([]byte(list)))
				}
				// The page is gone for good, not only this once.
				if res := owner.get(t, "/links/new"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/links" {
					t.Fatalf("%s: /links/new again: %d %q", what, res.status, res.header.Get("Location"))
				}
			}

			token := newLink("Fiche de paie")
			// A reload while the link is unused shows the same link.
			if page := string(want(t, owner.get(t, "/links/new"), 200, "reload").body); !strings.Contains(page, "/d/"+token+`"`) {
				t.Fatal("a reload does not show the link again")
			}
			want(t, e.client().upload(t, "/api/v1/drop/"+token+"/pages", page(photo(t, 400, 500, 3))), 201, "helper upload")
			gone("used", "/papers?done=linkused", tc.used)
			list := string(want(t, owner.get(t, "/links"), 200, "links").body)
			if !strings.Contains(list, "data-usedup") {
				t.Fatalf("the used link is not listed as used: %s", truncate([]byte(list)))
			}

			token = newLink("Avis d'impôt")
			var links struct {
				Links []struct {
					ID    string `json:"id"`
					Label string `json:"label"`
				} `json:"links"`
			}
			want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
			id := ""
			for _, l := range links.Links {
				if l.Label == "Avis d'impôt" {
					id = l.ID
				}
			}
			if len(links.Links) != 2 || id == "" {
				t.Fatalf("links: %+v", links.Links)
			}
			res := owner.postForm(t, "/links/"+id+"/revoke", url.Values{})
			if res.status != http.StatusSeeOther {
				t.Fatalf("stop the link: %d", res.status)
			}
			gone("stopped", "/links?done=linkgone", tc.gone)
			if res := e.client().upload(t, "/api/v1/drop/"+token+"/pages", page(photo(t, 400, 500, 4))); res.status == 201 {
				t.Fatal("a stopped link took a paper")
			}
		})
	}
}

// TestNewLinkDoubleTap (newcomer's review): the link form sent twice, at
// once (a double tap) or again, makes one link; each answer shows it.
func TestNewLinkDoubleTap(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "double.tape", "pomme radis ballon hibou")
	noFollow(owner)
	form := string(want(t, owner.get(t, "/links"), 200, "links").body)
	m := regexp.MustCompile(`<form method="post" action="/links" class="form">\s*<input type="hidden" name="key" value="([^"]+)">`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("the link form carries no key: %s", truncate([]byte(form)))
	}
	values := url.Values{"key": {m[1]}, "label": {"Quittance"}, "uses": {"1"}, "hours": {"24"}}
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			v := url.Values{}
			for k, x := range values {
				v[k] = x
			}
			statuses[i] = owner.postForm(t, "/links", v).status
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusSeeOther {
			t.Errorf("send %d: %d", i, st)
		}
	}
	page := string(want(t, owner.get(t, "/links/new"), 200, "the link").body)
	var links struct {
		Links []struct {
			ID string `json:"id"`
		} `json:"links"`
	}
	want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
	if len(links.Links) != 1 {
		t.Fatalf("%d links after one form sent four times, want 1", len(links.Links))
	}
	// A fresh form (the page shown again) makes another.
	form = string(want(t, owner.get(t, "/links"), 200, "links").body)
	m2 := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(form)
	if m2 == nil || m2[1] == m[1] {
		t.Fatalf("the form shown again has key %v, was %q", m2, m[1])
	}
	values.Set("key", m2[1])
	if res := owner.postForm(t, "/links", values); res.status != http.StatusSeeOther {
		t.Fatalf("a second link: %d", res.status)
	}
	if again := string(want(t, owner.get(t, "/links/new"), 200, "the second link").body); again == page {
		t.Fatal("the second link's page shows the first link")
	}
	want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
	if len(links.Links) != 2 {
		t.Fatalf("%d links, want 2", len(links.Links))
	}
}

// TestNewLinksShownAgain (newcomer's review): the new link's page promises
// that "Mes liens" shows it again for an hour; that holds for the last
// three links this phone made, not only the last, each under its own
// button; with a long Arabic label the cookie stays within a browser's
// limit; after the hour, none.
func TestNewLinksShownAgain(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "liens.revus", "pomme radis ballon hibou")
	noFollow(owner)
	tokenRe := regexp.MustCompile(`value="[^"]*/d/([A-Za-z0-9_-]+)"`)
	mk := func(label string) (id, token string) {
		t.Helper()
		res := owner.postForm(t, "/links", url.Values{"label": {label}, "uses": {"1"}, "hours": {"24"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("new link %q: %d %s", label, res.status, truncate(res.body))
		}
		for _, ck := range res.header.Values("Set-Cookie") {
			if len(ck) > 4000 {
				t.Fatalf("a cookie of %d bytes (browsers keep 4096 at most)", len(ck))
			}
		}
		m := tokenRe.FindStringSubmatch(string(want(t, owner.get(t, "/links/new"), 200, "new link page").body))
		if m == nil {
			t.Fatal("the new link's page shows no link")
		}
		var links struct {
			Links []struct{ ID, Label string } `json:"links"`
		}
		want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
		for _, l := range links.Links {
			if l.Label == label {
				return l.ID, m[1]
			}
		}
		t.Fatalf("no link %q", label)
		return "", ""
	}
	offered := func() []string {
		list := string(want(t, owner.get(t, "/links"), 200, "links").body)
		var ids []string
		for _, m := range regexp.MustCompile(`href="/links/new\?id=([a-z0-9]+)" data-show-again`).FindAllStringSubmatch(list, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	a, _ := mk("CAF")
	b, tb := mk("Impôts")
	c, _ := mk("Mutuelle")
	d, td := mk("École")
	if got := offered(); len(got) != 3 || !strings.Contains(strings.Join(got, " "), b) || !strings.Contains(strings.Join(got, " "), c) ||
		!strings.Contains(strings.Join(got, " "), d) || strings.Contains(strings.Join(got, " "), a) {
		t.Fatalf("offered again: %v (want %s %s %s, not %s)", got, b, c, d, a)
	}
	if page := string(want(t, owner.get(t, "/links/new?id="+b), 200, "B again").body); !strings.Contains(page, "/d/"+tb+`"`) || !strings.Contains(page, "Impôts") {
		t.Error("?id= does not show that link")
	}
	if page := string(want(t, owner.get(t, "/links/new"), 200, "newest").body); !strings.Contains(page, "/d/"+td+`"`) {
		t.Error("/links/new does not show the newest link")
	}
	// A long Arabic label: the newest is kept, every cookie within a
	// browser's limit (checked at each link made).
	long, _ := mk(strings.TrimSpace(strings.Repeat("ورقة ", 40)))
	if got := offered(); len(got) == 0 || got[0] != long && !strings.Contains(strings.Join(got, " "), long) {
		t.Fatalf("after a long label, offered again: %v (want %s among them)", got, long)
	}
	// After the hour: none (the session kept alive meanwhile).
	for range 3 {
		e.clock.Advance(21 * time.Minute)
		want(t, owner.get(t, "/papers"), 200, "papers")
	}
	if got := offered(); len(got) != 0 {
		t.Errorf("after the hour, offered again: %v", got)
	}
	if res := owner.get(t, "/links/new"); res.status != http.StatusSeeOther {
		t.Errorf("after the hour, /links/new answers %d", res.status)
	}
}

// TestLinkForSeveralPapersTakesEach (newcomer's review): a link asking for
// a payslip and a tax notice, left at its default of one sending, told the
// helper she was done after the payslip and refused the tax notice. A link
// takes at least one sending per paper it asks for (one sending is one
// paper), made by the page or by the JSON API; a link asking for one paper
// keeps the one sending chosen.
func TestLinkForSeveralPapersTakesEach(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "deux.papiers", "pomme radis ballon hibou")
	noFollow(owner)
	var made struct {
		Token string `json:"token"`
		Link  struct {
			MaxUses int `json:"max_uses"`
		} `json:"link"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Fiche de paie et avis d'impôt", "requested": []string{"bulletin-paie", "avis-impot"}, "max_uses": 1}), 201, "link").json(t, &made)
	if made.Link.MaxUses != 2 {
		t.Errorf("a JSON link asking for two papers takes %d sendings, want 2", made.Link.MaxUses)
	}
	if res := owner.postForm(t, "/links", url.Values{"label": {"Pour la CAF"}, "type": {"bulletin-paie", "avis-impot", "quittance-loyer"}, "uses": {"1"}, "hours": {"24"}}); res.status != http.StatusSeeOther {
		t.Fatalf("new link by the page: %d %s", res.status, truncate(res.body))
	}
	if res := owner.postForm(t, "/links", url.Values{"label": {"Mon RIB"}, "type": {"rib"}, "uses": {"1"}, "hours": {"24"}}); res.status != http.StatusSeeOther {
		t.Fatalf("new link by the page: %d %s", res.status, truncate(res.body))
	}
	var links struct {
		Links []struct {
			Label   string `json:"label"`
			MaxUses int    `json:"max_uses"`
		} `json:"links"`
	}
	want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
	uses := map[string]int{}
	for _, l := range links.Links {
		uses[l.Label] = l.MaxUses
	}
	if uses["Pour la CAF"] != 3 || uses["Mon RIB"] != 1 {
		t.Errorf("sendings per link: %v, want 3 for three papers asked and 1 for one", uses)
	}
	// The helper sends the payslip, then the tax notice; a third is refused.
	helper := e.client()
	for i := range 2 {
		want(t, helper.upload(t, "/api/v1/drop/"+made.Token+"/pages", page(photo(t, 400, 500, uint64(3+i)))), 201, fmt.Sprintf("paper %d", i+1))
	}
	if res := helper.upload(t, "/api/v1/drop/"+made.Token+"/pages", page(photo(t, 400, 500, 9))); res.status < 400 {
		t.Errorf("a third paper on a link for two answers %d", res.status)
	}
}

// TestWorkerPageAfterSharingStops (newcomer's review): once the one person
// sharing with a worker stopped, the worker's page said "nobody has given
// you access yet" under "people who gave you access". It speaks of now.
func TestWorkerPageAfterSharingStops(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	signUpOwner(t, owner, "partage.arrete", secret)
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "rib"), field("title", "RIB"), page(photo(t, 500, 700, 7))), 201, "upload").json(t, &up)
	e.worker("morel@ccas.example", "Mme Morel", "secret de Mme Morel assez long")
	worker := e.client()
	wk := worker.loginWorker(t, "morel@ccas.example", "secret de Mme Morel assez long")
	var k struct {
		ID string `json:"id"`
	}
	owner.reauth(t, secret)
	want(t, owner.do(t, "POST", "/api/v1/consents", map[string]any{
		"grantee": map[string]string{"kind": "worker", "id": wk.ID},
		"scope":   map[string]any{"documents": []string{up.Document.ID}}, "purpose": "Dossier", "days": 1,
	}), 201, "grant").json(t, &k)
	if page := string(want(t, worker.get(t, "/pro"), 200, "the worker's page").body); !strings.Contains(page, "Personnes qui partagent avec vous") || strings.Contains(page, "Personne ne partage de papiers avec vous en ce moment.") {
		t.Errorf("while she shares: %s", truncate([]byte(page)))
	}
	want(t, owner.do(t, "DELETE", "/api/v1/consents/"+k.ID, nil), 204, "stop sharing")
	page := string(want(t, worker.get(t, "/pro"), 200, "the worker's page").body)
	if !strings.Contains(page, "Personne ne partage de papiers avec vous en ce moment.") || strings.Contains(page, "encore donné accès") {
		t.Errorf("after she stopped: %s", truncate([]byte(page)))
	}
}
