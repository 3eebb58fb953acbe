package api

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// Context keys.
const (
	ctxPrincipal   = "coffre.principal"
	ctxSession     = "coffre.session"
	ctxToken       = "coffre.token"
	ctxCSRFPending = "coffre.csrf.pending"
	// ctxCSRFChecked: the session's CSRF token was checked (header or form).
	ctxCSRFChecked = "coffre.csrf.checked"
)

// csrfHeader and csrfField carry the session's CSRF token.
const (
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf"
)

// principal is the logged-in principal of the request, nil if none.
func principal(c *gin.Context) *vault.Principal {
	p, _ := c.Get(ctxPrincipal)
	pp, _ := p.(*vault.Principal)
	return pp
}

func session(c *gin.Context) vault.Session {
	v, _ := c.Get(ctxSession)
	s, _ := v.(vault.Session)
	return s
}

// loadSession resumes the session named by the cookie, if any. A stale
// cookie is cleared; it never fails the request by itself.
func (s *server) loadSession(c *gin.Context) error {
	ck, err := c.Request.Cookie(s.cookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	p, sess, err := s.v.ResumeSession(c.Request.Context(), ck.Value)
	if err != nil {
		if isNoSession(err) {
			s.clearCookie(c)
			return nil
		}
		return err
	}
	c.Set(ctxPrincipal, p)
	c.Set(ctxSession, sess)
	c.Set(ctxToken, ck.Value)
	return nil
}

// optionalSession resumes a session when there is one.
func (s *server) optionalSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.loadSession(c); err != nil {
			writeError(c, s.log, err)
		}
	}
}

// requireSession refuses requests without a live session (401).
func (s *server) requireSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.loadSession(c); err != nil {
			writeError(c, s.log, err)
			return
		}
		if principal(c) == nil {
			writeError(c, s.log, errNoSession)
		}
	}
}

// requireKind refuses principals of another kind (403: the refusal says
// nothing about any particular document).
func (s *server) requireKind(kind vault.RecipientKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := principal(c); p == nil || p.Kind() != kind {
			writeError(c, s.log, errForbidden)
		}
	}
}

// safeMethod reports whether m never changes state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin refuses state-changing requests a browser made for another
// site: Sec-Fetch-Site must be same-origin (or none: typed by the person),
// else Origin, when present, must be the service's own. Clients that send
// neither (not browsers) cannot be driven by another site.
func (s *server) sameOrigin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if safeMethod(c.Request.Method) {
			return
		}
		if sfs := c.GetHeader("Sec-Fetch-Site"); sfs != "" {
			if sfs != "same-origin" && sfs != "none" {
				writeError(c, s.log, errBadOrigin)
			}
			return
		}
		if o := c.GetHeader("Origin"); o != "" && o != s.origin {
			writeError(c, s.log, errBadOrigin)
		}
	}
}

// noCrossSite refuses any request, reads included, that a browser made
// from another site (Sec-Fetch-Site cross-site or same-site): with a
// SameSite=Lax cookie, another site could otherwise make a logged-in
// browser download a document (journaled as a download) or an export.
// Typed or bookmarked URLs (none) and the service's own pages pass.
func (s *server) noCrossSite() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.GetHeader("Sec-Fetch-Site") {
		case "cross-site", "same-site":
			writeError(c, s.log, errBadOrigin)
		}
	}
}

// csrf checks the session's CSRF token on state-changing requests that
// carry a session: the X-CSRF-Token header, or for a multipart upload a
// `csrf` field sent as its first part (checked by the upload reader).
func (s *server) csrf() gin.HandlerFunc {
	return func(c *gin.Context) {
		if safeMethod(c.Request.Method) || principal(c) == nil {
			return
		}
		want := session(c).CSRF
		if got := c.GetHeader(csrfHeader); got != "" {
			if !tokenEqual(got, want) {
				writeError(c, s.log, errCSRF)
				return
			}
			c.Set(ctxCSRFChecked, true)
			return
		}
		switch {
		case hasMediaType(c.Request, "multipart/form-data") && sessionUploadRoute(c):
			c.Set(ctxCSRFPending, true)
		case hasMediaType(c.Request, "application/x-www-form-urlencoded"):
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody)
			if err := c.Request.ParseForm(); err != nil || !tokenEqual(c.Request.PostForm.Get(csrfField), want) {
				writeError(c, s.log, errCSRF)
				return
			}
			c.Set(ctxCSRFChecked, true)
		default:
			writeError(c, s.log, errCSRF)
		}
	}
}

// tokenEqual compares two tokens in constant time; an empty token never
// matches.
func tokenEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setSessionCookie hands the session token to the browser: HttpOnly,
// SameSite=Lax, Secure (and named __Host-coffre) on https, expiring with
// the session's absolute timeout.
func (s *server) setSessionCookie(c *gin.Context, token string, sess vault.Session) {
	maxAge := int(time.Until(sess.AbsoluteExpires).Seconds())
	if sess.AbsoluteExpires.IsZero() || maxAge <= 0 {
		maxAge = 0
	}
	// #nosec G124 -- Secure is set whenever the base URL is https; plain http
	// is only for a local run on 127.0.0.1 (browsers drop Secure cookies there).
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.cookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie removes the session cookie from the browser.
func (s *server) clearCookie(c *gin.Context) {
	// #nosec G124 -- same attributes as setSessionCookie
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}
