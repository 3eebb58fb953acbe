package vault_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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

// A paper that arrives through a drop link is shared with the consents to
// "the papers of this type you add" only once the owner opened it; the
// worker who made the link (or whose request it answers) sees it at once
// (attacker's review: anyone holding a forwarded link put a made-up RIB
// straight into a worker's hands).
func TestArrivedPaperSharedOnceOpened(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "arrivee.partage")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	w2, _ := in.orgWorker(t, "", "CAF", "M. Petit")
	for _, g := range []*vault.Principal{w, w2} {
		if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(g), Scope: vault.Scope{Types: []string{"rib"}}, Days: 31}); err != nil {
			t.Fatal(err)
		}
	}
	dir.clock.Add(time.Minute)
	otok, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Mon lien", TTL: 24 * time.Hour, MaxUses: 5})
	if err != nil {
		t.Fatal(err)
	}
	wtok, _, err := in.svc.CreateDropLink(ctx, w, owner.ID(), vault.NewDropLink{Label: "Lien du CCAS", TTL: 24 * time.Hour, MaxUses: 5})
	if err != nil {
		t.Fatal(err)
	}
	deposit := func(tok, title string) string {
		t.Helper()
		if _, err := in.svc.Deposit(ctx, tok, vault.NewDocument{Type: "rib", Title: title}, strings.NewReader(title)); err != nil {
			t.Fatal(err)
		}
		ds, err := in.svc.List(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Title == title {
				return d.ID
			}
		}
		t.Fatalf("%s not in the owner's papers", title)
		return ""
	}
	sees := func(p *vault.Principal, id string) bool { return slices.Contains(in.listIDs(t, p), id) }

	viaOwnerLink := deposit(otok, "RIB par mon lien")
	viaWorkerLink := deposit(wtok, "RIB par le lien du CCAS")
	if sees(w, viaOwnerLink) || sees(w2, viaOwnerLink) {
		t.Error("a paper sent through the owner's link is shared before she opened it")
	}
	if !sees(w, viaWorkerLink) {
		t.Error("the worker who made the link does not see what arrived through it")
	}
	if sees(w2, viaWorkerLink) {
		t.Error("another worker sees a paper sent through the CCAS's link before the owner opened it")
	}
	for _, id := range []string{viaOwnerLink, viaWorkerLink} {
		if err := in.svc.MarkOpened(ctx, owner, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []*vault.Principal{w, w2} {
		for _, id := range []string{viaOwnerLink, viaWorkerLink} {
			if !sees(g, id) {
				t.Errorf("once the owner opened it, a worker with a consent to her RIBs does not see %s", id)
			}
		}
	}
	// Each sharing on opening is in her journal, naming with whom and
	// which paper.
	evs, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, e := range evs {
		if e.Kind == vault.EventDocumentShared {
			told = append(told, e.DocumentTitle+" → "+e.Target)
		}
	}
	slices.Sort(told)
	if want := []string{"RIB par le lien du CCAS → CAF — M. Petit", "RIB par mon lien → CAF — M. Petit", "RIB par mon lien → CCAS — Mme Morel"}; !slices.Equal(told, want) {
		t.Errorf("journal tells the sharings on opening as %q, want %q", told, want)
	}
	// Opening again shares and tells nothing more.
	if err := in.svc.MarkOpened(ctx, owner, viaOwnerLink); err != nil {
		t.Fatal(err)
	}
	if evs2, _ := in.svc.Journal(ctx, owner); len(evs2) != len(evs) {
		t.Errorf("opening the paper again added %d journal entries", len(evs2)-len(evs))
	}
	// Her own paper of that type is shared as she adds it, as before.
	mine := in.addTyped(t, owner.ID(), "rib", "Mon RIB", "rib")
	if !sees(w2, mine.ID) {
		t.Error("a RIB the owner added herself is not shared under the consent")
	}
}
