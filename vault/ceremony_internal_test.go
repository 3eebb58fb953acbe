package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// A ceremony row planted by someone who writes the database without the
// pepper, or one whose data they changed, is not taken: as if absent. The
// ceremony saved by the service is (attacker's review M1: a planted
// "login-secret" ticket naming a TOTP worker's passkey signed the worker
// in with the secret alone).
func TestCeremonyRowsAreSealed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := internalService(t, dir)
	challenge := bytes.Repeat([]byte{7}, 32)
	const binding, purpose = "browser:cookie", "login-secret"
	h := sha256.Sum256(challenge)
	b := sha256.Sum256([]byte(binding))
	hash, bind := hex.EncodeToString(h[:]), hex.EncodeToString(b[:])

	// Planted: the right keys, the victim's credential as data, no MAC.
	if err := s.meta.PutChallenge(ctx, meta.Challenge{Hash: hash, Binding: bind, Purpose: purpose,
		Data: []byte("victim-credential-id-of-at-least-32-bytes!"), Expires: s.now().UTC().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if data, err := s.TakeCeremony(ctx, challenge, binding, purpose); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a planted ceremony was taken: %q, %v", data, err)
	}

	// Saved by the service, then its data changed in the database.
	if err := s.SaveCeremony(ctx, challenge, binding, purpose, []byte("attacker-credential")); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "coffre.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `UPDATE webauthn_challenges SET data = ? WHERE challenge_hash = ?`,
		append(make([]byte, 32), []byte("victim-credential")...), hash); err != nil {
		t.Fatal(err)
	}
	if data, err := s.TakeCeremony(ctx, challenge, binding, purpose); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a changed ceremony was taken: %q, %v", data, err)
	}

	// Saved and untouched: taken once, with its data.
	if err := s.SaveCeremony(ctx, challenge, binding, purpose, []byte("attacker-credential")); err != nil {
		t.Fatal(err)
	}
	data, err := s.TakeCeremony(ctx, challenge, binding, purpose)
	if err != nil || string(data) != "attacker-credential" {
		t.Fatalf("the service's own ceremony: %q, %v", data, err)
	}
	if _, err := s.TakeCeremony(ctx, challenge, binding, purpose); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a ceremony taken twice: %v", err)
	}
}
