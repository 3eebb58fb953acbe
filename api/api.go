// Package api is Coffre's HTTP layer: gin handlers, HTML pages and their
// embedded assets, the JSON API, authentication, CSRF and rate limits. It maps
// domain errors to HTTP status codes in one place (errors.go) and logs with
// log/slog: route templates, status and duration only — never tokens, names,
// document titles or content.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
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
}

// New returns the HTTP handler for the whole service.
func New(cfg Config) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(recovery(cfg.Logger), accessLog(cfg.Logger), securityHeaders())
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
	return r
}

// accessLog logs one line per request with the route template (never the raw
// path or query, which may carry drop-link tokens).
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		log.Info("request", "method", c.Request.Method, "route", route,
			"status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds())
	}
}

// recovery turns a handler panic into a 500 without logging request data.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("handler panic", "route", c.FullPath(), "panic", v)
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}

// securityHeaders sets the headers every response carries.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if c.Request.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		c.Next()
	}
}
