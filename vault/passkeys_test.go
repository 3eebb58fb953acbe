package vault_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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

func cred(name string) []byte { return []byte("credential-" + name) }

// resumed is p as a later request sees it: from its session, not confirmed.
func (in *instance) resumed(t *testing.T, p *vault.Principal) *vault.Principal {
	t.Helper()
	ctx := testCtx(t)
	tok, _, err := in.svc.StartSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := in.svc.ResumeSession(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if r.IsConfirmed() {
		t.Fatal("a resumed session is confirmed")
	}
	return r
}

// passkeysByName lists p's passkeys by device name.
func (in *instance) passkeysByName(t *testing.T, p *vault.Principal) map[string]vault.Passkey {
	t.Helper()
	list, err := in.svc.Passkeys(testCtx(t), p)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]vault.Passkey{}
	for _, k := range list {
		m[k.Name] = k
	}
	return m
}

// journalTexts returns the owner's journal as facts: "kind «detail»" (the
// words are the api's; the vault records codes and names).
func (in *instance) journalTexts(t *testing.T, p *vault.Principal) []string {
	t.Helper()
	evs, err := in.svc.Journal(testCtx(t), p)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind + " «" + e.Detail + "»"
	}
	return out
}

func hasText(texts []string, sub string) bool {
	return slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, sub) })
}

// A PRF passkey opens the vault with no typed secret: the owner's papers
// decrypt; removing it destroys its wrap and it no longer opens. A
// passkey without PRF signs in, then the secret opens the vault once.
func TestPasskeyOpensVault(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.owner")
	doc := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "contenu de l'avis")
	out := prf(t)
	id, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: cred("phone"), PublicKey: []byte("cose-key"),
		Name: "Téléphone", PRF: out, Transports: []string{"internal", "hybrid"}})
	if err != nil {
		t.Fatalf("AddPasskey: %v", err)
	}
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: cred("noprf"), PublicKey: []byte("k2"), Name: "Vieux téléphone"}); err != nil {
		t.Fatalf("AddPasskey without PRF: %v", err)
	}
	if m := in.passkeysByName(t, owner); len(m) != 2 || !m["Téléphone"].Unlocks || m["Vieux téléphone"].Unlocks || !m["Téléphone"].LastUsed.IsZero() {
		t.Fatalf("Passkeys = %+v", m)
	}
	c, err := in.svc.PasskeyByCredential(ctx, cred("phone"))
	if err != nil || c.Kind != vault.KindOwner || c.PrincipalID != owner.ID() || !bytes.Equal(c.UserHandle, owner.UserHandle()) ||
		!slices.Equal(c.Transports, []string{"internal", "hybrid"}) {
		t.Fatalf("PasskeyByCredential = %+v, %v", c, err)
	}

	p, device, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("phone"), SignCount: 1, PRF: out}, vault.Client{IP: "192.0.2.1"})
	if err != nil || device == "" {
		t.Fatalf("LoginWithPasskey: %v (device %q)", err, device)
	}
	got, err := readDoc(t, in.svc, p, doc.ID)
	if err != nil || string(got) != "contenu de l'avis" {
		t.Fatalf("paper after passkey sign-in = %q, %v", got, err)
	}
	if in.passkeysByName(t, owner)["Téléphone"].LastUsed.IsZero() {
		t.Error("last use not recorded")
	}
	if texts := in.journalTexts(t, p); !hasText(texts, vault.EventPasskeyLogin+" «Téléphone»") ||
		!hasText(texts, vault.EventPasskeyAdded+" «Vieux téléphone»") {
		t.Errorf("journal = %q", texts)
	}
	// Replayed assertion (counter not moving forward): refused, the stored
	// counter stays.
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("phone"), SignCount: 1, PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrPasskeyReplay) {
		t.Errorf("replayed counter = %v, want ErrPasskeyReplay", err)
	}
	if c, _ := in.svc.PasskeyByCredential(ctx, cred("phone")); c.SignCount != 1 {
		t.Errorf("counter after the replay = %d, want 1", c.SignCount)
	}
	// A wrong PRF output opens nothing and moves nothing.
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("phone"), SignCount: 5, PRF: prf(t)}, vault.Client{}); !errors.Is(err, vault.ErrWrongSecret) {
		t.Errorf("wrong PRF = %v, want ErrWrongSecret", err)
	}
	if c, _ := in.svc.PasskeyByCredential(ctx, cred("phone")); c.SignCount != 1 {
		t.Errorf("counter after a wrong PRF = %d, want 1", c.SignCount)
	}
	// No PRF: signs in, then the secret opens the vault, once.
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("noprf")}, vault.Client{}); !errors.Is(err, vault.ErrPasskeyNeedsSecret) {
		t.Errorf("no-PRF passkey = %v, want ErrPasskeyNeedsSecret", err)
	}
	if _, _, err := in.svc.UnlockWithPasskeySecret(ctx, vault.PasskeySecret{CredentialID: cred("noprf"), Secret: []byte("pas le bon secret")}, vault.Client{}); !errors.Is(err, vault.ErrWrongSecret) {
		t.Errorf("no-PRF passkey with a wrong secret = %v", err)
	}
	p2, _, err := in.svc.UnlockWithPasskeySecret(ctx, vault.PasskeySecret{CredentialID: cred("noprf"), Secret: []byte(goodSecret)}, vault.Client{})
	if err != nil {
		t.Fatalf("no-PRF passkey and the secret: %v", err)
	}
	if got, err := readDoc(t, in.svc, p2, doc.ID); err != nil || string(got) != "contenu de l'avis" {
		t.Fatalf("paper after passkey + secret = %q, %v", got, err)
	}
	if in.passkeysByName(t, owner)["Vieux téléphone"].Unlocks {
		t.Error("a passkey without PRF output now unlocks")
	}
	// Sudo mode accepts a fresh passkey assertion, of either passkey.
	if err := in.svc.CheckProof(ctx, p, vault.PasskeyProof{CredentialID: cred("phone"), SignCount: 6, PRF: out}, ""); err != nil {
		t.Errorf("passkey proof: %v", err)
	}
	if err := in.svc.CheckProof(ctx, p, vault.PasskeyProof{CredentialID: cred("noprf")}, ""); err != nil {
		t.Errorf("passkey proof without PRF: %v", err)
	}
	if err := in.svc.RemovePasskey(ctx, owner, id); err != nil {
		t.Fatalf("RemovePasskey: %v", err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("phone"), SignCount: 9, PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("removed passkey = %v, want ErrNotFound", err)
	}
	if m := in.passkeysByName(t, owner); len(m) != 1 || m["Vieux téléphone"].ID == "" {
		t.Errorf("after removal: %+v", m)
	}
	if texts := in.journalTexts(t, p); !hasText(texts, vault.EventPasskeyRemoved+" «Téléphone»") {
		t.Errorf("journal = %q", texts)
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
		"blank name":              {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "  "},
		"control in name":         {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "a\x1bb"},
		"invalid UTF-8 name":      {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "a\xffb"},
		"short PRF":               {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "x", PRF: []byte("short")},
		"odd transport":           {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "x", Transports: []string{"<script>"}},
		"many transports":         {CredentialID: []byte("c"), PublicKey: []byte("k"), Name: "x", Transports: make([]string, 9)},
	}
	for name, np := range bad {
		if _, err := in.svc.AddPasskey(ctx, owner, np); !errors.Is(err, vault.ErrInvalid) {
			t.Errorf("%s = %v, want ErrInvalid", name, err)
		}
	}
	if list, _ := in.svc.Passkeys(ctx, owner); len(list) != 0 {
		t.Fatalf("refused passkeys were written: %+v", list)
	}
	// A session alone (not confirmed) adds and removes nothing.
	thief := in.resumed(t, owner)
	if _, err := in.svc.AddPasskey(ctx, thief, ok); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Errorf("add with a session alone = %v, want ErrConfirmRequired", err)
	}
	if _, err := in.svc.AddPasskey(ctx, owner, ok); err != nil {
		t.Fatal(err)
	}
	list, _ := in.svc.Passkeys(ctx, owner)
	if err := in.svc.RemovePasskey(ctx, thief, list[0].ID); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Errorf("remove with a session alone = %v, want ErrConfirmRequired", err)
	}
	// The same credential enrolled by another owner: conflict.
	if _, err := in.svc.AddPasskey(ctx, other, ok); !errors.Is(err, vault.ErrConflict) {
		t.Errorf("stolen credential id = %v, want ErrConflict", err)
	}
	// Unknown credential, oversized credential id.
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: []byte("nobody"), PRF: prf(t)}, vault.Client{}); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("unknown credential = %v, want ErrNotFound", err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: bytes.Repeat([]byte{1}, 1024)}, vault.Client{}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("oversized credential id = %v, want ErrInvalid", err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: ok.CredentialID, SignCount: 1, PRF: []byte("court")}, vault.Client{}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("short PRF at sign-in = %v, want ErrInvalid", err)
	}
	// Another owner's passkey is no proof for this owner, and cannot be
	// enrolled to open their vault.
	if err := in.svc.CheckProof(ctx, other, vault.PasskeyProof{CredentialID: ok.CredentialID, SignCount: 3, PRF: ok.PRF}, ""); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("other owner's passkey as proof = %v, want ErrInvalid", err)
	}
	if err := in.svc.EnrolPasskeyPRF(ctx, other, vault.PasskeyAssertion{CredentialID: ok.CredentialID, SignCount: 3, PRF: prf(t)}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("other owner's passkey enrolled = %v, want ErrInvalid", err)
	}
	// Another owner cannot remove it; a malformed id is not found either.
	if err := in.svc.RemovePasskey(ctx, other, list[0].ID); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("remove by another owner = %v, want ErrNotFound", err)
	}
	if err := in.svc.RemovePasskey(ctx, owner, "../../x"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("remove with a malformed id = %v, want ErrNotFound", err)
	}
	if c, err := in.svc.PasskeyByCredential(ctx, ok.CredentialID); err != nil || c.SignCount != 0 {
		t.Errorf("after the hostile attempts: %+v, %v (nothing may move)", c, err)
	}
}

// A passkey sign-in counts on the very login counter of the secret: wrong
// PRF outputs slow down the secret's logins, and wrong secrets slow down
// the passkey, while a known device keeps its own budget.
func TestPasskeySameThrottle(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.throttle")
	out := prf(t)
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: cred("t"), PublicKey: []byte("k"), Name: "Téléphone", PRF: out}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("t"), SignCount: uint32(i + 1), PRF: prf(t)}, vault.Client{}); !errors.Is(err, vault.ErrWrongSecret) {
			t.Fatalf("wrong PRF %d = %v", i, err)
		}
	}
	if _, err := in.svc.Login(ctx, "passkey.throttle", []byte(goodSecret), ""); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("secret after 5 wrong passkey outputs = %v, want throttled", err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("t"), SignCount: 9, PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("right passkey while blocked = %v, want throttled", err)
	}
	// The owner's own browser, known by its device token, is not locked
	// out by failures from elsewhere.
	d.clock.Add(2 * time.Hour)
	_, device, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("t"), SignCount: 10, PRF: out}, vault.Client{})
	if err != nil || device == "" {
		t.Fatalf("after the delay: %v", err)
	}
	for range 6 {
		_, _ = in.svc.Login(ctx, "passkey.throttle", []byte("pas le bon secret du tout"), "")
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("t"), SignCount: 11, PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("passkey after wrong secrets from elsewhere = %v, want throttled", err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("t"), SignCount: 12, PRF: out}, vault.Client{Device: device}); err != nil {
		t.Fatalf("passkey from the known device = %v", err)
	}
}

// After a key rotation the passkeys still sign in; each asks the new
// secret once, then opens the vault again; the journal says which.
// After a recovery they keep opening it, and the journal says so.
func TestPasskeyAfterRotationAndRecovery(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, code := in.signUp(t, "passkey.rotate")
	doc := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis après rotation")
	out := prf(t)
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: cred("r"), PublicKey: []byte("k"), Name: "Téléphone d'Awa", PRF: out}); err != nil {
		t.Fatal(err)
	}
	// Recovery: same identity, the passkey keeps opening the vault.
	const s2 = "autre jardin violon tempete"
	rp, _, err := in.svc.Recover(ctx, "passkey.rotate", code, []byte(s2), "")
	if err != nil {
		t.Fatal(err)
	}
	if texts := in.journalTexts(t, rp); !hasText(texts, vault.EventPasskeysKept+" «Téléphone d'Awa»") {
		t.Errorf("journal after recovery = %q", texts)
	}
	p, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("r"), SignCount: 1, PRF: out}, vault.Client{})
	if err != nil {
		t.Fatalf("passkey after recovery: %v", err)
	}
	in.mustRead(t, p, doc, "avis après rotation")

	// Key rotation: the wrap of the old identity is destroyed.
	const s3 = "troisieme jardin violon tempete"
	if _, err := in.svc.RotateKeys(ctx, p, []byte(s3)); err != nil {
		t.Fatal(err)
	}
	if m := in.passkeysByName(t, p); m["Téléphone d'Awa"].Unlocks || !m["Téléphone d'Awa"].Reenrol {
		t.Fatalf("after rotation: %+v", m)
	}
	if texts := in.journalTexts(t, p); !hasText(texts, vault.EventPasskeysToReenrol+" «Téléphone d'Awa»") {
		t.Errorf("journal after rotation = %q", texts)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("r"), SignCount: 2, PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrPasskeyNeedsSecret) {
		t.Fatalf("passkey after rotation = %v, want ErrPasskeyNeedsSecret", err)
	}
	// The old secret opens nothing; the new one opens and re-enrols.
	if _, _, err := in.svc.UnlockWithPasskeySecret(ctx, vault.PasskeySecret{CredentialID: cred("r"), Secret: []byte(s2), PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("old secret after rotation = %v", err)
	}
	np, _, err := in.svc.UnlockWithPasskeySecret(ctx, vault.PasskeySecret{CredentialID: cred("r"), Secret: []byte(s3), PRF: out}, vault.Client{})
	if err != nil {
		t.Fatal(err)
	}
	in.mustRead(t, np, doc, "avis après rotation")
	if texts := in.journalTexts(t, np); !hasText(texts, vault.EventPasskeyReenrolled+" «Téléphone d'Awa»") {
		t.Errorf("journal after re-enrolment = %q", texts)
	}
	if m := in.passkeysByName(t, np); !m["Téléphone d'Awa"].Unlocks || m["Téléphone d'Awa"].Reenrol {
		t.Fatalf("after re-enrolment: %+v", m)
	}
	p3, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("r"), SignCount: 3, PRF: out}, vault.Client{})
	if err != nil {
		t.Fatalf("passkey after re-enrolment: %v", err)
	}
	in.mustRead(t, p3, doc, "avis après rotation")
	if rep, err := in.svc.VerifyJournal(ctx, p3.ID()); err != nil || !rep.OK() {
		t.Fatalf("VerifyJournal: %+v, %v", rep, err)
	}
}

// A second step gives a passkey registered without PRF output its wrap
// (the authenticator answers PRF only at sign-in).
func TestEnrolPasskeyPRF(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.enrol")
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: cred("e"), PublicKey: []byte("k"), Name: "Téléphone"}); err != nil {
		t.Fatal(err)
	}
	out := prf(t)
	if err := in.svc.EnrolPasskeyPRF(ctx, owner, vault.PasskeyAssertion{CredentialID: cred("e"), SignCount: 1}); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("enrol without PRF = %v", err)
	}
	if err := in.svc.EnrolPasskeyPRF(ctx, owner, vault.PasskeyAssertion{CredentialID: cred("e"), SignCount: 1, PRF: out}); err != nil {
		t.Fatal(err)
	}
	if !in.passkeysByName(t, owner)["Téléphone"].Unlocks {
		t.Fatal("not unlocking after enrolment")
	}
	// Once enrolled, another PRF output is refused (it would not open).
	if err := in.svc.EnrolPasskeyPRF(ctx, owner, vault.PasskeyAssertion{CredentialID: cred("e"), SignCount: 2, PRF: prf(t)}); !errors.Is(err, vault.ErrWrongSecret) {
		t.Errorf("enrol again with another output = %v", err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("e"), SignCount: 3, PRF: out}, vault.Client{}); err != nil {
		t.Fatal(err)
	}
	if texts := in.journalTexts(t, owner); !hasText(texts, vault.EventPasskeyUnlocks+" «Téléphone»") {
		t.Errorf("journal = %q", texts)
	}
}

// Workers add passkeys too, after confirming; a passkey opens their
// identity (and organisation's), stands in for the one-time code, and a
// disabled worker's passkey opens nothing.
func TestWorkerPasskey(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	w, org := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	thief := in.resumed(t, w)
	out := prf(t)
	np := vault.NewPasskey{CredentialID: cred("w"), PublicKey: []byte("k"), Name: "Téléphone pro", PRF: out}
	if _, err := in.svc.AddPasskey(ctx, thief, np); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("worker add with a session alone = %v", err)
	}
	if err := in.svc.ConfirmSession(ctx, thief, vault.RecoveryCodeProof("ABCD"), ""); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("worker confirming with a recovery code = %v", err)
	}
	if err := in.svc.ConfirmSession(ctx, thief, vault.SecretProof("pas le bon secret"), ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Errorf("worker confirming with a wrong secret = %v", err)
	}
	if err := in.svc.ConfirmSession(ctx, thief, vault.SecretProof(goodSecret), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.AddPasskey(ctx, thief, np); err != nil {
		t.Fatal(err)
	}
	if m := in.passkeysByName(t, w); !m["Téléphone pro"].Unlocks {
		t.Fatalf("worker passkeys = %+v", m)
	}
	p, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("w"), SignCount: 1, PRF: out}, vault.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind() != vault.KindWorker || p.ID() != w.ID() || p.PublicKey() != w.PublicKey() || p.OrgID() != org ||
		vault.OrgPublicKeyHeld(p) != vault.OrgPublicKeyHeld(w) || vault.OrgPublicKeyHeld(p) == "" {
		t.Fatalf("worker from passkey: %s %s org %q", p.Kind(), p.ID(), p.OrgID())
	}
	// A fresh passkey assertion confirms a worker's session.
	s2 := in.resumed(t, w)
	if err := in.svc.ConfirmSession(ctx, s2, vault.PasskeyProof{CredentialID: cred("w"), SignCount: 2, PRF: out}, ""); err != nil || !s2.IsConfirmed() {
		t.Fatalf("worker confirmed by passkey: %v", err)
	}
	if err := in.svc.DisableWorker(ctx, w.ID()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("w"), SignCount: 3, PRF: out}, vault.Client{}); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("disabled worker's passkey = %v", err)
	}
	if c, _ := in.svc.PasskeyByCredential(ctx, cred("w")); c.SignCount != 2 {
		t.Errorf("counter moved for a disabled worker: %d", c.SignCount)
	}
}

// A challenge is taken once, by its binding and purpose, before it
// expires, on any instance sharing the database.
func TestCeremonies(t *testing.T) {
	d := newAcctDir(t)
	in, in2 := d.open(t), d.open(t)
	ctx := testCtx(t)
	ch := bytes.Repeat([]byte{7}, 32)
	if err := in.svc.SaveCeremony(ctx, ch, "browser-1", "login", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.SaveCeremony(ctx, ch[:8], "browser-1", "login", []byte("x")); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("short challenge = %v", err)
	}
	for _, c := range []struct{ binding, purpose string }{{"browser-2", "login"}, {"browser-1", "register"}} {
		if _, err := in2.svc.TakeCeremony(ctx, ch, c.binding, c.purpose); !errors.Is(err, vault.ErrNotFound) {
			t.Errorf("take with %+v = %v, want ErrNotFound", c, err)
		}
	}
	data, err := in2.svc.TakeCeremony(ctx, ch, "browser-1", "login")
	if err != nil || string(data) != `{"x":1}` {
		t.Fatalf("take on another instance = %q, %v", data, err)
	}
	if _, err := in.svc.TakeCeremony(ctx, ch, "browser-1", "login"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("second take = %v, want ErrNotFound", err)
	}
	ch2 := bytes.Repeat([]byte{8}, 32)
	if err := in.svc.SaveCeremony(ctx, ch2, "browser-1", "login", []byte("y")); err != nil {
		t.Fatal(err)
	}
	d.clock.Add(vault.CeremonyTTL)
	if _, err := in.svc.TakeCeremony(ctx, ch2, "browser-1", "login"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("expired take = %v, want ErrNotFound", err)
	}
	// A browser keeps a few at most.
	for i := range 5 {
		if err := in.svc.SaveCeremony(ctx, bytes.Repeat([]byte{byte(20 + i)}, 32), "browser-3", "login", []byte("z")); err != nil {
			t.Fatal(err)
		}
		d.clock.Add(time.Second)
	}
	if _, err := in.svc.TakeCeremony(ctx, bytes.Repeat([]byte{20}, 32), "browser-3", "login"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("oldest of five = %v, want dropped", err)
	}
	if _, err := in.svc.TakeCeremony(ctx, bytes.Repeat([]byte{24}, 32), "browser-3", "login"); err != nil {
		t.Errorf("newest of five = %v", err)
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
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: []byte("cred-m"), SignCount: 1, PRF: out}, vault.Client{}); err != nil {
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

// A secret change removes every passkey: one added by someone who knew the
// old secret (a helper) no longer signs in, nor opens the vault; the
// journal names each one removed (attacker's review L2). The owner and a
// worker alike.
func TestSecretChangeRemovesPasskeys(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "passkey.secret")
	out := prf(t)
	if _, err := in.svc.AddPasskey(ctx, owner, vault.NewPasskey{CredentialID: cred("helper"), PublicKey: []byte("k"), Name: "Téléphone de l'aide", PRF: out}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("helper"), SignCount: 1, PRF: out}, vault.Client{}); err != nil {
		t.Fatalf("the passkey before the change: %v", err)
	}
	if err := in.svc.ChangeSecret(ctx, owner, []byte("nouveau jardin violon tempete")); err != nil {
		t.Fatal(err)
	}
	if m := in.passkeysByName(t, owner); len(m) != 0 {
		t.Fatalf("passkeys after the secret changed: %+v", m)
	}
	if _, _, err := in.svc.LoginWithPasskey(ctx, vault.PasskeyAssertion{CredentialID: cred("helper"), SignCount: 2, PRF: out}, vault.Client{}); err == nil {
		t.Fatal("the helper's passkey still signs in after the secret changed")
	}
	if texts := in.journalTexts(t, owner); !hasText(texts, vault.EventPasskeyRemoved+" «Téléphone de l'aide»") {
		t.Errorf("journal after the change = %q", texts)
	}

	w, _ := in.orgWorker(t, "", "CCAS de Lille", "M. Petit")
	if _, err := in.svc.AddPasskey(ctx, w, vault.NewPasskey{CredentialID: cred("w-helper"), PublicKey: []byte("k"), Name: "Autre téléphone"}); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.ChangeSecret(ctx, w, []byte("nouveau jardin violon orage")); err != nil {
		t.Fatal(err)
	}
	if m := in.passkeysByName(t, w); len(m) != 0 {
		t.Fatalf("a worker's passkeys after the secret changed: %+v", m)
	}
}
