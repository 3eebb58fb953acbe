package vault_test

import (
	"bytes"
	"crypto/rand"
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
	list, err := in.svc.Passkeys(ctx, owner)
	if err != nil || len(list) != 2 || list[0].Name != "Téléphone" || !list[0].Unlocks || list[1].Unlocks || !list[0].LastUsed.IsZero() {
		t.Fatalf("Passkeys = %+v, %v", list, err)
	}

	p, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: credID, SignCount: 1, PRF: out}, "192.0.2.1")
	if err != nil {
		t.Fatalf("LoginWithPasskey: %v", err)
	}
	got, err := readDoc(t, in.svc, p, doc.ID)
	if err != nil || string(got) != "contenu de l'avis" {
		t.Fatalf("paper after passkey sign-in = %q, %v", got, err)
	}
	if list, _ := in.svc.Passkeys(ctx, owner); list[0].LastUsed.IsZero() {
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
	if list, _ := in.svc.Passkeys(ctx, owner); len(list) != 1 {
		t.Errorf("after removal: %+v", list)
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
