// Package api is Coffre's HTTP layer: gin handlers, HTML pages and their
// embedded assets, the JSON API, authentication, CSRF and rate limits. It maps
// domain errors to HTTP status codes in one place (errors.go) and logs with
// log/slog: route templates, status and duration only — never tokens, names,
// document titles or content.
//
// The JSON API lives under /api/v1 and is described in openapi.yaml (served
// at /api/v1/openapi.yaml). Sessions ride in an HttpOnly, SameSite=Lax cookie
// (__Host-coffre, Secure, when the base URL is https); every state-changing
// request passes an Origin/Sec-Fetch-Site check, and when it carries a
// session, the session's CSRF token (X-CSRF-Token header, or a `csrf` form
// field). Uploads are streamed from the multipart body into memory only
// (never gin's temp-file form parsing), converted, and piped into the vault,
// which encrypts as it stores. Passkeys (WebAuthn with go-webauthn; the
// relying party is the base URL's host) are in passkeys.go: their
// challenges live in the database, their PRF outputs only pass through.
package api

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-webauthn/webauthn/webauthn"
	"golang.org/x/sync/semaphore"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// Checker reports whether a dependency (database, bucket) is reachable.
type Checker interface {
	Check(ctx context.Context) error
}

// Config wires the handlers to their dependencies.
type Config struct {
	Logger *slog.Logger
	// Ready lists the dependencies /readyz checks, by name.
	Ready map[string]Checker
	// Vault is the domain service (required for /api/v1; without it only
	// /healthz and /readyz are served).
	Vault *vault.Service
	// Converter converts uploads and re-fits downloads; nil means a
	// converter with default limits.
	Converter *converter.Converter
	// BaseURL is the public URL ("https://coffre.example"): drop-link URLs
	// and QR codes are built from it, and state-changing requests must come
	// from its origin.
	BaseURL string
	// SecureCookie forces the Secure cookie attribute (and the __Host-
	// cookie name). It is on anyway when BaseURL is https.
	SecureCookie bool
	// TrustedProxies are the proxies whose X-Forwarded-For is believed for
	// the client IP (rate limits, throttling); none by default.
	TrustedProxies []string
	// Limits bounds uploads; zero fields take the defaults.
	Limits Limits
	// RateLimits bounds anonymous routes per client IP; zero fields take
	// the defaults.
	RateLimits RateLimits
	// Metrics receives request, conversion and upload measurements
	// (metrics.go); nil drops them.
	Metrics Metrics
	// Notify is the notification service (*notify.Service): the inbox,
	// preferences and contact addresses. Nil leaves those routes out.
	Notify Notifications
}

// Limits bounds what one upload may hold in memory.
type Limits struct {
	// PageBytes caps each page (default 20 MB); TotalBytes the whole
	// request body (default 60 MB); Parts the number of pages (default 20).
	PageBytes, TotalBytes int64
	Parts                 int
	// Concurrent bounds uploads held in memory at once (default 4); others
	// wait their turn.
	Concurrent int
	// Queue bounds the uploads waiting for a slot (default 8×Concurrent)
	// and QueueWait how long one waits (default 30 s): beyond either, the
	// upload gets 503 with Retry-After instead of queueing without bound.
	Queue     int
	QueueWait time.Duration
	// DownloadBytes caps a stored document read into memory to be re-fitted
	// to a portal profile (default 60 MB).
	DownloadBytes int64
	// BodyGrace and BodyMinRate: every request body must arrive within
	// BodyGrace (default 20 s) plus one second per BodyMinRate bytes
	// (default 2 KiB/s, a poor mobile link); slower, the request ends with
	// 408 and the connection is closed.
	BodyGrace   time.Duration
	BodyMinRate int64
	// BodyMemory bounds the upload bytes held in memory at once, counted
	// as they arrive (default Concurrent × TotalBytes); an upload that
	// finds it full waits up to QueueWait, then gets 503.
	BodyMemory int64
	// PagePuts bounds the helper's page-by-page uploads in progress (each
	// streams to storage): PagePuts in all (default 32) and PagePutsPerClient
	// per drop link and per client address (default 2; the page sends one
	// page at a time). Beyond either: 503 with Retry-After.
	PagePuts, PagePutsPerClient int
}

func (l *Limits) defaults() {
	if l.PageBytes <= 0 {
		l.PageBytes = 20 << 20
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = 60 << 20
	}
	if l.Parts <= 0 {
		l.Parts = 20
	}
	if l.Concurrent <= 0 {
		l.Concurrent = 4
	}
	if l.Queue <= 0 {
		l.Queue = 8 * l.Concurrent
	}
	if l.QueueWait <= 0 {
		l.QueueWait = 30 * time.Second
	}
	if l.DownloadBytes <= 0 {
		l.DownloadBytes = 60 << 20
	}
	if l.PagePuts <= 0 {
		l.PagePuts = 32
	}
	if l.PagePutsPerClient <= 0 {
		l.PagePutsPerClient = 2
	}
	if l.BodyGrace <= 0 {
		l.BodyGrace = 20 * time.Second
	}
	if l.BodyMinRate <= 0 {
		l.BodyMinRate = 2 << 10
	}
	if l.BodyMemory <= 0 {
		l.BodyMemory = int64(l.Concurrent) * l.TotalBytes
	}
}

// server holds the handlers' dependencies.
type server struct {
	// getRoutes are the route templates that answer GET (page.Canonical).
	getRoutes map[string]bool
	v         *vault.Service
	conv      *converter.Converter
	log       *slog.Logger
	baseURL   string
	origin    string
	secure    bool
	cookie    string
	limits    Limits
	uploads   chan struct{}
	bodyMem   *semaphore.Weighted // upload bytes in memory (body.go)
	pagePuts  *inFlight           // page-by-page uploads in progress
	waiting   atomic.Int64        // uploads waiting for a slot
	login     *rateLimiter
	// ceremonies limits the WebAuthn options handed out (a sign-in page
	// asks for them as it opens).
	ceremonies *rateLimiter
	drop       *rateLimiter
	dropPost   *rateLimiter
	metrics    Metrics
	notify     Notifications
	// wa is the WebAuthn relying party of the base URL (passkeys.go); nil
	// when the base URL's host is an address: no passkeys then.
	wa *webauthn.WebAuthn
}

// New returns the HTTP handler for the whole service.
func New(cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	r.ContextWithFallback = true
	r.HandleMethodNotAllowed = true
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	r.Use(measure(cfg.Metrics), recovery(cfg.Logger), accessLog(cfg.Logger), securityHeaders(cfg.SecureCookie || strings.HasPrefix(cfg.BaseURL, "https://")), langMiddleware())
	r.Use(untrustedForwarded(cfg.Logger))
	r.NoRoute(func(c *gin.Context) { writeError(c, cfg.Logger, errNotFound) })
	r.NoMethod(func(c *gin.Context) {
		writeError(c, cfg.Logger, newErr(http.StatusMethodNotAllowed, "method_not_allowed", "api.method_not_allowed.method_allowed_here"))
	})
	r.GET("/healthz", func(c *gin.Context) {
		c.String(http.StatusOK, "ok\n")
	})
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
		defer cancel()
		for name, chk := range cfg.Ready {
			if err := chk.Check(ctx); err != nil {
				cfg.Logger.Warn("not ready", "dependency", name, "err", err)
				c.String(http.StatusServiceUnavailable, "not ready: %s\n", name)
				return
			}
		}
		c.String(http.StatusOK, "ready\n")
	})
	if cfg.Vault == nil {
		return headAsGet(r), nil
	}
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	r.Use(s.crossOrigin(), s.bodyPolicy()) // edge.go: before any route's own checks
	s.routes(r.Group("/api/v1"))
	s.registerPages(r) // web pages (web.go)
	for _, rt := range r.Routes() {
		if rt.Method == http.MethodGet {
			s.getRoutes[rt.Path] = true
		}
	}
	return headAsGet(r), nil
}

func newServer(cfg Config) (*server, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("api: BaseURL must be an absolute http(s) URL")
	}
	conv := cfg.Converter
	if conv == nil {
		conv = &converter.Converter{}
	}
	cfg.Limits.defaults()
	cfg.RateLimits.defaults()
	s := &server{getRoutes: map[string]bool{},
		v: cfg.Vault, conv: conv, log: cfg.Logger,
		baseURL:  strings.TrimSuffix(cfg.BaseURL, "/"),
		origin:   u.Scheme + "://" + u.Host,
		secure:   cfg.SecureCookie || u.Scheme == "https",
		limits:   cfg.Limits,
		uploads:  make(chan struct{}, cfg.Limits.Concurrent),
		bodyMem:  semaphore.NewWeighted(cfg.Limits.BodyMemory),
		pagePuts: newInFlight(cfg.Limits.PagePuts, cfg.Limits.PagePutsPerClient),
		login:    newRateLimiter(cfg.RateLimits.LoginPerMinute, cfg.RateLimits.LoginBurst),
		drop:     newRateLimiter(cfg.RateLimits.DropPerMinute, cfg.RateLimits.DropBurst),
		dropPost: newRateLimiter(cfg.RateLimits.DropUploadsPerMinute, cfg.RateLimits.DropUploadBurst),
		metrics:  cfg.Metrics,
		notify:   cfg.Notify,
	}
	s.ceremonies = newRateLimiter(6*cfg.RateLimits.LoginPerMinute, 3*cfg.RateLimits.LoginBurst)
	if s.wa, err = newWebAuthn(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("api: passkeys: %w", err)
	}
	if s.wa == nil {
		cfg.Logger.Info("passkeys off: the base URL's host is an address, and WebAuthn needs a host name")
	}
	s.cookie = "coffre"
	if s.secure {
		s.cookie = "__Host-coffre"
	}
	return s, nil
}

//go:embed openapi.yaml
var openapiYAML []byte

// routes registers the JSON API. Every route's access rule is visible here:
// public (anonymous), drop (the helper's link, no session ever looked at),
// session (any logged-in principal), owner or worker only.
func (s *server) routes(g *gin.RouterGroup) {
	g.Use(s.sameOrigin())
	g.GET("/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", openapiYAML) })

	// Reference data, public.
	g.GET("/catalogue", s.catalogue)
	g.GET("/profiles", s.profiles)
	g.GET("/passphrase", s.passphrase)

	// The helper's drop link: no session, rate limited, upload only.
	d := g.Group("/drop/:token", s.limit(s.drop))
	d.GET("", s.dropInfo)
	d.GET("/qr.png", s.dropQRPNG)
	d.GET("/qr.svg", s.dropQRSVG)
	d.POST("/pages", s.limit(s.dropPost), s.dropUpload)

	// Logging in and signing up: anonymous, rate limited per IP.
	g.POST("/login", s.limit(s.login), s.loginOwner)
	g.POST("/workers/login", s.limit(s.login), s.loginWorker)
	g.POST("/recover", s.limit(s.login), s.recoverOwner)
	g.POST("/signup", s.limit(s.login), s.optionalSession(), s.csrf(), s.signUp)

	// Everything else needs a session.
	a := g.Group("", s.noCrossSite(), s.requireSession(), s.csrf(), s.secretGate()) // secret_gate.go
	a.GET("/session", s.sessionInfo)
	a.POST("/logout", s.logout)
	a.POST("/logout-everywhere", s.logoutEverywhere)
	a.POST("/recovery-sheet", s.recoverySheet)

	a.GET("/documents", s.listDocuments)
	a.GET("/documents/:id", s.getDocument)
	a.GET("/documents/:id/content", s.downloadDocument)
	a.GET("/consents", s.listConsents)
	a.GET("/requests", s.listRequests)
	a.GET("/redos", s.listRedos) // redos.go
	a.GET("/droplinks", s.listDropLinks)
	a.POST("/droplinks", s.createDropLink)
	a.DELETE("/droplinks/:id", s.revokeDropLink)

	// Confirmation (confirm.go): the routes marked "confirmed" answer 403
	// reauth_required unless the session proved the secret (or a passkey)
	// within minutes. Owners and workers.
	a.POST("/reauth", s.limit(s.login), s.reauth)
	// Passkeys (passkeys.go): signing in (anonymous), managing (a session).
	s.passkeyRoutes(g, a)

	o := a.Group("", s.requireKind(vault.KindOwner))
	o.POST("/keys/rotate", s.rotateKeys)               // confirmed
	o.POST("/secret", s.changeSecret)                  // confirmed by current_secret
	o.PUT("/assisted-recovery", s.setAssistedRecovery) // confirmed to opt in
	o.POST("/recovery-code", s.newRecoveryCode)        // confirmed
	o.POST("/documents", s.uploadDocument)
	o.PATCH("/documents/:id", s.editDocument)
	o.DELETE("/documents/:id", s.deleteDocument)
	o.POST("/consents", s.grantConsent)
	o.DELETE("/consents/:id", s.revokeConsent)
	o.GET("/share-codes/:code", s.limit(s.login), s.lookupShareCode)         // counted per owner and address
	o.POST("/share-codes/:code/consents", s.limit(s.login), s.shareWithCode) // confirmed
	o.POST("/requests/:id/accept", s.acceptRequest)
	o.POST("/requests/:id/decline", s.declineRequest)
	o.POST("/redos/:id/forward", s.forwardRedo)
	o.GET("/journal", s.journal)
	o.GET("/journal/checkpoint", s.journalCheckpoint)
	o.GET("/journal/proof", s.journalProof)
	o.GET("/export", s.export)            // confirmed for format=age
	o.DELETE("/account", s.deleteAccount) // confirmed
	s.storageRoutes(o)                    // storage.go: the owner's own bucket; PUT and DELETE confirmed

	w := a.Group("", s.requireKind(vault.KindWorker))
	w.POST("/requests", s.createRequest)
	w.POST("/requests/:id/redos", s.askRedo)
	w.POST("/share-codes", s.createShareCode)
	w.POST("/assisted-recovery", s.assistedRecover)

	s.notifyRoutes(a) // notifications.go: owners and workers
}

// accessLog logs one line per request with the route template (never the raw
// path or query, which may carry drop-link tokens).
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.Info("request", "method", c.Request.Method, "route", routeOf(c),
			"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds())
	}
}

// recovery turns a handler panic into a 500 without logging request data.
// http.ErrAbortHandler (a download cut short on purpose) passes through so
// that the connection is dropped.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				log.Error("handler panic", "route", routeOf(c), "panic", fmt.Sprint(v))
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}

// securityHeaders sets the headers every response carries. HSTS goes out
// when the request came over TLS, or when the public URL is https (TLS ends
// at a proxy in front: browsers heed HSTS only on https responses, and the
// only way to reach this address from a browser is through that proxy).
func securityHeaders(httpsOrigin bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("Referrer-Policy", "no-referrer")
		// The live camera coach (static/coach.js) uses the camera from
		// this origin only; nothing here needs the microphone or the
		// position, and no frame ever may.
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if c.Request.TLS != nil || httpsOrigin {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		c.Next()
	}
}

// headAsGet answers HEAD like GET, without the body, on every route: gin
// serves only the methods a route registers, so a link preview's or a
// monitor's HEAD got 405. net/http itself drops the body of a HEAD
// answer; the writer drops it here too. The engine stays reachable
// (Routes, for the tests that list them).
func headAsGet(e *gin.Engine) http.Handler { return headHandler{e} }

type headHandler struct{ *gin.Engine }

func (h headHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodHead {
		h.Engine.ServeHTTP(w, r)
		return
	}
	g := r.Clone(r.Context())
	g.Method = http.MethodGet
	h.Engine.ServeHTTP(headWriter{w}, g)
}

// headWriter is a ResponseWriter that sends no body.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }

// Unwrap lets http.ResponseController reach the connection.
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
