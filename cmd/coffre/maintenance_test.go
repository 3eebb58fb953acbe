package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The sweepers run against a real vault on the embedded defaults without
// a warning, and the loop stops with its context.
func TestMaintenanceRuns(t *testing.T) {
	cfg, err := parseServeConfig([]string{"--data-dir", filepath.Join(t.TempDir(), "data"), "--scrypt-log-n", "15"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := openVault(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	done := make(chan struct{})
	go func() { runMaintenance(ctx, w.Vault, log, 10*time.Millisecond); close(done) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("maintenance loop did not stop with its context")
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("maintenance warned:\n%s", logs.String())
	}
}
