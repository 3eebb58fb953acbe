package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/internal/metrics"
)

// startMetrics serves Prometheus metrics on their own listener
// (--metrics-addr), apart from the public one, so that a scraper inside the
// cluster reaches them and the internet never does. With an empty address it
// returns nil metrics (the API drops them) and a no-op stop. stop closes the
// listener; call it after the main server has drained, so that the last
// requests are still visible to a final scrape.
func startMetrics(cfg *serveConfig, log *slog.Logger, stdout io.Writer, tampered func() map[string]int64) (m api.Metrics, stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return nil, func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics listen: %w", err)
	}
	reg := metrics.New()
	reg.WatchTampered(tampered)
	mux := http.NewServeMux()
	mux.Handle("/metrics", reg)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener stopped", "err", err)
		}
	}()
	fmt.Fprintf(stdout, "Metrics are served on http://%s/metrics\n", ln.Addr().String())
	log.Info("metrics listening", "addr", ln.Addr().String())
	return reg, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// validateMetricsAddr checks --metrics-addr: empty, or a host:port other
// than --addr.
func (c *serveConfig) validateMetricsAddr() error {
	if c.MetricsAddr == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
		return fmt.Errorf("--metrics-addr %q: want host:port", c.MetricsAddr)
	}
	if c.MetricsAddr == c.Addr && !hasPortZero(c.Addr) {
		return fmt.Errorf("--metrics-addr %q: must differ from --addr", c.MetricsAddr)
	}
	return nil
}

func hasPortZero(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

// newConverter is the server's converter; with metrics, the time each
// input waits for one of its slots is exported (coffre_converter_wait_seconds).
func newConverter(m api.Metrics) *converter.Converter {
	c := &converter.Converter{}
	if w, ok := m.(interface{ ConverterWait(time.Duration) }); ok {
		c.OnWait = w.ConverterWait
	}
	return c
}
