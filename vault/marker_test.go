package vault_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/coffre/coffre/vault"
)

// markerForms returns the byte patterns that would betray the marker: as
// is, UTF-16 (both byte orders) and base64 at the three alignments.
func markerForms(marker string) map[string][]byte {
	forms := map[string][]byte{"raw": []byte(marker)}
	u := utf16.Encode([]rune(marker))
	le, be := make([]byte, 0, 2*len(u)), make([]byte, 0, 2*len(u))
	for _, c := range u {
		le = append(le, byte(c), byte(c>>8))
		be = append(be, byte(c>>8), byte(c))
	}
	forms["utf16le"], forms["utf16be"] = le, be
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{'x'}, pad), marker...))
		// Keep the part that depends on the marker only (drop the first 4
		// characters, which mix the padding bytes, and the tail).
		forms["base64-"+string(rune('0'+pad))] = []byte(enc[4 : len(enc)-4])
	}
	return forms
}

// scan walks dirs and reports every file holding any form of the marker.
func scan(t *testing.T, dirs []string, forms map[string][]byte) (files int, hits []string) {
	t.Helper()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil // a temporary file that vanished meanwhile
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				return nil
			}
			if err != nil {
				return err
			}
			files++
			for name, f := range forms {
				if bytes.Contains(b, f) {
					hits = append(hits, name+" in "+path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", dir, err)
		}
	}
	return files, hits
}

// testMarker stores a document whose content and title hold a unique marker,
// and opens the vault with a passkey whose PRF output is another, then
// reads every byte the stores keep on disk (SQLite db, -wal, -shm, blob
// directory or MinIO's data dir) and finds no trace of either.
func testMarker(t *testing.T, mk backend) {
	e := newEnv(t, mk, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	w := e.worker(t)
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	marker := "COFFRE-MARKER-" + hex.EncodeToString(rb[:])
	forms := markerForms(marker)

	// The marker in the middle of a larger payload, repeated, and in the title.
	content := append(randomBytes(t, 70<<10), bytes.Repeat([]byte(marker+" "), 500)...)
	content = append(content, randomBytes(t, 10<<10)...)
	d, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{
		Category: "identity", Title: "Passeport " + marker, Profile: "anef", Size: int64(len(content)),
	}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	// And a small one, below one age chunk, with an unknown size.
	if _, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "other", Title: marker}, bytes.NewReader([]byte(marker))); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Grant(ctx, owner, d.ID, vault.Grantee{Kind: vault.KindWorker, ID: w.ID()}); err != nil {
		t.Fatal(err)
	}
	// Reading it back (owner and grantee) must not leave traces either.
	for _, p := range []*vault.Principal{owner, w} {
		got, err := readDoc(t, e.svc, p, d.ID)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("read back: %v", err)
		}
	}
	if l, err := e.svc.List(ctx, owner); err != nil || len(l) != 2 || l[0].Title != "Passeport "+marker {
		t.Fatalf("List = %+v, %v", l, err)
	}
	// A passkey's PRF output (issue 18) is an argument, never at rest:
	// enrol one and open the vault with it, then look for the output too.
	prfOut := []byte("PRF-" + hex.EncodeToString(rb[:]) + "-PRF")
	credID := append([]byte("cred-"), rb[:]...)
	if _, err := e.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: credID, PublicKey: []byte("cose-key"), Name: "Téléphone", PRF: prfOut}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: credID, SignCount: 1, PRF: prfOut}, vault.Client{}); err != nil {
		t.Fatal(err)
	}
	for k, f := range markerForms(string(prfOut)) {
		forms["prf-"+k] = f
	}
	forms["prf-hex"] = []byte(hex.EncodeToString(prfOut))
	// The test must be able to see the marker if it were there: check the
	// detector on a plaintext canary file in a scratch directory.
	canary := t.TempDir()
	if err := os.WriteFile(filepath.Join(canary, "c"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, hits := scan(t, []string{canary}, forms); len(hits) == 0 {
		t.Fatal("detector does not see the marker in plaintext")
	}

	files, hits := scan(t, e.dirs, forms)
	if files < 3 {
		t.Fatalf("only %d files scanned in %v: the walk is broken", files, e.dirs)
	}
	for _, h := range hits {
		t.Errorf("marker found at rest: %s", h)
	}
	// Once more after the database is closed (WAL checkpointed into the db).
	if err := e.meta.Close(); err != nil {
		t.Fatal(err)
	}
	files2, hits := scan(t, e.dirs, forms)
	for _, h := range hits {
		t.Errorf("marker found at rest after close: %s", h)
	}
	t.Logf("scanned %d files (%d after close) under %v: no marker", files, files2, e.dirs)
}
