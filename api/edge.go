package api

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gin-gonic/gin"
)

// The edge: what every request passes before any handler. Cross-origin
// requests are refused first (net/http's CrossOriginProtection), then the
// body is bounded: only the known upload routes may send a large or
// multipart body (read by readUpload, in memory, never spilled to disk);
// every other route gets at most maxFormBody, and a multipart body is
// refused outright, so that gin's PostForm never parses one (it would write
// file parts of any size to the temporary directory).

// maxFormBody bounds the body of every route that is not an upload.
const maxFormBody = maxJSONBody

// uploadRoute is a route whose handler reads a large body itself.
type uploadRoute struct {
	// multipart: the body is multipart/form-data read by readUpload.
	multipart bool
	// session: the route may carry a session, whose CSRF token then rides
	// as the first multipart part (checked by readUpload).
	session bool
}

// uploadRoutes are the routes allowed a large body, by method and route
// template. Every other route is capped at maxFormBody.
var uploadRoutes = map[string]uploadRoute{
	"POST /api/v1/documents":              {multipart: true, session: true},
	"POST /papers/add":                    {multipart: true, session: true},
	"POST /api/v1/drop/:token/pages":      {multipart: true},
	"POST " + dropPath + ":token":         {multipart: true},
	"PUT " + dropPath + ":token/pages/:n": {}, // one page, raw, capped by the handler
	"POST /papers/check":                  {}, // one page, raw, capped by the handler (capture.go)
}

// routeKey is the uploadRoutes key of the request's route.
func routeKey(c *gin.Context) string { return c.Request.Method + " " + c.FullPath() }

// sessionUploadRoute reports whether the request's route is an upload that
// may defer its CSRF check to the multipart body.
func sessionUploadRoute(c *gin.Context) bool {
	r, ok := uploadRoutes[routeKey(c)]
	return ok && r.multipart && r.session
}

// crossOrigin refuses, before anything else, a state-changing request a
// browser sent from another origin (Sec-Fetch-Site, else Origin against
// Host, as net/http.CrossOriginProtection decides); the service's own base
// origin is trusted even when a proxy rewrites Host.
func (s *server) crossOrigin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(s.origin); err != nil {
		panic("api: base origin " + err.Error()) // newServer checked the base URL
	}
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			s.edgeError(c, errBadOrigin)
		}
	}
}

// bodyPolicy bounds request bodies: upload routes keep theirs (their
// handlers cap them); any other route refuses multipart bodies and reads at
// most maxFormBody, a form body being parsed here at once so that an
// oversized one is a clear 413 rather than empty fields.
func (s *server) bodyPolicy() gin.HandlerFunc {
	return func(c *gin.Context) {
		// A copy of the request carries the wrapped body: net/http keeps
		// its own, whose type tells it whether to drain what the handler
		// left unread or to close the connection.
		r := new(http.Request)
		*r = *c.Request
		c.Request = r
		up, isUpload := uploadRoutes[routeKey(c)]
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/") || strings.HasPrefix(mt, "multipart/") {
			if !isUpload || !up.multipart {
				s.edgeError(c, errNotMultipart)
				return
			}
		}
		if r.Body != nil && r.Body != http.NoBody && !safeMethod(r.Method) {
			pb := newPacedBody(c.Writer, r.Body, s.limits.BodyGrace, s.limits.BodyMinRate)
			r.Body = pb
			c.Set(ctxBody, pb)
			defer pb.done()
		}
		if isUpload {
			if up.multipart {
				bb := &budgetBody{r: r.Body, ctx: r.Context(), sem: s.bodyMem, wait: s.limits.QueueWait}
				r.Body = bb
				defer bb.release()
			}
			c.Next()
			return
		}
		if r.ContentLength > maxFormBody {
			s.edgeError(c, errTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(c.Writer, r.Body, maxFormBody)
		if mt == "application/x-www-form-urlencoded" && !safeMethod(r.Method) {
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					err = errTooLarge
				} else {
					err = errMalformedForm
				}
				s.edgeError(c, err)
				return
			}
		}
		c.Next()
	}
}

// edgeError answers a request refused at the edge: a JSON error on the API
// and the helper's page script, a page elsewhere.
func (s *server) edgeError(c *gin.Context, err error) {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || (strings.HasPrefix(p, dropPath) && c.Request.Method != http.MethodPost) ||
		strings.HasSuffix(p, "/send") {
		writeError(c, s.log, err)
		return
	}
	if strings.HasPrefix(p, dropPath) {
		s.dropError(c, err)
		return
	}
	s.webError(c, err)
}

// untrustedForwarded warns once, on the first request that carries
// X-Forwarded-For from a peer that is not a trusted proxy: behind a proxy
// that is not listed in TrustedProxies (COFFRE_TRUSTED_PROXIES), every
// client shares the proxy's address, so that one person's failures spend
// everyone's login budget. No address is logged.
func untrustedForwarded(log *slog.Logger) gin.HandlerFunc {
	var warned atomic.Bool
	return func(c *gin.Context) {
		if warned.Load() || c.GetHeader("X-Forwarded-For") == "" || c.ClientIP() != c.RemoteIP() {
			return
		}
		if warned.CompareAndSwap(false, true) {
			log.Warn("a request carries X-Forwarded-For from a peer that is not a trusted proxy: " +
				"if Coffre runs behind a proxy, list it in COFFRE_TRUSTED_PROXIES, or every client shares " +
				"the proxy's address and its login and upload limits")
		}
	}
}
