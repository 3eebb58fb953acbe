package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/coffre/coffre/api"
)

// TestComposeProxyGivesSeparateBudgets: Coffre configured with compose's
// own environment, reached through compose's proxy (its fixed address on
// the compose network), counts each client's failed logins apart: one
// client spending its whole budget does not stop another. The Kubernetes
// manifests name trusted proxies too.
func TestComposeProxyGivesSeparateBudgets(t *testing.T) {
	raw := deployFile(t, "deploy", "compose.yaml")
	raw = regexp.MustCompile(`\$\{[A-Z_]+:\?[^}]*\}`).ReplaceAll(raw, []byte("test-password"))
	c := yamlDocs(t, raw)[0]
	svc := dig(t, c, "services", "coffre-a").(map[string]any)
	env := map[string]string{}
	for k, v := range svc["environment"].(map[string]any) {
		env[k] = str(v)
	}
	proxyIP := str(dig(t, c, "services", "proxy", "networks", "default", "ipv4_address"))
	if env["COFFRE_TRUSTED_PROXIES"] == "" || proxyIP == "" {
		t.Fatalf("compose: COFFRE_TRUSTED_PROXIES %q, proxy address %q: both must be set", env["COFFRE_TRUSTED_PROXIES"], proxyIP)
	}
	// Everything else of compose's configuration, on local storage.
	dir := t.TempDir()
	for k := range env {
		if strings.HasPrefix(k, "COFFRE_S3_") || k == "COFFRE_DATABASE_URL" {
			delete(env, k)
		}
	}
	env["COFFRE_DATA_DIR"] = filepath.Join(dir, "data")
	env["COFFRE_PEPPER_FILE"] = filepath.Join(dir, "pepper.key")
	env["COFFRE_SCRYPT_LOG_N"] = "15" // the lowest allowed: each failed login still runs scrypt
	cfg := checkServeEnv(t, "coffre-a", env)
	ctx := context.Background()
	w, err := openVault(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	h, err := api.New(api.Config{
		Logger: slog.New(slog.DiscardHandler), Vault: w.Vault, BaseURL: cfg.BaseURL,
		TrustedProxies: splitList(cfg.TrustedProxies),
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	login := func(client string) int {
		n++ // a new identifier each time: the per-account throttle is another matter
		req := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(fmt.Sprintf(`{"identifier":"personne%d","secret":"pas le bon secret"}`, n)))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = proxyIP + ":41000"
		req.Header.Set("X-Forwarded-For", client) // as Caddy sets it
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		_, _ = io.Copy(io.Discard, rec.Body)
		return rec.Code
	}
	limited := false
	for i := range 30 {
		if login("203.0.113.10") == http.StatusTooManyRequests {
			limited = true
			t.Logf("the first client is limited after %d attempts", i)
			break
		}
	}
	if !limited {
		t.Fatal("30 failed logins from one client were never limited")
	}
	if got := login("198.51.100.20"); got == http.StatusTooManyRequests {
		t.Fatal("another client behind the same proxy is limited by the first one's failures")
	}

	// Kubernetes: the ConfigMap names the ingress's addresses.
	cm := yamlDocs(t, deployFile(t, "deploy", "kubernetes", "configmap.yaml"))[0]
	if v := str(dig(t, cm, "data", "COFFRE_TRUSTED_PROXIES")); v == "" {
		t.Error("the Kubernetes ConfigMap sets no COFFRE_TRUSTED_PROXIES")
	} else if _, err := api.New(api.Config{TrustedProxies: splitList(v)}); err != nil {
		t.Errorf("Kubernetes COFFRE_TRUSTED_PROXIES %q: %v", v, err)
	}
}

// TestServeWarnsWithoutTrustedProxy: `coffre serve` with no trusted proxy
// says at start what that means behind a proxy; with one, it does not.
func TestServeWarnsWithoutTrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{nil, true},
		{[]string{"--trusted-proxies", "172.30.80.2"}, false},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		ctx, cancel := context.WithCancel(context.Background())
		outR, outW := io.Pipe()
		var stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- runServe(ctx, append([]string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--scrypt-log-n", "15"}, tc.args...), nil, outW, &stderr)
			outW.Close()
		}()
		if _, err := bufio.NewReader(outR).ReadString('\n'); err != nil {
			t.Fatalf("reading the URL line: %v (stderr %s)", err, stderr.String())
		}
		go io.Copy(io.Discard, outR)
		cancel()
		<-done
		if got := strings.Contains(stderr.String(), "COFFRE_TRUSTED_PROXIES"); got != tc.warn {
			t.Errorf("args %v: warned %v, want %v; stderr:\n%s", tc.args, got, tc.warn, stderr.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
