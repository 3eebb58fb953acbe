package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// server is a real Coffre server on 127.0.0.1: real SQLite, a local blob
// directory, the real handler, behind a switch that can cut page uploads.
type server struct {
	URL     string
	v       *vault.Service
	blobDir string
	cut     *cutter
	org     vault.Organisation
	// notify is the notification service (inbox; e-mail and Web Push
	// configured but never reached unless a test runs RunOnce).
	notify *notify.Service
	ahead  *atomic.Int64
	// drops loses the answers of the owner's "add a paper" submissions.
	drops *answerDropper
	// dbPath is the SQLite file (tests that tamper with it).
	dbPath string
}

const (
	workerEmail  = "morel@ccas-roubaix.test"
	workerSecret = "violon cerise tempete orange"
)

func newServer(t *testing.T) *server { return newServerNamed(t, "") }

// newServerNamed is newServer whose public URL names the host (e.g.
// "localhost": WebAuthn needs a domain, not an address); "" keeps the
// address.
func newServerNamed(t *testing.T, host string) *server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	pepper := bytes.Repeat([]byte{7}, 32)
	ms, err := meta.OpenSQLite(ctx, filepath.Join(dir, "coffre.db"), vault.RowKeyOption(pepper))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := local.New(blobDir)
	if err != nil {
		t.Fatalf("local.New: %v", err)
	}
	v, err := vault.New(vault.Config{
		Meta: ms, Blobs: blobs, Pepper: pepper,
		Scrypt: seal.ScryptParams{LogN: 10, AllowWeak: true},
	})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	ns, ahead := newNotify(t, v, ms)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	if host != "" {
		url = "http://" + net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	h, err := api.New(api.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Vault: v, BaseURL: url,
		RateLimits: api.RateLimits{LoginPerMinute: 600, LoginBurst: 100, DropPerMinute: 600, DropBurst: 200,
			DropUploadsPerMinute: 600, DropUploadBurst: 100},
		Notify: ns,
	})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	drops := &answerDropper{next: h}
	cut := &cutter{next: drops, created: map[int]int{}, repeated: map[int]int{}}
	srv := &http.Server{Handler: cut, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	org, key, err := v.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatalf("CreateOrganisation: %v", err)
	}
	if _, _, err := v.AddWorker(ctx, org.ID, workerEmail, "Mme Morel", []byte(workerSecret), false); err != nil {
		t.Fatalf("AddWorker: %v", err)
	}
	if _, err := v.ActivateMembers(ctx, org.ID, key); err != nil {
		t.Fatalf("ActivateMembers: %v", err)
	}
	return &server{URL: url, v: v, blobDir: blobDir, cut: cut, org: org, notify: ns, ahead: ahead, drops: drops, dbPath: filepath.Join(dir, "coffre.db")}
}

// cutter simulates a weak network on page uploads of the helper's page:
// it can cut one page's request in the middle of its body (nothing reaches
// the vault), and drop the response of another after the page was stored
// (the browser never hears of it). It counts what the server answered.
type cutter struct {
	next http.Handler

	mu sync.Mutex
	// cutBody and dropAnswer are page numbers to cut once (0: none).
	cutBody, dropAnswer int
	// created and repeated count, per page number, the answers "stored"
	// (201) and "already stored" (200).
	created, repeated map[int]int
	cuts              int
	// longest is the longest side, in pixels, of the largest page image
	// received, and biggest its size in bytes.
	longest int
	biggest int64
}

func (c *cutter) arm(cutBody, dropAnswer int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cutBody, c.dropAnswer = cutBody, dropAnswer
	c.created, c.repeated, c.cuts = map[int]int{}, map[int]int{}, 0
}

func (c *cutter) counts() (created, repeated map[int]int, cuts int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created, c.repeated, c.cuts
}

// largest reports the largest page received: its longest side and size.
func (c *cutter) largest() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.longest, c.biggest
}

func (c *cutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := 0
	if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/d/") {
		if i := strings.LastIndex(r.URL.Path, "/pages/"); i >= 0 {
			n, _ = strconv.Atoi(r.URL.Path[i+len("/pages/"):])
		}
	}
	if n == 0 {
		c.next.ServeHTTP(w, r)
		return
	}
	c.mu.Lock()
	cutBody, dropAnswer := c.cutBody == n, c.dropAnswer == n
	if cutBody {
		c.cutBody = 0
	}
	if dropAnswer {
		c.dropAnswer = 0
	}
	c.mu.Unlock()
	if !cutBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); err == nil {
			c.mu.Lock()
			c.longest = max(c.longest, cfg.Width, cfg.Height)
			c.biggest = max(c.biggest, int64(len(body)))
			c.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if cutBody {
		// Read part of the page, then the connection dies.
		_, _ = io.CopyN(io.Discard, r.Body, max(r.ContentLength/2, 1))
		c.hangUp(w)
		return
	}
	rec := &recorder{header: http.Header{}}
	c.next.ServeHTTP(rec, r)
	c.mu.Lock()
	switch rec.status {
	case http.StatusCreated:
		c.created[n]++
	case http.StatusOK:
		c.repeated[n]++
	}
	c.mu.Unlock()
	if dropAnswer {
		c.hangUp(w)
		return
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

func (c *cutter) hangUp(w http.ResponseWriter) {
	c.mu.Lock()
	c.cuts++
	c.mu.Unlock()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// recorder holds a response until the cutter decides to deliver it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// browser is one headless Chromium for the whole test, with one isolated
// browser context (cookies, storage, cache) per person.
type browser struct {
	// axeRuns counts the pages axe-core checked.
	axeRuns atomic.Int64
	t       *testing.T
	root    context.Context
	axe     string
	shot    string
}

func newBrowser(t *testing.T) *browser { t.Helper(); return newBrowserWith(t) }

// newBrowserWith is newBrowser with more command-line flags (a fake camera).
func newBrowserWith(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := testenv.Chromium(t)
	axePath := testenv.AxeCore(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(testenv.RepoRoot(), "testoutput", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(360, 740), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "fr-FR"), chromedp.Flag("accept-lang", "fr-FR,fr"),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, root: bctx, axe: string(axe), shot: shots}
}

// person is one browser context (an incognito-like profile) in one tab.
type person struct {
	b    *browser
	ctx  context.Context
	name string
	// bytes sums the encoded bytes of every response while counting.
	counting atomic.Bool
	bytes    atomic.Int64
}

func (b *browser) person(name string) *person {
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	p := &person{b: b, ctx: ctx, name: name}
	// The first run opens the tab, which lives as long as the context of
	// that run: no timeout on it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile)); err != nil {
		b.t.Fatalf("%s: open a tab: %v", name, err)
	}
	p.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	// Every uncaught script error fails the test: a handler that throws
	// after its first lines still shows what they did (a request said
	// before the error), so assertions on the screen alone miss it.
	var (
		errMu  sync.Mutex
		thrown []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventLoadingFinished:
			if p.counting.Load() {
				p.bytes.Add(int64(e.EncodedDataLength))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			errMu.Lock()
			thrown = append(thrown, fmt.Sprintf("%s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1))
			errMu.Unlock()
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() {
		errMu.Lock()
		defer errMu.Unlock()
		for _, e := range thrown {
			b.t.Errorf("%s: uncaught script error: %s", name, e)
		}
	})
	return p
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.b.t.Fatalf("%s: %v", p.name, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its JSON value into T.
func eval[T any](p *person, expr string) T {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.b.t.Fatalf("%s: eval %.80s: %v", p.name, expr, err)
	}
	return v
}

// poll waits until a JavaScript expression is true.
func (p *person) poll(expr string, timeout time.Duration) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))); err != nil {
		p.b.t.Fatalf("%s: waiting for %s: %v", p.name, expr, err)
	}
}

// waitFor waits until a JavaScript expression is true, across page loads
// (a script that navigates when it is done).
func (p *person) waitFor(expr string, timeout time.Duration) {
	p.b.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.b.t.Fatalf("%s: %s still false after %v", p.name, expr, timeout)
}

// open navigates and waits for the page.
func (p *person) open(url string) {
	p.b.t.Helper()
	p.do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main h1")))
}

// submit clicks a button that navigates and waits for the next page.
func (p *person) submit(sel string) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Minute)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		p.b.t.Fatalf("%s: submit %s: %v", p.name, sel, err)
	}
	p.do(chromedp.WaitReady(chromedp.CSS("main h1")))
}

func (p *person) fill(sel, value string) {
	p.b.t.Helper()
	p.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

func (p *person) text(sel string) string {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.b.t.Fatalf("%s: text %s: %v", p.name, sel, err)
	}
	return s
}

func (p *person) location() string {
	p.b.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.b.t.Fatal(err)
	}
	return loc
}

// screenshot saves the viewport as testoutput/screenshots/<name>.png.
func (p *person) screenshot(name string) {
	p.b.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(p.b.shot, name+".png"), png, 0o644); err != nil {
		p.b.t.Fatal(err)
	}
}

// axeViolation is what the test reports of an axe-core finding.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeViolations injects axe-core into the current page and runs the WCAG
// 2.1 A and AA rules.
func (p *person) axeViolations() []axeViolation {
	p.b.t.Helper()
	if !eval[bool](p, `typeof axe !== 'undefined'`) {
		eval[bool](p, p.b.axe+";true")
	}
	res := eval[string](p, `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(res), &vs); err != nil {
		p.b.t.Fatalf("axe result: %v", err)
	}
	p.b.axeRuns.Add(1)
	return vs
}

// axe fails the test on any serious or critical violation of the page.
func (p *person) axe(page string) {
	p.b.t.Helper()
	for _, v := range p.axeViolations() {
		if v.Impact == "serious" || v.Impact == "critical" {
			p.b.t.Errorf("axe: %s (%s): %s %s: %s", page, p.lang(), v.Impact, v.ID, v.Help+" "+fmt.Sprint(v.Nodes))
		} else {
			p.b.t.Logf("axe: %s (%s): %s %s: %s", page, p.lang(), v.Impact, v.ID, v.Help+" "+fmt.Sprint(v.Nodes))
		}
	}
}

func (p *person) lang() string { return eval[string](p, `document.documentElement.lang`) }

// check saves a screenshot of a page and runs axe on it in its language
// and, for a page that a GET can show again, in the other language too.
func (p *person) check(name string, again bool) {
	p.b.t.Helper()
	p.screenshot(name)
	p.axe(name)
	if !again {
		return
	}
	here := p.location()
	other := "en"
	if p.lang() == "en" {
		other = "fr"
	}
	sep := "?"
	if strings.Contains(here, "?") {
		sep = "&"
	}
	p.open(here + sep + "lang=" + other)
	if got := p.lang(); got != other {
		p.b.t.Errorf("%s: ?lang=%s gave a page in %q", name, other, got)
	}
	p.axe(name)
	p.open(here)
}
