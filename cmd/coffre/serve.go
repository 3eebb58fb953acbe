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
)

// runServe implements `coffre serve`.
func runServe(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	cfg, err := parseServeConfig(args, environ, stderr)
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "coffre serve: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "coffre serve: %v\n", err)
		return 1
	}
	log := newLogger(cfg, stderr)
	if err := serve(ctx, cfg, log, stdout); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *serveConfig, log *slog.Logger, stdout io.Writer) error {
	w, err := openVault(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if w.PepperCreated {
		log.Warn("created a new server pepper: back it up apart from the database", "file", cfg.PepperFile)
	}

	handler := api.New(api.Config{Logger: log, Ready: w.Ready})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := cfg.BaseURL
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" {
		url = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(stdout, "Coffre is listening on %s\n", url)
	log.Info("listening", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
