package webtest

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// noJS is a client that does what a browser without JavaScript does:
// follow links, post forms (with their hidden csrf field), keep cookies.
type noJS struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newNoJS(t *testing.T, base string) *noJS {
	jar, _ := cookiejar.New(nil)
	return &noJS{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (n *noJS) do(req *http.Request) (*http.Response, string) {
	n.t.Helper()
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	req.Header.Set("Origin", n.base) // what a browser sends with a form post
	resp, err := n.c.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (n *noJS) get(path string) (*http.Response, string) {
	n.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.base+path, nil)
	return n.do(req)
}

func (n *noJS) post(path string, form url.Values) (*http.Response, string) {
	n.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return n.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no csrf field in the page")
	}
	return m[1]
}

// TestWebWithoutJavaScript: the basic flows work with forms and links
// only: a helper sends a photo through the plain form; the owner signs in,
// lists papers, downloads one and revokes a sharing.
func TestWebWithoutJavaScript(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	ctx := context.Background()
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: "0611223344", Secret: []byte("lampe bateau hiver citron"), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte("lampe bateau hiver citron"))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, owner, ownerID, vault.NewDropLink{Label: "RIB", Requested: []string{"rib"}})
	if err != nil {
		t.Fatal(err)
	}

	// The helper's plain form: one multipart post, a receipt page.
	helper := newNoJS(t, srv.URL)
	resp, page := helper.get("/d/" + token)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `enctype="multipart/form-data"`) {
		t.Fatalf("drop page: %d", resp.StatusCode)
	}
	photo, err := os.ReadFile(photos[1])
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("page", "photo.jpg")
	_, _ = fw.Write(photo)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/d/"+token, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, page = helper.do(req)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(page, "1 page reçue par le coffre") {
		t.Fatalf("helper form post: %d %.300s", resp.StatusCode, page)
	}
	// Opened again, the used-up link says the papers arrived.
	if resp, page := helper.get("/d/" + token); resp.StatusCode != http.StatusGone || !strings.Contains(page, "Ce lien a déjà servi") {
		t.Fatalf("used-up link answers %d %.300s", resp.StatusCode, page)
	}

	// The owner signs in with the form and finds the paper.
	o := newNoJS(t, srv.URL)
	resp, page = o.post("/login", url.Values{"identifier": {"06 11 22 33 44"}, "secret": {"lampe bateau hiver citron"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Mes papiers") || !strings.Contains(page, ">RIB<") {
		t.Fatalf("after login: %d %.400s", resp.StatusCode, page)
	}
	m := regexp.MustCompile(`href="/papers/([a-z2-7]{26})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no paper link on the list")
	}
	id := m[1]
	resp, pdf := o.get("/papers/" + id + "/file?profile=caf")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("download: %d", resp.StatusCode)
	}

	// Share with the organisation, then revoke, with forms only.
	_, page = o.get("/papers/" + id + "/share")
	resp, page = o.post("/share", url.Values{"csrf": {csrfOf(t, page)}, "document": {id},
		"grantee": {"organisation:" + srv.org.ID}, "days": {"31"}, "purpose": {"Dossier CAF"}, "confirm_secret": {"lampe bateau hiver citron"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "C&#39;est partagé") {
		t.Fatalf("share: %d %.400s", resp.StatusCode, page)
	}
	m = regexp.MustCompile(`action="/share/([a-z2-7]+)/revoke"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no revoke button")
	}
	// A form without its csrf token is refused.
	if resp, _ := o.post("/share/"+m[1]+"/revoke", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("revoke without csrf: %d, want 403", resp.StatusCode)
	}
	resp, page = o.post("/share/"+m[1]+"/revoke", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Le partage est arrêté") {
		t.Fatalf("revoke: %d %.400s", resp.StatusCode, page)
	}
	ks, err := srv.v.Consents(ctx, owner)
	if err != nil || len(ks) != 1 || ks[0].Live {
		t.Fatalf("consents after revoking: %+v, %v", ks, err)
	}
	// Sign out.
	resp, page = o.post("/logout", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "déconnecté") {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := o.get("/papers"); resp.Request.URL.Path != "/login" {
		t.Fatalf("after logout /papers went to %s", resp.Request.URL.Path)
	}
}

// TestSignupSecretTypedTwoWays: in Dari, the secret typed with a Persian
// yeh in one field and an Arabic yeh in the other is one secret, as the
// vault derives it: the sign-up goes through (it was refused as "not the
// same"). A mistake to correct keeps the suggested words she may have
// started to copy; a suggestion not made by Coffre is not shown.
func TestSignupSecretTypedTwoWays(t *testing.T) {
	srv := newServer(t)
	o := newNoJS(t, srv.URL)
	_, page := o.get("/lang?to=fa-AF&back=/signup")
	m := regexp.MustCompile(`name="suggested" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no suggestion carried by the form: %.2000s", page)
	}
	suggested := html.UnescapeString(m[1])
	resp, page := o.post("/signup", url.Values{"identifier": {"0711223344"}, "name": {"Mariam"},
		"secret": {"کتاب دریا ستاره باغ"}, "secret2": {"کتاب دریا ستاره باع"}, "suggested": {suggested}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `name="suggested" value="`+html.EscapeString(suggested)+`"`) {
		t.Fatalf("a mismatch: %d, the suggestion %q not kept: %.3000s", resp.StatusCode, suggested, page)
	}
	_, page2 := o.post("/signup", url.Values{"identifier": {"0711223344"},
		"secret": {"a"}, "secret2": {"b"}, "suggested": {"votre secret est 1234"}})
	if strings.Contains(page2, "votre secret est 1234") {
		t.Fatal("a suggestion Coffre did not make is shown")
	}
	resp, page = o.post("/signup", url.Values{"identifier": {"0711223344"}, "name": {"Mariam"},
		"secret": {"کتاب دریا ستاره میز"}, "secret2": {"كتاب دريا ستاره ميز"}, "suggested": {suggested}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `class="code"`) {
		t.Fatalf("the same secret with the other yeh and kaf: %d %.3000s", resp.StatusCode, page)
	}
}

// TestDariKeyboardDigits: a Dari phone keyboard types ۰۷۹۹ where a French
// one types 0799. Her phone number, the last four characters of her code
// and the code itself, typed with those digits, are the same as on her
// sheet: sign-in, keeping the sheet and recovery go through.
func TestDariKeyboardDigits(t *testing.T) {
	srv := newServer(t)
	persian := strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹")
	const secret = "کتاب دریا ستاره میز"
	o := newNoJS(t, srv.URL)
	o.get("/lang?to=fa-AF&back=/signup")
	resp, page := o.post("/signup", url.Values{"identifier": {persian.Replace("07 99 12 34 56")}, "secret": {secret}, "secret2": {secret}})
	m := regexp.MustCompile(`class="code"[^>]*>(.*?)</p>`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("sign-up with Persian digits: %d %.3000s", resp.StatusCode, page)
	}
	code := regexp.MustCompile(`<[^>]+>|\s`).ReplaceAllString(html.UnescapeString(m[1]), "")
	// The last four characters, typed with the same keyboard.
	resp, page = o.post("/sheet/kept", url.Values{"csrf": {csrfOf(t, page)}, "last4": {persian.Replace(code[len(code)-4:])}})
	if resp.StatusCode != http.StatusOK || strings.Contains(page, `class="code"`) {
		t.Fatalf("the last 4 in Persian digits: %d %.3000s", resp.StatusCode, page)
	}
	// Another phone: sign in with the number as her keyboard types it.
	p := newNoJS(t, srv.URL)
	p.get("/lang?to=fa-AF&back=/login")
	resp, page = p.post("/login", url.Values{"identifier": {persian.Replace("0799123456")}, "secret": {secret}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/papers"`) {
		t.Fatalf("sign-in with Persian digits: %d %.3000s", resp.StatusCode, page)
	}
	// A third phone: recovery with the code typed in Persian digits.
	r := newNoJS(t, srv.URL)
	r.get("/lang?to=fa-AF&back=/recover")
	const secret2 = "باغ دریا کتاب ستاره"
	resp, page = r.post("/recover", url.Values{"identifier": {persian.Replace("07 99 12 34 56")}, "code": {persian.Replace(code)}, "secret": {secret2}, "secret2": {secret2}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `class="code"`) {
		t.Fatalf("recovery with the code in Persian digits: %d %.3000s", resp.StatusCode, page)
	}
}
