package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeHealthzOnEmbeddedDefaults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, nil, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL line: %v", err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "Coffre is listening on "))
	go io.Copy(io.Discard, outR)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz = %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
	resp, err = http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz = %d %q", resp.StatusCode, body)
	}
	for _, name := range []string{"coffre.db", "blobs", "pepper.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("embedded defaults: %s missing from the data dir: %v", name, err)
		}
	}
	addr := strings.TrimPrefix(url, "http://")
	if code := runHealthcheck(ctx, []string{"COFFRE_ADDR=" + addr}, io.Discard); code != 0 {
		t.Fatalf("healthcheck against a live server: exit %d", code)
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

func TestServeRefusesBadConfig(t *testing.T) {
	var errOut strings.Builder
	code := runServe(context.Background(), []string{"--addr", "bad"}, nil, io.Discard, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "--addr") {
		t.Fatalf("code=%d stderr=%q", code, errOut.String())
	}
}

func TestHealthcheckFailsWithoutServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var errOut strings.Builder
	if code := runHealthcheck(context.Background(), []string{"COFFRE_ADDR=" + addr}, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if code := runHealthcheck(context.Background(), []string{"COFFRE_ADDR=garbage"}, &errOut); code != 1 {
		t.Fatalf("bad addr: exit %d, want 1", code)
	}
}
