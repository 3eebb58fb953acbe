package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestOneEnvironmentReader: serve, admin and healthcheck read the COFFRE_*
// environment through one reader: the same settings from the same
// variables, the same refusal of an unknown variable (a typo such as
// COFFRE_ADRR is reported by every command, never silently replaced by the
// default address), the same flag-over-environment precedence.
func TestOneEnvironmentReader(t *testing.T) {
	for _, env := range [][]string{
		{"COFFRE_ADDR=127.0.0.1:9911", "COFFRE_DATA_DIR=/tmp/x", "COFFRE_TOOLS_BIN=/opt/tools", "PATH=/bin"},
		{"COFFRE_ADDR=127.0.0.1:1", "COFFRE_ADDR=127.0.0.1:2"},
		{"COFFRE_SCRYPT_LOG_N=16", "COFFRE_OWNER_BUCKETS=true", "COFFRE_METRICS_ADDR=127.0.0.1:0"},
	} {
		s, errS := parseServeConfig(nil, env, io.Discard)
		a, rest, errA := parseAdminConfig([]string{"check"}, env, io.Discard)
		if errS != nil || errA != nil || len(rest) != 1 || rest[0] != "check" {
			t.Fatalf("%v: serve %v, admin %v %v", env, errS, errA, rest)
		}
		if fmt.Sprintf("%+v", *s) != fmt.Sprintf("%+v", *a) {
			t.Errorf("%v: serve and admin read different settings:\n%+v\n%+v", env, *s, *a)
		}
	}
	// A flag wins over the environment, for serve and admin alike.
	env := []string{"COFFRE_ADDR=127.0.0.1:1"}
	s, _ := parseServeConfig([]string{"--addr", "127.0.0.1:3"}, env, io.Discard)
	a, _, _ := parseAdminConfig([]string{"--addr", "127.0.0.1:3", "check"}, env, io.Discard)
	if s.Addr != "127.0.0.1:3" || a.Addr != "127.0.0.1:3" {
		t.Errorf("flag over environment: serve %s, admin %s", s.Addr, a.Addr)
	}

	typo := []string{"COFFRE_ADRR=127.0.0.1:9911"}
	if _, err := parseServeConfig(nil, typo, io.Discard); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "COFFRE_ADRR") {
		t.Errorf("serve with a typo: %v", err)
	}
	if _, _, err := parseAdminConfig([]string{"check"}, typo, io.Discard); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "COFFRE_ADRR") {
		t.Errorf("admin with a typo: %v", err)
	}
	var errOut strings.Builder
	if code := runHealthcheck(context.Background(), typo, &errOut); code != 1 || !strings.Contains(errOut.String(), "unknown environment variable(s) COFFRE_ADRR") {
		t.Errorf("healthcheck with a typo: exit %d, %q", code, errOut.String())
	}
}
