package api_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// A worker who watched the person type her secret when the worker
// created her vault cannot keep using it: whoever signs in with it first
// may only change it (every other JSON route answers 403
// secret_change_required, and the session says secret_change_due); the
// new secret must differ from the watched one (422 same_secret); once she
// changed it, the watched secret is refused at login (401 wrong_secret),
// the session she changed it from does everything, the other sessions of
// the vault (one the worker opened with the watched secret) ended, and her
// next sign-in is not asked again. An assisted recovery by a worker makes
// it due again. On the old code the worker signed in as her for good.
func TestWorkerCreatedVaultSecretChange(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const workerSecret, watched, own = "secret de l'agent assez long", "pomme radis ballon hibou", "citron balcon otarie fanfare"
	e.worker("agent.present@ccas.example", "Mme Morel", workerSecret)
	w := e.client()
	w.loginWorker(t, "agent.present@ccas.example", workerSecret)
	want(t, w.do(t, "POST", "/api/v1/signup", map[string]any{"identifier": "cree.devant.agent", "secret": watched,
		"assisted_recovery_org": e.org.ID}), 201, "signup by a worker")

	// The worker signs in with what they watched: the wall.
	snoop := e.client()
	var s struct {
		SecretChangeDue bool   `json:"secret_change_due"`
		CSRFToken       string `json:"csrf_token"`
	}
	want(t, snoop.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "cree.devant.agent", "secret": watched}), 200, "login with the watched secret").json(t, &s)
	snoop.csrf = s.CSRFToken
	if !s.SecretChangeDue {
		t.Fatal("secret_change_due is not set after a worker-created vault")
	}
	checkWall(t, e, snoop)

	// She signs in on her phone: the same wall, until she changes it.
	her := e.client()
	want(t, her.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "cree.devant.agent", "secret": watched}), 200, "her login").json(t, &s)
	her.csrf = s.CSRFToken
	if !s.SecretChangeDue {
		t.Fatal("secret_change_due is not set at her first sign-in")
	}
	checkErr(t, her.get(t, "/api/v1/documents"), 403, "secret_change_required", "her documents before the change")
	checkErr(t, her.do(t, "POST", "/api/v1/secret", map[string]string{"current_secret": watched, "new_secret": watched}),
		422, "same_secret", "keeping the watched secret")
	checkErr(t, her.do(t, "POST", "/api/v1/secret", map[string]string{"current_secret": "pas le bon secret du tout", "new_secret": own}),
		401, "wrong_secret", "a wrong current secret")
	checkErr(t, her.do(t, "POST", "/api/v1/secret", map[string]string{"current_secret": watched, "new_secret": "court"}),
		422, "weak_secret", "a weak new secret")
	want(t, her.do(t, "POST", "/api/v1/secret", map[string]string{"current_secret": watched, "new_secret": own}), 204, "her new secret")
	want(t, her.get(t, "/api/v1/documents"), 200, "her documents after the change")
	var after map[string]any
	want(t, her.get(t, "/api/v1/session"), 200, "session").json(t, &after)
	if _, ok := after["secret_change_due"]; ok || after["recovery_sheet_due"] != true {
		t.Fatalf("session after the change: %v", after)
	}
	checkErr(t, snoop.get(t, "/api/v1/session"), 401, "no_session", "the worker's session after her change")
	checkErr(t, e.client().do(t, "POST", "/api/v1/login", map[string]string{"identifier": "cree.devant.agent", "secret": watched}),
		401, "wrong_secret", "the watched secret after her change")
	after = map[string]any{}
	again := e.client()
	want(t, again.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "cree.devant.agent", "secret": own}), 200, "her next login").json(t, &after)
	if _, ok := after["secret_change_due"]; ok {
		t.Fatalf("her next sign-in is asked again: %v", after)
	}

	// An assisted recovery: the worker was there again.
	want(t, w.do(t, "POST", "/api/v1/assisted-recovery", map[string]string{"org_recovery_key": e.orgKey,
		"owner_identifier": "cree.devant.agent", "new_secret": watched}), 204, "assisted recovery")
	after = map[string]any{}
	want(t, again.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "cree.devant.agent", "secret": watched}), 200, "login after the assisted recovery").json(t, &after)
	if after["secret_change_due"] != true {
		t.Fatalf("secret_change_due after an assisted recovery: %v", after)
	}
	// A vault the person made alone is never asked.
	alone := e.client()
	signUpOwner(t, alone, "seule.chez.elle", watched)
	want(t, alone.get(t, "/api/v1/documents"), 200, "a vault made alone")
	alone2 := e.client()
	after = map[string]any{}
	want(t, alone2.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "seule.chez.elle", "secret": watched}), 200, "login").json(t, &after)
	if _, ok := after["secret_change_due"]; ok {
		t.Fatalf("a vault made alone is asked to change its secret: %v", after)
	}
}

// checkWall sends every JSON route but those of secretDueRoutes to c (a
// session whose secret change is due): each answers 403
// secret_change_required, whatever its parameters. Public routes (no
// session) are left out.
func checkWall(t *testing.T, e *env, c *client) {
	t.Helper()
	open := map[string]bool{
		"GET /api/v1/session": true, "POST /api/v1/logout": true, "POST /api/v1/logout-everywhere": true, "POST /api/v1/secret": true,
		"POST /api/v1/recovery-sheet": true,
	}
	n := 0
	for _, rt := range e.apiRoutes() {
		method, path, _ := strings.Cut(rt, " ")
		if open[rt] || !needsSession(path) {
			continue
		}
		p := strings.NewReplacer(":id", "aaaaaaaaaaaaaaaaaaaaaaaaaa", ":token", "x").Replace(path)
		var body any
		if method != http.MethodGet && method != http.MethodDelete {
			body = map[string]any{}
		}
		checkErr(t, c.do(t, method, p, body), 403, "secret_change_required", rt+" with a secret due")
		n++
	}
	if n < 30 {
		t.Fatalf("only %d routes behind the wall", n)
	}
	want(t, c.get(t, "/api/v1/session"), 200, "session with a secret due")
}

// needsSession reports whether a JSON route is behind the session check.
func needsSession(path string) bool {
	for _, pub := range []string{"/api/v1/drop/", "/api/v1/login", "/api/v1/workers/login", "/api/v1/passkeys/login", "/api/v1/recover", "/api/v1/signup",
		"/api/v1/catalogue", "/api/v1/profiles", "/api/v1/passphrase", "/api/v1/openapi.yaml"} {
		if strings.HasPrefix(path, pub) {
			return false
		}
	}
	return strings.HasPrefix(path, "/api/v1/")
}

// The page flow, in French and English: the first sign-in after a worker
// created the vault lands on the new-secret page, every owner page sends
// her back there, a mismatch or the same secret is explained in her
// language, and once changed she goes on to make her recovery sheet.
func TestWorkerCreatedVaultSecretPage(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const watched, own = "pomme radis ballon hibou", "citron balcon otarie fanfare"
	e.worker("agent.page@ccas.example", "Mme Morel", "secret de l'agent assez long")
	w := e.client()
	w.loginWorker(t, "agent.page@ccas.example", "secret de l'agent assez long")
	for _, tc := range []struct {
		lang, ident, due, mismatch, same, missing string
	}{
		{"fr", "page.fr", "Avant toute chose, choisissez un nouveau secret.", "Les deux secrets sont différents", "Choisissez un secret différent", "Saisissez votre secret actuel"},
		{"en", "page.en", "Before anything else, choose a new secret.", "The two secrets are different", "Choose a secret different", "Type your current secret"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			want(t, w.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": tc.ident, "secret": watched, "lang": tc.lang}), 201, "signup by a worker")
			b := e.client()
			b.lang = tc.lang
			r := b.postForm(t, "/login", url.Values{"identifier": {tc.ident}, "secret": {watched}})
			body := string(r.body)
			if r.status != 200 || !strings.Contains(body, `id="secret-due"`) || !strings.Contains(body, tc.due) {
				t.Fatalf("first sign-in page: %d %s", r.status, truncate(r.body))
			}
			b.csrf = csrfOf(t, body)
			for _, p := range []string{"/papers", "/account", "/share", "/requests", "/journal", "/links/new", "/account/keys"} {
				if body := string(want(t, b.get(t, p), 200, p).body); !strings.Contains(body, `id="secret-due"`) {
					t.Errorf("%s does not lead to the new-secret page", p)
				}
			}
			for _, c := range []struct {
				form url.Values
				want string
			}{
				{url.Values{"current": {watched}, "secret": {own}, "secret2": {own + "x"}}, tc.mismatch},
				{url.Values{"current": {watched}, "secret": {watched}, "secret2": {watched}}, tc.same},
				{url.Values{"current": {""}, "secret": {own}, "secret2": {own}}, tc.missing},
			} {
				r := b.postForm(t, "/account/secret", c.form)
				if r.status != 422 || !strings.Contains(string(r.body), c.want) {
					t.Errorf("form %v: %d, want 422 with %q; %s", c.form, r.status, c.want, truncate(r.body))
				}
			}
			r = b.postForm(t, "/account/secret", url.Values{"current": {watched}, "secret": {own}, "secret2": {own}})
			if body := string(r.body); r.status != 200 || strings.Contains(body, `id="secret-due"`) || !strings.Contains(body, `id="sheet-due"`) {
				t.Fatalf("after the change: %d %s", r.status, truncate(r.body))
			}
			if body := string(want(t, b.get(t, "/papers"), 200, "papers after the change").body); strings.Contains(body, `id="secret-due"`) {
				t.Error("the new-secret page still shows after the change")
			}
			// And an unconfirmed POST to an owner page is refused while due.
			d := e.client()
			d.lang = tc.lang
			_ = d.postForm(t, "/login", url.Values{"identifier": {tc.ident}, "secret": {own}})
			if body := string(want(t, d.get(t, "/papers"), 200, "papers at the next sign-in").body); strings.Contains(body, `id="secret-due"`) {
				t.Error("the next sign-in is sent to the new-secret page again")
			}
		})
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf is the CSRF token a page's forms carry.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page: %s", truncate([]byte(body)))
	}
	return m[1]
}

// A passkey added by someone who knew the secret goes when the owner
// changes it; the page she lands on says so in plain words, in her
// language, where she adds her phone's again (attacker's review L2).
func TestSecretChangeRemovesPasskeys(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	for _, tc := range []struct{ lang, ident, says string }{
		{"fr", "cles.fr", "Vos clés d'accès ont été retirées"},
		{"en", "keys.en", "Your passkeys were removed"},
	} {
		const secret, next = "pomme radis ballon hibou", "citron balcon otarie fanfare"
		b := e.client()
		b.lang = tc.lang
		signUpOwner(t, b, tc.ident, secret)
		p, err := e.v.Login(testCtx(t), tc.ident, []byte(secret), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.v.AddPasskey(testCtx(t), p, vault.NewPasskey{CredentialID: []byte("credential-of-the-helper-" + tc.lang), PublicKey: []byte("k"), Name: "Téléphone de l'aide"}); err != nil {
			t.Fatal(err)
		}
		r := b.postForm(t, "/account/secret", url.Values{"current": {secret}, "secret": {next}, "secret2": {next}})
		if body := html.UnescapeString(string(r.body)); r.status != 200 || !strings.Contains(body, tc.says) {
			t.Fatalf("%s: after the change: %d %s", tc.lang, r.status, truncate(r.body))
		}
		if creds, err := e.v.PasskeyCredentials(testCtx(t), p); err != nil || len(creds) != 0 {
			t.Fatalf("%s: passkeys after the change: %v, %v", tc.lang, creds, err)
		}
	}
}
