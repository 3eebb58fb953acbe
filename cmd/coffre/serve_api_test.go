package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeWiresTheAPI: `coffre serve` on embedded defaults serves the JSON
// API on a vault of its own: sign up, the session cookie, the session.
func TestServeWiresTheAPI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--scrypt-log-n", "15"}, nil, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL line: %v", err)
	}
	base := strings.TrimSpace(strings.TrimPrefix(line, "Coffre is listening on "))
	go io.Copy(io.Discard, outR)

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	req, _ := http.NewRequest("POST", base+"/api/v1/signup", strings.NewReader(`{"identifier":"essai.serve","secret":"marron gilet boussole cerf"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var su struct {
		OwnerID string `json:"owner_id"`
		Session struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	err = json.NewDecoder(res.Body).Decode(&su)
	res.Body.Close()
	if res.StatusCode != 201 || err != nil || su.OwnerID == "" || su.Session.CSRFToken == "" {
		t.Fatalf("signup: %d %+v %v", res.StatusCode, su, err)
	}
	res, err = hc.Get(base + "/api/v1/session")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("session: %d", res.StatusCode)
	}
	// Notifications are wired: the inbox is always on.
	res, err = hc.Get(base + "/api/v1/notifications/settings")
	if err != nil {
		t.Fatal(err)
	}
	var ns struct {
		Channels []string `json:"channels"`
	}
	err = json.NewDecoder(res.Body).Decode(&ns)
	res.Body.Close()
	if res.StatusCode != 200 || err != nil || len(ns.Channels) == 0 || ns.Channels[0] != "inbox" {
		t.Fatalf("notification settings: %d %+v %v", res.StatusCode, ns, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}
