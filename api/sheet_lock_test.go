package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSheetHiddenAfterAWhile (attacker's review): a copy of a browser's
// cookies taken after the sheet's first minutes (a borrowed phone, a
// shared computer left signed in) no longer reads the recovery code on
// /sheet, its PDF or a failed confirmation, so it cannot take the vault
// with POST /api/v1/recover; while she copies it (a reload, a tab
// restored) she sees it; later she can still say she kept it, or make a
// new sheet with her secret; the page says so in her language.
func TestSheetHiddenAfterAWhile(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	for _, tc := range []struct{ lang, locked string }{
		{"fr", "Pour qu&#39;il reste secret, votre code de secours n&#39;est plus affiché."},
		{"en", "To keep it secret, your recovery code is no longer shown."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ident := "feuille.cachee." + tc.lang
			const secret = "pomme radis ballon hibou"
			b := e.client()
			b.lang = tc.lang
			r := want(t, b.postForm(t, "/signup", url.Values{"identifier": {ident}, "secret": {secret}, "secret2": {secret}}), 200, "sign up")
			code := sheetCode(string(r.body))
			if code == "" {
				t.Fatalf("the sign-up shows no code: %s", truncate(r.body))
			}
			b.csrf = csrfOf(t, string(r.body))
			// While she copies it: a reload shows it, the PDF saves it.
			e.clock.Advance(14 * time.Minute)
			if got := sheetCode(string(want(t, b.get(t, "/sheet"), 200, "reload").body)); got != code {
				t.Fatalf("a reload after 14 minutes shows %q, want the code", got)
			}
			want(t, b.get(t, "/sheet/pdf"), 200, "sheet PDF")
			// Later: neither the page, nor its PDF, nor a wrong answer
			// shows it.
			e.clock.Advance(2 * time.Minute)
			page := string(want(t, b.get(t, "/sheet"), 200, "later").body)
			last4 := strings.ReplaceAll(code, "-", "")
			last4 = last4[len(last4)-4:]
			if sheetCode(page) != "" || strings.Contains(page, last4) || !strings.Contains(page, tc.locked) ||
				!strings.Contains(page, `id="sheet-kept"`) || !strings.Contains(page, `href="/account#confirm-sheet"`) {
				t.Fatalf("the sheet after 16 minutes: %s", truncate([]byte(page)))
			}
			noFollow(b)
			if res := b.get(t, "/sheet/pdf"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/sheet" {
				t.Fatalf("the PDF after 16 minutes: %d %q", res.status, res.header.Get("Location"))
			}
			wrong := b.postForm(t, "/sheet/kept", url.Values{"last4": {"ZZZZ"}})
			if wrong.status != http.StatusUnprocessableEntity || sheetCode(string(wrong.body)) != "" || strings.Contains(string(wrong.body), last4) {
				t.Fatalf("a wrong confirmation: %d %s", wrong.status, truncate(wrong.body))
			}
			// The thief's recovery has no code to use; hers still works:
			// she says she kept it.
			if res := b.postForm(t, "/sheet/kept", url.Values{"last4": {last4}}); res.status != http.StatusSeeOther {
				t.Fatalf("her confirmation: %d %s", res.status, truncate(res.body))
			}
			want(t, e.client().do(t, "POST", "/api/v1/recover", map[string]string{
				"identifier": ident, "recovery_code": code, "new_secret": "citron balcon otarie fanfare",
			}), 200, "her code still opens her vault")
		})
	}
}

// TestSignupFormWhenSignedIn (newcomer's review): Back from her recovery
// sheet showed the sign-up form again, filled in; sent again, it ended on
// "this request does not come from Coffre's page". Signed in, the sign-up
// form sends her to her sheet while she has not kept it (the same code),
// then to her papers; it is never kept by the browser.
func TestSignupFormWhenSignedIn(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "pomme radis ballon hibou"
	b := e.client()
	r := want(t, b.postForm(t, "/signup", url.Values{"identifier": {"retour.feuille"}, "secret": {secret}, "secret2": {secret}}), 200, "sign up")
	code := sheetCode(string(r.body))
	if code == "" {
		t.Fatalf("the sign-up shows no code: %s", truncate(r.body))
	}
	b.csrf = csrfOf(t, string(r.body))
	noFollow(b)
	res := b.get(t, "/signup")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/sheet" || !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
		t.Fatalf("the sign-up form, signed in, sheet not kept: %d %q %q", res.status, res.header.Get("Location"), res.header.Get("Cache-Control"))
	}
	if got := sheetCode(string(want(t, b.get(t, "/sheet"), 200, "the sheet").body)); got != code {
		t.Fatalf("the sheet shows %q, want the code made at sign-up", got)
	}
	last4 := strings.ReplaceAll(code, "-", "")
	if res := b.postForm(t, "/sheet/kept", url.Values{"last4": {last4[len(last4)-4:]}}); res.status != http.StatusSeeOther {
		t.Fatalf("keeping the sheet: %d %s", res.status, truncate(res.body))
	}
	if res := b.get(t, "/signup"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/papers" {
		t.Fatalf("the sign-up form, signed in, sheet kept: %d %q", res.status, res.header.Get("Location"))
	}
	if res := e.client().get(t, "/signup"); res.status != http.StatusOK || !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
		t.Fatalf("the sign-up form, signed out: %d %q", res.status, res.header.Get("Cache-Control"))
	}
}
