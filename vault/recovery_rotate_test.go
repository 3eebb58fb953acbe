package vault_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// journalKinds lists the kinds of the owner's journal, in order.
func journalKinds(t *testing.T, svc *vault.Service, p *vault.Principal) []string {
	t.Helper()
	evs, err := svc.Journal(testCtx(t), p)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func TestRecoverIssuesNewCode(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	p, code := in.signUp(t, "recup-rotation")
	content := randomBytes(t, 5000)
	doc, err := in.svc.AddDocument(ctx, p.ID(), vault.NewDocument{Category: "tax", Title: "avis", Pages: 1, Profile: "caf"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	const s2 = "pivoine chalet girafe tambour"
	rp, fresh, err := in.svc.Recover(ctx, "recup-rotation", code, []byte(s2), "192.0.2.7")
	if err != nil || rp.ID() != p.ID() {
		t.Fatalf("Recover = %v, %v", rp, err)
	}
	if fresh.IsZero() || fresh.String() == code {
		t.Fatalf("no new code after recovery: %q", fresh.String())
	}
	if _, err := seal.ParseRecoveryCode(fresh.String()); err != nil {
		t.Fatalf("new code does not parse: %v", err)
	}
	// Replaying the used code: refused like any wrong code, nothing changes.
	for i := 0; i < 3; i++ {
		if _, _, err := in.svc.Recover(ctx, "recup-rotation", code, []byte(goodSecret), "192.0.2.8"); !errors.Is(err, vault.ErrWrongRecoveryCode) {
			t.Fatalf("replayed code: %v, want ErrWrongRecoveryCode", err)
		}
	}
	if _, err := in.svc.Login(ctx, "recup-rotation", []byte(s2), ""); err != nil {
		t.Fatalf("secret set at recovery lost after a replay: %v", err)
	}
	// The new code works, and the documents are intact.
	rp2, fresh2, err := in.svc.Recover(ctx, "recup-rotation", fresh.String(), []byte(goodSecret), "")
	if err != nil || fresh2.String() == fresh.String() {
		t.Fatalf("Recover with the new code = %v", err)
	}
	got, err := readDoc(t, in.svc, rp2, doc.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("document after two recoveries: %v", err)
	}
	if due, err := in.svc.RecoverySheetDue(ctx, rp2); err != nil || due {
		t.Fatalf("RecoverySheetDue after recovery by code = %v, %v; want false (the code was shown)", due, err)
	}
	n := 0
	for _, k := range journalKinds(t, in.svc, rp2) {
		if k == vault.EventRecoveryCodeReissued {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("journal has %d %q entries, want 2", n, vault.EventRecoveryCodeReissued)
	}
}

// Several recoveries racing with the same code, on two instances sharing
// the database: exactly one wins; the others are refused and change nothing.
func TestRecoverConcurrentSameCode(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	in2 := d.open(t)
	ctx := testCtx(t)
	p, code := in.signUp(t, "recup-course")
	secrets := []string{"pivoine chalet girafe tambour", "citron balcon otarie fanfare", "grenier cobalt loutre vanille", "moulin ardoise pelican sirop"}
	type result struct {
		i    int
		code seal.RecoveryCode
		err  error
	}
	out := make(chan result, len(secrets))
	var start sync.WaitGroup
	start.Add(1)
	for i, s := range secrets {
		svc := in.svc
		if i%2 == 1 {
			svc = in2.svc
		}
		go func() {
			start.Wait()
			_, c, err := svc.Recover(ctx, "recup-course", code, []byte(s), "")
			out <- result{i, c, err}
		}()
	}
	start.Done()
	winner := -1
	var fresh seal.RecoveryCode
	for range secrets {
		r := <-out
		switch {
		case r.err == nil:
			if winner >= 0 {
				t.Fatalf("recoveries %d and %d both succeeded with the same code", winner, r.i)
			}
			winner, fresh = r.i, r.code
		case !errors.Is(r.err, vault.ErrWrongRecoveryCode):
			t.Fatalf("losing recovery %d: %v, want ErrWrongRecoveryCode", r.i, r.err)
		}
	}
	if winner < 0 {
		t.Fatal("no recovery succeeded")
	}
	// The winner's secret and code are the ones in force.
	for i, s := range secrets {
		_, err := in.svc.Login(ctx, "recup-course", []byte(s), "")
		if (i == winner) != (err == nil) {
			t.Fatalf("login with secret %d (winner %d): %v", i, winner, err)
		}
	}
	if _, _, err := in.svc.Recover(ctx, "recup-course", code, []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("used code after the race: %v", err)
	}
	rp, _, err := in2.svc.Recover(ctx, "recup-course", fresh.String(), []byte(goodSecret), "")
	if err != nil || rp.ID() != p.ID() {
		t.Fatalf("winner's new code: %v", err)
	}
	n := 0
	for _, k := range journalKinds(t, in.svc, rp) {
		if k == vault.EventRecovery {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("journal has %d recoveries, want 2 (the winner, then the new code)", n)
	}
}

// An assisted recovery cancels the owner's code without showing a new one
// to the worker; the owner is asked to print a new sheet.
func TestAssistedRecoveryCancelsCode(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	org, key, err := in.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.AddWorker(ctx, org.ID, "morel@ccas.fr", "Mme Morel", []byte(goodSecret), false); err != nil {
		t.Fatal(err)
	}
	w, err := in.svc.LoginWorker(ctx, "morel@ccas.fr", []byte(goodSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "0622334455", Secret: []byte(goodSecret), AssistedRecoveryOrg: org.ID}, w); err != nil {
		t.Fatal(err)
	}
	first, err := in.svc.Login(ctx, "0622334455", []byte(goodSecret), "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := in.svc.NewRecoveryCode(ctx, first) // the worker saw none
	if err != nil {
		t.Fatal(err)
	}
	const s2 = "pivoine chalet girafe tambour"
	if _, err := in.svc.AssistedRecover(ctx, w, key, "0622334455", []byte(s2)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.Recover(ctx, "0622334455", code.String(), []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("sheet after assisted recovery: %v, want ErrWrongRecoveryCode", err)
	}
	owner, err := in.svc.Login(ctx, "0622334455", []byte(s2), "")
	if err != nil {
		t.Fatal(err)
	}
	if due, err := in.svc.RecoverySheetDue(ctx, owner); err != nil || !due {
		t.Fatalf("RecoverySheetDue after assisted recovery = %v, %v; want true", due, err)
	}
	if _, err := in.svc.RecoverySheetDue(ctx, w); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("RecoverySheetDue(worker) = %v, want ErrInvalid", err)
	}
	kinds := journalKinds(t, in.svc, owner)
	if len(kinds) < 3 || kinds[len(kinds)-3] != vault.EventAssistedRecovery || kinds[len(kinds)-2] != vault.EventRecoveryCodeRevoked {
		t.Fatalf("journal = %v", kinds)
	}
	renewed, err := in.svc.NewRecoveryCode(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if due, err := in.svc.RecoverySheetDue(ctx, owner); err != nil || due {
		t.Fatalf("RecoverySheetDue after a new sheet = %v, %v; want false", due, err)
	}
	if _, _, err := in.svc.Recover(ctx, "0622334455", renewed.String(), []byte(goodSecret), ""); err != nil {
		t.Fatalf("new sheet after assisted recovery: %v", err)
	}
}
