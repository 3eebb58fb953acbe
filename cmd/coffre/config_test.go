package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseServeConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantErr string
		check   func(t *testing.T, c *serveConfig)
	}{
		{name: "defaults", check: func(t *testing.T, c *serveConfig) {
			if c.DataDir != "coffre-data" || c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" {
				t.Errorf("defaults: %+v", c)
			}
			if c.DatabaseURL != "sqlite:coffre-data/coffre.db" || c.PepperFile != "coffre-data/pepper.key" {
				t.Errorf("derived paths: %q %q", c.DatabaseURL, c.PepperFile)
			}
		}},
		{name: "env applies", env: []string{"COFFRE_ADDR=127.0.0.1:9999", "COFFRE_SHUTDOWN_TIMEOUT=5s"}, check: func(t *testing.T, c *serveConfig) {
			if c.Addr != "127.0.0.1:9999" || c.ShutdownTimeout != 5*time.Second {
				t.Errorf("env ignored: %+v", c)
			}
		}},
		{name: "flag beats env", args: []string{"--addr", "127.0.0.1:7000"}, env: []string{"COFFRE_ADDR=127.0.0.1:9999"}, check: func(t *testing.T, c *serveConfig) {
			if c.Addr != "127.0.0.1:7000" {
				t.Errorf("addr = %q", c.Addr)
			}
		}},
		{name: "wildcard host gets loopback base url", args: []string{"--addr", ":8081"}, check: func(t *testing.T, c *serveConfig) {
			if c.BaseURL != "http://127.0.0.1:8081" {
				t.Errorf("base url = %q", c.BaseURL)
			}
		}},
		{name: "other env ignored", env: []string{"HOME=/x", "PATH=/bin"}},
		{name: "unknown COFFRE variable", env: []string{"COFFRE_ADR=1"}, wantErr: "unknown environment variable(s) COFFRE_ADR"},
		{name: "bad addr", args: []string{"--addr", "nonsense"}, wantErr: "want host:port"},
		{name: "bad port", args: []string{"--addr", "127.0.0.1:99999"}, wantErr: "port must be"},
		{name: "bad duration in env", env: []string{"COFFRE_SHUTDOWN_TIMEOUT=soon"}, wantErr: "COFFRE_SHUTDOWN_TIMEOUT"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "--log-format"},
		{name: "base url with query", args: []string{"--base-url", "https://x.example/?a=1"}, wantErr: "--base-url"},
		{name: "base url not http", args: []string{"--base-url", "ftp://x"}, wantErr: "--base-url"},
		{name: "s3 incomplete", args: []string{"--s3-endpoint", "127.0.0.1:9000"}, wantErr: "needs --s3-bucket"},
		{name: "database url scheme", args: []string{"--database-url", "mysql://x"}, wantErr: "--database-url"},
		{name: "scrypt too weak", args: []string{"--scrypt-log-n", "10"}, wantErr: "--scrypt-log-n"},
		{name: "unknown flag", args: []string{"--colour"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
		{name: "empty data dir", args: []string{"--data-dir", " "}, wantErr: "--data-dir"},
		{name: "smtp without sender", args: []string{"--smtp-host", "mail.example.org"}, wantErr: "--smtp-from"},
		{name: "smtp bad security", env: []string{"COFFRE_SMTP_HOST=mail.example.org", "COFFRE_SMTP_FROM=coffre@example.org", "COFFRE_SMTP_SECURITY=ssl"}, wantErr: "--smtp-security"},
		{name: "smtp bad port", args: []string{"--smtp-host", "m.example.org", "--smtp-from", "a@b.fr", "--smtp-port", "0"}, wantErr: "--smtp-port"},
		{name: "smtp user without password", args: []string{"--smtp-host", "m.example.org", "--smtp-from", "a@b.fr", "--smtp-user", "coffre"}, wantErr: "--smtp-password-file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeConfig(tc.args, tc.env, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want usage error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
