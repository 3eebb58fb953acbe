package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// The web interface: server-rendered pages for owners, helpers and social
// workers, phone first. Every page works without JavaScript for the basic
// flows; small scripts (static/*.js) enhance them. The Content-Security-Policy
// set in api.go forbids inline scripts and styles: every script and style is
// a file under /static, addressed by a content hash.

//go:embed templates/*.html
var templatesFS embed.FS

//go:embed static
var staticFS embed.FS

// asset is an embedded static file with its content hash.
type asset struct {
	body  []byte
	hash  string
	ctype string
}

var assets = mustLoadAssets()

// cssComment matches a stylesheet's comments (app.css has none inside a
// string).
var cssComment = regexp.MustCompile(`/\*[\s\S]*?\*/\n?`)

// jsLineComment matches a script's lines that are only a comment (the
// scripts have no template literal nor string continued over lines, so
// such a line is never inside a string).
var jsLineComment = regexp.MustCompile(`(?m)^[ \t]*//.*\n`)

func mustLoadAssets() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		if path.Ext(p) == ".css" {
			// Comments are for the team, not for a helper's data plan:
			// the helper's page weighs at most 100 KB (TestWebFlows).
			b = cssComment.ReplaceAll(b, nil)
		}
		if path.Ext(p) == ".js" {
			b = jsLineComment.ReplaceAll(b, nil)
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		out[strings.TrimPrefix(p, "static/")] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ctype: ct}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

// assetURL is the versioned URL of a static file: /static/<hash>/<name>.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("api: no static asset " + name)
	}
	return "/static/" + a.hash + "/" + name
}

// serveAsset serves a static file; a URL with the current hash is cached
// for a year (the hash changes with the content).
func serveAsset(c *gin.Context) {
	a, ok := assets[c.Param("name")]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	if c.Param("hash") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	c.Data(http.StatusOK, a.ctype, a.body)
}

// numeric reports whether an identifier is a number as typed (digits of
// any script, spaces, "+", ".", "-", parentheses): shown left to right
// character by character ("num"). Arabic-Indic digits are numbers of the
// right-to-left kind, so the Unicode bidirectional algorithm shows
// "٠٦ ١١ ٢٢" group by group from the right even inside dir="ltr";
// a pseudonym in Arabic letters must not be forced so.
func numeric(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case !strings.ContainsRune(" +.-()", r):
			return false
		}
	}
	return digits > 0
}

// icon is the inline reference to a pictogram of the sprite, hidden from
// screen readers (a word always stands next to it).
func icon(name string) template.HTML {
	// #nosec G203 -- both parts are escaped; names come from the templates or, for a kept page's
	// findings (c-<code>), from codes the vault checked to be [a-z0-9_-].
	return template.HTML(`<svg class="i" aria-hidden="true" focusable="false"><use href="` +
		template.HTMLEscapeString(assetURL("icons.svg")) + `#` + template.HTMLEscapeString(name) + `"></use></svg>`)
}

var pageTemplates = mustParsePages()

func mustParsePages() map[string]*template.Template {
	// formKey is a fresh idempotency key for a form whose second sending
	// must not make a second thing (a double tap on "make a link").
	funcs := template.FuncMap{"asset": assetURL, "icon": icon, "kindArgs": newKindArgs, "formKey": newSubmissionKey,
		"linkLabel": func(s string) string { return fitText(s, vault.MaxLabelLen) }, "numeric": numeric}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templatesFS, "templates/layout.html"))
	names, err := fs.Glob(templatesFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(templatesFS, n))
		out[base] = t
	}
	return out
}

// page is what every template receives.
type page struct {
	L loc
	// Title is the page's translated title.
	Title string
	// CSRF is the session's token for forms ("" without a session).
	CSRF string
	// Kind is "owner", "worker" or "" (no session; helpers).
	Kind string
	// Nav is the active section of the owner's or worker's menu.
	Nav string
	// Path is the current path, to come back after a language switch.
	Path string
	// Bare hides every navigation (the helper's page: nothing else is
	// reachable).
	Bare bool
	// Scripts are extra script assets for this page.
	Scripts []string
	// Notice and Error are messages shown on top of the page.
	Notice, Error string
	// SheetWaiting: a recovery sheet is waiting to be kept (web_sheet.go).
	SheetWaiting bool
	Data         any
	// Asks counts the owner's unanswered requests (a badge on her menu);
	// AskList holds them where she looks first ("Mes papiers").
	Asks    int
	AskList []vault.Request
	// RedoList holds the papers a worker asked her to redo, not done yet.
	RedoList []vault.Redo
	// New counts the owner's papers not opened yet (a badge on her menu);
	// Filed is the note of a filing just done, with its undo.
	New   int
	Filed *filedNote
	// Confirmed: the owner proved her secret in this session within
	// vault.ConfirmWindow, so forms that need it do not ask it again.
	Confirmed bool
	// Passkeys: the server offers passkeys (its public URL has a host
	// name); HasPasskeys: the signed-in person has at least one, so the
	// forms that need confirmation offer it by passkey too.
	Passkeys, HasPasskeys bool
	// Canonical: a page answering a form (a mistake to correct, shown
	// again) whose address also answers GET: the page's script makes its
	// history entry that GET, so that Back or a reload later shows the form
	// afresh instead of the browser's "resubmit the form?" page.
	Canonical string
	// ConfirmFailed: the secret typed to confirm was missing or wrong; the
	// page's script puts the message beside the secret field and the
	// cursor in it (the message on top may be screens away).
	ConfirmFailed bool
	// Action is the address the failed form was sent to (its action),
	// which tells the script which form's field it was.
	Action string
}

// newPage starts the template data of a page.
func (s *server) newPage(c *gin.Context, titleKey string) *page {
	l := webLang(c)
	p := &page{L: l, Title: l.T(titleKey), Path: c.Request.URL.Path}
	p.Passkeys = s.wa != nil
	if p.ConfirmFailed = c.GetBool(ctxConfirmFailed); p.ConfirmFailed {
		p.Action = c.Request.URL.Path
	}
	if pr := principal(c); pr != nil {
		p.Kind = string(pr.Kind())
		p.CSRF = session(c).CSRF
		p.Confirmed = pr.IsConfirmed()
		if pr.Kind() == vault.KindOwner {
			p.Asks, _ = s.v.PendingRequests(c.Request.Context(), pr)
			p.New, _ = s.v.NewPapers(c.Request.Context(), pr)
		}
		if p.Passkeys {
			creds, _ := s.v.PasskeyCredentials(c.Request.Context(), pr)
			p.HasPasskeys = len(creds) > 0
		}
	}
	if q := c.Request.URL.RawQuery; q != "" && !strings.HasPrefix(c.Request.URL.Path, dropPath) {
		p.Path += "?" + q
	}
	if !strings.HasPrefix(c.Request.URL.Path, "/sheet") && !strings.HasPrefix(c.Request.URL.Path, dropPath) {
		_, p.SheetWaiting = s.keptSheet(c)
	}
	if n := c.Query("done"); n != "" {
		if msg := l.T("done." + n); msg != "done."+n {
			p.Notice = msg
		}
	}
	return p
}

// render writes a page. Rendering happens in memory first, so that a
// template failure is a clean 500.
func (s *server) render(c *gin.Context, status int, name string, p *page) {
	t, ok := pageTemplates[name]
	if !ok {
		panic("api: no page template " + name)
	}
	if c.Request.Method == http.MethodPost && p.Canonical == "" && s.getRoutes[c.FullPath()] {
		p.Canonical = c.Request.URL.RequestURI()
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		s.log.Error("render page", "page", name, "err", err.Error())
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Header("Content-Language", p.L.Lang())
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}

// webError shows an error as a page, in the person's language, with the
// status writeError would give it.
func (s *server) webError(c *gin.Context, err error) {
	e := classify(err)
	logFailure(s.log, c, e, err)
	p := s.newPage(c, "error.title")
	p.Error = s.errorText(p.L, err)
	s.render(c, e.status, "error", p)
	c.Abort()
}

// errorText is the person-facing sentence for err.
func (s *server) errorText(l loc, err error) string {
	if m := l.conversionMessage(err); m != "" {
		return m
	}
	if m := l.secretAdvice(err); m != "" {
		return m
	}
	switch {
	case errors.Is(err, vault.ErrNoLink):
		return l.T("error.nolink")
	case errors.Is(err, vault.ErrPendingFull):
		return l.T("error.pendingfull")
	}
	e := classify(err)
	if e.retryAfter > 0 {
		return l.T("error.throttled", int(e.retryAfter.Round(time.Minute).Minutes())+1)
	}
	return e.message(l)
}

// registerPages mounts the web interface on the router (called by New).
func (s *server) registerPages(r *gin.Engine) {
	r.GET("/static/:hash/:name", serveAsset)
	r.GET("/sw.js", serveServiceWorker) // web_notify.go: Web Push, scope "/"
	r.GET("/lang", s.switchLang)

	// The helper's pages: no session is ever looked at.
	d := r.Group(dropPath+":token", s.sameOrigin(), s.limit(s.drop))
	d.GET("", s.webDrop)
	d.POST("", s.limit(s.dropPost), s.webDropForm)
	d.GET("/pending", s.webDropStatus)
	d.PUT("/pages/:n", s.webDropPage)
	d.DELETE("/pages/:n", s.webDropPageDelete)
	d.GET("/pages/:n/check", s.webDropCheck)
	d.POST("/send", s.limit(s.dropPost), s.webDropSend)

	p := r.Group("", s.htmlErrors(), s.sameOrigin(), s.webSession(), s.webCSRF())
	p.GET("/", s.webHome)
	p.HEAD("/", s.webHome)
	p.GET("/login", s.webLoginForm)
	p.POST("/login", s.limit(s.login), s.webLogin)
	p.GET("/signup", s.webSignupForm)
	p.POST("/signup", s.limit(s.login), s.webSignup)
	p.GET("/recover", s.webRecoverForm)
	p.POST("/recover", s.limit(s.login), s.webRecover)
	p.POST("/logout", s.webLogout)
	p.POST("/sheet", s.webSheet)
	s.sheetPages(p) // web_sheet.go
	p.GET("/pro/login", s.webWorkerLoginForm)
	p.POST("/pro/login", s.limit(s.login), s.webWorkerLogin)

	o := p.Group("", s.webRequire(vault.KindOwner), s.webSecretGate()) // secret_gate.go
	s.ownerPages(o)
	w := p.Group("/pro", s.webRequire(vault.KindWorker))
	s.workerPages(w)
	s.webNoRoute(r) // web_errors.go
}

// webSession resumes the session, if any, for every page.
func (s *server) webSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.loadSession(c); err != nil {
			s.webError(c, err)
		}
	}
}

// webCSRF checks the session's CSRF token on state-changing page requests
// with api's own check (the hidden `csrf` form field). Only the known
// upload routes (uploadRoutes) may carry it as the first part of a
// multipart form, which readUpload then checks.
func (s *server) webCSRF() gin.HandlerFunc {
	return s.csrf()
}

// webRequire sends people without a session of that kind to the right
// sign-in page.
func (s *server) webRequire(kind vault.RecipientKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		if p != nil && p.Kind() == kind {
			return
		}
		to := "/login"
		if kind == vault.KindWorker {
			to = "/pro/login"
		}
		if p == nil && safeMethod(c.Request.Method) {
			to += "?next=" + urlQueryEscape(c.Request.URL.Path)
		}
		c.Redirect(http.StatusSeeOther, to)
		c.Abort()
	}
}

// webHome sends each person to their own start page.
func (s *server) webHome(c *gin.Context) {
	if p := principal(c); p != nil {
		if p.Kind() == vault.KindWorker {
			c.Redirect(http.StatusSeeOther, "/pro")
		} else {
			c.Redirect(http.StatusSeeOther, "/papers")
		}
		return
	}
	s.render(c, http.StatusOK, "home", s.newPage(c, "home.title"))
}

// redirectDone goes to a page with a confirmation message key.
func redirectDone(c *gin.Context, to, done string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	c.Redirect(http.StatusSeeOther, to+sep+"done="+done)
}
