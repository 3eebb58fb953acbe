package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

// TestMain removes the binary built for the package's tests.
// One PostgreSQL server serves every test of the package.
func TestMain(m *testing.M) {
	code := testenv.PostgresMain(m)
	testenv.RemoveCoffreBinary()
	os.Exit(code)
}

// coffreBinary builds cmd/coffre once per test binary.
func coffreBinary(t testing.TB) string { return testenv.CoffreBinary(t) }

// cluster is what several instances share: one PostgreSQL database, one
// MinIO bucket, one pepper file.
type cluster struct {
	t   *testing.T
	bin string
	env []string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	bin := coffreBinary(t)
	return &cluster{t: t, bin: bin, env: testenv.SharedCoffreEnv(t, bin, testenv.Postgres(t), testenv.MinIO(t))}
}

// baseEnv is the process environment without any COFFRE_* variable of the
// caller (serve refuses unknown ones) nor GOMEMLIMIT.
func baseEnv() []string { return testenv.CoffreEnv() }

// instance is one running `coffre serve` process.
type instance struct{ *testenv.CoffreProcess }

// start runs `coffre serve` on 127.0.0.1:0 with the cluster's settings plus
// extra COFFRE_* variables, and waits for its URL line (and its metrics
// URL when extra sets COFFRE_METRICS_ADDR).
func (c *cluster) start(name string, extra ...string) *instance {
	c.t.Helper()
	// Debug level: every log line the server can write is written, and
	// scanned for secrets by the tests (scanLogs).
	args := []string{"--data-dir", filepath.Join(c.t.TempDir(), "data"), "--log-level", "debug"}
	return &instance{testenv.StartCoffre(c.t, c.bin, name, args, append(append([]string(nil), c.env...), extra...))}
}

// terminate sends SIGTERM.
func (in *instance) terminate(t testing.TB) {
	t.Helper()
	if err := in.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// admin runs `coffre admin` on the cluster's database and bucket.
func (c *cluster) admin(stdin string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"admin", "--data-dir", filepath.Join(c.t.TempDir(), "data")}, args...)...)
	cmd.Env = append(baseEnv(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("coffre admin %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// orgWithWorker creates an organisation and an active worker.
func (c *cluster) orgWithWorker(email, name, secret string) {
	c.t.Helper()
	out := c.admin("", "create-org", "CCAS de Tourcoing")
	var orgID, key string
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "organisation: "); ok {
			orgID = v
		}
	}
	key = lines[len(lines)-1]
	if orgID == "" || key == "" {
		c.t.Fatalf("create-org printed %q", out)
	}
	keyFile := filepath.Join(c.t.TempDir(), "org-recovery-key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	c.admin(secret+"\n", "add-worker", "--org", orgID, "--email", email, "--name", name, "--recovery-key-file", keyFile)
}

// client is one browser talking to one instance at a time: the cookie jar
// is shared across instances, as behind a load balancer.
type client struct {
	hc   *http.Client
	csrf string
	// ip, when set, is sent as X-Forwarded-For (the instances trust
	// 127.0.0.1 as a proxy), so that clients stand for distinct addresses.
	ip string
}

func newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{hc: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d %q: %v", r.status, r.body, err)
	}
}

func (c *client) send(t testing.TB, in *instance, method, path, contentType string, body io.Reader) resp {
	t.Helper()
	r, err := c.trySend(in, method, path, contentType, body)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.Name, err)
	}
	return r
}

func (c *client) trySend(in *instance, method, path, contentType string, body io.Reader) (resp, error) {
	req, err := http.NewRequest(method, in.URL+path, body)
	if err != nil {
		return resp{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", in.URL)
		if c.csrf != "" {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	for _, ck := range res.Cookies() {
		seen.add(ck.Value)
	}
	for _, seg := range strings.Split(path, "/") {
		if len(seg) >= 32 { // drop-link tokens in paths
			seen.add(seg)
		}
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

func (c *client) get(t testing.TB, in *instance, path string) resp {
	t.Helper()
	return c.send(t, in, http.MethodGet, path, "", nil)
}

func (c *client) do(t testing.TB, in *instance, method, path string, v any) resp {
	t.Helper()
	var body io.Reader
	ct := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		seen.addJSON(b)
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.send(t, in, method, path, ct, body)
}

func want(t testing.TB, r resp, status int, what string) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %.300s", what, r.status, status, r.body)
	}
	return r
}

type session struct {
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	CSRFToken string `json:"csrf_token"`
}

func (c *client) signUpOwner(t testing.TB, in *instance, ident, secret string) string {
	t.Helper()
	var su struct {
		OwnerID string  `json:"owner_id"`
		Session session `json:"session"`
	}
	want(t, c.do(t, in, "POST", "/api/v1/signup", map[string]string{"identifier": ident, "secret": secret}), 201, "signup").json(t, &su)
	c.csrf = su.Session.CSRFToken
	seen.add(c.csrf)
	return su.OwnerID
}

func (c *client) loginWorker(t testing.TB, in *instance, email, secret string) session {
	t.Helper()
	var s session
	want(t, c.do(t, in, "POST", "/api/v1/workers/login", map[string]string{"email": email, "secret": secret}), 200, "worker login").json(t, &s)
	c.csrf = s.CSRFToken
	seen.add(c.csrf)
	return s
}

// part is a multipart field or, with file set, a page.
type part struct {
	name, value string
	file        bool
	data        []byte
}

func field(name, value string) part { return part{name: name, value: value} }
func page(data []byte) part         { return part{name: "page", file: true, data: data} }

func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i, p := range parts {
		if !p.file {
			if p.name == "title" || p.name == "label" {
				seen.add(p.value)
			}
			if err := mw.WriteField(p.name, p.value); err != nil {
				t.Fatal(err)
			}
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="photo-%d.jpg"`, p.name, i))
		h.Set("Content-Type", "image/jpeg")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

func (c *client) upload(t testing.TB, in *instance, path string, parts ...part) resp {
	t.Helper()
	b, ct := multipartBody(t, parts...)
	return c.send(t, in, http.MethodPost, path, ct, bytes.NewReader(b))
}

// photo is a synthetic page photo: a light sheet with dark text lines on a
// brown table.
func photo(t testing.TB, w, h int, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{96, 66, 42, 255}
			if x > w/10 && x < w*9/10 && y > h/12 && y < h*11/12 {
				c = color.RGBA{232, 232, 226, 255}
				if (y/(h/40))%2 == 1 && y > h/6 && (x+seed*7)%(w/5) < w/6 {
					c = color.RGBA{30, 30, 35, 255}
				}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
