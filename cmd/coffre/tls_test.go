package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a fresh self-signed certificate for 127.0.0.1 and its
// key as PEM files and returns the certificate.
func writeCert(t *testing.T, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "coffre test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestServeTLS: with --tls-cert/--tls-key, serve speaks HTTPS itself
// (TLS ≥ 1.2, HTTP/2), sends HSTS, refuses plain HTTP on that port, and the
// container healthcheck follows, pinned to the served certificate.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	cert := writeCert(t, certFile, keyFile)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
			"--tls-cert", certFile, "--tls-key", keyFile, "--scrypt-log-n", "15"}, nil, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL line: %v", err)
	}
	go io.Copy(io.Discard, outR)
	url := strings.TrimSpace(strings.TrimPrefix(line, "Coffre is listening on "))
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL %q is not https", url)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}}
	for _, path := range []string{"/healthz", "/", "/nowhere"} {
		resp, err := client.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s over TLS: %v", path, err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=63072000") {
			t.Errorf("%s over TLS (%d): HSTS = %q", path, resp.StatusCode, got)
		}
		if resp.ProtoMajor != 2 {
			t.Errorf("%s: %s, want HTTP/2", path, resp.Proto)
		}
		if path == "/healthz" && resp.StatusCode != http.StatusOK {
			t.Errorf("healthz over TLS: %d", resp.StatusCode)
		}
	}
	// Plain HTTP on the TLS port: refused, no page served.
	resp, err := http.Get("http://" + strings.TrimPrefix(url, "https://") + "/healthz")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "ok") {
			t.Errorf("plain HTTP on the TLS port: %d %q", resp.StatusCode, body)
		}
	}
	// TLS 1.1 is refused.
	addr := strings.TrimPrefix(url, "https://")
	if c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}); err == nil { // #nosec G402 -- checks the server refuses old TLS
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	// The container healthcheck speaks TLS, pinned to the certificate file.
	if code := runHealthcheck(ctx, []string{"COFFRE_ADDR=" + addr, "COFFRE_TLS_CERT=" + certFile}, io.Discard); code != 0 {
		t.Errorf("healthcheck over TLS: exit %d", code)
	}
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	writeCert(t, filepath.Join(other, "tls.crt"), filepath.Join(other, "tls.key"))
	var errOut strings.Builder
	if code := runHealthcheck(ctx, []string{"COFFRE_ADDR=" + addr, "COFFRE_TLS_CERT=" + filepath.Join(other, "tls.crt")}, &errOut); code != 1 {
		t.Errorf("healthcheck pinned to another certificate: exit %d", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d after shutdown", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
}

// TestServeTLSBadConfig: a half or broken certificate setting stops serve at
// once with a message naming the setting; nothing listens.
func TestServeTLSBadConfig(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeCert(t, certFile, keyFile)
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(dir, "o")
	_ = os.Mkdir(otherDir, 0o700)
	writeCert(t, filepath.Join(otherDir, "c"), filepath.Join(otherDir, "k"))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"cert without key", []string{"--tls-cert", certFile}, 2, "--tls-cert and --tls-key"},
		{"key without cert", []string{"--tls-key", keyFile}, 2, "--tls-cert and --tls-key"},
		{"missing file", []string{"--tls-cert", filepath.Join(dir, "none.crt"), "--tls-key", keyFile}, 1, "tls certificate"},
		{"garbage certificate", []string{"--tls-cert", garbage, "--tls-key", keyFile}, 1, "tls certificate"},
		{"key of another certificate", []string{"--tls-cert", certFile, "--tls-key", filepath.Join(otherDir, "k")}, 1, "tls certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errOut strings.Builder
			args := append([]string{"--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data-"+strings.ReplaceAll(tc.name, " ", "-"))}, tc.args...)
			code := runServe(context.Background(), args, nil, io.Discard, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errOut.String(), tc.want)
			}
		})
	}
}

// TestCertReload: a renewed pair is served within reloadEvery; a broken
// renewal keeps the previous certificate in service.
func TestCertReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := writeCert(t, certFile, keyFile)
	r, err := newCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r.now = func() time.Time { return now }
	leaf := func() []byte {
		c, err := r.getCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Certificate[0]
	}
	second := writeCert(t, certFile, keyFile)
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(certFile, later, later)
	_ = os.Chtimes(keyFile, later, later)
	if string(leaf()) != string(first.Raw) {
		t.Fatal("reloaded before reloadEvery")
	}
	now = now.Add(reloadEvery)
	if string(leaf()) != string(second.Raw) {
		t.Fatal("renewed certificate not picked up")
	}
	if err := os.WriteFile(certFile, []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	even := later.Add(time.Minute)
	_ = os.Chtimes(certFile, even, even)
	now = now.Add(reloadEvery)
	if string(leaf()) != string(second.Raw) {
		t.Fatal("a broken renewal replaced the certificate in service")
	}
}
