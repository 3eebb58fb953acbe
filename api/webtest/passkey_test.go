package webtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// phoneAuthenticator gives the person's browser a virtual platform
// authenticator, as a phone's: CTAP2, internal, discoverable credentials,
// user verification that succeeds (the fingerprint), with or without the
// PRF extension.
func (h *hand) phoneAuthenticator(prf bool) {
	h.b.t.Helper()
	h.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
				HasUserVerification: true, IsUserVerified: true, HasPrf: prf,
				AutomaticPresenceSimulation: true,
			},
		})
		return err
	}))
}

// signUpByForm creates a vault by the sign-up form and lands on the sheet.
func (h *hand) signUpByForm(base, ident, secret string) {
	h.b.t.Helper()
	h.open(base + "/signup")
	h.typeIn("#identifier", ident)
	h.typeIn("#secret", secret)
	h.typeIn("#secret2", secret)
	h.tapTo("form.form button[type=submit]")
	if got := h.text("main h1"); got != "Votre feuille de secours" {
		h.b.t.Fatalf("after sign-up: %q: %s", got, h.seen())
	}
}

// keepSheet types the code's last four characters and confirms.
func (h *hand) keepSheet() {
	h.b.t.Helper()
	code := strings.ReplaceAll(strings.TrimSpace(h.text(".code")), " ", "")
	h.typeIn("#last4", code[len(code)-4:])
	h.tapTo("#sheet-kept button[type=submit]")
}

// addPasskeyOnSheet adds this phone's passkey from the sheet page (the
// page confirms with the recovery code it shows: nothing to type but the
// phone's name) and returns what the page then says.
func (h *hand) addPasskeyOnSheet(name string) string {
	h.b.t.Helper()
	h.typeIn("#passkey-name", name)
	h.tap("#sheet-passkey button[type=submit]")
	h.poll(`(() => { const s = document.querySelector('#sheet-passkey [data-passkey-status]').textContent;
		return s.startsWith("C'est fait") || s.includes('pas') || s.includes('Rien'); })()`, time.Minute)
	return h.text("#sheet-passkey [data-passkey-status]")
}

// signOut taps the sign-out button.
func (h *hand) signOut() {
	h.b.t.Helper()
	h.tapTo("form.logout button[type=submit]")
}

// noPasskeyAutofill makes the browser say it offers no passkey in its
// autofill (conditional mediation), so that the person taps "Open with my
// phone": Chromium's virtual authenticator answers an autofill request at
// once, with no one choosing.
func (h *hand) noPasskeyAutofill() {
	h.b.t.Helper()
	h.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);`,
		})
		return err
	}))
}

// openWithPhone opens the sign-in page and opens the vault with the
// phone: by the button, or (tap false) by the browser's autofill.
func (h *hand) openWithPhone(base string, tap bool) {
	h.b.t.Helper()
	h.open(base + "/login")
	if tap {
		h.tap("#passkey-open")
	}
}

const (
	awaSecret   = "girafe velo soleil cartable"
	bintaSecret = "radis pomme ballon hibou"
)

// TestPasskeyOpensTheVault: with a phone whose authenticator has PRF, the
// owner adds a passkey right after signing up (no secret typed: the sheet
// page confirms with the code it shows), adds a paper, signs out, opens
// her vault with the phone alone — no identifier, no secret — and sees
// the paper's cleaned pages (decrypted); she shares it, the phone
// confirming instead of the secret; the journal says which passkey signed
// in; she removes the passkey (still confirmed) and it no longer opens
// anything. No secret is typed after sign-up.
func TestPasskeyOpensTheVault(t *testing.T) {
	photos := samples(t)
	srv := newServerNamed(t, "localhost")
	b := newBrowser(t)
	h := b.hand("awa-passkey")
	h.phoneAuthenticator(true)
	h.noPasskeyAutofill()

	h.signUpByForm(srv.URL, "awa.passkey", awaSecret)
	h.axe("sheet-passkey")
	if got := h.addPasskeyOnSheet("Téléphone d'Awa"); got != "C'est fait : ce téléphone ouvre maintenant votre coffre, sans secret à taper." {
		t.Fatalf("after adding the passkey the sheet says %q", got)
	}
	h.keepSheet()

	// A paper, by the camera.
	h.open(srv.URL + "/papers/add")
	h.pick(`label[for=camera]`, photos[0])
	h.poll(`document.querySelectorAll('#pages li img').length === 1`, time.Minute)
	h.tap("form[data-upload] button[type=submit]")
	h.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 3*time.Minute)
	paper := eval[string](h.person, `location.pathname`)
	h.signOut()

	// Open with the phone: no secret typed.
	typed := h.taps
	h.openWithPhone(srv.URL, true)
	h.waitFor(`location.pathname === '/papers' && document.readyState === 'complete'`, time.Minute)
	if got := h.text("main h1"); got != "Mes papiers" {
		t.Fatalf("after the passkey: %q: %s", got, h.seen())
	}
	if h.taps-typed > 1 {
		t.Errorf("opening with the phone took %d taps", h.taps-typed)
	}
	// The paper decrypts: its cleaned page shows.
	h.open(srv.URL + paper)
	h.poll(`document.querySelectorAll('.preview img').length === 1 &&
		[...document.querySelectorAll('.preview img')].every(i => i.complete && i.naturalWidth > 0)`, 2*time.Minute)
	// Sharing it needs confirmation: the phone gives it, no secret typed.
	h.tapTo(`a[href$="/share"]`)
	h.tap(`input[name=grantee][value^="organisation:"]`)
	h.tap("[data-passkey-confirm]")
	h.poll(`[...document.querySelectorAll('[data-passkey-confirm] + [role=status]')].some(s => s.textContent.startsWith('Confirmé'))`, time.Minute)
	if eval[bool](h.person, `!document.getElementById('confirm-share').hidden`) {
		t.Error("the secret field still shows after the phone confirmed")
	}
	h.tapTo("form.form button[type=submit]")
	if got := h.text(".notice"); got != "C'est partagé." {
		t.Fatalf("after sharing: %q: %s", got, h.seen())
	}
	h.open(srv.URL + "/journal")
	if seen := h.seen(); !strings.Contains(seen, "Vous vous êtes connecté avec la clé d'accès « Téléphone d'Awa »") {
		t.Errorf("journal: %s", seen)
	}

	// The account lists it; removing it needs no secret either (the
	// phone confirmed within 5 minutes).
	h.open(srv.URL + "/account")
	if got := h.text("#passkey-list .card"); !strings.Contains(got, "Téléphone d'Awa") || !strings.Contains(got, "Ouvre votre coffre, sans secret.") ||
		!strings.Contains(got, "Dernière utilisation") {
		t.Errorf("the passkey in the account: %q", got)
	}
	h.axe("account-passkeys")
	if n := eval[int](h.person, `document.querySelectorAll('#passkey-list input[name=confirm_secret]').length`); n != 0 {
		t.Errorf("the remove form asks the secret (%d fields) although the phone confirmed", n)
	}
	h.tapTo("#passkey-list form button[type=submit]")
	if got := h.text(".notice"); got != "La clé d'accès est retirée : ce téléphone n'ouvre plus votre coffre." {
		t.Fatalf("after removing: %q: %s", got, h.seen())
	}
	if got := h.text("#no-passkey"); got != "Aucune clé d'accès pour l'instant." {
		t.Errorf("list after removal: %q", got)
	}
	h.signOut()

	// It no longer opens.
	h.openWithPhone(srv.URL, true)
	h.poll(`!document.getElementById('passkey-error').hidden`, time.Minute)
	h.axe("login-passkey-error")
	if got := h.text("#passkey-error"); got != "Cette clé d'accès n'est pas (ou plus) enregistrée dans Coffre. Ouvrez avec votre secret." {
		t.Errorf("removed passkey: %q", got)
	}
	if path := eval[string](h.person, `location.pathname`); path != "/login" {
		t.Errorf("a removed passkey reached %s", path)
	}
}

// TestPasskeyWithoutPRF: a phone whose authenticator has no PRF signs in
// with the passkey (offered by the browser's autofill), and the vault asks
// the secret once — said in plain words when adding it and when opening.
func TestPasskeyWithoutPRF(t *testing.T) {
	srv := newServerNamed(t, "localhost")
	b := newBrowser(t)
	h := b.hand("binta-passkey")
	h.phoneAuthenticator(false)

	h.signUpByForm(srv.URL, "binta.passkey", bintaSecret)
	want := "C'est fait : ce téléphone vous reconnaît. Il ne sait pas ouvrir votre coffre tout seul : à chaque ouverture avec lui, votre secret vous sera demandé une fois."
	if got := h.addPasskeyOnSheet("Vieux téléphone"); got != want {
		t.Fatalf("after adding a passkey without PRF the sheet says %q", got)
	}
	h.keepSheet()
	h.signOut()

	// The browser's autofill offers the passkey (conditional mediation).
	h.openWithPhone(srv.URL, false)
	h.poll(`!document.getElementById('passkey-secret').hidden`, time.Minute)
	h.axe("login-passkey-secret")
	if got := h.text("#passkey-secret-why"); got != "Votre téléphone vous a reconnu. Il ne sait pas ouvrir le coffre tout seul : tapez votre secret, une fois." {
		t.Errorf("the page says %q", got)
	}
	// No identifier to type: the passkey named the vault.
	h.typeIn("#passkey-secret-input", bintaSecret)
	h.tap("#passkey-secret button[type=submit]")
	h.waitFor(`location.pathname === '/papers' && document.readyState === 'complete'`, time.Minute)
	h.open(srv.URL + "/account")
	if got := h.text("#passkey-list .card"); !strings.Contains(got, "Vous reconnaît, puis votre secret vous est demandé une fois pour ouvrir le coffre.") {
		t.Errorf("the passkey in the account: %q", got)
	}
	h.axe("account-passkey-noprf")
	h.open(srv.URL + "/journal")
	if seen := h.seen(); !strings.Contains(seen, "Vous vous êtes connecté avec la clé d'accès « Vieux téléphone »") {
		t.Errorf("journal: %s", seen)
	}
}
