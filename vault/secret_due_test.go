package vault_test

import (
	"errors"
	"testing"

	"github.com/coffre/coffre/vault"
)

// A worker saw the secret typed (a vault the worker created): each session
// the owner starts says SecretChangeDue until she changes the secret, to
// one different from the watched one (ErrSameSecret); the session she
// changes it from is cleared (also when resumed again), and later
// sessions are not due. A vault made alone never is.
func TestSecretChangeDue(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	org, _, err := in.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.AddWorker(ctx, org.ID, "agent@ccas.example", "Mme Morel", []byte(goodSecret), false); err != nil {
		t.Fatal(err)
	}
	w, err := in.svc.LoginWorker(ctx, "agent@ccas.example", []byte(goodSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	const watched, own = "ma fille s'appelle Inès", "citron balcon otarie fanfare"
	if _, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "vu.par.agent", Secret: []byte(watched)}, w); err != nil {
		t.Fatal(err)
	}
	start := func(secret string) (*vault.Principal, string) {
		t.Helper()
		p, err := in.svc.Login(ctx, "vu.par.agent", []byte(secret), "")
		if err != nil {
			t.Fatal(err)
		}
		tok, sess, err := in.svc.StartSession(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if sess.SecretChangeDue != p.SecretChangeDue() {
			t.Fatalf("session %v, principal %v", sess.SecretChangeDue, p.SecretChangeDue())
		}
		return p, tok
	}
	p, tok := start(watched)
	if !p.SecretChangeDue() {
		t.Fatal("SecretChangeDue is false after a worker created the vault")
	}
	r, _, err := in.svc.ResumeSession(ctx, tok)
	if err != nil || !r.SecretChangeDue() {
		t.Fatalf("resumed session due = %v, %v", r.SecretChangeDue(), err)
	}
	if err := in.svc.ConfirmSession(ctx, r, vault.SecretProof(watched), ""); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.ChangeSecret(ctx, r, []byte(watched)); !errors.Is(err, vault.ErrSameSecret) || !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("ChangeSecret to the watched secret: %v, want ErrSameSecret", err)
	}
	if err := in.svc.ChangeSecret(ctx, r, []byte(own)); err != nil {
		t.Fatal(err)
	}
	if r.SecretChangeDue() {
		t.Fatal("still due after the change")
	}
	if r, _, err := in.svc.ResumeSession(ctx, tok); err != nil || r.SecretChangeDue() {
		t.Fatalf("resumed after the change: due %v, %v", r.SecretChangeDue(), err)
	}
	if p, _ := start(own); p.SecretChangeDue() {
		t.Fatal("a later sign-in is due")
	}
	alone, _ := in.signUp(t, "seule")
	if _, sess, err := in.svc.StartSession(ctx, alone); err != nil || sess.SecretChangeDue {
		t.Fatalf("a vault made alone: due %v, %v", sess.SecretChangeDue, err)
	}
}
