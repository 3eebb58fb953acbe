package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/internal/photogen"
)

// capturePhotos are a clean and a blurred photo of the same paper, drawn
// by the repository's generator (deterministic).
func capturePhotos(t *testing.T) (clean, blurred []byte) {
	t.Helper()
	// 3 MP: a blurred photo this size is shaken (a smaller one would be
	// told its camera is the cause: low_res).
	o := photogen.Options{Width: 1500, Height: 2000, Seed: 17, Angle: 2}
	doc := photogen.Documents()[0]
	clean, err := photogen.Photo(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Blur = 6
	blurred, err = photogen.Photo(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	return clean, blurred
}

// captureCheck is the check in an answer.
type captureCheck struct {
	Check *struct {
		Verdict  string `json:"verdict"`
		Findings []struct {
			Code    string  `json:"code"`
			Score   float64 `json:"score"`
			Message string  `json:"message"`
		} `json:"findings"`
		Thumbnail string `json:"thumbnail"`
	} `json:"check"`
	Stored *bool `json:"stored"`
}

// thumbOK fails unless the thumbnail is a small JPEG data URL of an upright page.
func thumbOK(t *testing.T, what, u string) {
	t.Helper()
	b64, ok := strings.CutPrefix(u, "data:image/jpeg;base64,")
	if !ok {
		t.Fatalf("%s: thumbnail %.40q is not a JPEG data URL", what, u)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Height != 320 || cfg.Width >= cfg.Height {
		t.Fatalf("%s: thumbnail %dx%d (%v), want an upright page 320 px tall", what, cfg.Width, cfg.Height, err)
	}
}

// TestCaptureCheckHelper: each page the helper's page sends comes back with
// its check: a blurred photo "retake" with the catalogue's sentence in the
// helper's language and the cleaned thumbnail, a clean photo "ok"; the
// page is stored either way (the check advises), a PDF is not checked, a
// file of no known type is stored unchecked; a dead link reads no page.
func TestCaptureCheckHelper(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "capture.aide", "pomme radis ballon hibou")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos", "max_uses": 5}), 201, "link").json(t, &link)
	clean, blurred := capturePhotos(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := base64.RawURLEncoding.EncodeToString(key)
	put := func(c *client, n string, body []byte) resp {
		return c.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/" + n, body: bytes.NewReader(body),
			contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}})
	}
	helper := e.client()
	helper.lang = "fr"
	var got captureCheck
	want(t, put(helper, "1", blurred), 201, "blurred page").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "retake" || len(got.Check.Findings) == 0 || got.Check.Findings[0].Code != "blurry" {
		t.Fatalf("blurred page: %+v", got.Check)
	}
	if m := got.Check.Findings[0].Message; !strings.HasPrefix(m, "Trop flou : tenez le téléphone immobile") {
		t.Errorf("blurred page says %q", m)
	}
	thumbOK(t, "blurred page", got.Check.Thumbnail)
	// Sent again (a lost answer): stored once, checked again.
	got = captureCheck{}
	want(t, put(helper, "1", blurred), 200, "blurred page again").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "retake" || got.Stored == nil || *got.Stored {
		t.Errorf("blurred page sent again: %+v stored %v", got.Check, got.Stored)
	}
	en := e.client()
	en.lang = "en"
	got = captureCheck{}
	want(t, put(en, "2", blurred), 201, "blurred page, English").json(t, &got)
	if got.Check == nil || !strings.HasPrefix(got.Check.Findings[0].Message, "Too blurred") {
		t.Errorf("blurred page in English: %+v", got.Check)
	}
	got = captureCheck{}
	want(t, put(helper, "3", clean), 201, "clean page").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "ok" || len(got.Check.Findings) != 0 {
		t.Fatalf("clean page: %+v", got.Check)
	}
	thumbOK(t, "clean page", got.Check.Thumbnail)
	got = captureCheck{}
	want(t, put(helper, "4", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")), 201, "PDF page").json(t, &got)
	if got.Check != nil {
		t.Errorf("a PDF was checked: %+v", got.Check)
	}
	got = captureCheck{}
	want(t, put(helper, "5", bytes.Repeat([]byte("pas une image "), 50)), 201, "text page").json(t, &got)
	if got.Check != nil {
		t.Errorf("a text file was checked: %+v", got.Check)
	}
	if n := e.pendingCount(t); n != 5 {
		t.Errorf("%d pending pages, want 5", n)
	}
	// The kept blurred page is sent like any other.
	r := want(t, helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{1, 3}}), 201, "send")
	var rc struct {
		Pages int `json:"pages"`
	}
	r.json(t, &rc)
	if rc.Pages != 2 {
		t.Errorf("sent %d pages, want 2", rc.Pages)
	}
	// A made-up link reads no page and checks nothing.
	bad := e.client()
	res := bad.send(t, request{method: "PUT", path: "/d/" + strings.Repeat("A", len(link.Token)) + "/pages/1", body: bytes.NewReader(blurred),
		contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}})
	if res.status != http.StatusNotFound || strings.Contains(string(res.body), "verdict") {
		t.Errorf("made-up link: %d %s", res.status, truncate(res.body))
	}
}

// TestCaptureCheckOwner: the owner's form asks for the check of one page
// (nothing stored): the same verdicts and sentences; without the CSRF
// token, without a session, as a worker, empty, oversized or not an image:
// refused with a clear message, nothing stored.
func TestCaptureCheckOwner(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, limits: api.Limits{PageBytes: 1 << 20}})
	owner := e.client()
	owner.lang = "fr"
	signUpOwner(t, owner, "capture.titulaire", "pomme radis ballon hibou")
	clean, blurred := capturePhotos(t)
	check := func(c *client, body []byte, noCSRF bool) resp {
		return c.send(t, request{method: "POST", path: "/papers/check", body: bytes.NewReader(body), contentType: "image/jpeg", noCSRF: noCSRF})
	}
	var got captureCheck
	want(t, check(owner, blurred, false), 200, "blurred").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "retake" || got.Check.Findings[0].Code != "blurry" ||
		!strings.HasPrefix(got.Check.Findings[0].Message, "Trop flou : tenez le téléphone immobile") {
		t.Fatalf("blurred: %+v", got.Check)
	}
	thumbOK(t, "blurred", got.Check.Thumbnail)
	got = captureCheck{}
	want(t, check(owner, clean, false), 200, "clean").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "ok" {
		t.Fatalf("clean: %+v", got.Check)
	}
	if r := check(owner, blurred, true); r.status != http.StatusForbidden || strings.Contains(string(r.body), "verdict") {
		t.Errorf("without the CSRF token: %d %s", r.status, truncate(r.body))
	}
	anon := e.client()
	// Sent to the sign-in page (the client follows the redirect).
	if r := check(anon, blurred, false); strings.Contains(string(r.body), "verdict") || !strings.Contains(string(r.body), `id="identifier"`) {
		t.Errorf("without a session: %d %s", r.status, truncate(r.body))
	}
	worker := e.client()
	e.worker("capture@example.org", "Léa", "tulipe mouette sirop gravier")
	worker.loginWorker(t, "capture@example.org", "tulipe mouette sirop gravier")
	if r := check(worker, blurred, false); strings.Contains(string(r.body), "verdict") || !strings.Contains(string(r.body), `id="identifier"`) {
		t.Errorf("a worker: %d %s", r.status, truncate(r.body))
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"empty", nil, http.StatusUnprocessableEntity},
		{"oversized", bytes.Repeat([]byte{0xff}, 2<<20), http.StatusRequestEntityTooLarge},
		{"not an image", bytes.Repeat([]byte("<script>alert(1)</script>"), 20), http.StatusUnprocessableEntity},
		{"truncated JPEG", blurred[:2000], 0},
	} {
		r := check(owner, tc.body, false)
		if (tc.status != 0 && r.status != tc.status) || r.status < 400 || r.status >= 500 {
			t.Errorf("%s: status %d, want %d; %s", tc.name, r.status, tc.status, truncate(r.body))
			continue
		}
		if m := r.errMessage(t); len(m) < 10 || strings.Contains(m, "<script") {
			t.Errorf("%s: message %q", tc.name, m)
		}
	}
	var docs struct {
		Documents []any `json:"documents"`
	}
	want(t, owner.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
	if len(docs.Documents) != 0 {
		t.Errorf("checking stored %d papers", len(docs.Documents))
	}
}

// TestCaptureCheckAPIUploads: the JSON API's uploads answer with each
// photographed page's check, in `coffre check --json`'s shape: the owner's
// upload in its conversion, the helper's in the receipt.
func TestCaptureCheckAPIUploads(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "capture.api", "pomme radis ballon hibou")
	clean, blurred := capturePhotos(t)
	type check struct {
		File     string `json:"file"`
		Page     int    `json:"page"`
		Verdict  string `json:"verdict"`
		Findings []struct {
			Code  string  `json:"code"`
			Score float64 `json:"score"`
		} `json:"findings"`
	}
	var up struct {
		Conversion struct {
			Checks []check `json:"checks"`
		} `json:"conversion"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "rib"), page(blurred), page(clean)), 201, "owner upload").json(t, &up)
	cs := up.Conversion.Checks
	if len(cs) != 2 || cs[0].Verdict != "retake" || len(cs[0].Findings) == 0 || cs[0].Findings[0].Code != "blurry" ||
		cs[1].Verdict != "ok" || cs[1].Findings == nil || len(cs[1].Findings) != 0 || cs[0].Page != 1 || cs[0].File != "page 1" {
		t.Fatalf("owner upload checks = %+v", cs)
	}
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos"}), 201, "link").json(t, &link)
	var rc struct {
		Pages  int     `json:"pages"`
		Checks []check `json:"checks"`
	}
	want(t, e.client().upload(t, "/api/v1/drop/"+link.Token+"/pages", page(blurred)), 201, "helper upload").json(t, &rc)
	if rc.Pages != 1 || len(rc.Checks) != 1 || rc.Checks[0].Verdict != "retake" || rc.Checks[0].Findings[0].Code != "blurry" {
		t.Fatalf("helper receipt checks = %+v", rc)
	}
}

// TestCaptureCheckAgain: a stored page is checked again through GET
// /d/<token>/pages/<n>/check with the upload's key (after a reload lost its
// check), in the language asked, without the page's thumbnail (the link
// stays write-only); a page that is no picture gets the converter's error;
// another key, an unknown page, a bad
// number, no key, a made-up link and a sent upload get a clear error in
// the helper's language and no check.
func TestCaptureCheckAgain(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "capture.encore", "pomme radis ballon hibou")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos", "max_uses": 5}), 201, "link").json(t, &link)
	_, blurred := capturePhotos(t)
	newKey := func() string {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		return base64.RawURLEncoding.EncodeToString(key)
	}
	k := newKey()
	helper := e.client()
	helper.lang = "fr"
	want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/1", body: bytes.NewReader(blurred),
		contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}}), 201, "page stored")
	check := func(c *client, token, n string, h map[string]string) resp {
		return c.send(t, request{method: "GET", path: "/d/" + token + "/pages/" + n + "/check", header: h})
	}
	var got captureCheck
	want(t, check(helper, link.Token, "1", map[string]string{"X-Upload-Key": k}), 200, "checked again").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "retake" || !strings.HasPrefix(got.Check.Findings[0].Message, "Trop flou") {
		t.Fatalf("checked again: %+v", got.Check)
	}
	// The link stays write-only: no picture of the page comes back.
	if got.Check.Thumbnail != "" {
		t.Errorf("checked again: a thumbnail of %d bytes came back", len(got.Check.Thumbnail))
	}
	// The same page number sent again with another, clean photo (a stale
	// page after a reload): the blurred page stays stored, and the answer
	// is its check, without a picture — not the clean photo's "ok"
	// (attacker's review).
	clean, _ := capturePhotos(t)
	got = captureCheck{}
	r := want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/1", body: bytes.NewReader(clean),
		contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}}), 200, "page 1 again")
	r.json(t, &got)
	if !strings.Contains(string(r.body), `"stored":false`) || got.Check == nil || got.Check.Verdict != "retake" || got.Check.Thumbnail != "" {
		t.Errorf("page 1 sent again with a clean photo answers %s", truncate(r.body))
	}
	// The same photo sent again (a retry, or with corners placed): its
	// check and cleaned thumbnail, which show nothing the sender lacks.
	got = captureCheck{}
	want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/1", body: bytes.NewReader(blurred),
		contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}}), 200, "page 1, same photo again").json(t, &got)
	if got.Check == nil || got.Check.Verdict != "retake" || got.Check.Thumbnail == "" {
		t.Errorf("page 1 sent again with the same photo: %+v", got.Check)
	}
	// A page the converter cannot read: its error, in the helper's language.
	want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/5", body: bytes.NewReader(bytes.Repeat([]byte("pas une image "), 50)),
		contentType: "application/octet-stream", header: map[string]string{"X-Upload-Key": k}}), 201, "text page stored")
	if r := check(helper, link.Token, "5", map[string]string{"X-Upload-Key": k}); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"message"`) {
		t.Errorf("a text page checked again: %d %s, want 422 and a message", r.status, truncate(r.body))
	} else {
		t.Logf("a text page checked again: %s", truncate(r.body))
	}
	en := e.client()
	en.lang = "en"
	got = captureCheck{}
	want(t, check(en, link.Token, "1", map[string]string{"X-Upload-Key": k}), 200, "checked again, English").json(t, &got)
	if got.Check == nil || !strings.HasPrefix(got.Check.Findings[0].Message, "Too blurred") {
		t.Errorf("checked again in English: %+v", got.Check)
	}
	for _, tc := range []struct {
		name, token, n string
		h              map[string]string
		status         int
	}{
		{"another key", link.Token, "1", map[string]string{"X-Upload-Key": newKey()}, http.StatusNotFound},
		{"unknown page", link.Token, "2", map[string]string{"X-Upload-Key": k}, http.StatusNotFound},
		{"page 0", link.Token, "0", map[string]string{"X-Upload-Key": k}, http.StatusUnprocessableEntity},
		{"not a number", link.Token, "un", map[string]string{"X-Upload-Key": k}, http.StatusUnprocessableEntity},
		{"no key", link.Token, "1", nil, http.StatusUnprocessableEntity},
		{"made-up link", strings.Repeat("A", len(link.Token)), "1", map[string]string{"X-Upload-Key": k}, http.StatusNotFound},
	} {
		r := check(helper, tc.token, tc.n, tc.h)
		if r.status != tc.status || strings.Contains(string(r.body), "verdict") || !strings.Contains(string(r.body), `"message"`) {
			t.Errorf("%s: %d %s, want %d and a message", tc.name, r.status, truncate(r.body), tc.status)
		}
	}
	want(t, helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{1}}), 201, "send")
	if r := check(helper, link.Token, "1", map[string]string{"X-Upload-Key": k}); r.status < 400 || strings.Contains(string(r.body), "verdict") {
		t.Errorf("a sent page is checked again: %d %s", r.status, truncate(r.body))
	}
}

// TestConcurrentChecksAgainBounded (attacker's review): 24 checks of the
// same stored page at once, from 24 addresses, each holding the decrypted
// page in memory while the converter works. As for page PUTs, at most
// Limits.PagePutsPerClient (2) run at a time through one link; the others
// get 503 with Retry-After at once, before the page is read.
func TestConcurrentChecksAgainBounded(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	owner := e.client()
	signUpOwner(t, owner, "capture.foule", "pomme radis ballon hibou")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos", "max_uses": 5}), 201, "link").json(t, &link)
	clean, _ := capturePhotos(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := base64.RawURLEncoding.EncodeToString(key)
	want(t, e.client().send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/1", body: bytes.NewReader(clean),
		contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}}), 201, "page stored")
	const n = 24
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", e.srv.URL+"/d/"+link.Token+"/pages/1/check", nil)
			req.Header.Set("X-Upload-Key", k)
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
			<-start
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = -1
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
			if res.StatusCode == 503 && res.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	t.Logf("%d checks of one page at once: statuses %v", n, count)
	if count[200] < 1 || count[503] < n/2 || count[200]+count[503] != n {
		t.Errorf("statuses %v, want some 200 and the rest (most) 503", count)
	}
}

// TestDropPageDelete: a page the helper removes is taken back from the
// server at once (204), a retried delete answers the same, the pending
// list no longer has it and the send refuses it; without the upload's key,
// with a bad number or through a made-up link, nothing is deleted and the
// answer says why in the helper's language; after the send, 409.
func TestDropPageDelete(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "capture.retire", "pomme radis ballon hibou")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos", "max_uses": 5}), 201, "link").json(t, &link)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := base64.RawURLEncoding.EncodeToString(key)
	helper := e.client()
	helper.lang = "fr"
	kh := map[string]string{"X-Upload-Key": k}
	clean, blurred := capturePhotos(t)
	for n, photo := range map[string][]byte{"1": blurred, "2": clean} {
		want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/" + n, body: bytes.NewReader(photo),
			contentType: "image/jpeg", header: kh}), 201, "page stored")
	}
	del := func(token, n string, h map[string]string) resp {
		return helper.send(t, request{method: "DELETE", path: "/d/" + token + "/pages/" + n, header: h})
	}
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	for _, tc := range []struct {
		name, token, n string
		h              map[string]string
		status         int
	}{
		{"another key", link.Token, "1", map[string]string{"X-Upload-Key": base64.RawURLEncoding.EncodeToString(other)}, http.StatusNotFound},
		{"page 0", link.Token, "0", kh, http.StatusUnprocessableEntity},
		{"not a number", link.Token, "un", kh, http.StatusUnprocessableEntity},
		{"no key", link.Token, "1", nil, http.StatusUnprocessableEntity},
		{"malformed key", link.Token, "1", map[string]string{"X-Upload-Key": "%%%"}, http.StatusUnprocessableEntity},
		{"made-up link", strings.Repeat("A", len(link.Token)), "1", kh, http.StatusNotFound},
	} {
		if r := del(tc.token, tc.n, tc.h); r.status != tc.status || !strings.Contains(string(r.body), `"message"`) {
			t.Errorf("%s: %d %s, want %d and a message", tc.name, r.status, truncate(r.body), tc.status)
		}
	}
	pending := func() []int {
		var st struct {
			Pages []int `json:"pages"`
		}
		want(t, helper.send(t, request{method: "GET", path: "/d/" + link.Token + "/pending", header: kh}), 200, "pending").json(t, &st)
		return st.Pages
	}
	if p := pending(); len(p) != 2 {
		t.Fatalf("refused deletes took pages back: %v left", p)
	}
	for range 2 { // the second is a retry
		if r := del(link.Token, "1", kh); r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Fatalf("delete page 1: %d %s, want 204", r.status, truncate(r.body))
		}
	}
	if p := pending(); len(p) != 1 || p[0] != 2 {
		t.Fatalf("after the delete, pages %v, want [2]", p)
	}
	if r := helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{1, 2}}); r.status < 400 || r.status >= 500 {
		t.Errorf("sending a deleted page: %d %s", r.status, truncate(r.body))
	}
	want(t, helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{2}}), 201, "send")
	if r := del(link.Token, "2", kh); r.status != http.StatusConflict || !strings.Contains(string(r.body), `"message"`) {
		t.Errorf("taking back a sent page: %d %s, want 409", r.status, truncate(r.body))
	}
}

// TestKeptPagesShownToOwner: a helper sends a clean page and a blurred one
// kept anyway; the owner's paper says which page may be hard to read and
// why, in her language (API and web page, with the page marked among the
// previews), her list of papers flags it; a paper whose pages all passed
// says nothing of the kind.
func TestKeptPagesShownToOwner(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	owner.lang = "fr"
	var su struct {
		Session struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "gardee.titulaire", "secret": "pomme radis ballon hibou",
		"display_name": "Amina"}), 201, "sign up").json(t, &su)
	owner.csrf = su.Session.CSRFToken
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Photos", "max_uses": 5}), 201, "link").json(t, &link)
	clean, blurred := capturePhotos(t)
	send := func(pages ...[]byte) {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		k := base64.RawURLEncoding.EncodeToString(key)
		helper := e.client()
		nums := []int{}
		for i, p := range pages {
			n := strconv.Itoa(i + 1)
			want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/" + n, body: bytes.NewReader(p),
				contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": k}}), 201, "page "+n)
			nums = append(nums, i+1)
		}
		want(t, helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": nums, "type": "rib"}), 201, "send")
	}
	send(clean, blurred)
	send(clean)

	type keptJSON struct {
		Page     int `json:"page"`
		Findings []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	var list struct {
		Documents []struct {
			ID     string     `json:"id"`
			Pages  int        `json:"pages"`
			Checks []keptJSON `json:"checks"`
		} `json:"documents"`
	}
	want(t, owner.get(t, "/api/v1/documents"), 200, "list").json(t, &list)
	if len(list.Documents) != 2 {
		t.Fatalf("documents: %+v", list.Documents)
	}
	var keptID, cleanID string
	for _, d := range list.Documents {
		switch d.Pages {
		case 2:
			keptID = d.ID
			if len(d.Checks) != 1 || d.Checks[0].Page != 2 || len(d.Checks[0].Findings) == 0 || d.Checks[0].Findings[0].Code != "blurry" ||
				d.Checks[0].Findings[0].Message != "La photo est floue." {
				t.Errorf("the two-page paper's checks: %+v", d.Checks)
			}
		case 1:
			cleanID = d.ID
			if d.Checks != nil {
				t.Errorf("the clean paper has checks: %+v", d.Checks)
			}
		}
	}
	if keptID == "" || cleanID == "" {
		t.Fatalf("documents: %+v", list.Documents)
	}
	owner.lang = "en"
	var one struct {
		Checks []keptJSON `json:"checks"`
	}
	want(t, owner.get(t, "/api/v1/documents/"+keptID), 200, "one, in English").json(t, &one)
	if len(one.Checks) != 1 || one.Checks[0].Findings[0].Message != "The photo is blurred." {
		t.Errorf("in English: %+v", one.Checks)
	}
	owner.lang = "fr"

	papers := string(want(t, owner.get(t, "/papers"), 200, "papers").body)
	if n := strings.Count(papers, "data-kept-badge"); n != 1 || !strings.Contains(papers, "Une page à vérifier") {
		t.Errorf("the list flags %d papers (want 1) or not in French", n)
	}
	page := string(want(t, owner.get(t, "/papers/"+keptID), 200, "paper").body)
	for _, s := range []string{"À vérifier : une page est peut-être difficile à lire", `data-kept-page="2"`, "Page 2", "La photo est floue.", `class="kept-page"`, "Demander une nouvelle photo", `name="type" value="rib"`,
		`<label for="kept-from">Votre nom, tel que l&#39;aidant le verra</label>`, `name="from" value="Amina"`} {
		if !strings.Contains(page, s) {
			t.Errorf("the kept paper's page does not say %q", s)
		}
	}
	// Asking again makes a link for this paper and page.
	if m := regexp.MustCompile(`name="label" value="([^"]*)"`).FindStringSubmatch(page); m == nil || !strings.HasPrefix(m[1], "Nouvelle photo : ") || !strings.HasSuffix(m[1], ", page 2") {
		t.Errorf("the link asking again is labelled %q", m)
	}
	if strings.Count(page, `class="kept-page"`) != 1 || strings.Contains(page, `data-kept-page="1"`) {
		t.Error("the clean first page is marked")
	}
	// The link's label, which her helper reads, names the paper's type,
	// never a title she wrote (attacker's review).
	want(t, owner.do(t, "PATCH", "/api/v1/documents/"+keptID, map[string]string{"title": "Paie mars (arrêt maladie)"}), 200, "rename")
	page = string(want(t, owner.get(t, "/papers/"+keptID), 200, "renamed paper").body)
	if m := regexp.MustCompile(`name="label" value="([^"]*)"`).FindStringSubmatch(page); m == nil || m[1] != "Nouvelle photo : RIB, page 2" {
		t.Errorf("after renaming, the link asking again is labelled %q", m)
	}
	// Asked: the page says so, with the name the link shows (newcomer's
	// review: the page looked the same, she asked twice); once the photo
	// came, that it did.
	noFollow(owner)
	ask := url.Values{"key": {"k9Hc2mQx7Lr4Tz8WbN3vKeptAsk"}, "label": {"Nouvelle photo : RIB, page 2"}, "from": {"Fatou Diallo"}, "type": {"rib"}, "uses": {"1"}}
	if res := owner.postForm(t, "/links", ask); res.status != http.StatusSeeOther {
		t.Fatalf("asking again: %d %s", res.status, truncate(res.body))
	}
	tok := regexp.MustCompile(`/d/([A-Za-z0-9_-]{20,})`).FindStringSubmatch(string(want(t, owner.get(t, "/links/new"), 200, "new link").body))
	if tok == nil {
		t.Fatal("no link on the new link's page")
	}
	page = html.UnescapeString(string(want(t, owner.get(t, "/papers/"+keptID), 200, "asked paper").body))
	if !strings.Contains(page, `data-kept-asked="live"`) || !strings.Contains(page, "Nouvelle photo demandée le "+i18n.Get("fr").Date(e.clock.Now())) ||
		!strings.Contains(page, `name="from" value="Fatou Diallo"`) {
		t.Errorf("once asked, the paper's page does not say so:\n%s", page)
	}
	link.Token = tok[1]
	send(clean)
	page = html.UnescapeString(string(want(t, owner.get(t, "/papers/"+keptID), 200, "answered paper").body))
	if !strings.Contains(page, `data-kept-asked="arrived"`) || !strings.Contains(page, "La nouvelle photo demandée le ") {
		t.Errorf("once the photo came, the paper's page does not say so")
	}
	// Unfiled, the paper is named by the day it was sent, which the helper
	// knows (newcomer's review: "Papier reçu par un lien…" told her
	// nothing).
	want(t, owner.do(t, "PATCH", "/api/v1/documents/"+keptID, map[string]string{"type": "other"}), 200, "unfile")
	page = html.UnescapeString(string(want(t, owner.get(t, "/papers/"+keptID), 200, "unfiled paper").body))
	if m := regexp.MustCompile(`name="label" value="([^"]*)"`).FindStringSubmatch(page); m == nil ||
		m[1] != "Nouvelle photo : le papier envoyé le "+i18n.Get("fr").Date(e.clock.Now())+", page 2" {
		t.Errorf("unfiled, the link asking again is labelled %q", m)
	}
	if page := string(want(t, owner.get(t, "/papers/"+cleanID), 200, "clean paper").body); strings.Contains(page, "data-kept") {
		t.Error("the clean paper's page warns")
	}
	// Two pages kept: said in the plural (newcomer's review: "une page"
	// headed a list of two), and "kept as it is", which is true whoever
	// sent it (her own photos were said to be "sent as it is").
	var link2 struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Deux pages", "max_uses": 1}), 201, "link").json(t, &link2)
	link.Token = link2.Token
	send(blurred, blurred)
	papers = html.UnescapeString(string(want(t, owner.get(t, "/papers"), 200, "papers").body))
	if !strings.Contains(papers, "2 pages à vérifier") {
		t.Errorf("a paper with two kept pages is not flagged \"2 pages à vérifier\"")
	}
	var two string
	var docs struct {
		Documents []struct {
			ID     string     `json:"id"`
			Checks []keptJSON `json:"checks"`
		} `json:"documents"`
	}
	want(t, owner.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
	for _, d := range docs.Documents {
		if len(d.Checks) == 2 {
			two = d.ID
		}
	}
	page = html.UnescapeString(string(want(t, owner.get(t, "/papers/"+two), 200, "two kept pages").body))
	// In the plural throughout (newcomer's review: "2 pages … la photo,
	// mais elle a été gardée telle quelle").
	for _, s := range []string{"À vérifier : 2 pages sont peut-être difficiles à lire", "refaire ces photos, mais elles ont été gardées telles quelles. Regardez-les"} {
		if !strings.Contains(page, s) {
			t.Errorf("the paper with two kept pages does not say %q", s)
		}
	}
}
