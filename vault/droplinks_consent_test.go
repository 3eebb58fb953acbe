package vault_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// A worker's drop link stops working when the consent it was made under
// ends, by expiry or by revocation: the helper learns nothing but "no such
// link" (ErrNoLink, the answer for any dead link), no deposit and no page
// is stored, and the owner's own link keeps working.
func TestWorkerLinkEndsWithConsent(t *testing.T) {
	for _, end := range []string{"revocation", "expiry"} {
		t.Run(end, func(t *testing.T) {
			dir := newAcctDir(t)
			in := dir.open(t)
			ctx := testCtx(t)
			owner, _ := in.signUp(t, "lien."+end)
			w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
			rib := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
			c, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{rib.ID}}, Days: 1})
			if err != nil {
				t.Fatal(err)
			}
			// The worker's link outlives the one-day consent by far.
			wtok, _, err := in.svc.CreateDropLink(ctx, w, owner.ID(), vault.NewDropLink{Label: "Lien du CCAS", TTL: 30 * 24 * time.Hour, MaxUses: 10})
			if err != nil {
				t.Fatal(err)
			}
			otok, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Mon lien", TTL: 30 * 24 * time.Hour, MaxUses: 10})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.svc.DropLinkInfo(ctx, wtok); err != nil {
				t.Fatalf("worker link while the consent is live: %v", err)
			}
			if _, err := in.svc.Deposit(ctx, wtok, vault.NewDocument{Type: "rib", Title: "RIB 2"}, strings.NewReader("rib2")); err != nil {
				t.Fatalf("deposit while the consent is live: %v", err)
			}
			switch end {
			case "revocation":
				if err := in.svc.RevokeConsent(ctx, owner, c.ID); err != nil {
					t.Fatal(err)
				}
			case "expiry":
				dir.clock.Add(24 * time.Hour)
			}
			before := len(in.listIDs(t, owner))
			pendingBefore := countFiles(t, filepath.Join(dir.dir, "blobs"))
			if _, err := in.svc.DropLinkInfo(ctx, wtok); !errors.Is(err, vault.ErrNoLink) {
				t.Fatalf("DropLinkInfo after %s: %v, want ErrNoLink", end, err)
			}
			if _, err := in.svc.Deposit(ctx, wtok, vault.NewDocument{Type: "rib", Title: "RIB 3"}, strings.NewReader("rib3")); !errors.Is(err, vault.ErrNoLink) {
				t.Fatalf("Deposit after %s: %v, want ErrNoLink", end, err)
			}
			if _, err := in.svc.PutPendingPage(ctx, wtok, randomBytes(t, vault.PendingKeySize), 1, strings.NewReader("page")); !errors.Is(err, vault.ErrNoLink) {
				t.Fatalf("PutPendingPage after %s: %v, want ErrNoLink", end, err)
			}
			if got := len(in.listIDs(t, owner)); got != before {
				t.Fatalf("owner's documents %d -> %d after a refused deposit", before, got)
			}
			if got := countFiles(t, filepath.Join(dir.dir, "blobs")); got != pendingBefore {
				t.Fatalf("stored blobs %d -> %d after refused uploads", pendingBefore, got)
			}
			// The owner's own link does not depend on the consent.
			if _, err := in.svc.Deposit(ctx, otok, vault.NewDocument{Type: "rib", Title: "RIB 4"}, strings.NewReader("rib4")); err != nil {
				t.Fatalf("owner's link after %s: %v", end, err)
			}
		})
	}
}

func countFiles(t *testing.T, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return n
}
