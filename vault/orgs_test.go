package vault_test

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault"
)

func TestOrganisationsAndWorkers(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	org, key, err := in.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.ParseX25519Identity(key); err != nil || !strings.HasPrefix(org.PublicKey, "age1") || org.Name != "CCAS de Roubaix" {
		t.Fatalf("organisation %+v, key ok=%v", org, err)
	}
	if _, _, err := in.svc.CreateOrganisation(ctx, "  "); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("empty name: %v", err)
	}
	orgs, err := in.svc.Organisations(ctx)
	if err != nil || len(orgs) != 1 || orgs[0] != org {
		t.Fatalf("Organisations = %+v, %v", orgs, err)
	}
	for _, c := range []struct {
		name, org, email, wname, secret string
		want                            error
	}{
		{"bad email", org.ID, "not-an-email", "X", goodSecret, vault.ErrInvalid},
		{"no name", org.ID, "x@example.org", "", goodSecret, vault.ErrInvalid},
		{"weak", org.ID, "x@example.org", "X", "password1", vault.ErrWeakSecret},
		{"unknown org", "nope", "x@example.org", "X", goodSecret, vault.ErrInvalid},
	} {
		if _, _, err := in.svc.AddWorker(ctx, c.org, c.email, c.wname, []byte(c.secret), false); !errors.Is(err, c.want) {
			t.Errorf("AddWorker(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	w1, uri, err := in.svc.AddWorker(ctx, org.ID, "M.Morel@CCAS-Roubaix.fr", "Mme Morel", []byte(goodSecret), false)
	if err != nil || uri != "" {
		t.Fatalf("AddWorker = %q, %q, %v", w1, uri, err)
	}
	if _, _, err := in.svc.AddWorker(ctx, org.ID, "m.morel@ccas-roubaix.fr", "Autre", []byte(goodSecret), false); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("duplicate e-mail: %v", err)
	}
	info, err := in.svc.WorkerInfo(ctx, w1)
	if err != nil || info != (vault.PersonInfo{ID: w1, Name: "Mme Morel", OrgID: org.ID, OrgName: "CCAS de Roubaix", Kind: vault.KindWorker}) {
		t.Fatalf("WorkerInfo = %+v, %v", info, err)
	}
	if oi, err := in.svc.OrganisationInfo(ctx, org.ID); err != nil || oi.Name != org.Name || oi.Kind != vault.KindOrganisation {
		t.Fatalf("OrganisationInfo = %+v, %v", oi, err)
	}
	if _, err := in.svc.WorkerInfo(ctx, "nobody"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("WorkerInfo(nobody) = %v", err)
	}

	// The first member is pending until the recovery key activates it.
	p1, err := in.svc.LoginWorker(ctx, "m.morel@ccas-roubaix.fr", []byte(goodSecret), "", "")
	if err != nil || p1.OrgID() != org.ID || vault.OrgPublicKeyHeld(p1) != "" {
		t.Fatalf("pending member login = %v, %v (holds %q)", p1, err, vault.OrgPublicKeyHeld(p1))
	}
	other, otherKey, _ := in.svc.CreateOrganisation(ctx, "Autre")
	if _, err := in.svc.ActivateMembers(ctx, org.ID, otherKey); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("ActivateMembers(other key) = %v", err)
	}
	if _, err := in.svc.ActivateMembers(ctx, org.ID, "AGE-SECRET-KEY-1NOPE"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("ActivateMembers(malformed) = %v", err)
	}
	if n, err := in.svc.ActivateMembers(ctx, org.ID, key); err != nil || n != 1 {
		t.Fatalf("ActivateMembers = %d, %v", n, err)
	}
	p1, err = in.svc.LoginWorker(ctx, "m.morel@ccas-roubaix.fr", []byte(goodSecret), "", "")
	if err != nil || vault.OrgPublicKeyHeld(p1) != org.PublicKey {
		t.Fatalf("active member holds %q, %v", vault.OrgPublicKeyHeld(p1), err)
	}
	// A second member is activated by the first one's next login.
	w2, _, err := in.svc.AddWorker(ctx, org.ID, "b.lenoir@ccas-roubaix.fr", "M. Lenoir", []byte(goodSecret), false)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := in.svc.LoginWorker(ctx, "b.lenoir@ccas-roubaix.fr", []byte(goodSecret), "", ""); vault.OrgPublicKeyHeld(p) != "" {
		t.Fatal("second member active before anyone passed the identity on")
	}
	if _, err := in.svc.LoginWorker(ctx, "m.morel@ccas-roubaix.fr", []byte(goodSecret), "", ""); err != nil {
		t.Fatal(err)
	}
	p2, err := in.svc.LoginWorker(ctx, "b.lenoir@ccas-roubaix.fr", []byte(goodSecret), "", "")
	if err != nil || p2.ID() != w2 || vault.OrgPublicKeyHeld(p2) != org.PublicKey {
		t.Fatalf("second member after a member login holds %q, %v", vault.OrgPublicKeyHeld(p2), err)
	}
	// UnlockWorker (by id) sees the membership too.
	if u, err := in.svc.UnlockWorker(ctx, w2, []byte(goodSecret)); err != nil || vault.OrgPublicKeyHeld(u) != org.PublicKey || u.OrgID() != org.ID {
		t.Fatalf("UnlockWorker = %v, %v", u, err)
	}
	_ = other

	// A worker changes their secret.
	if err := in.svc.ChangeSecret(ctx, p2, []byte("pivoine chalet girafe tambour")); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.LoginWorker(ctx, "b.lenoir@ccas-roubaix.fr", []byte("pivoine chalet girafe tambour"), "", ""); err != nil {
		t.Fatalf("worker login after change: %v", err)
	}

	// Documents granted to the organisation are wrapped to its key.
	owner, _ := in.signUp(t, "beneficiaire")
	doc, err := in.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "tax", Title: "avis", Pages: 1, Profile: "caf"}, bytes.NewReader([]byte("payload")))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.Grant(ctx, owner, doc.ID, vault.Grantee{Kind: vault.KindOrganisation, ID: org.ID}); err != nil {
		t.Fatalf("Grant to organisation: %v", err)
	}
}

func TestWorkerTOTP(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	_, uri, err := in.svc.AddWorker(ctx, "", "agent@example.org", "Agent", []byte(goodSecret), true)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("TOTP URI %q: %v", uri, err)
	}
	q := u.Query()
	secret := q.Get("secret")
	if len(secret) < 32 || q.Get("issuer") != "Coffre" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("TOTP URI query %v", q)
	}
	login := func(code string) error {
		_, err := in.svc.LoginWorker(ctx, "agent@example.org", []byte(goodSecret), code, "")
		return err
	}
	now := d.clock.Now()
	if err := login(""); !errors.Is(err, vault.ErrWrongTOTP) {
		t.Fatalf("no code: %v", err)
	}
	if err := login("000000"); !errors.Is(err, vault.ErrWrongTOTP) && vault.TOTPCode(secret, now) != "000000" {
		t.Fatalf("wrong code: %v", err)
	}
	// A code from the previous step is accepted (clock skew)…
	if err := login(vault.TOTPCode(secret, now.Add(-30*time.Second))); err != nil {
		t.Fatalf("previous-step code: %v", err)
	}
	// …but never twice, nor an older one after a newer.
	if err := login(vault.TOTPCode(secret, now.Add(-30*time.Second))); !errors.Is(err, vault.ErrWrongTOTP) {
		t.Fatalf("replayed code: %v", err)
	}
	code := vault.TOTPCode(secret, now)
	if err := login(code[:3] + " " + code[3:]); err != nil {
		t.Fatalf("current code with a space: %v", err)
	}
	d.clock.Add(2 * time.Minute)
	if err := login(code); !errors.Is(err, vault.ErrWrongTOTP) {
		t.Fatalf("stale code: %v", err)
	}
	// A wrong secret with a right code is still a wrong secret.
	_, err = in.svc.LoginWorker(ctx, "agent@example.org", []byte("not the secret"), vault.TOTPCode(secret, d.clock.Now()), "")
	if !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("wrong secret, right code: %v", err)
	}
}

// RFC 6238 appendix B vectors (SHA-1, 8 digits there; 6 here = last 6).
func TestTOTPVectors(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := vault.TOTPCode(secret, time.Unix(v.unix, 0)); got != v.want {
			t.Errorf("TOTP at %d = %s, want %s", v.unix, got, v.want)
		}
	}
}

func TestAssistedRecovery(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	org, key, err := in.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	other, otherKey, _ := in.svc.CreateOrganisation(ctx, "Autre structure")
	in.svc.AddWorker(ctx, org.ID, "morel@ccas.fr", "Mme Morel", []byte(goodSecret), false)
	in.svc.AddWorker(ctx, other.ID, "x@autre.fr", "X", []byte(goodSecret), false)
	w, err := in.svc.LoginWorker(ctx, "morel@ccas.fr", []byte(goodSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	wOther, _ := in.svc.LoginWorker(ctx, "x@autre.fr", []byte(goodSecret), "", "")

	// Opted in at sign-up.
	id, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "06 11 22 33 44", Secret: []byte(goodSecret), AssistedRecoveryOrg: org.ID}, w)
	if err != nil {
		t.Fatal(err)
	}
	content := randomBytes(t, 4000)
	doc, err := in.svc.AddDocument(ctx, id, vault.NewDocument{Category: "identity", Title: "CNI", Pages: 2, Profile: "caf"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	// Not opted in.
	in.signUp(t, "sans-assistance")

	const newSecret = "pivoine chalet girafe tambour"
	cases := []struct {
		name            string
		worker          *vault.Principal
		key, ident, sec string
		want            error
	}{
		{"other org's key", w, otherKey, "0611223344", newSecret, vault.ErrWrongRecoveryCode},
		{"malformed key", w, "hello", "0611223344", newSecret, vault.ErrInvalid},
		{"worker of another org", wOther, otherKey, "0611223344", newSecret, vault.ErrNoAccess},
		{"not opted in", w, key, "sans-assistance", newSecret, vault.ErrNoAccess},
		{"unknown person", w, key, "personne", newSecret, vault.ErrNoAccess},
		{"weak secret", w, key, "0611223344", "1234", vault.ErrWeakSecret},
	}
	for _, c := range cases {
		if _, err := in.svc.AssistedRecover(ctx, c.worker, c.key, c.ident, []byte(c.sec)); !errors.Is(err, c.want) {
			t.Errorf("AssistedRecover(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	owner, err := in.svc.Login(ctx, "0611223344", []byte(goodSecret), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.AssistedRecover(ctx, owner, key, "0611223344", []byte(newSecret)); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("AssistedRecover by an owner: %v", err)
	}
	tok, _, _ := in.svc.StartSession(ctx, owner)

	p, err := in.svc.AssistedRecover(ctx, w, key, "06 11 22 33 44", []byte(newSecret))
	if err != nil || p.ID() != id {
		t.Fatalf("AssistedRecover = %v, %v", p, err)
	}
	got, err := readDoc(t, in.svc, p, doc.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("document after assisted recovery: %v", err)
	}
	if _, _, err := in.svc.ResumeSession(ctx, tok); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("old session survived assisted recovery: %v", err)
	}
	if _, err := in.svc.Login(ctx, "0611223344", []byte(newSecret), ""); err != nil {
		t.Fatalf("login with the new secret: %v", err)
	}
	// The owner withdraws the permission: the key no longer works.
	if err := in.svc.SetAssistedRecovery(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.AssistedRecover(ctx, w, key, "0611223344", []byte(goodSecret)); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("after withdrawal: %v", err)
	}
	// And opts in again, for the other organisation.
	if err := in.svc.SetAssistedRecovery(ctx, p, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.AssistedRecover(ctx, wOther, otherKey, "0611223344", []byte(goodSecret)); err != nil {
		t.Fatalf("other organisation after opt-in: %v", err)
	}
	if err := in.svc.SetAssistedRecovery(ctx, p, "nope"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("SetAssistedRecovery(unknown) = %v", err)
	}
}
