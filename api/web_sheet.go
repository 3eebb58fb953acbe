package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/internal/keyboard"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// The recovery sheet, shown after a POST (sign-up, recovery, a new code) by
// a redirect to GET /sheet, so that a reload or a phone restoring the tab
// shows it again instead of posting twice. Until the person confirms they
// kept the code (by typing its last four characters), the sheet lives in a
// cookie of their session, sealed by the vault to the pepper and the
// session token together (vault.SealOnce): never in clear, never in the
// database; signing out, or confirming, ends it.

// sheetMaxAge bounds how long an unconfirmed sheet stays reachable.
const sheetMaxAge = 24 * time.Hour

// sheetShownFor is how long after it was made the code itself is shown
// again (a reload, a phone restoring the tab while she copies it, the
// sheet saved as a PDF). Later, the session's cookies alone must not give
// it away: whoever holds them (a borrowed phone, a shared computer left
// signed in) would take the vault with it (POST /api/v1/recover). The
// sheet then only asks for its last four characters, or offers a new
// sheet, which needs her secret.
const sheetShownFor = 15 * time.Minute

// sheetShown reports whether sd's code may be shown now.
func (s *server) sheetShown(sd sheetData) bool {
	if sd.Made.IsZero() {
		return false
	}
	age := s.v.Now().Sub(sd.Made)
	return age >= -time.Minute && age < sheetShownFor
}

// sheetView is the sheet page: the sheet, its code left out once Locked.
type sheetView struct {
	sheetData
	Locked bool
}

func (s *server) sheetPages(p *gin.RouterGroup) {
	p.GET("/sheet", s.webSheetPage)
	p.GET("/sheet/pdf", s.webSheetPDF)
	p.POST("/sheet/kept", s.webSheetKept)
}

// sheetCookie names the cookie holding an unconfirmed sheet.
func (s *server) sheetCookie() string {
	if s.secure {
		return "__Host-coffre-sheet"
	}
	return "coffre-sheet"
}

// showSheet keeps the sheet for this session and redirects to it.
func (s *server) showSheet(c *gin.Context, sd sheetData) {
	sd.Made = s.v.Now()
	if err := s.setSealed(c, s.sheetCookie(), sd, sheetMaxAge); err != nil {
		s.webError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/sheet")
}

// keptSheet opens this session's unconfirmed sheet; ok=false when there is
// none (confirmed, expired, another session).
func (s *server) keptSheet(c *gin.Context) (sheetData, bool) {
	var sd sheetData
	if !s.openSealed(c, s.sheetCookie(), &sd) || sd.Code == "" {
		return sheetData{}, false
	}
	return sd, true
}

func (s *server) clearSheet(c *gin.Context) { s.clearSealed(c, s.sheetCookie()) }

// setSealed keeps v (JSON) in a cookie sealed to this request's session.
func (s *server) setSealed(c *gin.Context, name string, v any, maxAge time.Duration) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := s.v.SealOnce(c.GetString(ctxToken), plain)
	wipe(plain)
	if err != nil {
		return err
	}
	// #nosec G124 -- Secure whenever the base URL is https, as the session cookie
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		MaxAge: int(maxAge.Seconds()), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// openSealed opens what setSealed kept for this session into v.
func (s *server) openSealed(c *gin.Context, name string, v any) bool {
	ck, err := c.Request.Cookie(name)
	if err != nil || ck.Value == "" || principal(c) == nil {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return false
	}
	plain, err := s.v.OpenOnce(c.GetString(ctxToken), sealed)
	if err != nil {
		return false
	}
	defer wipe(plain)
	return json.Unmarshal(plain, v) == nil
}

func (s *server) clearSealed(c *gin.Context, name string) {
	// #nosec G124 -- same attributes as setSealed
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// sheetHome is where a person without a sheet to show goes.
func sheetHome(c *gin.Context) string {
	if pr := principal(c); pr != nil && pr.Kind() == vault.KindWorker {
		return "/pro"
	}
	return "/papers"
}

// webSheetPage shows the unconfirmed sheet (again, on a reload).
func (s *server) webSheetPage(c *gin.Context) {
	if principal(c) == nil {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	sd, ok := s.keptSheet(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, sheetHome(c))
		return
	}
	s.renderSheet(c, http.StatusOK, sd, "")
}

func (s *server) renderSheet(c *gin.Context, status int, sd sheetData, errKey string) {
	p := s.newPage(c, "sheet.title")
	if sd.Next == "/account" {
		p.Nav = "account"
	}
	if errKey != "" {
		p.Error = p.L.T(errKey)
	}
	if sd.NoticeKey != "" {
		p.Notice = p.L.T(sd.NoticeKey)
	}
	c.Header("Cache-Control", "no-store")
	v := sheetView{sheetData: sd}
	if !s.sheetShown(sd) {
		v.Locked, v.Code, v.Groups = true, "", nil
	}
	p.Data = v
	p.Canonical = "/sheet"
	s.render(c, status, "sheet", p)
}

// webSheetPDF downloads the sheet as a PDF, to keep on the phone.
func (s *server) webSheetPDF(c *gin.Context) {
	sd, ok := s.keptSheet(c)
	if !ok || !s.sheetShown(sd) {
		c.Redirect(http.StatusSeeOther, "/sheet")
		return
	}
	code, err := seal.ParseRecoveryCode(sd.Code)
	if err != nil {
		s.webError(c, err)
		return
	}
	l := webLang(c)
	var buf bytes.Buffer
	shown := sd.Shown
	if shown == "" {
		shown = sd.Identifier
	}
	if err := l.recoverySheet(&buf, shown, code); err != nil {
		s.webError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="`+l.T("sheet.filename")+`"`)
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// webSheetKept ends the sheet once the person typed the code's last four
// characters (proof they have it written or saved).
func (s *server) webSheetKept(c *gin.Context) {
	sd, ok := s.keptSheet(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, sheetHome(c))
		return
	}
	if !lastFourMatch(sd.Code, c.PostForm("last4")) {
		s.renderSheet(c, http.StatusUnprocessableEntity, sd, "sheet.last4wrong")
		return
	}
	s.clearSheet(c)
	redirectDone(c, sd.Next, "sheetkept")
}

// lastFourMatch compares the last four characters of a code with what was
// typed, ignoring case, spaces and dashes, and
// reading O as 0 and I or L as 1 (the code's alphabet has neither).
func lastFourMatch(code, typed string) bool {
	clean := func(v string) string {
		return strings.Map(func(r rune) rune {
			switch r {
			case '-', ' ':
				return -1
			case 'O':
				return '0'
			case 'I', 'L':
				return '1'
			}
			return r
		}, strings.ToUpper(strings.TrimSpace(v)))
	}
	c, t := clean(code), clean(keyboard.String(typed))
	return len(c) >= 4 && len(t) == 4 && tokenEqual(c[len(c)-4:], t)
}
