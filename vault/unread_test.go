package vault_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// TestArrivalsNewUntilOpened: a paper a helper sends is new for the owner
// (never for a worker) until she opens it; her own papers never are; the
// count follows; the link's types come back as hints when the helper could
// not name the paper.
func TestArrivalsNewUntilOpened(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "arrivals")
	stranger, _ := in.signUp(t, "arrivals2")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")

	own, err := in.svc.AddOwnDocument(ctx, owner, vault.NewDocument{Type: "rib", Title: "RIB"}, strings.NewReader("%PDF rib"))
	if err != nil || own.New {
		t.Fatalf("her own paper: %+v, %v", own, err)
	}
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{
		Label: "Papiers", Requested: []string{"bulletin-paie", "avis-impot"}, MaxUses: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Category: "other", Title: "Papier"}, strings.NewReader("%PDF ?")); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "avis-impot", Title: "Avis d'impôt"}, strings.NewReader("%PDF avis")); err != nil {
		t.Fatal(err)
	}
	if n, err := in.svc.NewPapers(ctx, owner); err != nil || n != 2 {
		t.Fatalf("NewPapers = %d, %v; want 2", n, err)
	}
	docs, err := in.svc.List(ctx, owner)
	if err != nil || len(docs) != 3 {
		t.Fatalf("List = %+v, %v", docs, err)
	}
	var untyped, typed vault.Document
	for _, d := range docs {
		switch d.Type {
		case "rib":
			if d.New {
				t.Fatal("her own paper is new")
			}
		case "":
			untyped = d
		case "avis-impot":
			typed = d
		}
	}
	if !untyped.New || !typed.New {
		t.Fatalf("new flags: %v %v", untyped.New, typed.New)
	}
	if !slices.Equal(untyped.Hints, []string{"bulletin-paie", "avis-impot"}) || typed.Hints != nil {
		t.Fatalf("hints: %v / %v", untyped.Hints, typed.Hints)
	}
	// The worker, even with access, is never told whether she opened it.
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{untyped.ID}}, Days: 31}); err != nil {
		t.Fatal(err)
	}
	if d, err := in.svc.Document(ctx, w, untyped.ID); err != nil || d.New || d.Hints != nil {
		t.Fatalf("the worker sees %+v, %v", d, err)
	}
	if ds, err := in.svc.List(ctx, w); err != nil || len(ds) != 1 || ds[0].New || ds[0].Hints != nil {
		t.Fatalf("the worker lists %+v, %v", ds, err)
	}
	// Opening: only hers, and it is then no longer new.
	if err := in.svc.MarkOpened(ctx, stranger, untyped.ID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("a stranger marks it opened: %v", err)
	}
	if err := in.svc.MarkOpened(ctx, w, untyped.ID); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("a worker marks it opened: %v", err)
	}
	if err := in.svc.MarkOpened(ctx, owner, "../x"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("a malformed id: %v", err)
	}
	if err := in.svc.MarkOpened(ctx, owner, untyped.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := in.svc.Document(ctx, owner, untyped.ID); d.New {
		t.Fatal("still new after opening")
	}
	if n, _ := in.svc.NewPapers(ctx, owner); n != 1 {
		t.Fatalf("NewPapers after opening one = %d", n)
	}
	if _, err := in.svc.NewPapers(ctx, w); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("a worker counts new papers: %v", err)
	}
}

// TestFileDocument: filing sets type, category and (when given) the title,
// is journaled, can be undone, never gives a grantee a key, and refuses
// unknown types, long titles and other people's papers.
func TestFileDocument(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "filer")
	stranger, _ := in.signUp(t, "filer2")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	// A live consent on every tax notice she adds from now on.
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Types: []string{"avis-impot"}}, Days: 31}); err != nil {
		t.Fatal(err)
	}
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Papiers"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Category: "other", Title: "Papier reçu"}, strings.NewReader("%PDF ?")); err != nil {
		t.Fatal(err)
	}
	docs, _ := in.svc.List(ctx, owner)
	d := docs[0]
	for _, c := range []struct {
		name       string
		p          *vault.Principal
		typ, title string
		want       error
	}{
		{"unknown type", owner, "no-such", "", vault.ErrInvalid},
		{"long title", owner, "avis-impot", strings.Repeat("é", vault.MaxTitleLen), vault.ErrInvalid},
		{"bad UTF-8", owner, "avis-impot", "\xff", vault.ErrInvalid},
		{"a stranger", stranger, "avis-impot", "", vault.ErrNotFound},
		{"a worker", w, "avis-impot", "", vault.ErrInvalid},
	} {
		if err := in.svc.FileDocument(ctx, c.p, d.ID, c.typ, c.title); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := in.svc.FileDocument(ctx, owner, d.ID, "avis-impot", "Avis d'impôt"); err != nil {
		t.Fatal(err)
	}
	got, _ := in.svc.Document(ctx, owner, d.ID)
	if got.Type != "avis-impot" || got.Category != "tax" || got.Title != "Avis d'impôt" || !got.New {
		t.Fatalf("filed: %+v", got)
	}
	// Filing gave the worker no key: the type consent covers papers added
	// as tax notices, not papers filed as such later.
	in.mustNotRead(t, w, got)
	// Undo: back to no type, the title given back; "" keeps a title.
	if err := in.svc.FileDocument(ctx, owner, d.ID, "", "Papier reçu"); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.FileDocument(ctx, owner, d.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	got, _ = in.svc.Document(ctx, owner, d.ID)
	if got.Type != "" || got.Category != "other" || got.Title != "Papier reçu" {
		t.Fatalf("after undo: %+v", got)
	}
	evs, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var filed []string
	for _, e := range evs {
		if e.Kind == vault.EventDocumentFiled {
			filed = append(filed, e.DocumentType+"|"+e.DocumentTitle)
		}
	}
	// The facts the journal's words are made of (the api says them).
	if len(filed) != 3 || !strings.HasPrefix(filed[0], "avis-impot|") || !strings.HasPrefix(filed[1], "|Papier reçu") {
		t.Fatalf("journal: %q", filed)
	}
}

// Stopping a share and taking the stop back gives the worker exactly what
// they held: a paper that arrived unnamed and was filed since under one of
// the share's types is not handed over by the stop and its undo (found by
// an attacker's review: the undo wrapped every paper the share covers
// now, so that a stolen session, by filing then stop and undo, gave the
// worker a paper they never had). A paper added under the type after the
// share, which they held, comes back.
func TestUndoStopGivesBackOnlyWhatWasHeld(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "undoer")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	k, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Types: []string{"bulletin-paie"}}, Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	dir.clock.Add(time.Second)
	payslip := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie mars", "paie")
	in.mustRead(t, w, payslip, "paie")
	unnamed, err := in.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "other", Title: "Papier reçu", Pages: 1}, strings.NewReader("privé"))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.svc.FileDocument(ctx, owner, unnamed.ID, "bulletin-paie", ""); err != nil {
		t.Fatal(err)
	}
	in.mustNotRead(t, w, unnamed)
	for round := range 2 { // a second stop and undo keeps the same answer
		if err := in.svc.RevokeConsent(ctx, owner, k.ID); err != nil {
			t.Fatalf("round %d: revoke: %v", round, err)
		}
		in.mustNotRead(t, w, payslip)
		dir.clock.Add(10 * time.Second)
		if err := in.svc.UndoRevoke(ctx, owner, k.ID); err != nil {
			t.Fatalf("round %d: undo: %v", round, err)
		}
		in.mustRead(t, w, payslip, "paie")
		in.mustNotRead(t, w, unnamed)
	}
	// A payslip added after the undo is shared as the share says.
	later := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie avril", "avril")
	in.mustRead(t, w, later, "avril")
}

// A request a worker sends to an owner's identifier while she is signed
// in is counted at once (the count on top of her papers and on the menu),
// and the count equals the list: before, the count only saw requests
// already delivered, which only listing the requests did (found by a
// newcomer's walk: nothing on "Mes papiers" until she opened "Demandes").
func TestPendingRequestsCountsRequestsByIdentifier(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "0612345678")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	for i := 1; i <= 2; i++ {
		if _, err := in.svc.CreateRequestByIdentifier(ctx, w, "06 12 34 56 78", vault.NewRequest{Types: []string{"avis-impot"}, Days: 31, Purpose: "RSA"}); err != nil {
			t.Fatal(err)
		}
		n, err := in.svc.PendingRequests(ctx, owner)
		if err != nil || n != i {
			t.Fatalf("after request %d: PendingRequests = %d, %v", i, n, err)
		}
	}
	rs, err := in.svc.Requests(ctx, owner)
	if err != nil || len(rs) != 2 {
		t.Fatalf("Requests = %d, %v", len(rs), err)
	}
}

// An owner's view of her paper is journaled once per session and paper
// within a couple of minutes (the paper's page opens it once per page
// preview: three identical lines a second before); a view from another
// session, a later one, and a download are journaled each.
func TestOwnerViewsJournaledOnce(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "viewer")
	d := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
	token, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := in.svc.ResumeSession(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	views := func() int {
		evs, err := in.svc.Journal(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == vault.EventDocumentViewed {
				n++
			}
		}
		return n
	}
	open := func(p *vault.Principal) {
		rc, _, err := in.svc.OpenDocument(ctx, p, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	for range 3 { // three page previews
		open(sess)
	}
	if n := views(); n != 1 {
		t.Fatalf("%d views journaled for three previews in a session, want 1", n)
	}
	dir.clock.Add(3 * time.Minute)
	open(sess)
	if n := views(); n != 2 {
		t.Fatalf("%d views journaled after a later look, want 2", n)
	}
	other, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	sess2, _, err := in.svc.ResumeSession(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	open(sess2)
	if n := views(); n != 3 {
		t.Fatalf("%d views journaled after another session's look, want 3", n)
	}
}

// The share form's key: the same form sent twice (Back, then Share again;
// a retry after a lost answer) makes one consent and one journal line; a
// key of another shape is refused; another form shares again.
func TestGrantConsentFormKey(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "double.tap")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	doc := in.addTyped(t, owner.ID(), "avis-impot", "avis", "contenu")
	nc := vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{doc.ID}}, Days: 31, Key: "formulaire-de-partage-1"}
	a, err := in.svc.GrantConsent(ctx, owner, nc)
	if err != nil {
		t.Fatal(err)
	}
	dir.clock.Add(time.Second)
	b, err := in.svc.GrantConsent(ctx, owner, nc)
	if err != nil || b.ID != a.ID {
		t.Fatalf("the same form again: %+v, %v (first %s)", b, err, a.ID)
	}
	count := func() (consents, lines int) {
		ks, err := in.svc.Consents(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := in.svc.Journal(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == vault.EventConsentGranted {
				lines++
			}
		}
		return len(ks), lines
	}
	if k, l := count(); k != 1 || l != 1 {
		t.Fatalf("after the same form twice: %d consents, %d journal lines; want 1 and 1", k, l)
	}
	// Stopped since, then the same form again: a new share (the owner is
	// told "shared": it must be true).
	if err := in.svc.RevokeConsent(ctx, owner, a.ID); err != nil {
		t.Fatal(err)
	}
	again, err := in.svc.GrantConsent(ctx, owner, nc)
	if err != nil || again.ID == a.ID || !again.Live {
		t.Fatalf("the same form after a stop: %+v, %v (stopped %s)", again, err, a.ID)
	}
	// Another share sent under the same key (another worker): its own.
	w2, _ := in.orgWorker(t, "", "Autre CCAS", "M. Autre")
	other2 := nc
	other2.Grantee = workerGrantee(w2)
	if c2, err := in.svc.GrantConsent(ctx, owner, other2); err != nil || c2.ID == a.ID || c2.ID == again.ID || c2.Grantee.ID != w2.ID() {
		t.Fatalf("another share under the same key: %+v, %v", c2, err)
	}
	in.mustRead(t, w2, doc, "contenu")
	nc.Key = "court"
	if _, err := in.svc.GrantConsent(ctx, owner, nc); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("a malformed key: %v, want ErrInvalid", err)
	}
	nc.Key = "formulaire-de-partage-2"
	if c, err := in.svc.GrantConsent(ctx, owner, nc); err != nil || c.ID == a.ID {
		t.Fatalf("another form: %+v, %v", c, err)
	}
	// Another owner's form with the same key is hers alone.
	other, _ := in.signUp(t, "autre.personne")
	odoc := in.addTyped(t, other.ID(), "avis-impot", "avis", "autre")
	if c, err := in.svc.GrantConsent(ctx, other, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{odoc.ID}}, Days: 31, Key: "formulaire-de-partage-1"}); err != nil || c.ID == a.ID {
		t.Fatalf("another owner's form, same key: %+v, %v", c, err)
	}
}

// TestKeptPagesToldToOwner: the pages a helper sent although the
// readability check asked for them again come back, in page order and
// sealed (never in the row in clear), to the owner only; a paper whose
// pages all passed has none.
func TestKeptPagesToldToOwner(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "kept")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Papiers", Requested: []string{"rib"}, MaxUses: 3})
	if err != nil {
		t.Fatal(err)
	}
	checks := []vault.PageCheck{{Page: 3, Codes: []string{"small_text"}}, {Page: 1, Codes: []string{"blurry", "dark"}}}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 3, Checks: checks}, strings.NewReader("%PDF kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "rib", Title: "RIB 2", Pages: 1}, strings.NewReader("%PDF clean")); err != nil {
		t.Fatal(err)
	}
	var kept, clean vault.Document
	ds, err := in.svc.List(ctx, owner)
	if err != nil || len(ds) != 2 {
		t.Fatalf("List = %+v, %v", ds, err)
	}
	for _, d := range ds {
		if d.Title == "RIB" {
			kept = d
		} else {
			clean = d
		}
	}
	want := []vault.PageCheck{{Page: 1, Codes: []string{"blurry", "dark"}}, {Page: 3, Codes: []string{"small_text"}}}
	same := func(a, b []vault.PageCheck) bool {
		return slices.EqualFunc(a, b, func(x, y vault.PageCheck) bool { return x.Page == y.Page && slices.Equal(x.Codes, y.Codes) })
	}
	if d, err := in.svc.Document(ctx, owner, kept.ID); err != nil || !same(d.Checks, want) {
		t.Fatalf("the owner reads the kept pages %+v, %v; want %+v", d.Checks, err, want)
	}
	if d, err := in.svc.Document(ctx, owner, clean.ID); err != nil || d.Checks != nil {
		t.Fatalf("a paper whose pages passed: %+v, %v", d.Checks, err)
	}
	if !same(kept.Checks, want) || clean.Checks != nil {
		t.Fatalf("List: checks %+v and %+v", kept.Checks, clean.Checks)
	}
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{kept.ID}}, Days: 31}); err != nil {
		t.Fatal(err)
	}
	if d, err := in.svc.Document(ctx, w, kept.ID); err != nil || d.Checks != nil {
		t.Fatalf("the worker sees %+v, %v", d.Checks, err)
	}
	// In the database, only sealed.
	row, err := in.meta.Document(ctx, kept.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(row.ChecksSealed) == 0 || strings.Contains(string(row.ChecksSealed), "small_text") {
		t.Fatalf("checks_sealed = %q", row.ChecksSealed)
	}
}

// TestKeptPagesDamaged: a database writer without the keys who damages a
// paper's kept pages, or moves another paper's (or the paper's own title)
// there, takes the warning off that paper and nothing else: the owner's
// list, the paper and a worker's list still open.
func TestKeptPagesDamaged(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "kept.damaged")
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	token, _, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Papiers", MaxUses: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"A", "B"} {
		nd := vault.NewDocument{Type: "rib", Title: title, Pages: 2, Checks: []vault.PageCheck{{Page: 2, Codes: []string{"dark"}}}}
		if _, err := in.svc.Deposit(ctx, token, nd, strings.NewReader("%PDF "+title)); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := in.svc.List(ctx, owner)
	if err != nil || len(ds) != 2 {
		t.Fatalf("List = %+v, %v", ds, err)
	}
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{ds[0].ID, ds[1].ID}}, Days: 31}); err != nil {
		t.Fatal(err)
	}
	a, err := in.meta.Document(ctx, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := in.meta.Document(ctx, ds[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	db := journalDB(t, dir)
	for name, v := range map[string][]byte{"garbage": []byte("garbage"), "truncated": b.ChecksSealed[:len(b.ChecksSealed)/2],
		"another paper's": b.ChecksSealed, "its own title": a.TitleSealed} {
		if _, err := db.ExecContext(ctx, `UPDATE documents SET checks_sealed = ? WHERE id = ?`, v, a.ID); err != nil {
			t.Fatal(err)
		}
		d, err := in.svc.Document(ctx, owner, a.ID)
		if err != nil || d.Checks != nil || d.Title != ds[0].Title {
			t.Errorf("%s: the paper reads %+v, %v; want it whole, without warning", name, d, err)
		}
		if ds, err := in.svc.List(ctx, owner); err != nil || len(ds) != 2 {
			t.Errorf("%s: the owner's list: %d papers, %v", name, len(ds), err)
		}
		if ds, err := in.svc.List(ctx, w); err != nil || len(ds) != 2 {
			t.Errorf("%s: the worker's list: %d papers, %v", name, len(ds), err)
		}
	}
	if d, err := in.svc.Document(ctx, owner, b.ID); err != nil || len(d.Checks) != 1 {
		t.Errorf("the other paper lost its warning: %+v, %v", d.Checks, err)
	}
}
