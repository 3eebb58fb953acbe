package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// recoverAnswer is the JSON answer of POST /recover and /recovery-code.
type recoverAnswer struct {
	Kind             string `json:"kind"`
	ID               string `json:"id"`
	CSRFToken        string `json:"csrf_token"`
	RecoverySheetDue bool   `json:"recovery_sheet_due"`
	Identifier       string `json:"identifier"`
	RecoveryCode     string `json:"recovery_code"`
	RecoverySheet    struct {
		Method, URL string
	} `json:"recovery_sheet"`
}

// signUpOwner creates an owner through the JSON API and returns its
// recovery code (the client stays logged in).
func signUpOwner(t *testing.T, c *client, ident, secret string) string {
	t.Helper()
	var su struct {
		RecoveryCode string `json:"recovery_code"`
		Session      struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	want(t, c.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": ident, "secret": secret}), 201, "sign up").json(t, &su)
	c.csrf = su.Session.CSRFToken
	return su.RecoveryCode
}

// postForm sends a form as a browser without JavaScript would.
func (c *client) postForm(t *testing.T, path string, form url.Values) resp {
	t.Helper()
	if c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	return c.send(t, request{method: http.MethodPost, path: path, body: strings.NewReader(form.Encode()),
		contentType: "application/x-www-form-urlencoded"})
}

func TestRecoverAnswersNewCode(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret, s2, s3 = "pomme radis ballon hibou", "citron balcon otarie fanfare", "grenier cobalt loutre vanille"
	code := signUpOwner(t, e.client(), "recup.json", secret)

	phone := e.client()
	var ra recoverAnswer
	want(t, phone.do(t, "POST", "/api/v1/recover", map[string]string{
		"identifier": "recup.json", "recovery_code": code, "new_secret": s2,
	}), 200, "recovery").json(t, &ra)
	if ra.Kind != "owner" || ra.CSRFToken == "" || ra.Identifier != "recup.json" || ra.RecoveryCode == "" ||
		ra.RecoveryCode == code || ra.RecoverySheet.URL != "/api/v1/recovery-sheet" || ra.RecoverySheetDue {
		t.Fatalf("recovery answer = %+v", ra)
	}
	phone.csrf = ra.CSRFToken
	// The client prints the new sheet with the new code.
	pdf := want(t, phone.do(t, "POST", "/api/v1/recovery-sheet", map[string]string{
		"identifier": ra.Identifier, "recovery_code": ra.RecoveryCode,
	}), 200, "new recovery sheet")
	if !bytes.HasPrefix(pdf.body, []byte("%PDF-")) {
		t.Fatalf("recovery sheet is not a PDF: %q", truncate(pdf.body))
	}
	// Replaying the used code is refused, and changes nothing.
	for i := 0; i < 2; i++ {
		r := want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
			"identifier": "recup.json", "recovery_code": code, "new_secret": s3,
		}), 401, "replayed code")
		if !strings.Contains(string(r.body), "wrong_recovery_code") {
			t.Fatalf("replayed code answer: %s", r.body)
		}
	}
	want(t, phone.get(t, "/api/v1/documents"), 200, "session after a replay")
	e.client().loginOwner(t, "recup.json", s2)
	// The new code works once more and is itself replaced.
	var rb recoverAnswer
	want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
		"identifier": "recup.json", "recovery_code": ra.RecoveryCode, "new_secret": s3,
	}), 200, "recovery with the new code").json(t, &rb)
	if rb.RecoveryCode == "" || rb.RecoveryCode == ra.RecoveryCode {
		t.Fatalf("second recovery answer = %+v", rb)
	}
	if strings.Contains(e.logs.String(), strings.ReplaceAll(ra.RecoveryCode, "-", "")[:12]) {
		t.Fatal("the new recovery code reached the logs")
	}
}

func TestRecoverConcurrentSameCodeAPI(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	code := signUpOwner(t, e.client(), "recup.course", "pomme radis ballon hibou")
	secrets := []string{"citron balcon otarie fanfare", "grenier cobalt loutre vanille", "moulin ardoise pelican sirop"}
	statuses := make([]int, len(secrets))
	var wg sync.WaitGroup
	for i, s := range secrets {
		c := e.client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = c.do(t, "POST", "/api/v1/recover", map[string]string{
				"identifier": "recup.course", "recovery_code": code, "new_secret": s,
			}).status
		}()
	}
	wg.Wait()
	wins := 0
	for i, st := range statuses {
		switch st {
		case 200:
			wins++
			e.client().loginOwner(t, "recup.course", secrets[i])
		case 401:
		default:
			t.Fatalf("recovery %d: status %d", i, st)
		}
	}
	if wins != 1 {
		t.Fatalf("%d recoveries succeeded with the same code (statuses %v), want exactly 1", wins, statuses)
	}
}

// Without JavaScript: the recovery form shows the new code at once (after a
// redirect), on the sign-up sheet page, in the person's language.
func TestWebRecoverShowsNewSheet(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	code := signUpOwner(t, e.client(), "recup.web", "pomme radis ballon hibou")
	for _, c := range []struct{ lang, title, notice string }{
		{"fr", "Votre feuille de secours", "Votre ancienne feuille de secours ne marche plus"},
		{"en", "Your recovery sheet", "Your old recovery sheet no longer works"},
	} {
		b := e.client()
		b.lang = c.lang
		r := want(t, b.postForm(t, "/recover", url.Values{"identifier": {"recup.web"}, "code": {code},
			"secret": {"citron balcon otarie fanfare"}, "secret2": {"citron balcon otarie fanfare"}}), 200, "web recovery "+c.lang)
		page := string(r.body)
		if !strings.Contains(page, c.title) || !strings.Contains(page, c.notice) || !strings.Contains(page, `id="after-recovery"`) {
			t.Fatalf("%s: recovery page lacks the new sheet:\n%s", c.lang, truncate(r.body))
		}
		fresh := sheetCode(page)
		if fresh == "" || fresh == code {
			t.Fatalf("%s: code shown %q, want a new one", c.lang, fresh)
		}
		// Reached by a redirect: a reload shows it again.
		again := want(t, b.get(t, "/sheet"), 200, "reload the sheet")
		if sheetCode(string(again.body)) != fresh {
			t.Fatalf("%s: reloaded sheet lacks the code", c.lang)
		}
		// The page's button saves the sheet with the session just opened.
		pdf := want(t, b.get(t, "/sheet/pdf"), 200, "save the new sheet")
		if !bytes.HasPrefix(pdf.body, []byte("%PDF-")) {
			t.Fatalf("%s: sheet is not a PDF", c.lang)
		}
		// The old code is refused on the form.
		old := want(t, e.client().postForm(t, "/recover", url.Values{"identifier": {"recup.web"}, "code": {code},
			"secret": {"grenier cobalt loutre vanille"}, "secret2": {"grenier cobalt loutre vanille"}}), 401, "old code on the form")
		if strings.Contains(string(old.body), `id="after-recovery"`) {
			t.Fatal("old code showed a sheet")
		}
		code = fresh
	}
}

// After an assisted recovery the worker never sees a code; the owner is
// told at the next login to make a new sheet.
func TestAssistedRecoveryAsksOwnerForNewSheet(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	e.worker("morel@ccas.example.org", "Mme Morel", "worker secret tres long")
	pro := e.client()
	pro.loginWorker(t, "morel@ccas.example.org", "worker secret tres long")
	var su struct {
		RecoveryCode string `json:"recovery_code"`
	}
	want(t, pro.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "aidee.ccas", "secret": "pomme radis ballon hibou",
		"assisted_recovery_org": e.org.ID}), 201, "sign up by a worker")
	// The worker saw no code: the person makes the sheet at first sign-in.
	first := e.client()
	first.loginOwner(t, "aidee.ccas", "pomme radis ballon hibou")
	// The worker saw that secret typed: she chooses her own first.
	want(t, first.do(t, "POST", "/api/v1/secret", map[string]string{"current_secret": "pomme radis ballon hibou", "new_secret": "lanterne prairie corail mouette"}), 204, "her own secret")
	want(t, first.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": "lanterne prairie corail mouette"}), 200, "reauth")
	want(t, first.do(t, "POST", "/api/v1/recovery-code", nil), 200, "first sheet").json(t, &su)
	const s2 = "citron balcon otarie fanfare"
	r := want(t, pro.do(t, "POST", "/api/v1/assisted-recovery", map[string]string{
		"org_recovery_key": e.orgKey, "owner_identifier": "aidee.ccas", "new_secret": s2,
	}), 204, "assisted recovery")
	if len(r.body) != 0 {
		t.Fatalf("assisted recovery answered a body to the worker: %q", r.body)
	}
	want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
		"identifier": "aidee.ccas", "recovery_code": su.RecoveryCode, "new_secret": "grenier cobalt loutre vanille",
	}), 401, "old sheet after assisted recovery")

	// The worker saw the new secret too (typed on the worker's device):
	// the owner changes it first, on the web (then the account page says
	// why a new sheet is due) and through the API.
	web := e.client()
	first2 := want(t, web.postForm(t, "/login", url.Values{"identifier": {"aidee.ccas"}, "secret": {s2}}), 200, "web login")
	if !strings.Contains(string(first2.body), `id="secret-due"`) {
		t.Fatalf("web login does not ask for a new secret:\n%s", truncate(first2.body))
	}
	web.csrf = csrfOf(t, string(first2.body))
	const s3 = "horloge pivoine basalte renard"
	acc := want(t, web.postForm(t, "/account/secret", url.Values{"current": {s2}, "secret": {s3}, "secret2": {s3}}), 200, "web new secret")
	if !strings.Contains(string(acc.body), `id="sheet-due"`) {
		t.Fatalf("web login does not show the sheet reminder:\n%s", truncate(acc.body))
	}
	owner := e.client()
	var s recoverAnswer
	want(t, owner.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "aidee.ccas", "secret": s3}), 200, "login").json(t, &s)
	if !s.RecoverySheetDue {
		t.Fatalf("login answer does not ask for a new sheet: %+v", s)
	}
	owner.csrf = s.CSRFToken
	// A worker cannot fetch the owner's new code.
	want(t, pro.do(t, "POST", "/api/v1/recovery-code", nil), 403, "worker asks for a recovery code")
	want(t, e.client().do(t, "POST", "/api/v1/recovery-code", nil), 401, "anonymous asks for a recovery code")
	var nc recoverAnswer
	want(t, owner.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": s3}), 200, "the secret again")
	want(t, owner.do(t, "POST", "/api/v1/recovery-code", nil), 200, "new recovery code").json(t, &nc)
	if nc.Identifier != "aidee.ccas" || nc.RecoveryCode == "" || nc.RecoveryCode == su.RecoveryCode || nc.RecoverySheet.URL != "/api/v1/recovery-sheet" {
		t.Fatalf("new recovery code answer = %+v", nc)
	}
	var after recoverAnswer
	want(t, owner.get(t, "/api/v1/session"), 200, "session").json(t, &after)
	if after.Kind != "owner" || after.RecoverySheetDue {
		t.Fatal("still asked for a sheet after making one")
	}
	want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
		"identifier": "aidee.ccas", "recovery_code": nc.RecoveryCode, "new_secret": "grenier cobalt loutre vanille",
	}), 200, "the new sheet works")
}

// Hostile callers: a new code without CSRF or from another site, another
// owner's code, a forged or oversized code: refused, and nothing is lost.
func TestRecoveryCodeHostile(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	code := signUpOwner(t, owner, "recup.cible", "pomme radis ballon hibou")
	otherCode := signUpOwner(t, e.client(), "recup.autre", "citron balcon otarie fanfare")

	want(t, owner.send(t, request{method: "POST", path: "/api/v1/recovery-code", noCSRF: true}), 403, "new code without CSRF")
	evil := e.client()
	evil.csrf, evil.hc.Jar = owner.csrf, owner.hc.Jar
	evil.origin = "https://evil.example"
	want(t, evil.do(t, "POST", "/api/v1/recovery-code", nil), 403, "new code from another site")
	want(t, owner.send(t, request{method: "GET", path: "/api/v1/recovery-code"}), 405, "GET")

	for _, c := range []struct {
		name, code string
		status     int
	}{
		{"another owner's code", otherCode, 401},
		{"forged code", strings.Repeat("A", 26), 422},
		{"oversized code", strings.Repeat("7", 10000), 422},
		{"control characters", code[:5] + "\x00\r\n" + code[5:], 422},
	} {
		r := e.client().do(t, "POST", "/api/v1/recover", map[string]string{
			"identifier": "recup.cible", "recovery_code": c.code, "new_secret": "grenier cobalt loutre vanille",
		})
		if r.status != c.status || strings.Contains(string(r.body), `"recovery_sheet"`) {
			t.Fatalf("%s: status %d, want %d; body %s", c.name, r.status, c.status, truncate(r.body))
		}
	}
	// Nothing changed: both owners' codes still work, once each.
	for _, c := range []struct{ ident, code string }{{"recup.cible", code}, {"recup.autre", otherCode}} {
		want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
			"identifier": c.ident, "recovery_code": c.code, "new_secret": "moulin ardoise pelican sirop",
		}), 200, "code after hostile attempts: "+c.ident)
	}
}

// sheetCode reads the recovery code a sheet page shows ("" if none).
func sheetCode(page string) string {
	i := strings.Index(page, `class="code"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	rest = rest[:strings.Index(rest, "</p>")]
	var groups []string
	for _, part := range strings.Split(rest, "<span>")[1:] {
		groups = append(groups, part[:strings.Index(part, "</span>")])
	}
	return strings.Join(groups, "-")
}
