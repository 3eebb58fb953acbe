package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"time"
)

// runHealthcheck implements `coffre healthcheck`: it asks the local server's
// /healthz (the container's HEALTHCHECK, where no curl exists). Exit 0 when
// healthy, 1 otherwise.
func runHealthcheck(ctx context.Context, environ []string, stderr io.Writer) int {
	addr := "127.0.0.1:8080"
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "COFFRE_ADDR="); ok {
			addr = v
		}
	}
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
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
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
