package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// admin runs `coffre admin` with the given data directory, as the binary
// would (no COFFRE_* environment).
func admin(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"--data-dir", dir, "--scrypt-log-n", "15"}, args...)
	code := runAdmin(context.Background(), all, nil, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAdminVerbs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errs := admin(t, dir, "", "create-org", "CCAS de Roubaix")
	if code != 0 {
		t.Fatalf("create-org = %d: %s", code, errs)
	}
	orgID := regexp.MustCompile(`organisation: (\S+)`).FindStringSubmatch(out)
	key := regexp.MustCompile(`AGE-SECRET-KEY-1\S+`).FindString(out)
	if orgID == nil || key == "" {
		t.Fatalf("create-org output:\n%s", out)
	}
	keyFile := filepath.Join(t.TempDir(), "org.key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = admin(t, dir, "jardin violon tempete cerise\n", "add-worker", "--org", orgID[1], "--email", "m.morel@ccas.fr",
		"--name", "Mme Morel", "--totp", "--recovery-key-file", keyFile)
	if code != 0 || !strings.Contains(out, "otpauth://totp/") || !strings.Contains(out, "activated members: 1") {
		t.Fatalf("add-worker = %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = admin(t, dir, "pivoine chalet girafe tambour", "add-worker", "--org", orgID[1], "--email", "b@ccas.fr", "--name", "B")
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("second add-worker = %d\n%s", code, out)
	}
	code, out, _ = admin(t, dir, key, "activate-members", "--org", orgID[1])
	if code != 0 || !strings.Contains(out, "activated members: 1") {
		t.Fatalf("activate-members = %d\n%s", code, out)
	}
	if code, out, _ = admin(t, dir, "", "list-orgs"); code != 0 || !strings.Contains(out, orgID[1]+"\tCCAS de Roubaix") {
		t.Fatalf("list-orgs = %d\n%s", code, out)
	}
	if code, out, errs = admin(t, dir, "", "fsck"); code != 0 || !strings.Contains(out, "found: 0") {
		t.Fatalf("fsck = %d\n%s%s", code, out, errs)
	}
	if code, out, errs = admin(t, dir, "", "fsck", "--fix"); code != 0 || !strings.Contains(out, "removed: 0") {
		t.Fatalf("fsck --fix = %d\n%s%s", code, out, errs)
	}

	// The worker exists for the vault opened like serve opens it.
	cfg, _, err := parseAdminConfig([]string{"--data-dir", dir, "--scrypt-log-n", "15"}, nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := openVault(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = w.Vault.LoginWorker(context.Background(), "b@ccas.fr", []byte("pivoine chalet girafe tambour"), "", "")
	if err != nil {
		t.Fatalf("worker created by admin cannot log in: %v", err)
	}
	_, err = w.Vault.LoginWorker(context.Background(), "m.morel@ccas.fr", []byte("jardin violon tempete cerise"), "", "")
	if err == nil || !strings.Contains(err.Error(), vault.ErrWrongTOTP.Error()) {
		t.Fatalf("TOTP worker without code: %v", err)
	}

	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		want  int
	}{
		{"no verb", "", nil, 2},
		{"unknown verb", "", []string{"frobnicate"}, 2},
		{"create-org without name", "", []string{"create-org"}, 2},
		{"add-worker without email", "secret secret secret", []string{"add-worker", "--name", "X"}, 2},
		{"add-worker without secret", "", []string{"add-worker", "--email", "x@y.fr", "--name", "X"}, 2},
		{"add-worker weak secret", "password", []string{"add-worker", "--email", "x@y.fr", "--name", "X"}, 1},
		{"activate with wrong key", "AGE-SECRET-KEY-1QQQ", []string{"activate-members", "--org", orgID[1]}, 1},
		{"fsck bad grace", "", []string{"fsck", "--grace", "1s"}, 2},
		{"unknown flag", "", []string{"list-orgs", "--nope"}, 2},
	} {
		if code, _, _ := admin(t, dir, c.stdin, c.args...); code != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.want)
		}
	}
	var errb bytes.Buffer
	if code := runAdmin(context.Background(), []string{"list-orgs"}, []string{"COFFRE_DATA_DIRR=x"}, strings.NewReader(""), &bytes.Buffer{}, &errb); code != 2 {
		t.Errorf("unknown COFFRE_ variable: exit %d", code)
	}
}

// TestAdminBlankFlags: a flag given with an empty or blank value (an unset
// shell variable) is refused before anything is opened or created, with a
// message that names it; nothing is created.
func TestAdminBlankFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const secret = "jardin violon tempete cerise\n"
	for _, c := range []struct {
		name string
		args []string
		flag string
	}{
		{"empty org", []string{"add-worker", "--org", "", "--email", "x@y.fr", "--name", "X"}, "--org"},
		{"blank org", []string{"add-worker", "--org=  ", "--email", "x@y.fr", "--name", "X"}, "--org"},
		{"blank name", []string{"add-worker", "--email", "x@y.fr", "--name", " "}, "--name"},
		{"empty email", []string{"add-worker", "--email=", "--name", "X"}, "--email"},
		{"empty org to activate", []string{"activate-members", "--org", ""}, "--org"},
		{"empty worker", []string{"disable-worker", "--worker", ""}, "--worker"},
	} {
		code, out, errs := admin(t, dir, secret, c.args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (usage)\n%s%s", c.name, code, out, errs)
		}
		if !strings.Contains(errs, c.flag+" given empty") {
			t.Errorf("%s: the message does not name %s: %q", c.name, c.flag, errs)
		}
	}
	// Nothing was created: the data directory was never even opened.
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused command touched the data directory: %v", err)
	}
	// The flag left out is still fine (a worker with no organisation).
	if code, out, errs := admin(t, dir, secret, "add-worker", "--email", "x@y.fr", "--name", "X"); code != 0 {
		t.Errorf("add-worker without --org = %d\n%s%s", code, out, errs)
	}
}
