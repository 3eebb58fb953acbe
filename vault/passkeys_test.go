package vault_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

func prf(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, vault.PRFOutputSize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// A PRF passkey opens the vault with no typed secret: the owner's papers
// decrypt; removing it destroys its wrap and it no longer opens. A
// passkey without PRF signs in but asks for the secret. On the old code
// none of this existed.
func TestPasskeyOpensVault(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.owner")
	doc := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "contenu de l'avis")
	out := prf(t)
	credID := []byte("credential-phone-1")
	id, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: credID, PublicKey: []byte("cose-key"), Name: "Téléphone", PRF: out})
	if err != nil {
		t.Fatalf("AddPasskey: %v", err)
	}
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: []byte("cred-noprf"), PublicKey: []byte("k2"), Name: "Vieux téléphone"}); err != nil {
		t.Fatalf("AddPasskey without PRF: %v", err)
	}
	byName := func() map[string]vault.Passkey {
		t.Helper()
		list, err := in.svc.Passkeys(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]vault.Passkey{}
		for _, p := range list {
			m[p.Name] = p
		}
		return m
	}
	if m := byName(); len(m) != 2 || !m["Téléphone"].Unlocks || m["Vieux téléphone"].Unlocks || !m["Téléphone"].LastUsed.IsZero() {
		t.Fatalf("Passkeys = %+v", m)
	}

	p, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: credID, SignCount: 1, PRF: out}, "192.0.2.1")
	if err != nil {
		t.Fatalf("LoginWithPasskey: %v", err)
	}
	got, err := readDoc(t, in.svc, p, doc.ID)
	if err != nil || string(got) != "contenu de l'avis" {
		t.Fatalf("paper after passkey sign-in = %q, %v", got, err)
	}
	if byName()["Téléphone"].LastUsed.IsZero() {
		t.Error("last use not recorded")
	}
	// Replayed assertion (counter not moving forward): refused.
	if _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: credID, SignCount: 1, PRF: out}, ""); !errors.Is(err, vault.ErrPasskeyReplay) {
		t.Errorf("replayed counter = %v, want ErrPasskeyReplay", err)
	}
	// A wrong PRF output opens nothing.
	if _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: credID, SignCount: 5, PRF: prf(t)}, ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Errorf("wrong PRF = %v, want ErrWrongSecret", err)
	}
	// No PRF: signs in, the secret opens.
	if _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: []byte("cred-noprf")}, ""); !errors.Is(err, vault.ErrPasskeyNeedsSecret) {
		t.Errorf("no-PRF passkey = %v, want ErrPasskeyNeedsSecret", err)
	}
	// Sudo mode accepts a fresh passkey assertion.
	if err := in.svc.CheckProof(ctx, p, vault.PasskeyProof{CredentialID: credID, SignCount: 6, PRF: out}, ""); err != nil {
		t.Errorf("passkey proof: %v", err)
	}
	if err := in.svc.RemovePasskey(ctx, owner, id); err != nil {
		t.Fatalf("RemovePasskey: %v", err)
	}
	if _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: credID, SignCount: 9, PRF: out}, ""); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("removed passkey = %v, want ErrNotFound", err)
	}
	if m := byName(); len(m) != 1 || m["Vieux téléphone"].ID == "" {
		t.Errorf("after removal: %+v", m)
	}
}

// Hostile inputs are refused with a clear error and nothing is written.
func TestPasskeyHostileInputs(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.hostile")
	other, _ := in.signUp(t, "passkey.other")
	ok := vault.NewPasskey{CredentialID: []byte("c1"), PublicKey: []byte("k"), Name: "Téléphone", PRF: prf(t)}
	bad := map[string]vault.NewPasskey{
		"oversized credential id": {CredentialID: bytes.Repeat([]byte{1}, 1024), PublicKey: []byte("k"), Name: "x"},
		"empty credential id":     {PublicKey: []byte("k"), Name: "x"},
		"oversized key":           {CredentialID: []byte("c"), PublicKey: bytes.Repeat([]byte{1}, 2000), Name: "x"},
		"oversized name":          {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: strings.Repeat("é", 65)},
		"short PRF":               {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "x", PRF: []byte("short")},
	}
	for name, np := range bad {
		if _, err := in.svc.AddPasskey(ctx, owner, np); !errors.Is(err, vault.ErrInvalid) {
			t.Errorf("%s = %v, want ErrInvalid", name, err)
		}
	}
	if list, _ := in.svc.Passkeys(ctx, owner); len(list) != 0 {
		t.Fatalf("refused passkeys were written: %+v", list)
	}
	if _, err := in.svc.AddPasskey(ctx, owner, ok); err != nil {
		t.Fatal(err)
	}
	// The same credential enrolled by another owner: conflict.
	if _, err := in.svc.AddPasskey(ctx, other, ok); !errors.Is(err, vault.ErrConflict) {
		t.Errorf("stolen credential id = %v, want ErrConflict", err)
	}
	// Unknown credential.
	if _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: []byte("nobody"), PRF: prf(t)}, ""); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("unknown credential = %v, want ErrNotFound", err)
	}
	// Another owner's passkey is no proof for this owner.
	if err := in.svc.CheckProof(ctx, other, vault.PasskeyProof{CredentialID: ok.CredentialID, SignCount: 3, PRF: ok.PRF}, ""); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("other owner's passkey as proof = %v, want ErrInvalid", err)
	}
	// Another owner cannot remove it.
	list, _ := in.svc.Passkeys(ctx, owner)
	if err := in.svc.RemovePasskey(ctx, other, list[0].ID); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("remove by another owner = %v, want ErrNotFound", err)
	}
}

// The PRF output is never at rest: not in the database (-wal, -shm), not
// in the blob directory, in any encoding, before or after close.
func TestPasskeyPRFNotAtRest(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.marker")
	out := []byte("PRF-MARKER-" + strings.Repeat("q", vault.PRFOutputSize-11))
	copy(out[11:], hex.EncodeToString(prf(t))[:vault.PRFOutputSize-11])
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: []byte("cred-m"), PublicKey: []byte("k"), Name: "Téléphone", PRF: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: []byte("cred-m"), SignCount: 1, PRF: out}, ""); err != nil {
		t.Fatal(err)
	}
	forms := markerForms(string(out))
	forms["hex"] = []byte(hex.EncodeToString(out))
	for _, closed := range []bool{false, true} {
		if closed {
			if err := in.meta.Close(); err != nil {
				t.Fatal(err)
			}
		}
		files, hits := scan(t, []string{dir.dir}, forms)
		if files < 1 {
			t.Fatalf("only %d files scanned", files)
		}
		for _, h := range hits {
			t.Errorf("PRF output at rest (closed=%v): %s", closed, h)
		}
	}
}
