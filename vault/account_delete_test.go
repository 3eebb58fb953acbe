package vault_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
)

func TestDeleteAccount(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "leaving")
	keep, _ := in.signUp(t, "staying")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	d := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis")
	kept := in.addTyped(t, keep.ID(), "rib", "RIB", "rib")
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{d.ID}}, Days: 31}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: owner.ID(), Types: []string{"rib"}, Days: 1}); err != nil {
		t.Fatal(err)
	}
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "lien", MaxUses: 5})
	if err != nil {
		t.Fatal(err)
	}
	sessTok, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	// A pending upload row (an add that never finished) goes too.
	if err := in.meta.InsertDocument(ctx, meta.Document{ID: "pendingpendingpendingpendi", OwnerID: owner.ID(), Category: "other",
		TitleSealed: []byte("x"), MediaType: "application/pdf", BlobKey: "doc/pendingpendingpendingpendi", State: meta.StatePending}); err != nil {
		t.Fatal(err)
	}

	if err := in.svc.DeleteAccount(ctx, w); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("worker deletes an account: %v", err)
	}
	if err := in.svc.DeleteAccount(ctx, owner); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	if _, err := in.meta.Owner(ctx, owner.ID()); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("owner row: %v", err)
	}
	if ds, _ := in.meta.DocumentsOfOwner(ctx, owner.ID()); len(ds) != 0 {
		t.Fatalf("documents left: %+v", ds)
	}
	bs, err := local.New(dir.dir + "/blobs")
	if err != nil {
		t.Fatal(err)
	}
	if keys := blobKeys(t, bs); len(keys) != 1 || keys[0] != "doc/"+kept.ID {
		t.Fatalf("payloads left: %v", keys)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Category: "other"}, strings.NewReader("x")); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("deposit after deletion: %v", err)
	}
	if _, _, err := in.svc.ResumeSession(ctx, sessTok); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("session after deletion: %v", err)
	}
	in.mustNotRead(t, w, d)
	if cs, _ := in.svc.Consents(ctx, w); len(cs) != 0 {
		t.Fatalf("worker consents after deletion: %+v", cs)
	}
	if rs, _ := in.svc.Requests(ctx, w); len(rs) != 0 {
		t.Fatalf("worker requests after deletion: %+v", rs)
	}
	if rep, err := in.svc.VerifyJournal(ctx, ""); err != nil || !rep.OK() || rep.Owners != 1 {
		t.Fatalf("journals after deletion: %+v, %v", rep, err)
	}
	if _, err := in.svc.Login(ctx, "leaving", []byte(goodSecret), "192.0.2.1"); err == nil {
		t.Fatal("login after deletion succeeded")
	}
	in.mustRead(t, keep, kept, "rib")
	if err := in.svc.DeleteAccount(context.Background(), owner); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("second DeleteAccount: %v", err)
	}
}
