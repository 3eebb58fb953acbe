package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate in a PEM file pair and picks up a
// renewed pair (cert-manager, certbot) without a restart: at most once per
// reloadEvery it looks at the files' modification times and reloads when
// they changed. A renewal that fails to load keeps the previous
// certificate in service.
type certReloader struct {
	certFile, keyFile string
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string    // modification times of the pair when loaded
	checked time.Time // last look at the files
}

const reloadEvery = time.Minute

// newCertReloader loads the pair once, so that a missing or broken file is
// an error at startup rather than at the first handshake.
func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) fileStamp() (string, error) {
	a, err := os.Stat(r.certFile)
	if err != nil {
		return "", err
	}
	b, err := os.Stat(r.keyFile)
	if err != nil {
		return "", err
	}
	return a.ModTime().String() + "|" + b.ModTime().String(), nil
}

func (r *certReloader) load() error {
	stamp, err := r.fileStamp()
	if err != nil {
		return fmt.Errorf("tls certificate: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls certificate %s with key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.stamp, r.checked = &cert, stamp, r.now()
	return nil
}

// getCertificate is tls.Config.GetCertificate.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.now().Sub(r.checked) >= reloadEvery {
		r.checked = r.now()
		if stamp, err := r.fileStamp(); err == nil && stamp != r.stamp {
			_ = r.load() // on failure the previous certificate stays in service
		}
	}
	if r.cert == nil {
		return nil, errors.New("no tls certificate")
	}
	return r.cert, nil
}

// serverTLSConfig is the TLS configuration of `coffre serve --tls-cert`:
// TLS 1.2 or later, Go's default (forward-secret, AEAD) cipher suites.
func serverTLSConfig(r *certReloader) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.getCertificate,
	}
}
