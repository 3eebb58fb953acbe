package vault_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

func TestNewConfig(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	cases := []struct {
		name string
		cfg  vault.Config
	}{
		{"no meta", vault.Config{Blobs: e.blobs, Pepper: testPepper}},
		{"no blobs", vault.Config{Meta: e.meta, Pepper: testPepper}},
		{"short pepper", vault.Config{Meta: e.meta, Blobs: e.blobs, Pepper: []byte("short")}},
		{"weak scrypt", vault.Config{Meta: e.meta, Blobs: e.blobs, Pepper: testPepper, Scrypt: seal.ScryptParams{LogN: 10}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := vault.New(c.cfg); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

// The vault refuses a metadata store that does not check row macs, or
// checks them under another pepper's key: its rows would be open to a
// database writer, or unreadable.
func TestNewRefusesStoreWithoutRowKey(t *testing.T) {
	dir := t.TempDir()
	bs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meta.OpenSQLite(testCtx(t), filepath.Join(dir, "bad.db"), vault.RowKeyOption([]byte("short"))); err == nil {
		t.Fatal("a store opened with the row key of a bad pepper")
	}
	for name, opts := range map[string][]meta.Option{
		"no row key":           nil,
		"another pepper's key": {vault.RowKeyOption(bytes.Repeat([]byte{1}, 32))},
	} {
		t.Run(name, func(t *testing.T) {
			ms, err := meta.OpenSQLite(testCtx(t), filepath.Join(t.TempDir(), "coffre.db"), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer ms.Close()
			if _, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt}); !errors.Is(err, vault.ErrInvalid) {
				t.Fatalf("New = %v, want ErrInvalid", err)
			}
		})
	}
	ms, err := meta.OpenSQLite(testCtx(t), filepath.Join(dir, "coffre.db"), vault.RowKeyOption(testPepper))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if _, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt}); err != nil {
		t.Fatalf("New with the pepper's row key: %v", err)
	}
}

func TestOwnerAccount(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	// "é" precomposed at sign-up, decomposed at login: same secret.
	id, code, err := e.svc.CreateOwner(ctx, []byte("caf\u00e9 soleil"))
	if err != nil {
		t.Fatalf("CreateOwner: %v", err)
	}
	if code.IsZero() {
		t.Fatal("zero recovery code")
	}
	p, err := e.svc.Unlock(ctx, id, []byte("cafe\u0301 soleil"))
	if err != nil {
		t.Fatalf("Unlock with NFD secret: %v", err)
	}
	if p.ID() != id || p.Kind() != vault.KindOwner {
		t.Fatalf("principal = %s %s", p.Kind(), p.ID())
	}
	pub, err := e.svc.OwnerPublicKey(ctx, id)
	if err != nil || pub != p.PublicKey() {
		t.Fatalf("OwnerPublicKey = %q, %v; want %q", pub, err, p.PublicKey())
	}
	doc := e.add(t, id, "Attestation CAF", []byte("%PDF caf"))

	for _, c := range []struct {
		name   string
		owner  string
		secret string
		want   error
	}{
		{"wrong secret", id, "cafe soleil", vault.ErrWrongSecret},
		{"unknown owner", "nobody", "café soleil", vault.ErrNotFound},
		{"empty secret", id, "", vault.ErrInvalid},
	} {
		if _, err := e.svc.Unlock(ctx, c.owner, []byte(c.secret)); !errors.Is(err, c.want) {
			t.Errorf("Unlock(%s) = %v, want %v", c.name, err, c.want)
		}
	}

	// Recovery: the code as typed by a person (lower case, no dashes).
	typed, err := seal.ParseRecoveryCode(string(bytes.ToLower(bytes.ReplaceAll([]byte(code.String()), []byte("-"), []byte(" ")))))
	if err != nil || typed != code {
		t.Fatalf("ParseRecoveryCode: %v", err)
	}
	// Recovery goes through Recover only (identifier, throttle, code
	// replaced): the unthrottled RecoverWithCode, which kept the code
	// valid, is gone (signup_test.go, recovery_rotate_test.go).
	_ = doc
}

func TestWorkerAccount(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	id, err := e.svc.CreateWorker(ctx, []byte("w"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UnlockWorker(ctx, id, []byte("x")); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := e.svc.UnlockWorker(ctx, "nobody", []byte("w")); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("unknown worker: %v", err)
	}
	p, err := e.svc.UnlockWorker(ctx, id, []byte("w"))
	if err != nil || p.Kind() != vault.KindWorker {
		t.Fatalf("UnlockWorker = %v, %v", p, err)
	}
	// An owner id is not a worker id, and the reverse.
	if _, err := e.svc.Unlock(ctx, id, []byte("w")); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("worker id as owner: %v", err)
	}
}
