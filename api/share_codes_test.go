package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shareWith is the body of a share through a code.
func shareWith(scope map[string]any, org bool) map[string]any {
	return map[string]any{"scope": scope, "purpose": "Dossier RSA", "days": 31, "show_name": "Amina", "organisation": org}
}

// TestShareCodeAPI: a worker gets a code; the owner looks it up, shares
// (after confirming: a stolen session gets 403), exactly the paper she
// chose reaches that worker alone, who is told (naming no one: messages
// may travel by e-mail) and sees her by the name she chose; her journal
// says it. A code serves once; expired, unknown, used and a
// disabled worker's codes get one answer; an organisation-wide share
// reaches a colleague; guesses are throttled with Retry-After; the
// messages speak French and English.
func TestShareCodeAPI(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	ctx := testCtx(t)
	const secret = "lune carton pivert salade"
	owner := e.client()
	owner.ip = "192.0.2.21"
	want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "amina.code", "secret": secret, "display_name": "Amina"}), 201, "signup")
	owner.loginOwner(t, "amina.code", secret)
	upload := func(typ, title string, seed uint64) string {
		var up struct {
			Document docJSON `json:"document"`
		}
		want(t, owner.upload(t, "/api/v1/documents", field("type", typ), field("title", title), page(photo(t, 500, 700, seed))), 201, "upload").json(t, &up)
		return up.Document.ID
	}
	rib, pay, tax := upload("rib", "RIB d'Amina", 1), upload("bulletin-paie", "Paie de mars", 2), upload("avis-impot", "Avis 2025", 3)

	wid := e.worker("morel@ccas.example", "Mme Morel", "secret de Mme Morel assez long")
	worker := e.client()
	worker.loginWorker(t, "morel@ccas.example", "secret de Mme Morel assez long")
	e.worker("dupont@ccas.example", "M. Dupont", "secret de M. Dupont assez long")
	colleague := e.client()
	colleague.loginWorker(t, "dupont@ccas.example", "secret de M. Dupont assez long")
	if _, err := e.v.ActivateMembers(ctx, e.org.ID, e.orgKey); err != nil { // both hold the organisation's key
		t.Fatal(err)
	}

	type codeOut struct {
		Code    string    `json:"code"`
		URL     string    `json:"url"`
		Expires time.Time `json:"expires"`
	}
	newCode := func(w *client) codeOut {
		t.Helper()
		var c codeOut
		res := want(t, w.do(t, "POST", "/api/v1/share-codes", nil), 201, "share code")
		res.json(t, &c)
		if !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(c.Code) || c.URL != e.srv.URL+"/s/"+strings.ReplaceAll(c.Code, "-", "") ||
			!c.Expires.Equal(e.clock.Now().Add(15*time.Minute).Truncate(time.Microsecond)) || res.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("share code = %+v (Cache-Control %q)", c, res.header.Get("Cache-Control"))
		}
		return c
	}
	code := newCode(worker)
	typed := strings.ToLower(code.Code)

	var target struct {
		Worker       struct{ ID, Name string }
		Organisation *struct{ ID, Name string }
	}
	want(t, owner.get(t, "/api/v1/share-codes/"+typed), 200, "lookup").json(t, &target)
	if target.Worker.Name != "Mme Morel" || target.Worker.ID != wid || target.Organisation == nil || target.Organisation.Name != "CCAS de Roubaix" {
		t.Fatalf("lookup = %+v", target)
	}

	// A stolen session alone cannot share (JSON and page); nothing reaches
	// the worker, and the code still works.
	thief := steal(owner)
	checkErr(t, thief.do(t, "POST", "/api/v1/share-codes/"+typed+"/consents", shareWith(map[string]any{"documents": []string{rib}}, false)),
		403, "reauth_required", "share with a stolen session")
	res := thief.postForm(t, "/s/"+strings.ReplaceAll(code.Code, "-", ""), url.Values{"doc": {rib}, "days": {"31"}, "grantee": {"worker"}})
	if body := string(res.body); res.status != 403 || !strings.Contains(body, "confirmez d&#39;abord avec votre secret") ||
		!strings.Contains(body, `name="confirm_secret"`) || !strings.Contains(body, "Partager avec Mme Morel, CCAS de Roubaix") ||
		!regexp.MustCompile(`name="doc" value="`+rib+`" checked`).MatchString(body) {
		t.Errorf("web share with a stolen session: %d %s", res.status, truncate(res.body))
	}
	want(t, worker.get(t, "/api/v1/documents/"+rib), 404, "the worker before the share")

	// Confirmed: exactly the RIB, to the worker alone.
	owner.reauth(t, secret)
	var k struct {
		ID        string                              `json:"id"`
		Grantee   granteeOut                          `json:"grantee"`
		OwnerName string                              `json:"owner_name"`
		Scope     struct{ Documents, Types []string } `json:"scope"`
		ScopeText []string                            `json:"scope_text"`
	}
	want(t, owner.do(t, "POST", "/api/v1/share-codes/"+typed+"/consents", shareWith(map[string]any{"documents": []string{rib}}, false)), 201, "share").json(t, &k)
	if k.Grantee.Kind != "worker" || k.Grantee.ID != wid || k.OwnerName != "Amina" || len(k.Scope.Documents) != 1 || len(k.Scope.Types) != 0 ||
		len(k.ScopeText) != 1 || k.ScopeText[0] != "RIB d'Amina" {
		t.Fatalf("consent = %+v", k)
	}
	var dl docList
	want(t, worker.get(t, "/api/v1/documents"), 200, "worker list").json(t, &dl)
	if len(dl.Documents) != 1 || dl.Documents[0].ID != rib {
		t.Fatalf("the worker lists %+v, want the RIB only", dl.Documents)
	}
	want(t, worker.get(t, "/api/v1/documents/"+rib+"/content"), 200, "the shared paper")
	for _, id := range []string{pay, tax} {
		want(t, worker.get(t, "/api/v1/documents/"+id+"/content"), 404, "a paper not shared")
	}
	want(t, colleague.get(t, "/api/v1/documents/"+rib), 404, "a colleague after a share with the worker alone")

	// The worker is told, by the name she chose; her journal says it.
	if _, err := e.notify.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var inbox struct {
		Items []struct{ Subject, Body, Link string }
	}
	want(t, worker.get(t, "/api/v1/inbox"), 200, "worker inbox").json(t, &inbox)
	told := false
	for _, it := range inbox.Items {
		told = told || it.Subject == "Une personne a partagé des papiers avec vous" &&
			strings.HasPrefix(it.Body, "Une personne a partagé des papiers avec vous le ") && !strings.Contains(it.Body, "Amina")
	}
	if !told {
		t.Errorf("the worker's inbox: %+v", inbox.Items)
	}
	var j eventList
	want(t, owner.get(t, "/api/v1/journal"), 200, "journal").json(t, &j)
	granted := ""
	for _, ev := range j.Events {
		if ev.Kind == "consent-granted" {
			granted = ev.Text
		}
	}
	if !strings.HasPrefix(granted, "Vous avez partagé des papiers avec CCAS de Roubaix — Mme Morel (Dossier RSA), sous le nom « Amina »") {
		t.Errorf("journal: %q", granted)
	}

	// Once. Another owner gets the unknown code's answer, byte for byte;
	// the owner's second tap is told it is done.
	other := e.client()
	other.ip = "192.0.2.22"
	want(t, other.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "autre.code", "secret": secret}), 201, "signup")
	other.loginOwner(t, "autre.code", secret)
	unknown := other.get(t, "/api/v1/share-codes/ZZZZ-ZZZZ")
	checkErr(t, unknown, 404, "no_share_code", "unknown code")
	if msg := unknown.errMessage(t); msg != "Ce code ne fonctionne pas : vérifiez-le, ou demandez un nouveau code (un code sert 15 minutes, pour un seul partage)." {
		t.Errorf("unknown code message %q", msg)
	}
	sameAsUnknown := func(r resp, what string) {
		t.Helper()
		if r.status != unknown.status || !bytes.Equal(r.body, unknown.body) {
			t.Errorf("%s: %d %s, want the unknown code's %d %s", what, r.status, truncate(r.body), unknown.status, truncate(unknown.body))
		}
	}
	sameAsUnknown(other.get(t, "/api/v1/share-codes/"+typed), "a used code, for another owner")
	checkErr(t, owner.do(t, "POST", "/api/v1/share-codes/"+typed+"/consents", shareWith(map[string]any{"documents": []string{rib}}, false)),
		409, "already_shared", "the owner's second tap")

	// Expired.
	expiring := newCode(worker)
	e.clock.Advance(15 * time.Minute)
	sameAsUnknown(other.get(t, "/api/v1/share-codes/"+expiring.Code), "an expired code")

	// A disabled worker's code.
	e.worker("suspendu@ccas.example", "M. Suspendu", "secret de M. Suspendu assez long")
	suspended := e.client()
	suspended.loginWorker(t, "suspendu@ccas.example", "secret de M. Suspendu assez long")
	sc := newCode(suspended)
	wsid := ""
	{
		var s session
		want(t, suspended.get(t, "/api/v1/session"), 200, "session").json(t, &s)
		wsid = s.ID
	}
	if err := e.v.DisableWorker(ctx, wsid); err != nil {
		t.Fatal(err)
	}
	sameAsUnknown(other.get(t, "/api/v1/share-codes/"+sc.Code), "a disabled worker's code")

	// The whole organisation: the colleague reads the tax notice.
	orgCode := newCode(worker)
	owner.reauth(t, secret)
	want(t, owner.do(t, "POST", "/api/v1/share-codes/"+orgCode.Code+"/consents", shareWith(map[string]any{"documents": []string{tax}}, true)), 201, "organisation share").json(t, &k)
	if k.Grantee.Kind != "organisation" {
		t.Fatalf("organisation share's grantee = %+v", k.Grantee)
	}
	want(t, colleague.get(t, "/api/v1/documents/"+tax+"/content"), 200, "a colleague after an organisation-wide share")
	want(t, colleague.get(t, "/api/v1/documents/"+pay+"/content"), 404, "a paper not shared")

	// Guessing: five wrong codes, then 429 with Retry-After, even for a
	// right code; in English for an English speaker.
	guesser := e.client()
	guesser.ip = "198.51.100.40"
	guesser.lang = "en"
	want(t, guesser.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "devin.code", "secret": secret}), 201, "signup")
	guesser.loginOwner(t, "devin.code", secret)
	for _, g := range []string{"2222-2222", "3333-3333", "4444-4444", "5555-5555", "6666-6666"} {
		r := guesser.get(t, "/api/v1/share-codes/"+g)
		checkErr(t, r, 404, "no_share_code", "guess "+g)
		if msg := r.errMessage(t); !strings.HasPrefix(msg, "This code does not work") {
			t.Errorf("guess %s in English: %q", g, msg)
		}
	}
	right := newCode(worker)
	r := guesser.get(t, "/api/v1/share-codes/"+right.Code)
	checkErr(t, r, 429, "throttled", "the right code after five wrong ones at once")
	if r.header.Get("Retry-After") == "" || !strings.HasPrefix(r.errMessage(t), "Too many attempts") {
		t.Errorf("throttled: Retry-After %q, %q", r.header.Get("Retry-After"), r.errMessage(t))
	}
}

type granteeOut struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TestShareCodeHostile: malformed and oversized codes, in the path and the
// form, and hostile share bodies get a clear answer in French and English
// and change nothing; a worker cannot look codes up, an owner cannot make
// one.
func TestShareCodeHostile(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "lune carton pivert salade"
	owner := e.client()
	want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "hostile.code", "secret": secret}), 201, "signup")
	owner.loginOwner(t, "hostile.code", secret)
	owner.reauth(t, secret)
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "rib"), page(photo(t, 500, 700, 5))), 201, "upload").json(t, &up)
	e.worker("w@ccas.example", "Agent", "secret de l'agent assez long")
	worker := e.client()
	worker.loginWorker(t, "w@ccas.example", "secret de l'agent assez long")
	var c struct {
		Code string `json:"code"`
	}
	want(t, worker.do(t, "POST", "/api/v1/share-codes", nil), 201, "code").json(t, &c)
	live := strings.ReplaceAll(c.Code, "-", "")

	for _, bad := range []string{"abc", "K7QM-2XPU", strings.Repeat("A", 300), "%00%00%00%00%00%00%00%00", "..%2E..%2E", "%F0%9F%98%80",
		"K7QM2XPD%27%20OR%201%3D1", "%3Cscript%3E"} {
		for _, l := range []struct{ lang, msg string }{{"", "Un code de partage a 8 caractères"}, {"en", "A sharing code has 8 characters"}} {
			owner.lang = l.lang
			r := owner.get(t, "/api/v1/share-codes/"+bad)
			checkErr(t, r, 422, "invalid", "lookup "+bad)
			if !strings.HasPrefix(r.errMessage(t), l.msg) || !strings.Contains(string(r.body), `"field":"code"`) {
				t.Errorf("lookup %.30s (%s): %s", bad, l.lang, truncate(r.body))
			}
			r = owner.do(t, "POST", "/api/v1/share-codes/"+bad+"/consents", shareWith(map[string]any{"documents": []string{up.Document.ID}}, false))
			checkErr(t, r, 422, "invalid", "share "+bad)
			// The pages (typed, or the address opened): the code field
			// again, with the message.
			for _, p := range []string{"/share/code?code=" + bad, "/s/" + bad} {
				r = owner.get(t, p)
				if body := string(r.body); r.status != 422 || !strings.Contains(body, l.msg) || !strings.Contains(body, `id="code"`) {
					t.Errorf("page %.40s (%s): %d %s", p, l.lang, r.status, truncate(r.body))
				}
			}
		}
	}
	owner.lang = ""
	for name, tc := range map[string]struct {
		body          map[string]any
		status        int
		field, prefix string
	}{
		"nothing chosen":    {shareWith(map[string]any{"documents": []string{}}, false), 422, "scope", "Choisissez des papiers"},
		"type other":        {shareWith(map[string]any{"types": []string{"other"}}, false), 422, "scope", "Les papiers de ce type"},
		"a category":        {shareWith(map[string]any{"categories": []string{"income"}}, false), 422, "scope", "Une catégorie entière"},
		"a bad duration":    {map[string]any{"scope": map[string]any{"documents": []string{up.Document.ID}}, "purpose": "p", "days": 2}, 422, "days", "Un partage dure"},
		"no purpose":        {map[string]any{"scope": map[string]any{"documents": []string{up.Document.ID}}, "days": 31}, 422, "purpose", "Indiquez à quoi sert"},
		"an oversized name": {map[string]any{"scope": map[string]any{"documents": []string{up.Document.ID}}, "purpose": "p", "days": 31, "show_name": strings.Repeat("n", 600)}, 422, "show_name", "Le nom est trop long"},
		"a paper not hers":  {shareWith(map[string]any{"documents": []string{"aaaaaaaaaaaaaaaaaaaaaaaaaa"}}, false), 404, "", "Introuvable"},
	} {
		r := owner.do(t, "POST", "/api/v1/share-codes/"+live+"/consents", tc.body)
		if r.status != tc.status || !strings.HasPrefix(r.errMessage(t), tc.prefix) || tc.field != "" && !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s", name, r.status, truncate(r.body))
		}
	}
	// The code survived every refusal.
	want(t, owner.get(t, "/api/v1/share-codes/"+live), 200, "the code after the refusals")
	if cs := string(want(t, owner.get(t, "/api/v1/consents"), 200, "consents").body); strings.Contains(cs, `"id"`) {
		t.Errorf("consents after hostile shares: %s", cs)
	}
	checkErr(t, worker.get(t, "/api/v1/share-codes/"+live), 403, "forbidden", "a worker looks a code up")
	checkErr(t, owner.do(t, "POST", "/api/v1/share-codes", nil), 403, "forbidden", "an owner makes a code")

	// The form: nothing ticked, a bad duration, oversized texts: the page
	// again with the message, the code still offered.
	for name, f := range map[string]url.Values{
		"nothing ticked":  {"days": {"31"}, "grantee": {"worker"}},
		"a bad duration":  {"days": {"7"}, "doc": {up.Document.ID}},
		"a long purpose":  {"days": {"31"}, "doc": {up.Document.ID}, "purpose": {strings.Repeat("p", 400)}},
		"too many papers": {"days": {"31"}, "doc": strings.Split(strings.Repeat("x,", 201), ",")},
	} {
		r := owner.postForm(t, "/s/"+live, f)
		if body := string(r.body); r.status != 422 || !strings.Contains(body, `class="error"`) || !strings.Contains(body, `action="/s/`+live+`"`) {
			t.Errorf("form with %s: %d %s", name, r.status, truncate(r.body))
		}
	}
	want(t, owner.get(t, "/api/v1/share-codes/"+live), 200, "the code after the refused forms")
}

// TestShareCodeOpenedFromAnotherSite (attacker's review, 12-08): a page of
// another site could send her browser to /s/<wrong code> again and again
// (her session cookie goes along on a top-level navigation) and burn her
// attempts, locking her code sharing for an hour. Opened from another
// site, the address shows the page to type a code, filled in, and looks
// nothing up; her tap on Continue does. Opened from a QR code, it looks
// the code up at once.
func TestShareCodeOpenedFromAnotherSite(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	const secret = "lune carton pivert salade"
	owner := e.client()
	owner.ip = "192.0.2.31"
	signUpOwner(t, owner, "amina.ailleurs", secret)
	e.worker("morel@ccas.example", "Mme Morel", "secret de Mme Morel assez long")
	worker := e.client()
	worker.loginWorker(t, "morel@ccas.example", "secret de Mme Morel assez long")
	var code struct {
		Code string `json:"code"`
	}
	want(t, worker.do(t, "POST", "/api/v1/share-codes", nil), 201, "share code").json(t, &code)
	live := strings.ReplaceAll(code.Code, "-", "")
	from := func(site, path string) resp {
		return owner.send(t, request{method: "GET", path: path, header: map[string]string{"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate"}})
	}
	for i := range 25 {
		bad := fmt.Sprintf("%04d%04d", 2000+i, 7000+i)
		r := from("cross-site", "/s/"+bad)
		if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `id="code"`) || !strings.Contains(body, `value="`+bad+`"`) {
			t.Fatalf("wrong code %d opened from another site: %d %s", i+1, r.status, truncate(r.body))
		}
	}
	r := from("cross-site", "/s/"+live)
	if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `value="`+live+`"`) || strings.Contains(body, "Mme Morel") {
		t.Fatalf("the right code opened from another site: %d %s", r.status, truncate(r.body))
	}
	// Her tap on Continue (same origin), then a QR code: looked up, not
	// throttled by what the other site did.
	noFollow(owner)
	r = from("same-origin", "/share/code?code="+live)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/s/"+live {
		t.Fatalf("Continue: %d %q", r.status, r.header.Get("Location"))
	}
	for _, site := range []string{"same-origin", "none"} {
		if body := string(want(t, from(site, "/s/"+live), 200, "the code from "+site).body); !strings.Contains(body, "Mme Morel") {
			t.Errorf("the code opened from %s does not show the worker: %s", site, truncate([]byte(body)))
		}
	}
}
