package vault_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/coffre/coffre/vault"
)

func TestSignUpLoginRecover(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)

	id, code, err := in.svc.SignUp(ctx, vault.NewOwner{
		Identifier: "06 12 34 56 78", Secret: []byte(goodSecret), Lang: "fr", DisplayName: "Mme Diallo",
	}, nil)
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if code.IsZero() {
		t.Fatal("no recovery code")
	}
	// Another spelling of the same number is the same identifier.
	_, _, err = in.svc.SignUp(ctx, vault.NewOwner{Identifier: "+33 6 12 34 56 78", Secret: []byte(goodSecret)}, nil)
	if !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("second SignUp = %v, want ErrConflict", err)
	}
	if got, err := in.svc.OwnerIDByIdentifier(ctx, "06.12.34.56.78"); err != nil || got != id {
		t.Fatalf("OwnerIDByIdentifier = %q, %v; want %q", got, err, id)
	}
	if _, err := in.svc.OwnerIDByIdentifier(ctx, "07 00 00 00 00"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("OwnerIDByIdentifier(unknown) = %v", err)
	}
	for _, c := range []struct {
		name string
		nw   vault.NewOwner
		want error
	}{
		{"weak secret", vault.NewOwner{Identifier: "weakling", Secret: []byte("123456")}, vault.ErrWeakSecret},
		{"bad identifier", vault.NewOwner{Identifier: "a b", Secret: []byte(goodSecret)}, vault.ErrInvalid},
		{"bad lang", vault.NewOwner{Identifier: "langue", Secret: []byte(goodSecret), Lang: "de"}, vault.ErrInvalid},
		{"unknown org", vault.NewOwner{Identifier: "orgless", Secret: []byte(goodSecret), AssistedRecoveryOrg: "nope"}, vault.ErrInvalid},
		{"name with a right-to-left override", vault.NewOwner{Identifier: "renverse", Secret: []byte(goodSecret), DisplayName: "Awa\u202egnp.exe"}, vault.ErrInvalid},
	} {
		if _, _, err := in.svc.SignUp(ctx, c.nw, nil); !errors.Is(err, c.want) {
			t.Errorf("SignUp(%s) = %v, want %v", c.name, err, c.want)
		}
	}

	p, err := in.svc.Login(ctx, "0612345678", []byte(goodSecret), "198.51.100.7")
	if err != nil || p.ID() != id || p.Kind() != vault.KindOwner {
		t.Fatalf("Login = %v, %v", p, err)
	}
	// The owner sees the identifier as typed at sign-up; any way of
	// writing it logs in.
	prof, err := in.svc.OwnerProfile(ctx, p)
	if err != nil || prof.Identifier != "06 12 34 56 78" || prof.DisplayName != "Mme Diallo" || prof.Lang != "fr" {
		t.Fatalf("OwnerProfile = %+v, %v", prof, err)
	}
	if _, err := in.svc.Login(ctx, "0612345678", []byte("wrong secret here"), ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := in.svc.Login(ctx, "nobody-here", []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("unknown identifier: %v, want ErrWrongSecret", err)
	}

	// Documents survive recovery.
	docs := map[string][]byte{}
	for _, title := range []string{"avis d'impôt", "quittance"} {
		content := randomBytes(t, 3000)
		doc, err := in.svc.AddDocument(ctx, id, vault.NewDocument{Category: "tax", Title: title, Pages: 1, Profile: "caf"}, bytes.NewReader(content))
		if err != nil {
			t.Fatalf("AddDocument: %v", err)
		}
		docs[doc.ID] = content
	}
	tok, _, err := in.svc.StartSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}

	const newSecret = "pivoine chalet girafe tambour"
	typo := []byte(code.String())
	typo[0] = map[bool]byte{true: 'B', false: 'A'}[typo[0] == 'A']
	for _, bad := range []string{"ABCD-EFGH", string(typo), "!!!!"} {
		if _, _, err := in.svc.Recover(ctx, "06 12 34 56 78", bad, []byte(newSecret), ""); !errors.Is(err, vault.ErrInvalid) {
			t.Fatalf("Recover(malformed code %q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, _, err := in.svc.Recover(ctx, "06 12 34 56 78", code.String(), []byte("short"), ""); !errors.Is(err, vault.ErrWeakSecret) {
		t.Fatalf("Recover(weak) = %v", err)
	}
	other, _ := mustCode(t)
	if _, _, err := in.svc.Recover(ctx, "06 12 34 56 78", other, []byte(newSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("Recover(other code) = %v, want ErrWrongRecoveryCode", err)
	}
	if _, _, err := in.svc.Recover(ctx, "unknown-person", code.String(), []byte(newSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("Recover(unknown) = %v, want ErrWrongRecoveryCode", err)
	}
	// Lower case, spaces instead of dashes: still the code.
	typed := bytes.ToLower([]byte(code.String()))
	typed = bytes.ReplaceAll(typed, []byte("-"), []byte(" "))
	rp, fresh, err := in.svc.Recover(ctx, "06 12 34 56 78", string(typed), []byte(newSecret), "")
	if err != nil || rp.ID() != id || fresh.IsZero() || fresh.String() == code.String() {
		t.Fatalf("Recover = %v, %v", rp, err)
	}
	for docID, want := range docs {
		got, err := readDoc(t, in.svc, rp, docID)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("document %s after recovery: %v", docID, err)
		}
	}
	if _, _, err := in.svc.ResumeSession(ctx, tok); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("session before recovery still alive: %v", err)
	}
	if _, err := in.svc.Login(ctx, "0612345678", []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("old secret after recovery: %v", err)
	}
	if _, err := in.svc.Login(ctx, "0612345678", []byte(newSecret), ""); err != nil {
		t.Fatalf("new secret after recovery: %v", err)
	}
	// The used sheet no longer works; the code issued at recovery does,
	// and is itself replaced by that recovery.
	if _, _, err := in.svc.Recover(ctx, "0612345678", code.String(), []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("second recovery with the used sheet: %v", err)
	}
	_, fresh2, err := in.svc.Recover(ctx, "0612345678", fresh.String(), []byte(goodSecret), "")
	if err != nil || fresh2.String() == fresh.String() {
		t.Fatalf("recovery with the code issued at recovery: %v", err)
	}
	if _, _, err := in.svc.Recover(ctx, "0612345678", fresh.String(), []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("code issued at recovery, replayed: %v", err)
	}
	code = fresh2
	renewed, err := in.svc.NewRecoveryCode(ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.Recover(ctx, "0612345678", code.String(), []byte(newSecret), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("old code after renewal: %v", err)
	}
	if _, _, err := in.svc.Recover(ctx, "0612345678", renewed.String(), []byte(newSecret), ""); err != nil {
		t.Fatalf("renewed code: %v", err)
	}

	// Change secret.
	p2, err := in.svc.Login(ctx, "0612345678", []byte(newSecret), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.ChangeSecret(ctx, p2, []byte("abc")); !errors.Is(err, vault.ErrWeakSecret) {
		t.Fatalf("ChangeSecret(weak) = %v", err)
	}
	if err := in.svc.ChangeSecret(ctx, p2, []byte(goodSecret)); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Login(ctx, "0612345678", []byte(goodSecret), ""); err != nil {
		t.Fatalf("login after ChangeSecret: %v", err)
	}
	if err := in.svc.SetProfile(ctx, p2, "Awa", "en"); err != nil {
		t.Fatal(err)
	}
	if prof, err := in.svc.OwnerProfile(ctx, p2); err != nil || prof.DisplayName != "Awa" || prof.Lang != "en" {
		t.Fatalf("profile after SetProfile = %+v, %v", prof, err)
	}
	// Any language with a catalogue, written as people write it: Dari's
	// ISO 639-3 code is its catalogue's fa-AF, Pashto's ISO 639-2 code ps.
	for in_, want := range map[string]string{"prs": "fa-AF", "pus": "ps", "ar-MA": "ar", "fr-x-falc": "fr-x-falc"} {
		if err := in.svc.SetProfile(ctx, p2, "Awa", in_); err != nil {
			t.Fatalf("SetProfile(%s) = %v", in_, err)
		}
		if prof, err := in.svc.OwnerProfile(ctx, p2); err != nil || prof.Lang != want {
			t.Fatalf("language %s kept as %q, %v; want %s", in_, prof.Lang, err, want)
		}
	}
	if err := in.svc.SetProfile(ctx, p2, "Awa", "de"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("SetProfile(de) = %v, want ErrInvalid", err)
	}
}

// mustCode returns a fresh valid recovery code that opens nothing.
func mustCode(t *testing.T) (string, error) {
	t.Helper()
	d := newAcctDir(t)
	in := d.open(t)
	_, code, err := in.svc.SignUp(testCtx(t), vault.NewOwner{Identifier: "someone-else", Secret: []byte(goodSecret)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return code.String(), nil
}

func TestSignUpByWorker(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	org, _, err := in.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	wid, _, err := in.svc.AddWorker(ctx, org.ID, "m.morel@ccas-roubaix.fr", "Mme Morel", []byte(goodSecret), false)
	if err != nil {
		t.Fatal(err)
	}
	w, err := in.svc.LoginWorker(ctx, "M.Morel@ccas-roubaix.fr", []byte(goodSecret), "", "")
	if err != nil || w.ID() != wid || w.OrgID() != org.ID {
		t.Fatalf("LoginWorker = %v, %v", w, err)
	}
	// The person types their own secret; the worker's principal only marks
	// who helped.
	// The worker never sees the recovery code (issue 13): SignUp hands
	// back none, and the owner is asked to make the sheet at first sign-in.
	id, code, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "karim.b", Secret: []byte("ma fille s'appelle Inès"), AssistedRecoveryOrg: org.ID}, w)
	if err != nil || !code.IsZero() {
		t.Fatalf("SignUp by worker = code %v, %v; want no code", !code.IsZero(), err)
	}
	p, err := in.svc.Login(ctx, "Karim.B", []byte("ma fille s'appelle Inès"), "")
	if err != nil || p.ID() != id {
		t.Fatalf("owner login: %v", err)
	}
	if due, err := in.svc.RecoverySheetDue(ctx, p); err != nil || !due {
		t.Fatalf("RecoverySheetDue at first sign-in = %v, %v; want true", due, err)
	}
	if _, err := in.svc.NewRecoveryCode(ctx, p); err != nil {
		t.Fatal(err)
	}
	if due, err := in.svc.RecoverySheetDue(ctx, p); err != nil || due {
		t.Fatalf("RecoverySheetDue after the sheet = %v, %v; want false", due, err)
	}
	prof, err := in.svc.OwnerProfile(ctx, p)
	if err != nil || prof.AssistedRecoveryOrg != org.ID || prof.AssistedRecoveryOrgName != "CCAS de Roubaix" {
		t.Fatalf("profile = %+v, %v", prof, err)
	}
	// An owner cannot sign others up.
	if _, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "third", Secret: []byte(goodSecret)}, p); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("SignUp by owner = %v, want ErrInvalid", err)
	}
}
