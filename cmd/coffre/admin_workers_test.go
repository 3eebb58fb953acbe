package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// withVault opens the data directory's vault as serve would, runs f and
// closes it (so that the next admin run has the database to itself).
func withVault(t *testing.T, dir string, f func(v *vault.Service)) {
	t.Helper()
	cfg, _, err := parseAdminConfig([]string{"--data-dir", dir, "--scrypt-log-n", "15"}, nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := openVault(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f(w.Vault)
}

// The worker and organisation-key verbs: what they print, and a clear
// message with the right exit code for every bad input.
func TestAdminWorkerVerbs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errs := admin(t, dir, "", "create-org", "CCAS de Roubaix")
	if code != 0 {
		t.Fatalf("create-org = %d: %s", code, errs)
	}
	org := regexp.MustCompile(`organisation: (\S+)`).FindStringSubmatch(out)[1]
	key := regexp.MustCompile(`AGE-SECRET-KEY-1\S+`).FindString(out)
	keyFile := filepath.Join(t.TempDir(), "org.key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "jardin violon tempete cerise"
	for _, w := range []struct{ email, name string }{{"m.morel@ccas.fr", "Mme Morel"}, {"b.lenoir@ccas.fr", "M. Lenoir"}} {
		if code, out, errs := admin(t, dir, secret+"\n", "add-worker", "--org", org, "--email", w.email, "--name", w.name,
			"--recovery-key-file", keyFile); code != 0 {
			t.Fatalf("add-worker %s = %d\n%s%s", w.email, code, out, errs)
		}
	}
	code, out, errs = admin(t, dir, "", "list-workers", "--org", org)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "\tactive\t"+org+"\tm.morel@ccas.fr\tMme Morel") {
		t.Fatalf("list-workers = %d\n%s%s", code, out, errs)
	}
	morel := strings.Fields(lines[0])[0]

	// An owner shares a paper with the organisation.
	withVault(t, dir, func(v *vault.Service) {
		ctx := context.Background()
		if _, _, err := v.SignUp(ctx, vault.NewOwner{Identifier: "beneficiaire", Secret: []byte(secret)}, nil); err != nil {
			t.Fatal(err)
		}
		owner, err := v.Login(ctx, "beneficiaire", []byte(secret), "")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := v.AddDocument(ctx, owner.ID(), vault.NewDocument{Type: "avis-impot", Title: "avis", Pages: 1}, strings.NewReader("contenu"))
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Grant(ctx, owner, doc.ID, vault.Grantee{Kind: vault.KindOrganisation, ID: org}); err != nil {
			t.Fatal(err)
		}
	})

	// Disable, by e-mail: login then fails like a wrong secret.
	if code, out, errs = admin(t, dir, "", "disable-worker", "--worker", "M.Morel@ccas.fr"); code != 0 || !strings.Contains(out, "disabled on every instance") {
		t.Fatalf("disable-worker = %d\n%s%s", code, out, errs)
	}
	if code, out, _ = admin(t, dir, "", "list-workers"); !strings.Contains(out, morel+"\tdisabled\t") {
		t.Fatalf("list-workers after disabling = %d\n%s", code, out)
	}
	withVault(t, dir, func(v *vault.Service) {
		if _, err := v.LoginWorker(context.Background(), "m.morel@ccas.fr", []byte(secret), "", ""); !errors.Is(err, vault.ErrWrongSecret) {
			t.Fatalf("disabled worker logs in: %v", err)
		}
	})
	if code, out, errs = admin(t, dir, "", "enable-worker", "--worker", morel); code != 0 || !strings.Contains(out, "enabled again") {
		t.Fatalf("enable-worker = %d\n%s%s", code, out, errs)
	}
	// Remove the membership, by id.
	if code, out, errs = admin(t, dir, "", "remove-member", "--worker", morel); code != 0 || !strings.Contains(out, "no longer a member") {
		t.Fatalf("remove-member = %d\n%s%s", code, out, errs)
	}
	if code, out, _ = admin(t, dir, "", "list-workers"); !strings.Contains(out, morel+"\tactive\t-\t") {
		t.Fatalf("list-workers after removal = %d\n%s", code, out)
	}
	// Rotate the organisation's key, with the key on standard input.
	code, out, errs = admin(t, dir, key+"\n", "rotate-org-key", "--org", org)
	if code != 0 || !strings.Contains(out, "re-wrapped: 1 documents, 1 consents, 1 members; owners told: 1") {
		t.Fatalf("rotate-org-key = %d\n%s%s", code, out, errs)
	}
	withVault(t, dir, func(v *vault.Service) {
		orgs, err := v.Organisations(context.Background())
		if err != nil || !strings.Contains(out, "new key "+orgs[0].PublicKey) {
			t.Fatalf("organisation key %+v not the one printed:\n%s", orgs, out)
		}
	})
	if code, out, errs = admin(t, dir, "", "rotate-org-key", "--org", org, "--recovery-key-file", keyFile); code != 0 {
		t.Fatalf("rotate-org-key --recovery-key-file = %d\n%s%s", code, out, errs)
	}

	_, otherOut, _ := admin(t, dir, "", "create-org", "Autre")
	otherKey := regexp.MustCompile(`AGE-SECRET-KEY-1\S+`).FindString(otherOut)
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"disable without --worker", "", []string{"disable-worker"}, 2, "want --worker"},
		{"disable with an argument", "", []string{"disable-worker", "--worker", morel, "extra"}, 2, "want --worker"},
		{"disable unknown e-mail", "", []string{"disable-worker", "--worker", "nobody@ccas.fr"}, 1, "no worker with this id or e-mail address"},
		{"disable malformed e-mail", "", []string{"disable-worker", "--worker", "x@"}, 1, "e-mail address"},
		{"disable malformed id", "", []string{"disable-worker", "--worker", "not an id!"}, 1, "not a worker id or e-mail address"},
		{"enable a worker not disabled", "", []string{"enable-worker", "--worker", morel}, 1, "this worker is not disabled"},
		{"remove a worker of no organisation", "", []string{"remove-member", "--worker", morel}, 1, "belongs to no organisation"},
		{"list-workers unknown org", "", []string{"list-workers", "--org", "nope"}, 1, `no organisation "nope"`},
		{"list-workers with an argument", "", []string{"list-workers", "x"}, 2, "takes no argument"},
		{"rotate without --org", key, []string{"rotate-org-key"}, 2, "want --org"},
		{"rotate without a key", "", []string{"rotate-org-key", "--org", org}, 2, "recovery key expected on standard input"},
		{"rotate with a malformed key", "AGE-SECRET-KEY-1QQQ", []string{"rotate-org-key", "--org", org}, 2, "malformed"},
		{"rotate with another organisation's key", otherKey, []string{"rotate-org-key", "--org", org}, 1, "not this organisation's recovery key; nothing was changed"},
		{"rotate unknown organisation", key, []string{"rotate-org-key", "--org", "nope"}, 1, `no organisation "nope"`},
		{"rotate with a missing key file", "", []string{"rotate-org-key", "--org", org, "--recovery-key-file", filepath.Join(dir, "none")}, 2, "--recovery-key-file"},
	} {
		code, _, errs := admin(t, dir, c.stdin, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.name, code, errs, c.code, c.msg)
		}
	}
}
