package vault_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// ownerIdentity reads the owner's identity out of an age export (what a
// thief who saw the export, or the secret and the database, would hold).
func ownerIdentity(t *testing.T, svc *vault.Service, p *vault.Principal) *age.X25519Identity {
	t.Helper()
	var buf bytes.Buffer
	if err := svc.Export(testCtx(t), p, &buf, vault.ExportAge, "README"); err != nil {
		t.Fatalf("Export age: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("identity.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(string(b), "\n")
	id, err := age.ParseX25519Identity(lines[1])
	if err != nil {
		t.Fatalf("identity.txt: %v", err)
	}
	return id
}

// rotationFixture is an owner with papers, one shared with a worker, a
// request from that worker and a drop link.
type rotationFixture struct {
	owner  *vault.Principal
	worker *vault.Principal
	docs   []vault.Document
}

func newRotationFixture(t *testing.T, in *instance, ident string) rotationFixture {
	t.Helper()
	ctx := testCtx(t)
	owner, _ := in.signUp(t, ident)
	w, _ := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	f := rotationFixture{owner: owner, worker: w}
	for i, typ := range []string{"avis-impot", "rib", "bulletin-paie"} {
		f.docs = append(f.docs, in.addTyped(t, owner.ID(), typ, fmt.Sprintf("Papier %d", i), fmt.Sprintf("contenu %d", i)))
	}
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: vault.Grantee{Kind: vault.KindWorker, ID: w.ID()},
		Scope: vault.Scope{Documents: []string{f.docs[0].ID}}, Purpose: "Dossier RSA", Days: 31}); err != nil {
		t.Fatalf("GrantConsent: %v", err)
	}
	if _, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: owner.ID(), Purpose: "APL", Types: []string{"rib"}, Days: 31}); err != nil {
		t.Fatalf("CreateRequest: %v", err)
	}
	if _, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Papiers CAF"}); err != nil {
		t.Fatalf("CreateDropLink: %v", err)
	}
	return f
}

// checkRotated asserts that old opens nothing of the owner's any more and
// that the owner (p) and the worker read what they should.
func checkRotated(t *testing.T, in *instance, f rotationFixture, p *vault.Principal, old *age.X25519Identity) {
	t.Helper()
	ctx := testCtx(t)
	for _, d := range f.docs {
		ws, err := in.meta.Wraps(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if w.RecipientKind != meta.RecipientOwner {
				continue
			}
			if _, err := seal.UnwrapIdentity(w.WrappedKey, old); err == nil {
				t.Errorf("the old identity still opens the key of %s", d.ID)
			}
		}
		in.mustRead(t, p, d, "contenu "+strings.TrimPrefix(d.Title, "Papier "))
	}
	in.mustRead(t, f.worker, f.docs[0], "contenu 0")
	cs, err := in.meta.ConsentsOfOwner(ctx, p.ID())
	if err != nil || len(cs) == 0 {
		t.Fatalf("consents: %v", err)
	}
	rs, err := in.meta.RequestsOfOwner(ctx, p.ID())
	if err != nil || len(rs) == 0 {
		t.Fatalf("requests: %v", err)
	}
	ls, err := in.meta.DropLinksOfOwner(ctx, p.ID())
	if err != nil || len(ls) == 0 {
		t.Fatalf("links: %v", err)
	}
	sealed := [][]byte{cs[0].DetailsSealed, rs[0].DetailsSealed, ls[0].DetailsSealed}
	for i, s := range sealed {
		if _, err := seal.OpenString(s, old); err == nil {
			t.Errorf("the old identity still opens details %d", i)
		}
	}
	// The owner and the worker still read the details.
	if c, err := in.svc.Consents(ctx, p); err != nil || len(c) == 0 || c[0].Purpose != "Dossier RSA" {
		t.Fatalf("owner's consents: %+v, %v", c, err)
	}
	if r, err := in.svc.Requests(ctx, f.worker); err != nil || len(r) == 0 || r[0].Purpose != "APL" {
		t.Fatalf("worker's requests: %+v, %v", r, err)
	}
	if r, err := in.svc.Requests(ctx, p); err != nil || len(r) == 0 || r[0].Purpose != "APL" {
		t.Fatalf("owner's requests: %+v, %v", r, err)
	}
	if l, err := in.svc.DropLinks(ctx, p, p.ID()); err != nil || len(l) == 0 || l[0].Label != "Papiers CAF" {
		t.Fatalf("owner's links: %+v, %v", l, err)
	}
	// The journal, written before the rotation too, still reads.
	if _, err := in.svc.Journal(ctx, p); err != nil {
		t.Fatalf("Journal after rotation: %v", err)
	}
	if _, err := in.meta.KeyRotation(ctx, p.ID()); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("rotation still in progress: %v", err)
	}
}

// "I think someone saw my secret": from a confirmed session, the owner
// gets a new identity, secret and recovery code; every document key is
// re-wrapped and the old identity, the old secret and the old code open
// nothing; the other sessions end; journaled.
func TestRotateKeys(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	f := newRotationFixture(t, in, "rot.owner")
	old := ownerIdentity(t, in.svc, f.owner)
	_, oldCode := in.signUpCode(t, f.owner)
	mine, _, err := in.svc.StartSession(ctx, f.owner)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := in.svc.StartSession(ctx, f.owner)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := in.svc.ResumeSession(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	const s2 = "pivoine chalet girafe tambour"
	if _, err := in.svc.RotateKeys(ctx, p, []byte(s2)); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("rotation from the session alone = %v", err)
	}
	if err := in.svc.ConfirmSession(ctx, p, vault.SecretProof(goodSecret), ""); err != nil {
		t.Fatal(err)
	}
	code, err := in.svc.RotateKeys(ctx, p, []byte(s2))
	if err != nil {
		t.Fatalf("RotateKeys: %v", err)
	}
	if p.PublicKey() == old.Recipient().String() {
		t.Fatal("same identity after rotation")
	}
	// The session that asked goes on, with the new key; the other ended.
	p, _, err = in.svc.ResumeSession(ctx, mine)
	if err != nil {
		t.Fatalf("own session after rotation: %v", err)
	}
	if _, _, err := in.svc.ResumeSession(ctx, theirs); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("other session after rotation = %v", err)
	}
	checkRotated(t, in, f, p, old)
	if _, err := in.svc.Login(ctx, "rot.owner", []byte(goodSecret), ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("old secret after rotation = %v", err)
	}
	if _, _, err := in.svc.Recover(ctx, "rot.owner", oldCode, []byte("autre jardin violon tempete"), ""); !errors.Is(err, vault.ErrWrongRecoveryCode) {
		t.Fatalf("old recovery code after rotation = %v", err)
	}
	np, err := in.svc.Login(ctx, "rot.owner", []byte(s2), "")
	if err != nil || np.PublicKey() != p.PublicKey() {
		t.Fatalf("new secret: %v", err)
	}
	if prof, err := in.svc.OwnerProfile(ctx, np); err != nil || prof.Identifier != "rot.owner" {
		t.Fatalf("profile after rotation: %+v, %v", prof, err)
	}
	kinds := journalKinds(t, in.svc, np)
	if !slices.Contains(kinds, vault.EventKeysRotated) {
		t.Fatalf("journal = %v", kinds)
	}
	if rep, err := in.svc.VerifyJournal(ctx, np.ID()); err != nil || !rep.OK() {
		t.Fatalf("VerifyJournal: %+v, %v", rep, err)
	}
	if _, _, err := in.svc.Recover(ctx, "rot.owner", code.String(), []byte("autre jardin violon tempete"), ""); err != nil {
		t.Fatalf("new recovery code: %v", err)
	}
}

// signUpCode gives the owner a recovery code they know (a new sheet).
func (in *instance) signUpCode(t *testing.T, p *vault.Principal) (*vault.Principal, string) {
	t.Helper()
	code, err := in.svc.NewRecoveryCode(testCtx(t), p)
	if err != nil {
		t.Fatal(err)
	}
	return p, code.String()
}

// errCrash stands for the process dying at that point.
var errCrash = errors.New("crash")

// crashingMeta fails the at-th call of one method, before it writes.
type crashingMeta struct {
	vault.MetaStore
	method string
	at, n  int
}

func (c *crashingMeta) hit(m string) error {
	if m != c.method {
		return nil
	}
	c.n++
	if c.n == c.at {
		return errCrash
	}
	return nil
}

func (c *crashingMeta) SetOwnerWrap(ctx context.Context, docID, ownerID string, w []byte) error {
	if err := c.hit("SetOwnerWrap"); err != nil {
		return err
	}
	return c.MetaStore.SetOwnerWrap(ctx, docID, ownerID, w)
}

func (c *crashingMeta) SwitchOwnerKeys(ctx context.Context, sw meta.OwnerKeySwitch) error {
	if err := c.hit("SwitchOwnerKeys"); err != nil {
		return err
	}
	return c.MetaStore.SwitchOwnerKeys(ctx, sw)
}

func (c *crashingMeta) SetDetailsSealed(ctx context.Context, what, id, ownerID string, sealed []byte) error {
	if err := c.hit("SetDetailsSealed"); err != nil {
		return err
	}
	return c.MetaStore.SetDetailsSealed(ctx, what, id, ownerID, sealed)
}

func (c *crashingMeta) FinishKeyRotation(ctx context.Context, ownerID string) error {
	if err := c.hit("FinishKeyRotation"); err != nil {
		return err
	}
	return c.MetaStore.FinishKeyRotation(ctx, ownerID)
}

// A rotation that dies at any point leaves a vault that opens (with the
// old secret before the switch, the new one after) and a rerun finishes
// it: the old identity then opens nothing.
func TestRotateKeysResumesAfterCrash(t *testing.T) {
	for _, c := range []struct {
		method string
		at     int
	}{
		{"SetOwnerWrap", 2},      // adding: the second document
		{"SwitchOwnerKeys", 1},   // at the switch
		{"SetOwnerWrap", 5},      // removing: the second document
		{"SetDetailsSealed", 2},  // resealing
		{"FinishKeyRotation", 1}, // the very end
	} {
		t.Run(fmt.Sprintf("%s-%d", c.method, c.at), func(t *testing.T) {
			d := newAcctDir(t)
			in := d.open(t)
			ctx := testCtx(t)
			f := newRotationFixture(t, in, "crash.owner")
			old := ownerIdentity(t, in.svc, f.owner)

			cm := &crashingMeta{MetaStore: in.meta, method: c.method, at: c.at}
			bs, err := local.New(filepath.Join(d.dir, "blobs"))
			if err != nil {
				t.Fatal(err)
			}
			crashing, err := vault.New(vault.Config{Meta: cm, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: d.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			p1, err := crashing.Login(ctx, "crash.owner", []byte(goodSecret), "")
			if err != nil {
				t.Fatal(err)
			}
			const s2, s3 = "pivoine chalet girafe tambour", "ananas bruyere citron dauphin"
			if _, err := crashing.RotateKeys(ctx, p1, []byte(s2)); !errors.Is(err, errCrash) {
				t.Fatalf("RotateKeys = %v, want the crash", err)
			}

			// After the crash (another process): the vault opens, with one
			// secret or the other, and every paper reads.
			after := d.open(t)
			p, err := after.svc.Login(ctx, "crash.owner", []byte(goodSecret), "")
			if errors.Is(err, vault.ErrWrongSecret) {
				p, err = after.svc.Login(ctx, "crash.owner", []byte(s2), "")
			}
			if err != nil {
				t.Fatalf("no secret opens the vault after the crash: %v", err)
			}
			for _, doc := range f.docs {
				after.mustRead(t, p, doc, "contenu "+strings.TrimPrefix(doc.Title, "Papier "))
			}
			after.mustRead(t, f.worker, f.docs[0], "contenu 0")

			// A rerun finishes.
			if _, err := after.svc.RotateKeys(ctx, p, []byte(s3)); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			final, err := after.svc.Login(ctx, "crash.owner", []byte(s3), "")
			if err != nil {
				t.Fatalf("final secret: %v", err)
			}
			checkRotated(t, after, f, final, old)
		})
	}
}
