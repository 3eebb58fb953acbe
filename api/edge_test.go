package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// multipartForm builds a multipart/form-data body with text fields only.
func multipartForm(t testing.TB, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// TestMultipartCSRFOnlyOnUploads: a logged-in browser tricked into posting
// a multipart form without the CSRF token creates no drop link and mints
// no recovery code (the check used to be skipped for every multipart
// post); the upload form without its token is refused too, while the same
// form with its token as first part still works.
func TestMultipartCSRFOnlyOnUploads(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	const secret = "tambour cerise hibou lanterne"
	signUpOwner(t, owner, "csrf.multipart", secret)

	for _, tc := range []struct {
		path   string
		fields map[string]string
	}{
		{"/links", map[string]string{"label": "Piège", "hours": "24", "uses": "1"}},
		{"/account/recovery", map[string]string{}},
		{"/share", map[string]string{"worker": "x"}},
		{"/logout", map[string]string{"all": "1"}}, // last: it would end the session
	} {
		body, ct := multipartForm(t, tc.fields)
		r := owner.send(t, request{method: "POST", path: tc.path, body: body, contentType: ct, noCSRF: true})
		if r.status < 400 || r.status >= 500 {
			t.Errorf("multipart POST %s without CSRF token: status %d, want a refusal; body %s", tc.path, r.status, truncate(r.body))
		}
	}
	var links struct {
		Links []json_any `json:"links"`
	}
	want(t, owner.get(t, "/api/v1/droplinks"), 200, "links").json(t, &links)
	if len(links.Links) != 0 {
		t.Fatalf("a cross-site multipart post created %d drop links", len(links.Links))
	}
	want(t, owner.get(t, "/api/v1/session"), 200, "session still alive")

	// The upload form: without its token as first part, refused.
	img := photo(t, 300, 400, 9)
	body, ct := multipartBody(t, field("type", "rib"), page(img))
	r := owner.send(t, request{method: "POST", path: "/papers/add", body: body, contentType: ct, noCSRF: true})
	if r.status != http.StatusForbidden {
		t.Fatalf("upload form without CSRF: status %d, want 403", r.status)
	}
	body, ct = multipartBody(t, field("csrf", owner.csrf), field("type", "rib"), page(img))
	r = owner.send(t, request{method: "POST", path: "/papers/add", body: body, contentType: ct, noCSRF: true})
	if r.status >= 400 {
		t.Fatalf("upload form with its CSRF field: status %d; %s", r.status, truncate(r.body))
	}
	var docs docList
	want(t, owner.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
	if len(docs.Documents) != 1 {
		t.Fatalf("%d documents after one good upload", len(docs.Documents))
	}
}

type json_any = map[string]any

// TestCrossOriginProtectionFirst: a state-changing request a browser sends
// from another site is refused with 403 before routing, whatever the path
// (even one that does not exist, or a form that would be too large), and a
// same-origin or non-browser request passes.
func TestCrossOriginProtectionFirst(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
	}{
		{"cross-site fetch, unknown path", "POST", "/nowhere", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign Origin, unknown path", "POST", "/nowhere", map[string]string{"Origin": "https://evil.example"}},
		{"foreign Origin on a health check", "PUT", "/healthz", map[string]string{"Origin": "https://evil.example"}},
		{"same-site subdomain", "DELETE", "/api/v1/account", map[string]string{"Sec-Fetch-Site": "same-site"}},
	} {
		cl := e.client()
		cl.origin = ""
		r := cl.send(t, request{method: tc.method, path: tc.path, header: tc.header})
		if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "cross_origin") &&
			!strings.Contains(string(r.body), "Les demandes venant d&#39;autres sites sont refusées") {
			t.Errorf("%s: status %d, want 403 cross_origin; %s", tc.name, r.status, truncate(r.body))
		}
	}
	// Same origin, and a client that is not a browser (no Origin, no
	// Sec-Fetch-Site), reach the route.
	cl := e.client()
	checkErr(t, cl.send(t, request{method: "POST", path: "/api/v1/nowhere"}), 404, "not_found", "same-origin POST to an unknown path")
	cl.origin = ""
	checkErr(t, cl.send(t, request{method: "POST", path: "/api/v1/nowhere"}), 404, "not_found", "non-browser POST to an unknown path")
}

// TestLangRedirectStaysOnSite: the language switch and the login page send
// the browser back only to a path of this site; the tab trick
// ("/\t/evil.example", which browsers read as //evil.example) lands on "/".
func TestLangRedirectStaysOnSite(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, back := range []string{"/\t/evil.example", "/\\evil.example", "//evil.example", "/\n/evil.example", "/%09/evil.example"} {
		res, err := hc.Get(e.srv.URL + "/lang?to=en&back=" + url.QueryEscape(back))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("back=%q: Location %q, want /", back, loc)
		}
	}
	res, err := hc.Get(e.srv.URL + "/lang?to=en&back=" + url.QueryEscape("/papers?done=saved"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "/papers?done=saved" {
		t.Errorf("a local path: Location %q", loc)
	}

	// After signing in on the page, next= with a tab goes home, not away.
	const secret = "moulin tulipe castor grelot"
	signUpOwner(t, e.client(), "redirect.tab", secret)
	form := url.Values{"identifier": {"redirect.tab"}, "secret": {secret}, "next": {"/\t/evil.example"}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	res, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/papers" {
		t.Fatalf("login with next=tab: %d, Location %q, want 303 /papers", res.StatusCode, loc)
	}
}

// slowMultipart is a multipart body with one file part of n bytes, whose
// closing boundary comes only after a pause: a form parser that spills
// file parts to disk holds its temporary file during the pause.
type slowMultipart struct {
	head, tail []byte
	n          int
	pause      time.Duration
	off        int
	paused     bool
}

func newSlowMultipart(n int, pause time.Duration) (*slowMultipart, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("identifier", "someone")
	_, _ = mw.CreateFormFile("secret", "big.bin")
	head := append([]byte(nil), b.Bytes()...)
	b.Reset()
	_ = mw.Close()
	return &slowMultipart{head: head, tail: append([]byte("\r\n"), b.Bytes()...), n: n, pause: pause}, mw.FormDataContentType()
}

func (s *slowMultipart) Len() int { return len(s.head) + s.n + len(s.tail) }

func (s *slowMultipart) Read(p []byte) (int, error) {
	switch {
	case s.off < len(s.head):
		n := copy(p, s.head[s.off:])
		s.off += n
		return n, nil
	case s.off < len(s.head)+s.n:
		k := min(len(p), len(s.head)+s.n-s.off)
		clear(p[:k])
		s.off += k
		return k, nil
	case !s.paused:
		s.paused = true
		time.Sleep(s.pause)
	}
	i := s.off - len(s.head) - s.n
	if i >= len(s.tail) {
		return 0, io.EOF
	}
	n := copy(p, s.tail[i:])
	s.off += n
	return n, nil
}

// TestFormPostsWriteNoTempFile: hostile multipart posts of 40 MB (above
// gin's 32 MiB in-memory form limit) to every kind of form route, with and
// without a session, are refused without ever writing a temporary file;
// oversized plain forms are refused with 413.
func TestFormPostsWriteNoTempFile(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "temp.files", "girafe brioche lampion fougère")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the server runs in this process: os.TempDir is now tmp

	var seen atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // watch the temp dir while the posts run
		defer wg.Done()
		for {
			if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
				seen.Store(ents[0].Name())
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	paths := []string{"/login", "/signup", "/recover", "/pro/login", "/links", "/account/recovery", "/sheet", "/lang", "/nowhere"}
	for _, p := range paths {
		for _, cl := range []*client{e.client(), owner} {
			body, ct := newSlowMultipart(40<<20, 300*time.Millisecond)
			req, _ := http.NewRequest("POST", e.srv.URL+p, body)
			req.ContentLength = int64(body.Len())
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Origin", e.srv.URL)
			if cl.csrf != "" {
				req.Header.Set("X-CSRF-Token", cl.csrf)
			}
			res, err := cl.hc.Do(req)
			if err != nil {
				t.Fatalf("POST %s: %v", p, err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Errorf("40 MB multipart POST %s: status %d, want a refusal", p, res.StatusCode)
			}
		}
	}
	// A plain form over the cap: 413, in the person's language.
	big := url.Values{"identifier": {strings.Repeat("a", 200<<10)}, "secret": {"x"}}
	r := e.client().send(t, request{method: "POST", path: "/login", body: strings.NewReader(big.Encode()), contentType: "application/x-www-form-urlencoded"})
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("200 KB form: status %d, want 413", r.status)
	}
	close(stop)
	wg.Wait()
	if name := seen.Load(); name != nil {
		t.Fatalf("a form post wrote a temporary file (%v)", name)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Fatalf("%d files left in the temp dir", len(ents))
	}
}

// TestUntrustedForwardedForWarns: behind a proxy Coffre was not told to
// trust, the first request carrying X-Forwarded-For logs one warning (no
// address in it); a trusted proxy logs none.
func TestUntrustedForwardedForWarns(t *testing.T) {
	const warning = "not a trusted proxy"
	e := newEnv(t, envOptions{rateLimits: highLimits})
	cl := e.client()
	cl.get(t, "/login")
	if strings.Contains(e.logs.String(), warning) {
		t.Fatal("warned without X-Forwarded-For")
	}
	cl.ip = "203.0.113.77"
	for range 3 {
		cl.get(t, "/login")
	}
	logs := e.logs.String()
	if n := strings.Count(logs, warning); n != 1 {
		t.Fatalf("%d warnings about an untrusted X-Forwarded-For, want 1", n)
	}
	if strings.Contains(logs, "203.0.113.77") {
		t.Fatal("the warning logged the client's address")
	}

	trusted := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	tc := trusted.client()
	tc.ip = "203.0.113.78"
	tc.get(t, "/login")
	if strings.Contains(trusted.logs.String(), warning) {
		t.Fatal("warned behind a trusted proxy")
	}
}
