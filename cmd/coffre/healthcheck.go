package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// runHealthcheck implements `coffre healthcheck`: it asks the local server's
// /healthz (the container's HEALTHCHECK, where no curl exists). Exit 0 when
// healthy, 1 otherwise. When the server speaks HTTPS itself (COFFRE_TLS_CERT),
// the check does too, and accepts only the certificate in that file.
func runHealthcheck(ctx context.Context, environ []string, stderr io.Writer) int {
	// The environment is read as serve reads it (the same defaults, the
	// same refusal of unknown variables), without serve's validation: the
	// check needs only the address and the certificate.
	var cfg serveConfig
	fs, known := settingsFlagSet("coffre healthcheck", &cfg, stderr)
	if err := applyEnv(fs, known, environ); err != nil {
		fmt.Fprintf(stderr, "coffre healthcheck: %v\n", err)
		return 1
	}
	addr, certFile := cfg.Addr, cfg.TLSCert
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "coffre healthcheck: COFFRE_ADDR %q: %v\n", addr, err)
		return 1
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	scheme, client := "http://", http.DefaultClient
	if certFile != "" {
		tc, err := pinnedTLS(certFile)
		if err != nil {
			fmt.Fprintf(stderr, "coffre healthcheck: %v\n", err)
			return 1
		}
		scheme, client = "https://", &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, scheme+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "coffre healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "coffre healthcheck: status %d\n", resp.StatusCode)
		return 1
	}
	return 0
}

// pinnedTLS accepts exactly the leaf certificate of certFile: the check
// dials 127.0.0.1, which the certificate does not name, so name-based
// verification cannot apply; pinning the served certificate is stricter.
func pinnedTLS(certFile string) (*tls.Config, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("tls certificate %s: no PEM certificate", certFile)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("tls certificate %s: %w", certFile, err)
	}
	want := block.Bytes
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// #nosec G402 -- replaced by the pin below (the address is 127.0.0.1).
		InsecureSkipVerify: true,
		// VerifyConnection also runs on resumed sessions.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, want) {
				return errors.New("served certificate differs from COFFRE_TLS_CERT")
			}
			return nil
		},
	}, nil
}
