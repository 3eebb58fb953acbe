package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/s3"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// clock is the vault's injected clock (consents, links and sessions expire
// by it).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects the server's slog output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a Coffre server over real HTTP on real SQLite and a real MinIO.
type env struct {
	blobs   blob.Store
	t       *testing.T
	handler http.Handler
	srv     *httptest.Server
	v       *vault.Service
	clock   *clock
	logs    *logBuffer
	dataDir string
	org     vault.Organisation
	orgKey  string
	// notify is the notification service behind the inbox routes (attached
	// to the vault's journal; e-mail and Web Push configured, never reached
	// unless a test runs notify.RunOnce).
	notify *notify.Service
	// mio is the MinIO server behind blobs.
	mio *testenv.MinIOServer
	// meta is the metadata store; pgURL its PostgreSQL database ("" on
	// SQLite, whose file is dataDir/coffre.db).
	meta  *meta.DB
	pgURL string
	// base is the public URL (BaseURL): the server's own origin.
	base string
}

type envOptions struct {
	limits     api.Limits
	rateLimits api.RateLimits
	// trustProxy makes the server believe X-Forwarded-For from 127.0.0.1,
	// so that clients can stand for distinct IPs (client.ip).
	trustProxy bool
	// openStore and ownerBuckets go to vault.Config (bring your own
	// bucket; storage_test.go).
	openStore    func(ctx context.Context, t vault.StorageTarget) (blob.Store, error)
	ownerBuckets bool
	// postgres keeps the metadata in a fresh PostgreSQL database instead
	// of SQLite.
	postgres bool
	// scryptLogN, when set, replaces the tests' cheap scrypt cost (10):
	// timing tests need the secret derivation to dominate.
	scryptLogN int
	// named makes the public URL http://localhost:<port> (a host name:
	// WebAuthn needs one; passkeys are off on an address).
	named bool
}

var testPepper = bytes.Repeat([]byte{0x5a}, 32)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := testCtx(t)
	dataDir := t.TempDir()
	var ms *meta.DB
	pgURL := ""
	if o.postgres {
		pgURL = testenv.Postgres(t).NewDatabase(t)
		pg, err := meta.OpenPostgres(ctx, pgURL, vault.RowKeyOption(testPepper))
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		ms = pg.DB
	} else {
		sq, err := meta.OpenSQLite(ctx, filepath.Join(dataDir, "coffre.db"), vault.RowKeyOption(testPepper))
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		ms = sq.DB
	}
	t.Cleanup(func() { _ = ms.Close() })
	mio := testenv.MinIO(t)
	blobs, err := s3.New(ctx, s3.Config{
		Endpoint: mio.Endpoint, AccessKey: mio.AccessKey, SecretKey: mio.SecretKey, Bucket: mio.NewBucket(t),
	})
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	clk := &clock{t: time.Now().UTC()}
	logN := 10
	if o.scryptLogN > 0 {
		logN = o.scryptLogN
	}
	v, err := vault.New(vault.Config{
		Meta: ms, Blobs: blobs, Pepper: testPepper,
		Scrypt: seal.ScryptParams{LogN: logN, AllowWeak: true}, Now: clk.Now,
		OpenStore: o.openStore, OwnerBuckets: o.ownerBuckets,
	})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	ns := newNotify(t, v, ms, clk)
	logs := &logBuffer{}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(watchLogs(t, logs, func() http.Handler { return h }))
	t.Cleanup(srv.Close)
	var proxies []string
	if o.trustProxy {
		proxies = []string{"127.0.0.1"}
	}
	base := srv.URL
	if o.named {
		base = strings.Replace(srv.URL, "//127.0.0.1:", "//localhost:", 1)
	}
	h, err = api.New(api.Config{
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Vault:  v, Converter: &converter.Converter{MaxConcurrent: 2},
		BaseURL: base, Limits: o.limits, RateLimits: o.rateLimits,
		TrustedProxies: proxies, Notify: ns,
	})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	org, key, err := v.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatalf("CreateOrganisation: %v", err)
	}
	return &env{blobs: blobs, t: t, handler: h, srv: srv, v: v, clock: clk, logs: logs, dataDir: dataDir, org: org, orgKey: key, notify: ns, mio: mio,
		meta: ms, pgURL: pgURL, base: base}
}

// highLimits keeps the per-IP rate limits out of the way of tests that are
// not about them.
var highLimits = api.RateLimits{
	LoginPerMinute: 100000, LoginBurst: 100000, DropPerMinute: 100000, DropBurst: 100000,
	DropUploadsPerMinute: 100000, DropUploadBurst: 100000,
}

// worker creates a worker of the env's organisation.
func (e *env) worker(email, name, secret string) string {
	e.t.Helper()
	id, _, err := e.v.AddWorker(testCtx(e.t), e.org.ID, email, name, []byte(secret), false)
	if err != nil {
		e.t.Fatalf("AddWorker: %v", err)
	}
	return id
}

// client is one browser: its own cookie jar and CSRF token.
type client struct {
	e    *env
	hc   *http.Client
	csrf string
	lang string
	// origin, when set, is sent as the Origin header of unsafe requests
	// (as a browser would).
	origin string
	// ip, when set, is sent as X-Forwarded-For.
	ip string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, Timeout: 3 * time.Minute}, origin: e.base}
}

// resp is a response read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d response %q: %v", r.status, truncate(r.body), err)
	}
}

func (r resp) errMessage(t testing.TB) string {
	var b struct {
		Error struct{ Code, Message string }
	}
	r.json(t, &b)
	return b.Error.Message
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// request is one HTTP request to build.
type request struct {
	method, path string
	body         io.Reader
	contentType  string
	header       map[string]string
	noCSRF       bool
}

func (c *client) send(t testing.TB, rq request) resp {
	t.Helper()
	if n, ok := rq.header["X-Declared-Length"]; ok {
		return c.sendDeclared(t, rq, n)
	}
	req, err := http.NewRequest(rq.method, c.e.srv.URL+rq.path, rq.body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	unsafe := rq.method != http.MethodGet && rq.method != http.MethodHead
	if unsafe && c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if unsafe && c.csrf != "" && !rq.noCSRF {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", rq.method, rq.path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: body}
}

func (c *client) get(t testing.TB, path string) resp {
	t.Helper()
	return c.send(t, request{method: http.MethodGet, path: path})
}

// do sends v as JSON (nil: no body).
func (c *client) do(t testing.TB, method, path string, v any) resp {
	t.Helper()
	rq := request{method: method, path: path}
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rq.body, rq.contentType = bytes.NewReader(b), "application/json"
	}
	return c.send(t, rq)
}

// want fails unless r has the status.
func want(t testing.TB, r resp, status int, what string) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, truncate(r.body))
	}
	return r
}

// session is the JSON of a session.
type session struct {
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	Name      string `json:"name"`
	CSRFToken string `json:"csrf_token"`
}

// loginOwner logs the client in as an owner.
func (c *client) loginOwner(t testing.TB, identifier, secret string) session {
	t.Helper()
	r := want(t, c.do(t, http.MethodPost, "/api/v1/login", map[string]string{"identifier": identifier, "secret": secret}), 200, "owner login")
	var s session
	r.json(t, &s)
	c.csrf = s.CSRFToken
	return s
}

// reauth confirms the owner's session with her secret (POST /reauth):
// granting, accepting and the other sensitive actions need it.
func (c *client) reauth(t testing.TB, secret string) {
	t.Helper()
	want(t, c.do(t, http.MethodPost, "/api/v1/reauth", map[string]string{"secret": secret}), 200, "reauth")
}

func (c *client) loginWorker(t testing.TB, email, secret string) session {
	t.Helper()
	r := want(t, c.do(t, http.MethodPost, "/api/v1/workers/login", map[string]string{"email": email, "secret": secret}), 200, "worker login")
	var s session
	r.json(t, &s)
	c.csrf = s.CSRFToken
	return s
}

// part is one multipart part: a field (file == false) or a page.
type part struct {
	name, value string
	file        bool
	data        []byte
}

func multipartBody(t testing.TB, parts ...part) (io.Reader, string) {
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
	return &b, mw.FormDataContentType()
}

func (c *client) upload(t testing.TB, path string, parts ...part) resp {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return c.send(t, request{method: http.MethodPost, path: path, body: body, contentType: ct})
}

func page(data []byte) part { return part{name: "page", file: true, data: data} }

func field(name, value string) part { return part{name: name, value: value} }

// photo is a synthetic phone photo of a document page: a white sheet with
// text-like strokes, slightly turned, on a brown table.
func photo(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 7))
	x0, y0 := float64(w)*0.12, float64(h)*0.08
	x1, y1 := float64(w)*0.88, float64(h)*0.93
	skew := float64(w) * 0.02
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			shift := skew * (fy - y0) / (y1 - y0)
			o := img.PixOffset(x, y)
			if fx >= x0+shift && fx <= x1+shift && fy >= y0 && fy <= y1 {
				v := uint8(235 - 20*fy/float64(h))
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = v, v, v-4
			} else {
				n := uint8(r.IntN(12))
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 92+n, 64+n, 40+n
			}
			img.Pix[o+3] = 255
		}
	}
	lineH := max(4, h/60)
	for ly := int(y0) + 3*lineH; ly < int(y1)-3*lineH; ly += 2 * lineH {
		x := int(x0) + w/12
		for x < int(x1)-w/12 {
			word := lineH/2 + r.IntN(lineH*3)
			for yy := ly; yy < ly+lineH*2/3; yy++ {
				shift := int(skew * (float64(yy) - y0) / (y1 - y0))
				for xx := x + shift; xx < x+shift+word && xx < w; xx++ {
					o := img.PixOffset(xx, yy)
					img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 30, 30, 35
				}
			}
			x += word + lineH
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfPages counts the pages of a PDF (failing the test if it is not one).
func pdfPages(t testing.TB, b []byte) int {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", truncate(b))
	}
	n, err := pdfapi.PageCount(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatalf("PageCount: %v", err)
	}
	return n
}

// containsAny returns the first needle found in hay.
func containsAny(hay string, needles map[string]string) (string, bool) {
	for what, n := range needles {
		if n != "" && strings.Contains(hay, n) {
			return what, true
		}
	}
	return "", false
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// apiRoutes lists the JSON API's routes ("GET /api/v1/documents/:id") and
// the health checks.
func (e *env) apiRoutes() []string {
	var out []string
	for _, r := range e.handler.(interface{ Routes() gin.RoutesInfo }).Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/healthz" || r.Path == "/readyz" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// sendDeclared writes a request whose Content-Length header claims n bytes
// over a raw connection (net/http's client refuses to lie), sends only the
// start of the body, and reads the answer.
func (c *client) sendDeclared(t testing.TB, rq request, n string) resp {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %s\r\n",
		rq.method, rq.path, strings.TrimPrefix(c.e.srv.URL, "http://"), rq.contentType, n)
	if c.csrf != "" && !rq.noCSRF {
		fmt.Fprintf(&b, "X-CSRF-Token: %s\r\n", c.csrf)
	}
	for _, ck := range c.hc.Jar.Cookies(mustURL(c.e.srv.URL)) {
		fmt.Fprintf(&b, "Cookie: %s=%s\r\n", ck.Name, ck.Value)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1024)
	k, _ := io.ReadFull(rq.body, head)
	_, _ = conn.Write(head[:k])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to a declared length: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: body}
}

// payloads counts the encrypted payloads in the blob store.
func (e *env) payloads(t testing.TB) int {
	t.Helper()
	n := 0
	if err := e.blobs.List(testCtx(t), "", func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// newNotify is a notification service on the env's database and clock, with
// e-mail (to a closed local port) and Web Push configured so that addresses
// of both kinds are accepted, attached to the vault's journal.
func newNotify(t *testing.T, v *vault.Service, ms *meta.DB, clk *clock) *notify.Service {
	t.Helper()
	mail, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: 9, Security: notify.SMTPPlain, From: "Coffre <no-reply@coffre.example>"})
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	key, err := notify.GenerateVAPIDKey()
	if err != nil {
		t.Fatalf("GenerateVAPIDKey: %v", err)
	}
	push, err := notify.NewWebPush(notify.WebPushConfig{Key: key, Subscriber: "mailto:ops@coffre.example"})
	if err != nil {
		t.Fatalf("NewWebPush: %v", err)
	}
	ns, err := notify.New(notify.Config{
		Vault: v, Store: ms, BaseURL: "https://coffre.example", Now: clk.Now,
		Channels: map[notify.Channel]notify.Notifier{notify.ChannelEmail: mail, notify.ChannelPush: push},
	})
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	v.SetEventSink(ns)
	return ns
}
