package vault_test

import (
	"errors"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// A stolen session (cookie and CSRF token, never confirmed) cannot widen
// who reads the vault: granting a consent, sharing one paper and accepting
// a request all need the secret typed again in that session, and nothing
// is granted meanwhile. Undoing a stop-sharing needs no confirmation: it
// restores exactly what the owner granted. On the old code the thief's
// accomplice got a 365-day consent.
func TestStolenSessionCannotGrant(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "sudo.sharer")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis 2025", "avis")
	accomplice, _ := in.orgWorker(t, "", "Fausse Asso", "M. Complice")
	r, err := in.svc.CreateRequest(ctx, accomplice, vault.NewRequest{
		OwnerID: owner.ID(), Purpose: "Dossier", Types: []string{"avis-impot"}, Days: 365,
	})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := in.svc.ResumeSession(ctx, token)
	if err != nil || p.IsConfirmed() {
		t.Fatalf("ResumeSession = %v (confirmed %v)", err, p.IsConfirmed())
	}
	refused := map[string]func() error{
		"grant consent": func() error {
			_, err := in.svc.GrantConsent(ctx, p, vault.NewConsent{Grantee: workerGrantee(accomplice),
				Scope: vault.Scope{Documents: []string{tax.ID}, Types: []string{"avis-impot"}}, Days: 365})
			return err
		},
		"grant one paper": func() error { return in.svc.Grant(ctx, p, tax.ID, workerGrantee(accomplice)) },
		"accept request": func() error {
			_, err := in.svc.AcceptRequest(ctx, p, r.ID, vault.Acceptance{Documents: []string{tax.ID}, Future: []string{"avis-impot"}})
			return err
		},
	}
	for name, do := range refused {
		if err := do(); !errors.Is(err, vault.ErrConfirmRequired) {
			t.Errorf("%s with the session alone = %v, want ErrConfirmRequired", name, err)
		}
	}
	if cs, err := in.svc.Consents(ctx, owner); err != nil || len(cs) != 0 {
		t.Fatalf("consents after the refusals = %+v, %v", cs, err)
	}
	in.mustNotRead(t, accomplice, tax)
	if rs, err := in.svc.Requests(ctx, owner); err != nil || len(rs) != 1 || rs[0].Status != vault.RequestPending {
		t.Fatalf("request after the refused accept = %+v, %v", rs, err)
	}

	// The secret typed again in this session: accepting works, and for 5
	// minutes without asking again.
	if err := in.svc.ConfirmSession(ctx, p, vault.SecretProof(goodSecret), ""); err != nil {
		t.Fatalf("ConfirmSession: %v", err)
	}
	p, _, err = in.svc.ResumeSession(ctx, token)
	if err != nil || !p.IsConfirmed() {
		t.Fatalf("ResumeSession after confirming = %v (confirmed %v)", err, p.IsConfirmed())
	}
	k, err := in.svc.AcceptRequest(ctx, p, r.ID, vault.Acceptance{Documents: []string{tax.ID}})
	if err != nil {
		t.Fatalf("accept once confirmed: %v", err)
	}
	in.mustRead(t, accomplice, tax, "avis")

	// Stopping and undoing within the minute restores exactly that
	// consent, with the session alone (the window has passed).
	d.clock.Add(vault.ConfirmWindow)
	p, _, err = in.svc.ResumeSession(ctx, token)
	if err != nil || p.IsConfirmed() {
		t.Fatalf("ResumeSession after the window = %v (confirmed %v)", err, p.IsConfirmed())
	}
	if err := in.svc.RevokeConsent(ctx, p, k.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	in.mustNotRead(t, accomplice, tax)
	d.clock.Add(10 * time.Second)
	if err := in.svc.UndoRevoke(ctx, p, k.ID); err != nil {
		t.Fatalf("undo with the session alone: %v", err)
	}
	in.mustRead(t, accomplice, tax, "avis")
	cs, err := in.svc.Consents(ctx, owner)
	if err != nil || len(cs) != 1 || cs[0].ID != k.ID || !cs[0].Expires.Equal(k.Expires) || len(cs[0].Scope.Types) != 0 {
		t.Fatalf("consents after undo = %+v, %v; want exactly %+v", cs, err, k)
	}
	if _, err := in.svc.GrantConsent(ctx, p, vault.NewConsent{Grantee: workerGrantee(accomplice),
		Scope: vault.Scope{Types: []string{"avis-impot"}}, Days: 365}); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("grant after the window = %v, want ErrConfirmRequired", err)
	}
}
