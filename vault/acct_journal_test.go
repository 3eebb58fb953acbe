package vault_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// The account events reach the owner's journal, in order, in plain words.
func TestAccountJournal(t *testing.T) {
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
	id, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "journal", Secret: []byte(goodSecret), AssistedRecoveryOrg: org.ID}, w)
	if err != nil {
		t.Fatal(err)
	}
	p0, err := in.svc.Login(ctx, "journal", []byte(goodSecret), "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := in.svc.NewRecoveryCode(ctx, p0) // the worker saw none
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; {
		_, err := in.svc.Login(ctx, "journal", fmt.Appendf(nil, "guess %d", i), "")
		var te *vault.ThrottledError
		if errors.As(err, &te) {
			d.clock.Add(te.RetryAfter)
			continue
		}
		i++
	}
	d.clock.Add(time.Hour)
	const s2 = "pivoine chalet girafe tambour"
	if _, _, err := in.svc.Recover(ctx, "journal", code.String(), []byte(s2), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.AssistedRecover(ctx, w, key, "journal", []byte(goodSecret)); err != nil {
		t.Fatal(err)
	}
	p, err := in.svc.Login(ctx, "journal", []byte(goodSecret), "")
	if err != nil || p.ID() != id {
		t.Fatal(err)
	}
	if err := in.svc.EndAllSessions(ctx, p); err != nil {
		t.Fatal(err)
	}
	evs, err := in.svc.Journal(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var kinds, texts []string
	for _, e := range evs {
		if e.Kind == vault.EventLogin && len(kinds) > 0 && kinds[len(kinds)-1] == vault.EventLogin {
			continue
		}
		kinds = append(kinds, e.Kind)
		texts = append(texts, eventFacts(e))
	}
	want := []string{vault.EventSignup, vault.EventRecoveryCodeWithheld, vault.EventLogin, vault.EventRecoveryCodeRenewed,
		vault.EventLoginLocked, vault.EventRecovery,
		vault.EventRecoveryCodeReissued, vault.EventAssistedRecovery, vault.EventRecoveryCodeRevoked,
		vault.EventLogin, vault.EventLogoutEverywhere}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("journal kinds = %v, want %v\n%s", kinds, want, strings.Join(texts, "\n"))
	}
	if !strings.Contains(texts[0], "Mme Morel") || !strings.Contains(texts[1], "Mme Morel") || !strings.Contains(texts[7], "Mme Morel") {
		t.Fatalf("worker not named:\n%s", strings.Join(texts, "\n"))
	}
	t.Logf("journal:\n%s", strings.Join(texts, "\n"))
	rep, err := in.svc.VerifyJournal(ctx, id)
	if err != nil || !rep.OK() {
		t.Fatalf("VerifyJournal = %+v, %v", rep, err)
	}
}
