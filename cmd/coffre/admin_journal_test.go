package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// TestAdminVerifyJournalCheckpoint: `coffre admin verify-journal` lists
// every owner of the owners table, flags a journal that was deleted whole,
// and with --checkpoint (a checkpoint the owner kept) reports a journal put
// back to an older genuine state, which the log alone cannot show.
func TestAdminVerifyJournalCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, errs := admin(t, dir, "", "list-orgs"); code != 0 { // creates the data directory and pepper
		t.Fatalf("list-orgs = %d: %s", code, errs)
	}
	cfg, _, err := parseAdminConfig([]string{"--data-dir", dir, "--scrypt-log-n", "15"}, nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := openVault(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	signUp := func(ident string) *vault.Principal {
		if _, _, err := w.Vault.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte("jardin violon tempete cerise")}, nil); err != nil {
			t.Fatal(err)
		}
		p, err := w.Vault.Login(ctx, ident, []byte("jardin violon tempete cerise"), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	owner, other := signUp("0611111111"), signUp("0622222222")
	old, err := w.Vault.JournalCheckpoint(ctx, owner) // 2 entries
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Vault.Login(ctx, "0611111111", []byte("jardin violon tempete cerise"), "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := w.Vault.JournalCheckpoint(ctx, owner) // 5 entries
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	cpFile := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(cpFile, kept.Note, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := admin(t, dir, "", "verify-journal", "--checkpoint", cpFile)
	if code != 0 || !strings.Contains(out, "kept checkpoint: owner "+owner.ID()+", 5 entries") || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("intact, with checkpoint = %d\n%s%s", code, out, errs)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "coffre.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The owner's journal is put back as it was at 2 entries: the old
	// genuine checkpoint, the entries after it removed.
	exec(`DELETE FROM journal WHERE owner_id = ? AND seq > 2`, owner.ID())
	exec(`DELETE FROM journal_hashes WHERE owner_id = ? AND idx >= 3`, owner.ID()) // tlog.StoredHashCount(2) = 3
	exec(`UPDATE journal_heads SET seq = 2, tree_size = 2, hash = ?, checkpoint = ? WHERE owner_id = ?`, old.Hash[:], old.Note, owner.ID())
	code, out, _ = admin(t, dir, "", "verify-journal")
	if code != 0 || !strings.Contains(out, "journals checked: 2 owners") {
		t.Fatalf("the log alone should look intact: %d\n%s", code, out)
	}
	code, out, _ = admin(t, dir, "", "verify-journal", "--checkpoint", cpFile)
	if code != 1 || !strings.Contains(out, "PROBLEM owner "+owner.ID()) || !strings.Contains(out, "went back") {
		t.Fatalf("rolled back, with checkpoint = %d\n%s", code, out)
	}
	// The other owner's journal deleted whole.
	for _, table := range []string{"journal", "journal_heads", "journal_hashes"} {
		exec(`DELETE FROM `+table+` WHERE owner_id = ?`, other.ID())
	}
	code, out, _ = admin(t, dir, "", "verify-journal")
	if code != 1 || !strings.Contains(out, "journals checked: 2 owners") ||
		!strings.Contains(out, "PROBLEM owner "+other.ID()+" entry 0: missing or empty journal") {
		t.Fatalf("deleted journal = %d\n%s", code, out)
	}
	t.Logf("verify-journal after deleting a journal:\n%s", out)
	// A checkpoint that is not this service's.
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(kept.Note), "\n5\n", "\n6\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := admin(t, dir, "", "verify-journal", "--checkpoint", bad); code != 1 || !strings.Contains(errs, "not a journal checkpoint signed by this service") {
		t.Fatalf("altered checkpoint = %d\n%s", code, errs)
	}
	if code, out, _ := admin(t, dir, "", "journal-key"); code != 0 || !strings.HasPrefix(out, vault.JournalKeyName+"+") {
		t.Fatalf("journal-key = %d %q", code, out)
	}
}

// TestServeConvertsPreviousReleaseJournals: a data directory of the
// previous release (its database, vault/testdata/journal-before-log.db,
// hash-chained journals) is migrated and its journals converted when
// `coffre serve` starts; verify-journal then finds every entry covered by a
// signed checkpoint.
func TestServeConvertsPreviousReleaseJournals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(filepath.Join("..", "..", "vault", "testdata", "journal-before-log.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "coffre.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	// The pepper the fixture was written with (the vault tests' testPepper).
	if err := os.WriteFile(filepath.Join(dir, "pepper.key"), []byte(strings.Repeat("42", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := admin(t, dir, "", "verify-journal")
	if code != 1 || !strings.Contains(out, "not converted") || !strings.Contains(out, "journals checked: 2 owners, 13 entries") {
		t.Fatalf("before serve: %d\n%s%s", code, out, errs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var logs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, nil, outW, &logs)
		outW.Close()
	}()
	if _, err := bufio.NewReader(outR).ReadString('\n'); err != nil {
		t.Fatalf("serve did not start: %v\n%s", err, logs.String())
	}
	go io.Copy(io.Discard, outR)
	cancel()
	select {
	case c := <-done:
		if c != 0 {
			t.Fatalf("serve exit %d\n%s", c, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), "journals converted to verifiable logs") || !strings.Contains(logs.String(), "owners=2") {
		t.Errorf("serve's log does not say it converted 2 journals:\n%s", logs.String())
	}
	// Serve's sweeper may journal the fixture's consents that have expired
	// since it was written (a consent-expired line each): 13 entries or more.
	code, out, errs = admin(t, dir, "", "verify-journal")
	n := -1
	if i := strings.Index(out, "journals checked:"); i >= 0 {
		if _, err := fmt.Sscanf(out[i:], "journals checked: 2 owners, %d entries", &n); err != nil {
			n = -1
		}
	}
	if code != 0 || n < 13 || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("after serve: %d\n%s%s", code, out, errs)
	}
}
