package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoginOnNewPhoneSpeaksHerLanguage: an owner who chose Arabic signs in
// on a phone set to French (a new phone, a borrowed one): her pages are in
// Arabic from then on, not in the phone's language. A language chosen on
// that browser before signing in stays chosen.
func TestLoginOnNewPhoneSpeaksHerLanguage(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	want(t, e.client().do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "langue.ar", "secret": secret, "lang": "ar"}), 201, "sign up in Arabic")

	phone := e.client()
	phone.lang = "fr-FR,fr;q=0.9"
	r := want(t, phone.postForm(t, "/login", url.Values{"identifier": {"langue.ar"}, "secret": {secret}}), 200, "sign in")
	if body := string(r.body); !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
		t.Errorf("after signing in on a French phone her papers are not in Arabic: %q", truncate(r.body))
	}
	// The next page too, with no sign-in.
	if body := string(want(t, phone.get(t, "/papers"), 200, "papers").body); !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
		t.Errorf("her next page is not in Arabic: %q", truncate([]byte(body)))
	}

	// Signed out, the shared phone forgets her language: the next person
	// reads in the phone's.
	papers := string(want(t, phone.get(t, "/papers"), 200, "papers").body)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(papers)
	if m == nil {
		t.Fatal("no CSRF token on her papers")
	}
	want(t, phone.postForm(t, "/logout", url.Values{"csrf": {m[1]}}), 200, "sign out")
	if body := string(want(t, phone.get(t, "/login"), 200, "login page").body); !strings.Contains(body, `<html lang="fr" dir="ltr">`) {
		t.Errorf("after signing out the phone still reads in her language: %q", truncate([]byte(body)))
	}
	// The JSON API keeps to Accept-Language.
	api := e.client()
	api.lang = "en"
	want(t, api.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "langue.ar", "secret": secret}), 200, "API login")
	if got := api.get(t, "/api/v1/documents/nope").errMessage(t); got == "" || strings.ContainsAny(got, "ابتثجحخدذرزسشصضطظعغفقكلمنهوي") {
		t.Errorf("the API answers in %q, not in English", got)
	}

	// Chosen on this browser before signing in: English stays.
	chosen := e.client()
	chosen.lang = "fr-FR,fr;q=0.9"
	want(t, chosen.get(t, "/lang?to=en&back=/login"), 200, "choose English")
	r = want(t, chosen.postForm(t, "/login", url.Values{"identifier": {"langue.ar"}, "secret": {secret}}), 200, "sign in")
	if body := string(r.body); !strings.Contains(body, `<html lang="en" dir="ltr">`) {
		t.Errorf("the language chosen on this phone was replaced: %q", truncate(r.body))
	}
}

// TestLogoutEverywhereStopsLinks (attacker's review): "log out all my
// phones" can also stop her links that still take papers — one a thief
// made with the session alone outlives every session — each journaled;
// left unticked, they keep working.
func TestLogoutEverywhereStopsLinks(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	for _, stop := range []bool{false, true} {
		owner := e.client()
		signUpOwner(t, owner, fmt.Sprintf("partout.%v", stop), "pomme radis ballon hibou")
		noFollow(owner)
		var link struct {
			Token string `json:"token"`
		}
		want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Mise à jour de votre RIB", "max_uses": 50}), 201, "link").json(t, &link)
		form := url.Values{"all": {"1"}}
		if stop {
			form.Set("links", "1")
		}
		if res := owner.postForm(t, "/logout", form); res.status != http.StatusSeeOther {
			t.Fatalf("log out everywhere: %d %s", res.status, truncate(res.body))
		}
		if res := owner.get(t, "/papers"); res.status == http.StatusOK {
			t.Errorf("stop=%v: still signed in after logging out everywhere", stop)
		}
		got := e.client().get(t, "/api/v1/drop/"+link.Token).status
		if stop && got == http.StatusOK || !stop && got != http.StatusOK {
			t.Errorf("stop=%v: the link answers %d afterwards", stop, got)
		}
	}
}

// TestChangeSecretStopsLinks (attacker's review, second round): a new
// secret ends every other session, and can also stop her links that still
// take papers (the page's box, the JSON API's stop_links) — one a thief
// made with the session alone would outlive them. A wrong current secret
// stops nothing; left unticked, the links keep working.
func TestChangeSecretStopsLinks(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret, next = "pomme radis ballon hibou", "citron balcon otarie fanfare"
	for _, web := range []bool{true, false} {
		for _, stop := range []bool{false, true} {
			owner := e.client()
			signUpOwner(t, owner, fmt.Sprintf("secret.liens.%v.%v", web, stop), secret)
			noFollow(owner)
			var link struct {
				Token string `json:"token"`
			}
			want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Mise à jour de votre RIB", "max_uses": 50}), 201, "link").json(t, &link)
			change := func(cur string) resp {
				if web {
					form := url.Values{"current": {cur}, "secret": {next}, "secret2": {next}}
					if stop {
						form.Set("links", "1")
					}
					return owner.postForm(t, "/account/secret", form)
				}
				return owner.do(t, "POST", "/api/v1/secret", map[string]any{"current_secret": cur, "new_secret": next, "stop_links": stop})
			}
			if r := change("pas le bon secret du tout"); r.status < 400 {
				t.Fatalf("web=%v stop=%v: a wrong current secret answers %d", web, stop, r.status)
			}
			if got := e.client().get(t, "/api/v1/drop/"+link.Token).status; got != http.StatusOK {
				t.Errorf("web=%v stop=%v: a wrong current secret stopped the link (%d)", web, stop, got)
			}
			if r := change(secret); r.status != http.StatusSeeOther && r.status != http.StatusNoContent {
				t.Fatalf("web=%v stop=%v: change the secret: %d %s", web, stop, r.status, truncate(r.body))
			}
			got := e.client().get(t, "/api/v1/drop/"+link.Token).status
			if stop && got == http.StatusOK || !stop && got != http.StatusOK {
				t.Errorf("web=%v stop=%v: the link answers %d after the new secret", web, stop, got)
			}
		}
	}
	// The box is on the page, in her language.
	owner := e.client()
	signUpOwner(t, owner, "secret.liens.page", secret)
	page := want(t, owner.get(t, "/account/secret"), 200, "secret page")
	if !strings.Contains(string(page.body), `name="links"`) || !strings.Contains(string(page.body), "Arrêter aussi mes liens d") {
		t.Errorf("the secret page offers no box to stop her links: %s", truncate(page.body))
	}
}

// TestLogoutEverywhereStopsLinksJSON: the JSON "log out everywhere" can also
// stop her links that still take papers, as the page's box does; without
// a body, or with stop_links false, they keep working; a malformed or
// unknown body is refused and ends nothing.
func TestLogoutEverywhereStopsLinksJSON(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	for i, body := range []any{nil, map[string]any{"stop_links": false}, map[string]any{"stop_links": true}} {
		ident := fmt.Sprintf("partout.liens.%d", i)
		owner := e.client()
		signUpOwner(t, owner, ident, secret)
		var link struct {
			Token string `json:"token"`
		}
		want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Ma fiche de paie", "max_uses": 50}), 201, "link").json(t, &link)
		stop := i == 2
		if stop {
			// Refused bodies end nothing and stop nothing.
			for _, bad := range []request{
				{method: "POST", path: "/api/v1/logout-everywhere", body: strings.NewReader(`{"stop_links": tru`), contentType: "application/json"},
				{method: "POST", path: "/api/v1/logout-everywhere", body: strings.NewReader(`{"stop_link": true}`), contentType: "application/json"},
				{method: "POST", path: "/api/v1/logout-everywhere", body: strings.NewReader(`stop_links=1`), contentType: "application/x-www-form-urlencoded"},
			} {
				if r := owner.send(t, bad); r.status != http.StatusBadRequest && r.status != http.StatusUnsupportedMediaType {
					t.Fatalf("a malformed body answers %d %s", r.status, truncate(r.body))
				}
			}
			want(t, owner.get(t, "/api/v1/session"), 200, "session after refused bodies")
			if got := e.client().get(t, "/api/v1/drop/"+link.Token).status; got != http.StatusOK {
				t.Fatalf("a refused body stopped the link (%d)", got)
			}
		}
		want(t, owner.do(t, "POST", "/api/v1/logout-everywhere", body), 204, "logout everywhere")
		if got := owner.get(t, "/api/v1/session").status; got != http.StatusUnauthorized {
			t.Errorf("body %v: the session answers %d after logging out everywhere", body, got)
		}
		got := e.client().get(t, "/api/v1/drop/"+link.Token).status
		if stop && got == http.StatusOK || !stop && got != http.StatusOK {
			t.Errorf("body %v: the link answers %d after logging out everywhere", body, got)
		}
		if stop {
			// Her journal says so, in her language.
			again := e.client()
			again.loginOwner(t, ident, secret)
			var journal struct {
				Events []struct {
					Text string `json:"text"`
				} `json:"events"`
			}
			want(t, again.get(t, "/api/v1/journal"), 200, "journal").json(t, &journal)
			found := false
			for _, ev := range journal.Events {
				found = found || strings.Contains(ev.Text, "Ma fiche de paie")
			}
			if !found {
				t.Errorf("no stopped link in her journal: %+v", journal.Events)
			}
		}
	}
}

// TestStopLinksWhileThiefMakesThem (attacker's review, 12-08): the links
// were stopped before the sessions ended, so a thief making links from a
// stolen session while she stopped them kept the ones made in between (30
// days, 50 uses each). Now the sessions end first: every link the thief's
// session made is stopped, by "log out everywhere" and by a new secret,
// JSON and pages.
func TestStopLinksWhileThiefMakesThem(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret, next = "pomme radis ballon hibou", "citron balcon otarie fanfare"
	for i, how := range []string{"logout-json", "secret-json", "logout-page", "secret-page"} {
		t.Run(how, func(t *testing.T) {
			ident := fmt.Sprintf("voleur.liens.%d", i)
			victim := e.client()
			signUpOwner(t, victim, ident, secret)
			thief := steal(victim)
			owner := e.client()
			owner.loginOwner(t, ident, secret)
			noFollow(owner)
			var (
				mu     sync.Mutex
				tokens []string
			)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					var link struct {
						Token string `json:"token"`
					}
					r := thief.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Papiers", "max_uses": 50, "ttl_hours": 720})
					if r.status != http.StatusCreated {
						return // the session ended
					}
					if err := json.Unmarshal(r.body, &link); err == nil {
						mu.Lock()
						tokens = append(tokens, link.Token)
						mu.Unlock()
					}
				}
			}()
			for { // the thief is at work
				mu.Lock()
				n := len(tokens)
				mu.Unlock()
				if n >= 5 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			var r resp
			switch how {
			case "logout-json":
				r = owner.do(t, "POST", "/api/v1/logout-everywhere", map[string]any{"stop_links": true})
			case "secret-json":
				r = owner.do(t, "POST", "/api/v1/secret", map[string]any{"current_secret": secret, "new_secret": next, "stop_links": true})
			case "logout-page":
				r = owner.postForm(t, "/logout", url.Values{"all": {"1"}, "links": {"1"}})
			case "secret-page":
				r = owner.postForm(t, "/account/secret", url.Values{"current": {secret}, "secret": {next}, "secret2": {next}, "links": {"1"}})
			}
			if r.status != http.StatusNoContent && r.status != http.StatusSeeOther {
				t.Fatalf("stop: %d %s", r.status, truncate(r.body))
			}
			<-done
			mu.Lock()
			defer mu.Unlock()
			live := 0
			for _, tok := range tokens {
				if e.client().get(t, "/api/v1/drop/"+tok).status == http.StatusOK {
					live++
				}
			}
			if live > 0 {
				t.Errorf("%d of the %d links the thief made still take papers", live, len(tokens))
			}
		})
	}
}
