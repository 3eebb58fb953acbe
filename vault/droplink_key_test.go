package vault_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// TestDropLinkKeyed (newcomer's review: a double tap on "make a link" made
// two live links): the same form sent twice, one after the other or at
// once, makes one link, journaled once, and both answers carry its token;
// the same form key with anything changed, another creator, or a link that
// has since been stopped makes a new one; a malformed key is refused.
func TestDropLinkKeyed(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "double.tap")
	other, _ := in.signUp(t, "double.tap.other")
	const key = "k9Hc2mQx7Lr4Tz8WbN3v"
	form := vault.NewDropLink{Label: "Fiche de paie", MaxUses: 1, Key: key}
	created := func() int {
		evs, err := in.svc.Journal(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == vault.EventLinkCreated {
				n++
			}
		}
		return n
	}
	links := func() int {
		ls, err := in.svc.DropLinks(ctx, owner, owner.ID())
		if err != nil {
			t.Fatal(err)
		}
		return len(ls)
	}

	// At once: eight sends of the same form.
	tokens := make([]string, 8)
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			tok, dl, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i], ids[i] = tok, dl.ID
		})
	}
	wg.Wait()
	for i := range tokens {
		if tokens[i] != tokens[0] || ids[i] != ids[0] || tokens[i] == "" {
			t.Fatalf("send %d: link %s, want %s (tokens equal: %v)", i, ids[i], ids[0], tokens[i] == tokens[0])
		}
	}
	if n, m := links(), created(); n != 1 || m != 1 {
		t.Fatalf("%d links, %d journaled after eight sends of one form, want 1 and 1", n, m)
	}
	if info, err := in.svc.DropLinkInfo(ctx, tokens[0]); err != nil || info.Label != "Fiche de paie" || info.UsesLeft != 1 {
		t.Fatalf("the link: %+v, %v", info, err)
	}
	// Later, again: the same link.
	if tok, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form); err != nil || tok != tokens[0] {
		t.Fatalf("the form again: same token %v, %v", tok == tokens[0], err)
	}
	// The form changed (back, another label): a new link.
	changed := form
	changed.Label = "Avis d'impôt"
	tok2, dl2, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), changed)
	if err != nil || tok2 == tokens[0] || dl2.ID == ids[0] {
		t.Fatalf("a changed form: %v (same token %v)", err, tok2 == tokens[0])
	}
	// Another vault's owner with the same key: her own link.
	tok3, _, err := in.svc.CreateDropLink(ctx, other, other.ID(), form)
	if err != nil || tok3 == tokens[0] {
		t.Fatalf("another owner: %v (same token %v)", err, tok3 == tokens[0])
	}
	// Stopped: the same form makes a new link, which works.
	if err := in.svc.RevokeDropLink(ctx, owner, ids[0]); err != nil {
		t.Fatal(err)
	}
	tok4, dl4, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form)
	if err != nil || tok4 == tokens[0] || dl4.ID == ids[0] {
		t.Fatalf("the form after its link was stopped: %v (same token %v)", err, tok4 == tokens[0])
	}
	if _, err := in.svc.DropLinkInfo(ctx, tok4); err != nil {
		t.Fatalf("the new link: %v", err)
	}
	// A double tap after a stop still makes one link: the form again gives
	// the new link, and so on after the new one is stopped too.
	if again, dl, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form); err != nil || again != tok4 || dl.ID != dl4.ID {
		t.Fatalf("the form again after a stop: %v (same token %v)", err, again == tok4)
	}
	if err := in.svc.RevokeDropLink(ctx, owner, dl4.ID); err != nil {
		t.Fatal(err)
	}
	tok5, dl5, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form)
	if err != nil || tok5 == tok4 || tok5 == tokens[0] {
		t.Fatalf("the form after a second stop: %v", err)
	}
	if again, dl, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form); err != nil || again != tok5 || dl.ID != dl5.ID {
		t.Fatalf("the form again after a second stop: %v (same token %v)", err, again == tok5)
	}
	if n, m := links(), created(); n != 4 || m != 4 {
		t.Fatalf("%d links, %d journaled, want 4 and 4", n, m)
	}
	// A form key makes 16 links in turn; the 17th send of the same form is
	// refused rather than made without its key (a double tap would then
	// make two).
	last := dl5.ID
	for gen := 3; gen < 16; gen++ {
		if err := in.svc.RevokeDropLink(ctx, owner, last); err != nil {
			t.Fatal(err)
		}
		_, dl, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form)
		if err != nil {
			t.Fatalf("generation %d: %v", gen, err)
		}
		last = dl.ID
	}
	if err := in.svc.RevokeDropLink(ctx, owner, last); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), form); !errors.Is(err, vault.ErrFormSpent) || !errors.Is(err, vault.ErrInvalid) {
			t.Fatalf("the 17th link of a form: %v, want ErrFormSpent", err)
		}
	}
	if n, m := links(), created(); n != 17 || m != 17 {
		t.Fatalf("%d links, %d journaled, want 17 and 17", n, m)
	}
	for _, bad := range []string{"short", "has spaces in it, long enough", string(make([]byte, 65))} {
		f := form
		f.Key = bad
		if _, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), f); !errors.Is(err, vault.ErrInvalid) {
			t.Errorf("key %q: %v, want ErrInvalid", bad, err)
		}
	}
}

// A link's label and sender's name count characters, as the forms'
// maxlength does, and refuse control characters and bidirectional
// overrides; a Dari name keeps its joiner.
func TestValidLinkText(t *testing.T) {
	if ar := i18n.Get("ar").T("paper.kept.linklabel", "RIB", "2"); !strings.ContainsRune(ar, '\u2068') {
		t.Fatalf("the Arabic label %q holds no isolate: the case below tests nothing", ar)
	}
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"", true},
		{strings.Repeat("ж", vault.MaxFromLen), true},
		{strings.Repeat("ж", vault.MaxFromLen+1), false},
		{"ز\u200cهرا", true},
		{"Awa\u200f", true},
		{"Amina\u00a0K.", true},
		{"Awa\u202egnp.exe", false},
		{"Awa\u202a", false},
		{"Awa\u2066x\u2069", true},
		{"Awa\u202b", false},
		{"Awa\u202d", false},
		// Coffre's own labels in right-to-left languages isolate the
		// type's name.
		{i18n.Get("ar").T("paper.kept.linklabel", "RIB", "2"), true},
		{i18n.Get("fa-AF").T("paper.kept.linklabel", "CAF 2026", "1, 3"), true},
		{"a\nb", false},
		{"a\x00b", false},
		{"a\u0085b", false},
		{"\xff", false},
	} {
		if got := vault.ValidLinkText(tc.s, vault.MaxFromLen); got != tc.ok {
			t.Errorf("ValidLinkText(%q) = %v, want %v", tc.s, got, tc.ok)
		}
	}
}
