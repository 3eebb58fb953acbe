package api

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// Sharing with a code (share_codes.go): the worker's code on their page,
// and the owner's pages — typing a code, and the page its QR code opens,
// which names the worker and lets her tick what she shares.

// shareCodePages mounts the owner's pages (owner group).
func (s *server) shareCodePages(g *gin.RouterGroup) {
	g.GET("/share/code", s.webCodeEntry)
	g.GET(shareCodePath+":code", s.limit(s.login), s.webCodeShareForm)
	g.POST(shareCodePath+":code", s.limit(s.login), s.webShareWithCode)
}

// codeForm is what the owner chose on a code's page (kept when the page
// is shown again: a secret mistyped loses none of her ticks).
type codeForm struct {
	Docs, Types       map[string]bool
	Org               bool
	Days              int
	Purpose, ShowName string
}

// codeGroup is one category of types whose later papers she may share.
type codeGroup struct {
	ID    string
	Types []string
	// Open: one of its types is ticked.
	Open bool
}

// shareCodeData is the code pages' data: Code is "" on the page where a
// code is typed (Typed keeps what was typed).
type shareCodeData struct {
	Code   string
	Typed  string
	Target vault.ShareTarget
	Docs   []docRow
	Groups []codeGroup
	Days   []int
	Form   codeForm
}

// webCodeEntry is the page where the owner types a code; with ?code= it
// goes to that code's page.
func (s *server) webCodeEntry(c *gin.Context) {
	typed := c.Query("code")
	if typed == "" {
		s.renderCodeEntry(c, http.StatusOK, "", nil)
		return
	}
	code, err := vault.NormalizeShareCode(typed)
	if err != nil {
		s.renderCodeEntry(c, classify(err).status, typed, err)
		return
	}
	c.Redirect(http.StatusSeeOther, shareCodePath+code)
}

// renderCodeEntry shows the page to type a code, with fail on top.
func (s *server) renderCodeEntry(c *gin.Context, status int, typed string, fail error) {
	p := s.newPage(c, "sharecode.title")
	p.Nav = "share"
	if len(typed) > 64 {
		typed = ""
	}
	p.Data = shareCodeData{Typed: typed}
	if fail != nil {
		p.Error = s.errorText(p.L, fail)
		if e := classify(fail); e.retryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(int(e.retryAfter.Seconds())))
		}
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, status, "sharecode", p)
}

// webCodeShareForm is the page a code's QR code opens: who the code
// designates, the owner's papers to tick.
func (s *server) webCodeShareForm(c *gin.Context) {
	if c.GetHeader("Sec-Fetch-Site") == "cross-site" {
		// Opened from another site (a link in a web mail, or a page that
		// sends her browser here to burn her attempts: her session cookie
		// goes along; attacker's review): the code is not looked up until
		// she taps Continue on the page to type a code, filled in with it.
		// A scanned QR code or a typed address arrives as "none".
		s.renderCodeEntry(c, http.StatusOK, c.Param("code"), nil)
		return
	}
	s.renderCodeShare(c, http.StatusOK, codeForm{Days: 31}, nil)
}

// renderCodeShare looks the code up and shows its share form, with fail on
// top; a code that does not work shows the page to type one, saying why.
func (s *server) renderCodeShare(c *gin.Context, status int, f codeForm, fail error) {
	ctx, pr := c.Request.Context(), principal(c)
	raw := c.Param("code")
	t, err := s.v.LookupShareCode(ctx, pr, raw, c.ClientIP())
	if errors.Is(err, vault.ErrShareCodeUsed) {
		redirectDone(c, "/share", "shared") // a reload after sharing: it is done
		return
	}
	if err != nil {
		s.renderCodeEntry(c, classify(err).status, raw, err)
		return
	}
	code, _ := vault.NormalizeShareCode(raw)
	docs, err := s.v.List(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	d := shareCodeData{Code: code, Target: t, Days: vault.ConsentDays, Form: f}
	for i := len(docs) - 1; i >= 0; i-- { // newest first
		d.Docs = append(d.Docs, s.docRow(docs[i]))
	}
	for _, g := range typeGroups() {
		cg := codeGroup{ID: g.ID}
		for _, typ := range g.Types {
			if typ == "other" {
				continue // only ever shared paper by paper
			}
			cg.Types = append(cg.Types, typ)
			cg.Open = cg.Open || f.Types[typ]
		}
		if len(cg.Types) > 0 {
			d.Groups = append(d.Groups, cg)
		}
	}
	if d.Form.ShowName == "" && fail == nil {
		if prof, err := s.v.OwnerProfile(ctx, pr); err == nil {
			d.Form.ShowName = prof.DisplayName
		}
	}
	p := s.newPage(c, "sharecode.title")
	p.Nav = "share"
	who := t.WorkerName
	if t.OrgName != "" {
		who += ", " + t.OrgName
	}
	p.Title = p.L.T("sharecode.with", who)
	p.Data = d
	if fail != nil {
		p.Error = s.errorText(p.L, fail)
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, status, "sharecode", p)
}

// webShareWithCode shares exactly what the form shows ticked with the
// worker the code designates (or their organisation). Sharing widens who
// reads the vault: the owner confirms her secret in the form (webConfirm)
// unless she did within vault.ConfirmWindow.
func (s *server) webShareWithCode(c *gin.Context) {
	days, _ := strconv.Atoi(c.PostForm("days"))
	f := codeForm{
		Docs: map[string]bool{}, Types: map[string]bool{}, Org: c.PostForm("grantee") == "organisation", Days: days,
		Purpose: strings.TrimSpace(c.PostForm("purpose")), ShowName: strings.TrimSpace(c.PostForm("show_name")),
	}
	docs, types := c.PostFormArray("doc"), c.PostFormArray("future")
	for _, id := range docs {
		f.Docs[id] = true
	}
	for _, t := range types {
		f.Types[t] = true
	}
	fail := func(c *gin.Context, err error) { s.renderCodeShare(c, classify(err).status, f, err) }
	switch {
	case !slices.Contains(vault.ConsentDays, days):
		f.Days = 31
		fail(c, fieldErr("days", "api.days.choose_how_long"))
		return
	case len(f.Purpose) > vault.MaxPurposeLen || len(f.ShowName) > vault.MaxShowNameLen:
		f.Purpose, f.ShowName = "", ""
		fail(c, fieldErr("purpose", "api.purpose.text_too_long"))
		return
	case len(docs)+len(types) > 200:
		f.Docs, f.Types = nil, nil
		fail(c, fieldErr("documents", "api.documents.too_many_at_once"))
		return
	case len(docs)+len(types) == 0:
		fail(c, vault.ErrNothingChosen)
		return
	}
	if !s.webConfirm(c, fail) {
		return
	}
	purpose := f.Purpose // none typed: none stored (read in each reader's language)
	_, err := s.v.ShareWithCode(c.Request.Context(), principal(c), vault.CodeShare{
		Code: c.Param("code"), ClientIP: c.ClientIP(), Organisation: f.Org,
		Scope: vault.Scope{Documents: docs, Types: types}, Purpose: purpose, Days: days, ShowName: f.ShowName,
	})
	switch {
	case err == nil, errors.Is(err, vault.ErrShareCodeUsed): // a second tap: her share is made
		redirectDone(c, "/share", "shared")
	case errors.Is(err, vault.ErrNoShareCode), errors.Is(err, vault.ErrThrottled), errors.Is(err, vault.ErrShareCodeMalformed):
		s.renderCodeEntry(c, classify(err).status, c.Param("code"), err)
	case errors.Is(err, vault.ErrConfirmRequired), errors.Is(err, vault.ErrInvalid), errors.Is(err, vault.ErrNotFound):
		fail(c, err)
	default:
		s.webError(c, err)
	}
}

// codeView is a worker's live code on their page.
type codeView struct {
	Display, URL string
	// QR is the code's address as an inline SVG QR code.
	QR      template.HTML
	Expires time.Time
}

// keptCode is what the worker's code cookie holds.
type keptCode struct {
	Code string `json:"c"`
}

func (s *server) codeCookie() string {
	if s.secure {
		return "__Host-coffre-sharecode"
	}
	return "coffre-sharecode"
}

// webNewShareCode gives the worker a new code and shows it on their page
// (kept in a cookie sealed to the session: a reload shows it again, never
// makes another).
func (s *server) webNewShareCode(c *gin.Context) {
	sc, err := s.v.NewShareCode(c.Request.Context(), principal(c))
	if err != nil {
		s.webError(c, err)
		return
	}
	if err := s.setSealed(c, s.codeCookie(), keptCode{Code: sc.Code}, vault.ShareCodeTTL); err != nil {
		s.webError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/pro#share-code")
}

// webShareCodeLive answers the worker's page while it shows a code: 204
// while the code still works, 410 once it was used, expired or replaced
// (the page then reloads and shows who shared). It tells nothing else.
func (s *server) webShareCodeLive(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	var k keptCode
	if s.openSealed(c, s.codeCookie(), &k) {
		if _, ok := s.v.ShareCodeLive(c.Request.Context(), principal(c), k.Code); ok {
			c.Status(http.StatusNoContent)
			return
		}
	}
	c.Status(http.StatusGone)
}

// liveCode is the worker's code while it works (nil once used, expired or
// replaced).
func (s *server) liveCode(c *gin.Context) *codeView {
	var k keptCode
	if !s.openSealed(c, s.codeCookie(), &k) {
		return nil
	}
	sc, ok := s.v.ShareCodeLive(c.Request.Context(), principal(c), k.Code)
	if !ok {
		return nil
	}
	url := s.shareCodeURL(sc.Code)
	svg, err := qrSVG(url)
	if err != nil {
		return nil
	}
	// #nosec G203 -- our own encoder's output: numbers and fixed markup only.
	return &codeView{Display: sc.Display(), URL: url, QR: template.HTML(svg), Expires: sc.Expires}
}
