package vault_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

func TestDropLink(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "dropper")
	stranger, _ := in.signUp(t, "stranger3")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")

	token, dl, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{
		Label: "Papiers pour la CAF", Requested: []string{"avis-impot", "quittance-loyer", "avis-impot"}, MaxUses: 2,
	})
	if err != nil {
		t.Fatalf("CreateDropLink: %v", err)
	}
	if len(token) != 43 || dl.MaxUses != 2 || dl.Uses != 0 || len(dl.Requested) != 2 ||
		!dl.Expires.Equal(dl.Created.Add(24*time.Hour)) || dl.CreatedBy.Kind != vault.KindOwner {
		t.Fatalf("link = %+v (token %d chars)", dl, len(token))
	}
	info, err := in.svc.DropLinkInfo(ctx, token)
	if err != nil || info.Label != "Papiers pour la CAF" || info.UsesLeft != 2 || len(info.Requested) != 2 {
		t.Fatalf("DropLinkInfo = %+v, %v", info, err)
	}
	// A bad document does not burn a use.
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "no-such"}, strings.NewReader("x")); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("bad deposit: %v", err)
	}
	rc, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "avis-impot", Title: "Avis 2025", Pages: 3}, strings.NewReader("%PDF avis"))
	if err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	if rc.Label != "Papiers pour la CAF" || rc.Pages != 3 || rc.Size != 9 || !rc.Received.Equal(dir.clock.Now()) {
		t.Fatalf("receipt = %+v", rc)
	}
	// The helper cannot read anything; the owner sees the document.
	docs, err := in.svc.List(ctx, owner)
	if err != nil || len(docs) != 1 || docs[0].Title != "Avis 2025" || docs[0].Type != "avis-impot" {
		t.Fatalf("owner List = %+v, %v", docs, err)
	}
	in.mustRead(t, owner, docs[0], "%PDF avis")
	in.mustNotRead(t, w, docs[0])
	if info, _ := in.svc.DropLinkInfo(ctx, token); info.UsesLeft != 1 {
		t.Fatalf("uses left = %d", info.UsesLeft)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Category: "housing", Title: "Quittance"}, strings.NewReader("q")); err != nil {
		t.Fatal(err)
	}
	// Used up: one error for everything, which tells nothing.
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Category: "housing"}, strings.NewReader("q")); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("deposit on used-up link: %v", err)
	}
	if _, err := in.svc.DropLinkInfo(ctx, token); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("info on used-up link: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 43), token[:42] + "!", token + "A"} {
		if _, err := in.svc.DropLinkInfo(ctx, bad); !errors.Is(err, vault.ErrNoLink) {
			t.Errorf("DropLinkInfo(%q) = %v", bad, err)
		}
		if _, err := in.svc.Deposit(ctx, bad, vault.NewDocument{Category: "other"}, strings.NewReader("x")); !errors.Is(err, vault.ErrNoLink) {
			t.Errorf("Deposit(%q) = %v", bad, err)
		}
	}

	// Expiry.
	tok2, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "court", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir.clock.Add(time.Hour)
	if _, err := in.svc.Deposit(ctx, tok2, vault.NewDocument{Category: "other"}, strings.NewReader("x")); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("deposit on expired link: %v", err)
	}
	// Revocation, by the owner only.
	tok3, dl3, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "à révoquer"})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.RevokeDropLink(ctx, stranger, dl3.ID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("stranger revokes: %v", err)
	}
	if err := in.svc.RevokeDropLink(ctx, w, dl3.ID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("worker revokes another's link: %v", err)
	}
	if err := in.svc.RevokeDropLink(ctx, owner, dl3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, tok3, vault.NewDocument{Category: "other"}, strings.NewReader("x")); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("deposit on revoked link: %v", err)
	}
	links, err := in.svc.DropLinks(ctx, owner, owner.ID())
	byLabel := map[string]vault.DropLink{}
	for _, l := range links {
		byLabel[l.Label] = l
	}
	if err != nil || len(links) != 3 || links[0].Label != "à révoquer" || !byLabel["à révoquer"].Revoked ||
		byLabel["Papiers pour la CAF"].Uses != 2 || byLabel["court"].Revoked {
		t.Fatalf("DropLinks = %+v, %v", links, err)
	}
	if _, err := in.svc.DropLinks(ctx, stranger, owner.ID()); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("stranger lists links: %v", err)
	}

	// Who may create links, and limits.
	for _, c := range []struct {
		name    string
		creator *vault.Principal
		owner   string
		nl      vault.NewDropLink
		want    error
	}{
		{"stranger", stranger, owner.ID(), vault.NewDropLink{}, vault.ErrNoAccess},
		{"worker without consent", w, owner.ID(), vault.NewDropLink{}, vault.ErrNoAccess},
		{"ttl too long", owner, owner.ID(), vault.NewDropLink{TTL: 31 * 24 * time.Hour}, vault.ErrInvalid},
		{"negative ttl", owner, owner.ID(), vault.NewDropLink{TTL: -time.Hour}, vault.ErrInvalid},
		{"too many uses", owner, owner.ID(), vault.NewDropLink{MaxUses: 51}, vault.ErrInvalid},
		{"unknown type", owner, owner.ID(), vault.NewDropLink{Requested: []string{"x"}}, vault.ErrInvalid},
		{"label too long", owner, owner.ID(), vault.NewDropLink{Label: strings.Repeat("é", vault.MaxLabelLen+1)}, vault.ErrInvalid},
		{"unknown request", owner, owner.ID(), vault.NewDropLink{RequestID: "aaaaaaaaaaaaaaaaaaaaaaaaaa"}, vault.ErrNotFound},
	} {
		if _, _, err := in.svc.CreateDropLink(ctx, c.creator, c.owner, c.nl); !errors.Is(err, c.want) {
			t.Errorf("CreateDropLink(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	// A worker with a live consent may create a link; the deposit goes to
	// the owner only (no request answered), and the worker sees their link.
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Types: []string{"avis-impot"}}, Days: 1}); err != nil {
		t.Fatal(err)
	}
	wtok, _, err := in.svc.CreateDropLink(ctx, w, owner.ID(), vault.NewDropLink{Label: "Lien de Mme Morel", TTL: 30 * 24 * time.Hour, MaxUses: 50})
	if err != nil {
		t.Fatalf("worker CreateDropLink: %v", err)
	}
	dir.clock.Add(time.Minute)
	if _, err := in.svc.Deposit(ctx, wtok, vault.NewDocument{Type: "rib", Title: "RIB"}, strings.NewReader("rib")); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, wtok, vault.NewDocument{Type: "avis-impot", Title: "Avis reçu"}, strings.NewReader("avis")); err != nil {
		t.Fatal(err)
	}
	wl, err := in.svc.DropLinks(ctx, w, owner.ID())
	if err != nil || len(wl) != 1 || wl[0].Label != "Lien de Mme Morel" || wl[0].CreatedBy.ID != w.ID() {
		t.Fatalf("worker DropLinks = %+v, %v", wl, err)
	}
	// The tax notice sent after the consent only: neither the RIB nor the
	// tax notices she had before are consented.
	if got := in.listIDs(t, w); len(got) != 1 {
		t.Fatalf("worker List = %v", got)
	}
}

// Of 20 concurrent deposits on a single-use link, exactly one succeeds;
// with one Service, and with two Services (two processes) on one DB file.
func TestDropLinkSingleUseConcurrent(t *testing.T) {
	for _, instances := range []int{1, 2} {
		t.Run(map[int]string{1: "one service", 2: "two services"}[instances], func(t *testing.T) {
			dir := newAcctDir(t)
			ins := []*instance{dir.open(t)}
			if instances == 2 {
				ins = append(ins, dir.open(t))
			}
			ctx := testCtx(t)
			owner, _ := ins[0].signUp(t, "race")
			token, _, err := ins[0].svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "une fois"})
			if err != nil {
				t.Fatal(err)
			}
			const n = 20
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = ins[i%len(ins)].svc.Deposit(ctx, token, vault.NewDocument{Category: "other", Title: "photo"}, strings.NewReader("page"))
				}()
			}
			close(start)
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, vault.ErrNoLink):
					t.Errorf("deposit: %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d of %d deposits succeeded, want exactly 1", wins, n)
			}
			if docs, _ := ins[0].svc.List(ctx, owner); len(docs) != 1 {
				t.Fatalf("owner has %d documents, want 1", len(docs))
			}
		})
	}
}

// A failed add gives the use back.
func TestDepositFailureGivesUseBack(t *testing.T) {
	in := newAcctDir(t).open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "failing")
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "une fois"})
	if err != nil {
		t.Fatal(err)
	}
	// A declared size that does not match fails the add after redemption.
	_, err = in.svc.Deposit(ctx, token, vault.NewDocument{Category: "other", Size: 100}, strings.NewReader("short"))
	if err == nil || errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("deposit with wrong size: %v", err)
	}
	if info, err := in.svc.DropLinkInfo(ctx, token); err != nil || info.UsesLeft != 1 {
		t.Fatalf("after failed deposit: %+v, %v", info, err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Category: "other"}, strings.NewReader("ok")); err != nil {
		t.Fatal(err)
	}
}
