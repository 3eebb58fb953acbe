package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/notify"
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
	if pepperInsideDataDir(cfg) {
		log.Warn("the server pepper lies inside the data directory of a several-instance setup (S3 or PostgreSQL configured): "+
			"a backup of the data then holds the key that protects the database; mount it from a separate secret (deploy/README.md)",
			"pepper_file", cfg.PepperFile, "data_dir", cfg.DataDir)
	}
	w, err := openVault(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if w.PepperCreated {
		log.Warn("created a new server pepper: back it up apart from the database", "file", cfg.PepperFile)
	}
	// Row integrity (vault/meta/integrity.go): rows written before it get
	// their mac once; a record of that sealing removed or altered is an
	// attack on the database, reported here and in the metrics.
	if err := w.Meta.SealStatus(); err != nil {
		log.Error("row integrity: the database was changed without the pepper; rows without a mac stay refused", "err", err)
	}
	if n := w.Meta.SealedAtOpen(); n > 0 {
		log.Warn("row integrity: rows written before version 12 sealed with the pepper's key (this happens once; a second time means someone reset the database)", "rows", n)
	}
	// Journals of the hash-chain era become logs (once; every instance may
	// try, the conversion is serialised per owner in the database).
	if n, rep, err := w.Vault.ConvertJournals(ctx); err != nil {
		return fmt.Errorf("convert journals: %w", err)
	} else {
		if n > 0 {
			log.Info("journals converted to verifiable logs", "owners", n)
		}
		if !rep.OK() {
			// A broken chain is not signed: those owners' journals take no
			// entry (their actions fail) until an operator looks.
			log.Error("journals not converted: their hash chain is broken (changed without the pepper); run `coffre admin verify-journal`", "problems", len(rep.Problems))
		}
	}

	// Notifications: the in-app inbox always, e-mail and Web Push when
	// configured; the scheduler runs on every instance (sends are claimed
	// in the database, never doubled).
	nstore, ok := w.Meta.(notify.Store)
	if !ok {
		return errors.New("this metadata store cannot keep notifications")
	}
	nctx, cancelNotify := context.WithCancel(ctx)
	nsvc, stopNotify, err := notify.Start(nctx, w.Vault, nstore, notify.ServeConfig{
		BaseURL: cfg.BaseURL, SMTPHost: cfg.SMTPHost, SMTPPort: cfg.SMTPPort, SMTPSecurity: cfg.SMTPSecurity,
		SMTPUser: cfg.SMTPUser, SMTPPasswordFile: cfg.SMTPPasswordFile, SMTPFrom: cfg.SMTPFrom,
		VAPIDKeyFile: cfg.VAPIDKeyFile, PushSubscriber: cfg.PushSubscriber,
		OnError: func(err error) { log.Warn("notifications", "err", err) }, // ids and kinds only
	})
	if err != nil {
		cancelNotify()
		return fmt.Errorf("notifications: %w", err)
	}
	defer func() { cancelNotify(); stopNotify() }()

	mtr, stopMetrics, err := startMetrics(cfg, log, stdout, w.Meta.Tampered) // metrics.go: a listener of its own
	if err != nil {
		return err
	}
	defer stopMetrics()
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		certs, err := newCertReloader(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return err
		}
		tlsConfig = serverTLSConfig(certs)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := cfg.BaseURL
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" {
		url = "http://" + ln.Addr().String()
		if tlsConfig != nil {
			url = "https://" + ln.Addr().String()
		}
	}

	handler, err := api.New(api.Config{
		Logger: log, Ready: w.Ready, Vault: w.Vault, Converter: newConverter(mtr), Notify: nsvc,
		BaseURL: url, SecureCookie: strings.HasPrefix(url, "https://"),
		TrustedProxies: splitList(cfg.TrustedProxies), Metrics: mtr,
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TrustedProxies == "" {
		log.Warn("no trusted proxy: if Coffre runs behind a proxy or load balancer, list its addresses in " +
			"COFFRE_TRUSTED_PROXIES (--trusted-proxies), or every client shares the proxy's address and its login and upload limits")
	}
	fmt.Fprintf(stdout, "Coffre is listening on %s\n", url)
	log.Info("listening", "addr", ln.Addr().String())

	// Maintenance stops, and is waited for, before serve returns: it must
	// not use the stores once they close, nor log once the caller reads
	// the log.
	mctx, stopMaintenance := context.WithCancel(ctx)
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		runMaintenance(mctx, w.Vault, log, maintenanceEvery)
	}()
	defer func() {
		stopMaintenance()
		<-maintained
	}()

	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			srv.TLSConfig = tlsConfig
			errc <- srv.ServeTLS(ln, "", "") // certificates from GetCertificate
			return
		}
		errc <- srv.Serve(ln)
	}()
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

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
