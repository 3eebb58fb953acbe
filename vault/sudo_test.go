package vault_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// A session alone (what a thief copies: the cookie, hence the CSRF token)
// cannot mint a recovery code, export the keys, delete the account, opt
// into assisted recovery, change storage, change the secret or rotate the
// keys; the secret typed again in that session can, for 5 minutes. On the
// old code every one of these succeeded with the session alone.
func TestStolenSessionNeedsConfirmation(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "sudo.owner")
	in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis")
	org, _, err := in.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	stolen := func() *vault.Principal {
		t.Helper()
		p, _, err := in.svc.ResumeSession(ctx, token)
		if err != nil {
			t.Fatalf("ResumeSession: %v", err)
		}
		return p
	}
	p := stolen()
	if p.IsConfirmed() {
		t.Fatal("a fresh session counts as confirmed")
	}
	refused := map[string]func() error{
		"new recovery code": func() error { _, err := in.svc.NewRecoveryCode(ctx, p); return err },
		"export age":        func() error { return in.svc.Export(ctx, p, io.Discard, vault.ExportAge, "README") },
		"delete account":    func() error { return in.svc.DeleteAccount(ctx, p) },
		"assisted recovery": func() error { return in.svc.SetAssistedRecovery(ctx, p, org.ID) },
		"set storage":       func() error { _, err := in.svc.SetOwnerStorage(ctx, p, vault.StorageSettings{}); return err },
		"clear storage":     func() error { return in.svc.ClearOwnerStorage(ctx, p) },
		"change secret":     func() error { return in.svc.ChangeSecret(ctx, p, []byte("pivoine chalet girafe tambour")) },
		"rotate keys":       func() error { _, err := in.svc.RotateKeys(ctx, p, []byte("pivoine chalet girafe tambour")); return err },
	}
	for name, do := range refused {
		if err := do(); !errors.Is(err, vault.ErrConfirmRequired) {
			t.Errorf("%s with the session alone = %v, want ErrConfirmRequired", name, err)
		}
	}
	// What the session may always do: its own papers, the plain export.
	if err := in.svc.Export(ctx, p, io.Discard, vault.ExportPDF, "README"); err != nil {
		t.Fatalf("PDF export: %v", err)
	}
	if _, err := in.svc.Login(ctx, "sudo.owner", []byte(goodSecret), ""); err != nil {
		t.Fatalf("the vault was taken: %v", err)
	}

	// Guessing through the session counts against the login throttle: 5
	// wrong secrets there, and the login page is slowed down too.
	for i := range 5 {
		if err := in.svc.ConfirmSession(ctx, p, vault.SecretProof("guess number "+string(rune('a'+i))), "192.0.2.7"); !errors.Is(err, vault.ErrWrongSecret) {
			t.Fatalf("wrong secret %d = %v", i, err)
		}
	}
	if _, err := in.svc.Login(ctx, "sudo.owner", []byte(goodSecret), ""); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("login after 5 wrong confirmations = %v, want ErrThrottled (one counter)", err)
	}
	if err := in.svc.ConfirmSession(ctx, p, vault.SecretProof(goodSecret), ""); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("confirmation while throttled = %v, want ErrThrottled", err)
	}
	d.clock.Add(2 * time.Minute)
	if err := in.svc.ConfirmSession(ctx, p, vault.RecoveryCodeProof("not a code"), ""); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("malformed code = %v, want ErrInvalid", err)
	}

	// The secret typed again: this session may, for 5 minutes.
	if err := in.svc.ConfirmSession(ctx, p, vault.SecretProof(goodSecret), ""); err != nil {
		t.Fatalf("ConfirmSession: %v", err)
	}
	p = stolen()
	if !p.IsConfirmed() {
		t.Fatal("confirmed session not seen as confirmed")
	}
	if err := in.svc.Export(ctx, p, io.Discard, vault.ExportAge, "README"); err != nil {
		t.Fatalf("age export once confirmed: %v", err)
	}
	d.clock.Add(vault.ConfirmWindow)
	if p = stolen(); p.IsConfirmed() {
		t.Fatal("confirmation outlived its 5 minutes")
	}
	if err := in.svc.Export(ctx, p, io.Discard, vault.ExportAge, "README"); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("age export 5 minutes later = %v", err)
	}
	// Another owner's session is not confirmed by this one.
	other, _ := in.signUp(t, "sudo.other")
	otok, _, err := in.svc.StartSession(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	op, _, err := in.svc.ResumeSession(ctx, otok)
	if err != nil || op.IsConfirmed() {
		t.Fatalf("other session: %v", err)
	}
}

// Changing the secret or the recovery code ends every other session of the
// owner, whichever instance serves it (two instances on one database); the
// session that made the change stays. On the old code the other session
// went on.
func TestSecretChangeEndsOtherSessions(t *testing.T) {
	d := newAcctDir(t)
	a, b := d.open(t), d.open(t)
	ctx := testCtx(t)
	owner, _ := a.signUp(t, "two.phones")
	mine, _, err := a.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	for step, change := range []func(p *vault.Principal) error{
		func(p *vault.Principal) error {
			return a.svc.ChangeSecret(ctx, p, []byte("pivoine chalet girafe tambour"))
		},
		func(p *vault.Principal) error { _, err := a.svc.NewRecoveryCode(ctx, p); return err },
	} {
		theirs, _, err := b.svc.StartSession(ctx, owner) // the thief's copy, served by instance b
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.ResumeSession(ctx, theirs); err != nil {
			t.Fatalf("step %d: other session before: %v", step, err)
		}
		p, _, err := a.svc.ResumeSession(ctx, mine)
		if err != nil {
			t.Fatal(err)
		}
		secret := goodSecret
		if step > 0 {
			secret = "pivoine chalet girafe tambour"
		}
		if err := a.svc.ConfirmSession(ctx, p, vault.SecretProof(secret), ""); err != nil {
			t.Fatal(err)
		}
		if err := change(p); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if _, _, err := b.svc.ResumeSession(ctx, theirs); !errors.Is(err, vault.ErrNoSession) {
			t.Fatalf("step %d: other session on instance b after the change = %v, want ErrNoSession", step, err)
		}
		if _, _, err := a.svc.ResumeSession(ctx, mine); err != nil {
			t.Fatalf("step %d: the session that made the change ended: %v", step, err)
		}
	}
	kinds := journalKinds(t, a.svc, owner)
	n := 0
	for _, k := range kinds {
		if k == vault.EventSessionsEnded {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("journal = %v, want two %s", kinds, vault.EventSessionsEnded)
	}
}

// A confirmation is judged when the action is done, not when the request
// began: a request resumed confirmed whose body is still arriving as the
// five minutes end is refused (attacker's review: a slow body stretched
// the window by up to 50 s).
func TestConfirmationJudgedWhenUsed(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "tard.venu")
	token, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := in.svc.ResumeSession(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.ConfirmSession(ctx, p, vault.SecretProof(goodSecret), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	d.clock.Add(vault.ConfirmWindow - 10*time.Second)
	late, _, err := in.svc.ResumeSession(ctx, token) // the request begins, confirmed
	if err != nil || !late.IsConfirmed() {
		t.Fatalf("resumed 10 s before the end: confirmed %v, %v", late.IsConfirmed(), err)
	}
	d.clock.Add(20 * time.Second) // its body arrives slowly
	if late.IsConfirmed() {
		t.Fatal("still confirmed after the window closed")
	}
	if err := vault.CanWidenAlerts(late); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("CanWidenAlerts after the window: %v", err)
	}
	if _, err := in.svc.NewRecoveryCode(ctx, late); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("a new recovery code after the window: %v", err)
	}
}
