package api

import (
	"github.com/coffre/coffre/vault"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Errors as pages: every HTML route answers an error with a page in the
// person's language, with the site's header, a plain explanation and a way
// forward; only /api/ answers JSON.

// ctxWebErrors marks a request of a page route: writeError then renders
// the error page (the value is the *server).
const ctxWebErrors = "coffre.web.errors"

// htmlErrors makes writeError answer with a page on the routes below it.
func (s *server) htmlErrors() gin.HandlerFunc {
	return func(c *gin.Context) { c.Set(ctxWebErrors, s) }
}

// isAPIPath reports a path of the JSON API (and its health checks).
func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || p == "/healthz" || p == "/readyz"
}

// webNoRoute answers unknown URLs and methods: a page for people, JSON for
// the API.
func (s *server) webNoRoute(r *gin.Engine) {
	page := func(err *apiError, title string) gin.HandlerFunc {
		return func(c *gin.Context) {
			if isAPIPath(c.Request.URL.Path) || strings.HasPrefix(c.Request.URL.Path, "/static/") {
				writeError(c, s.log, err)
				return
			}
			_ = s.loadSession(c) // the header shows the menu of whoever is signed in
			p := s.newPage(c, title)
			p.Error = err.message(p.L)
			if title == "error.notfoundtitle" {
				p.Error = p.L.T("error.notfound")
			}
			c.Set(ctxErrorCode, err.code)
			s.render(c, err.status, "error", p)
			c.Abort()
		}
	}
	r.NoRoute(page(errNotFound, "error.notfoundtitle"))
	r.NoMethod(page(newErr(http.StatusMethodNotAllowed, "method_not_allowed", "api.method_not_allowed.method_allowed_here"), "error.title"))
}

// sharingStopped answers a worker's page or download about a person who
// stopped sharing: "Awa stopped sharing with you on 4 December at 17:02",
// with ways forward (ask again, back to the list). It reports whether it
// answered.
func (s *server) sharingStopped(c *gin.Context, ownerID string) bool {
	end, err := s.v.SharingEnded(c.Request.Context(), principal(c), ownerID)
	if err != nil {
		return false
	}
	s.stoppedPage(c, end)
	return true
}

// stoppedPage says when and how the sharing ended.
func (s *server) stoppedPage(c *gin.Context, end vault.SharingEnd) {
	p := s.newPage(c, "stopped.title")
	p.Nav = "pro"
	l := p.L
	name := end.OwnerName
	if name == "" {
		name = l.T("pro.noname")
	}
	key := "stopped.text"
	if !end.Revoked {
		key = "stopped.expired"
	}
	p.Error = l.T(key, name, l.DateTime(end.At))
	p.Data = stoppedData{Stopped: true}
	c.Set(ctxErrorCode, "sharing_stopped")
	s.render(c, http.StatusGone, "error", p)
	c.Abort()
}

// stoppedData tells the error page to offer a worker's ways forward.
type stoppedData struct{ Stopped bool }

// workerDownload is the worker's "Télécharger": the paper, or a page that
// says why not (the person stopped sharing it).
func (s *server) workerDownload(c *gin.Context) {
	// This paper's sharing ended (even if she shares others still).
	if end, err := s.v.PaperSharingEnded(c.Request.Context(), principal(c), c.Param("owner"), c.Param("id")); err == nil {
		s.stoppedPage(c, end)
		return
	}
	s.downloadDocument(c)
}
