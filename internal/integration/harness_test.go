package integration

import (
	"bufio"
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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// TestMain removes the binary built for the package's tests.
// One PostgreSQL server serves every test of the package.
func TestMain(m *testing.M) {
	code := testenv.PostgresMain(m)
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// coffreBinary builds cmd/coffre once per test binary.
func coffreBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "coffre-integration-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "coffre")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/coffre/coffre/cmd/coffre")
		cmd.Dir = testenv.RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		fmt.Fprintf(os.Stderr, "integration: built coffre in %s\n", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

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
	dbURL := testenv.Postgres(t).NewDatabase(t)
	mio := testenv.MinIO(t)
	bucket := mio.NewBucket(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "s3-secret")
	if err := os.WriteFile(secretFile, []byte(mio.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pepper := filepath.Join(dir, "pepper.key")
	if out, err := exec.Command(bin, "init-pepper", "--pepper-file", pepper).CombinedOutput(); err != nil {
		t.Fatalf("init-pepper: %v\n%s", err, out)
	}
	return &cluster{t: t, bin: bin, env: []string{
		"COFFRE_DATABASE_URL=" + dbURL,
		"COFFRE_S3_ENDPOINT=" + mio.Endpoint,
		"COFFRE_S3_BUCKET=" + bucket,
		"COFFRE_S3_ACCESS_KEY=" + mio.AccessKey,
		"COFFRE_S3_SECRET_KEY_FILE=" + secretFile,
		"COFFRE_PEPPER_FILE=" + pepper,
		"COFFRE_SCRYPT_LOG_N=15",
		"COFFRE_TRUSTED_PROXIES=127.0.0.1",
	}}
}

// baseEnv is the process environment without any COFFRE_* variable of the
// caller (serve refuses unknown ones).
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COFFRE_") {
			out = append(out, kv)
		}
	}
	return out
}

// instance is one running `coffre serve` process.
type instance struct {
	name string
	URL  string
	// MetricsURL is the metrics listener's URL when one was asked for.
	MetricsURL string
	cmd        *exec.Cmd
	stderr     *syncBuffer
	done       chan struct{}
	exitErr    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs `coffre serve` on 127.0.0.1:0 with the cluster's settings plus
// extra COFFRE_* variables, and waits for its URL line.
func (c *cluster) start(name string, extra ...string) *instance {
	t := c.t
	t.Helper()
	cmd := exec.Command(c.bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"), "--log-level", "warn")
	cmd.Env = append(append(baseEnv(), c.env...), extra...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = in.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { in.exitErr = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		select {
		case <-in.done:
		default:
			_ = cmd.Process.Kill()
			<-in.done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, in.stderr.String())
		}
	})
	deadline := time.After(60 * time.Second)
	for in.URL == "" || (in.MetricsURL == "" && hasMetrics(extra)) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s exited before listening: %s", name, in.stderr.String())
			}
			if u, ok := strings.CutPrefix(l, "Coffre is listening on "); ok {
				in.URL = strings.TrimSpace(u)
			}
			if u, ok := strings.CutPrefix(l, "Metrics are served on "); ok {
				in.MetricsURL = strings.TrimSpace(u)
			}
		case <-deadline:
			t.Fatalf("%s did not print its URL: %s", name, in.stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return in
}

func hasMetrics(extra []string) bool {
	for _, kv := range extra {
		if strings.HasPrefix(kv, "COFFRE_METRICS_ADDR=") && kv != "COFFRE_METRICS_ADDR=" {
			return true
		}
	}
	return false
}

// terminate sends SIGTERM.
func (in *instance) terminate(t testing.TB) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
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
		t.Fatalf("%s %s on %s: %v", method, path, in.name, err)
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
	return su.OwnerID
}

func (c *client) loginWorker(t testing.TB, in *instance, email, secret string) session {
	t.Helper()
	var s session
	want(t, c.do(t, in, "POST", "/api/v1/workers/login", map[string]string{"email": email, "secret": secret}), 200, "worker login").json(t, &s)
	c.csrf = s.CSRFToken
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
