package vault_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

var errOrgCrash = errors.New("simulated crash")

// crashAt makes the rotation stop at the n-th time it reaches step.
func crashAt(step string, n int) func(string) error {
	seen := 0
	return func(s string) error {
		if s != step {
			return nil
		}
		if seen++; seen == n {
			return fmt.Errorf("%w at %s #%d", errOrgCrash, step, n)
		}
		return nil
	}
}

// Rotating an organisation's key re-wraps every live grant to the new key
// and overwrites the old wraps. Stopped midway (twice: among the wraps, then
// among the journal entries), nothing is unreadable for the members in
// between, the rerun finishes, and each owner is told once. Afterwards a
// copy of the old key (what a removed member could have kept) opens nothing
// in the database, and the members read everything with the new key,
// through a session opened before the rotation too.
func TestRotateOrganisationKeyResumable(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		d := newAcctDir(t)
		in1, in2 := d.open(t), d.open(t)
		testRotation(t, d, in1, in2, in1.meta)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		pg := testenv.Postgres(t)
		url := pg.NewDatabase(t)
		d := newAcctDir(t)
		var first vault.MetaStore
		open := func() *instance {
			ms, err := meta.OpenPostgres(testCtx(t), url, vault.RowKeyOption(testPepper))
			if err != nil {
				t.Fatalf("OpenPostgres: %v", err)
			}
			t.Cleanup(func() { _ = ms.Close() })
			if first == nil {
				first = ms
			}
			bs, err := local.New(filepath.Join(d.dir, "blobs"))
			if err != nil {
				t.Fatal(err)
			}
			svc, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: d.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			return &instance{svc: svc}
		}
		in1, in2 := open(), open()
		testRotation(t, d, in1, in2, first)
	})
}

// testRotation runs the rotation scenario on two instances of a database.
func testRotation(t *testing.T, d *acctDir, in1, in2 *instance, ms vault.MetaStore) {
	ctx := testCtx(t)
	w1, org := in1.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	leaver, _ := in1.orgWorker(t, org, "", "M. Parti")
	oldKey := vault.OrgIdentityHeld(leaver)
	if oldKey == nil {
		t.Fatal("member holds no organisation key")
	}
	key, _ := orgKeys.Load(org)
	recoveryKey := key.(string)
	grantee := vault.Grantee{Kind: vault.KindOrganisation, ID: org}

	o1, _ := in1.signUp(t, "beneficiaire.un")
	o2, _ := in1.signUp(t, "beneficiaire.deux")
	var docs []vault.Document
	for i, o := range []*vault.Principal{o1, o1, o2} {
		doc := in1.addTyped(t, o.ID(), "avis-impot", fmt.Sprintf("avis %d", i), fmt.Sprintf("contenu %d", i))
		if _, err := in1.svc.GrantConsent(ctx, o, vault.NewConsent{
			Grantee: grantee, Scope: vault.Scope{Documents: []string{doc.ID}}, Purpose: "Dossier RSA", Days: 31,
		}); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	if err := in1.svc.RemoveMember(ctx, leaver.ID()); err != nil {
		t.Fatal(err)
	}
	// Removed, the leaver has no session and no key any more; but whoever
	// kept the old key in memory still opens the organisation's wraps...
	if _, err := readDoc(t, in1.svc, leaver, docs[0].ID); err != nil {
		t.Fatalf("before the rotation, a copy of the old key reads: %v", err)
	}
	// w1 keeps a session on instance 2 through the whole rotation.
	token, _, err := in2.svc.StartSession(ctx, w1)
	if err != nil {
		t.Fatal(err)
	}
	readAll := func(what string, more ...vault.Document) {
		t.Helper()
		p, _, err := in2.svc.ResumeSession(ctx, token)
		if err != nil {
			t.Fatalf("%s: member's session: %v", what, err)
		}
		for _, doc := range append(append([]vault.Document(nil), docs...), more...) {
			got, err := readDoc(t, in2.svc, p, doc.ID)
			if err != nil || !strings.HasPrefix(string(got), "contenu") {
				t.Fatalf("%s: member reads %s: %q, %v", what, doc.Title, got, err)
			}
		}
		ks, err := in2.svc.Consents(ctx, p)
		if err != nil || len(ks) < 3 || ks[0].Purpose != "Dossier RSA" {
			t.Fatalf("%s: member's consents = %+v, %v", what, ks, err)
		}
	}
	readAll("before")

	// First run: crash after the second document key was re-wrapped.
	vault.SetRotationHook(in1.svc, crashAt("wrap", 2))
	if _, err := in1.svc.RotateOrganisationKey(ctx, org, recoveryKey); !errors.Is(err, errOrgCrash) {
		t.Fatalf("first run: %v, want the simulated crash", err)
	}
	readAll("after a crash among the wraps")
	// A consent granted while the rotation is under way goes to the new key.
	o3, _ := in1.signUp(t, "beneficiaire.trois")
	late := in1.addTyped(t, o3.ID(), "avis-impot", "avis tardif", "contenu tardif")
	if _, err := in1.svc.GrantConsent(ctx, o3, vault.NewConsent{
		Grantee: grantee, Scope: vault.Scope{Documents: []string{late.ID}}, Purpose: "Dossier RSA", Days: 31,
	}); err != nil {
		t.Fatal(err)
	}
	readAll("with a consent granted mid-rotation", late)

	// Second run: crash after the first owner was told.
	vault.SetRotationHook(in1.svc, crashAt("journal", 1))
	rep, err := in1.svc.RotateOrganisationKey(ctx, org, recoveryKey)
	if !errors.Is(err, errOrgCrash) || !rep.Resumed {
		t.Fatalf("second run: %+v, %v; want a resumed run and the simulated crash", rep, err)
	}
	readAll("after a crash among the journal entries", late)

	// Third run finishes.
	vault.SetRotationHook(in1.svc, nil)
	rep, err = in1.svc.RotateOrganisationKey(ctx, org, recoveryKey)
	if err != nil || !rep.Resumed {
		t.Fatalf("third run: %+v, %v", rep, err)
	}
	orgs, err := in1.svc.Organisations(ctx)
	if err != nil || len(orgs) != 1 || orgs[0].PublicKey != rep.PublicKey || rep.PublicKey == oldKey.Recipient().String() {
		t.Fatalf("organisation key after rotation = %+v (report %s), %v", orgs, rep.PublicKey, err)
	}
	readAll("after the rotation", late)
	if p, err := in2.svc.LoginWorker(ctx, workerEmail(t, in2, w1.ID()), []byte(goodSecret), "", ""); err != nil ||
		vault.OrgPublicKeyHeld(p) != rep.PublicKey {
		t.Fatalf("member logging in holds %q, %v", vault.OrgPublicKeyHeld(p), err)
	}

	// The old key opens nothing live: no wrap, no consent's details.
	accs, err := ms.ListAccess(ctx, vault.KindOrganisation, org)
	if err != nil || len(accs) != 4 {
		t.Fatalf("organisation wraps: %d, %v", len(accs), err)
	}
	for _, a := range accs {
		if _, err := seal.UnwrapIdentity(a.Wrap.WrappedKey, oldKey); err == nil {
			t.Fatalf("the old key still opens document %s", a.Document.ID)
		}
	}
	cs, err := ms.LiveConsentsFor(ctx, vault.KindOrganisation, org, d.clock.Now())
	if err != nil || len(cs) != 4 {
		t.Fatalf("organisation consents: %d, %v", len(cs), err)
	}
	for _, c := range cs {
		if _, err := seal.OpenString(c.DetailsSealed, oldKey); err == nil || c.GranteePublicKey != rep.PublicKey {
			t.Fatalf("consent %s: old key opens its details (%v) or points at %s", c.ID, err, c.GranteePublicKey)
		}
	}
	// The leaver, still holding the old key in memory, reads nothing.
	for _, doc := range docs {
		if _, err := readDoc(t, in1.svc, leaver, doc.ID); err == nil {
			t.Fatalf("a copy of the old key still reads %s", doc.Title)
		}
	}
	// Each owner whose shares were re-wrapped is told once, in plain words.
	for i, o := range []*vault.Principal{o1, o2} {
		texts := journalTexts(t, in1, o)
		if n := countContaining(texts, vault.EventOrgKeyRotated+": CCAS de Roubaix"); n != 1 {
			t.Fatalf("owner %d told %d times:\n%s", i+1, n, strings.Join(texts, "\n"))
		}
	}
	// A bad recovery key changes nothing and says so.
	if _, err := in1.svc.RotateOrganisationKey(ctx, org, "AGE-SECRET-KEY-1NOPE"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("malformed key: %v", err)
	}
	_, otherKey, _ := in1.svc.CreateOrganisation(ctx, "Autre")
	if _, err := in1.svc.RotateOrganisationKey(ctx, org, otherKey); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("another organisation's key: %v", err)
	}
}

// A stop-sharing taken back after the organisation's key was rotated is too
// late (the rotation skips stopped shares: an undo would wrap the paper to
// the retired key, which a removed member may keep); a stop taken back
// twice (Back, then the button again) is done once.
func TestUndoAfterOrgKeyRotation(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	w, org := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	leaver, _ := in.orgWorker(t, org, "", "M. Parti")
	key, _ := orgKeys.Load(org)
	grantee := vault.Grantee{Kind: vault.KindOrganisation, ID: org}
	o, _ := in.signUp(t, "beneficiaire.undo")
	doc := in.addTyped(t, o.ID(), "avis-impot", "avis", "contenu avis")
	k, err := in.svc.GrantConsent(ctx, o, vault.NewConsent{Grantee: grantee, Scope: vault.Scope{Documents: []string{doc.ID}}, Purpose: "RSA", Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	// Stopped and taken back twice: the second undo finds it live, no error.
	if err := in.svc.RevokeConsent(ctx, o, k.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := in.svc.UndoRevoke(ctx, o, k.ID); err != nil {
			t.Fatalf("undo %d: %v", i+1, err)
		}
	}
	if got, err := readDoc(t, in.svc, w, doc.ID); err != nil || string(got) != "contenu avis" {
		t.Fatalf("member after the undo: %q, %v", got, err)
	}
	// Stopped, the key rotated, then the undo: refused.
	if err := in.svc.RevokeConsent(ctx, o, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.RemoveMember(ctx, leaver.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.RotateOrganisationKey(ctx, org, key.(string)); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if err := in.svc.UndoRevoke(ctx, o, k.ID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("undo after the rotation: %v, want ErrNotFound", err)
	}
	if got, err := readDoc(t, in.svc, leaver, doc.ID); err == nil {
		t.Fatalf("a copy of the retired organisation key reads the paper: %q", got)
	}
}
