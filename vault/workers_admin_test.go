package vault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// journalTexts is the owner's journal as the vault records it: each
// entry's kind and facts ("worker-disabled: Mme Morel"); the edge says
// them in words (package api).
func journalTexts(t *testing.T, in *instance, owner *vault.Principal) []string {
	t.Helper()
	evs, err := in.svc.Journal(testCtx(t), owner)
	if err != nil {
		t.Fatalf("Journal: %v", err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = eventFacts(e)
	}
	return out
}

// eventFacts is "kind: org — actor | paper type | title | detail | target"
// with the empty parts left out.
func eventFacts(e vault.Event) string {
	var parts []string
	who := strings.TrimPrefix(strings.Join([]string{e.OrgName, e.ActorName}, " — "), " — ")
	for _, s := range []string{strings.TrimSuffix(who, " — "), e.DocumentType, e.DocumentTitle, e.Detail, e.Target} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return e.Kind + ": " + strings.Join(parts, " | ")
}

func countContaining(texts []string, sub string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// A disabled worker is refused at the very next request, on another
// instance of the same database too: their session (opened on instance 2)
// ends, logging in there fails like a wrong secret, and the owner is told.
// Enabled again, they log in and read again.
func TestDisabledWorkerRefusedOnEveryInstance(t *testing.T) {
	d := newAcctDir(t)
	in1, in2 := d.open(t), d.open(t)
	ctx := testCtx(t)
	w, _ := in1.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	owner, _ := in1.signUp(t, "beneficiaire")
	doc := in1.addTyped(t, owner.ID(), "avis-impot", "avis 2025", "contenu avis")
	if err := in1.svc.Grant(ctx, owner, doc.ID, workerGrantee(w)); err != nil {
		t.Fatal(err)
	}
	email := workerEmail(t, in1, w.ID())
	p2, err := in2.svc.LoginWorker(ctx, email, []byte(goodSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := in2.svc.StartSession(ctx, p2)
	if err != nil {
		t.Fatal(err)
	}
	resumed, _, err := in2.svc.ResumeSession(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	in2.mustRead(t, resumed, doc, "contenu avis")

	if err := in1.svc.DisableWorker(ctx, w.ID()); err != nil {
		t.Fatalf("DisableWorker: %v", err)
	}
	if err := in1.svc.DisableWorker(ctx, w.ID()); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("disabling twice: %v, want ErrConflict", err)
	}
	if _, _, err := in2.svc.ResumeSession(ctx, token); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("instance 2, next request of the disabled worker: %v, want ErrNoSession", err)
	}
	if _, err := in2.svc.LoginWorker(ctx, email, []byte(goodSecret), "", ""); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("instance 2, login of the disabled worker: %v, want ErrWrongSecret", err)
	}
	if _, err := in2.svc.UnlockWorker(ctx, w.ID(), []byte(goodSecret)); !errors.Is(err, vault.ErrWrongSecret) {
		t.Fatalf("instance 2, unlock of the disabled worker: %v, want ErrWrongSecret", err)
	}
	if n := countContaining(journalTexts(t, in2, owner), vault.EventWorkerDisabled+": CCAS de Roubaix — Mme Morel"); n != 1 {
		t.Fatalf("owner's journal tells of the suspension %d times:\n%s", n, strings.Join(journalTexts(t, in2, owner), "\n"))
	}
	ws, err := in2.svc.Workers(ctx, "")
	if err != nil || len(ws) != 1 || ws[0].Status != vault.WorkerDisabled || ws[0].Email != email {
		t.Fatalf("Workers = %+v, %v", ws, err)
	}

	if err := in1.svc.EnableWorker(ctx, w.ID()); err != nil {
		t.Fatalf("EnableWorker: %v", err)
	}
	p2, err = in2.svc.LoginWorker(ctx, email, []byte(goodSecret), "", "")
	if err != nil {
		t.Fatalf("login after enabling: %v", err)
	}
	in2.mustRead(t, p2, doc, "contenu avis")
	if err := in1.svc.DisableWorker(ctx, "nobody"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("DisableWorker(nobody) = %v", err)
	}
}

// A member taken out of the organisation reads nothing from their next
// request on, on any instance: neither what was shared with the
// organisation nor what was given to them by name; the other members still
// read; the owner is told in plain words.
func TestRemovedMemberReadsNothing(t *testing.T) {
	d := newAcctDir(t)
	in1, in2 := d.open(t), d.open(t)
	ctx := testCtx(t)
	w, org := in1.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	other, _ := in1.orgWorker(t, org, "", "M. Lenoir")
	owner, _ := in1.signUp(t, "beneficiaire")
	shared := in1.addTyped(t, owner.ID(), "avis-impot", "avis", "pour le CCAS")
	named := in1.addTyped(t, owner.ID(), "bulletin-paie", "paie", "pour Mme Morel")
	if err := in1.svc.Grant(ctx, owner, shared.ID, vault.Grantee{Kind: vault.KindOrganisation, ID: org}); err != nil {
		t.Fatal(err)
	}
	if err := in1.svc.Grant(ctx, owner, named.ID, workerGrantee(w)); err != nil {
		t.Fatal(err)
	}
	email := workerEmail(t, in1, w.ID())
	p2, err := in2.svc.LoginWorker(ctx, email, []byte(goodSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := in2.svc.StartSession(ctx, p2)
	if err != nil {
		t.Fatal(err)
	}
	in2.mustRead(t, p2, shared, "pour le CCAS")
	in2.mustRead(t, p2, named, "pour Mme Morel")

	if err := in1.svc.RemoveMember(ctx, w.ID()); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	if err := in1.svc.RemoveMember(ctx, w.ID()); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("removing twice: %v, want ErrInvalid", err)
	}
	if _, _, err := in2.svc.ResumeSession(ctx, token); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("instance 2, next request of the removed member: %v, want ErrNoSession", err)
	}
	again, err := in2.svc.LoginWorker(ctx, email, []byte(goodSecret), "", "")
	if err != nil {
		t.Fatalf("login after removal: %v", err)
	}
	if again.OrgID() != "" || vault.OrgPublicKeyHeld(again) != "" {
		t.Fatalf("removed member still holds organisation %q / key %q", again.OrgID(), vault.OrgPublicKeyHeld(again))
	}
	in2.mustNotRead(t, again, shared)
	in2.mustNotRead(t, again, named)
	// The owner cannot give it back within the minute (an undo), nor share
	// with the removed member anew (attacker's review L1).
	ks, err := in1.svc.Consents(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	undone := 0
	for _, k := range ks {
		if k.Grantee == workerGrantee(w) {
			undone++
			if err := in1.svc.UndoRevoke(ctx, owner, k.ID); !errors.Is(err, vault.ErrNotFound) {
				t.Fatalf("undoing the removal's stop: %v, want ErrNotFound", err)
			}
		}
	}
	if undone == 0 {
		t.Fatal("no share with the removed member to try to undo")
	}
	if err := in1.svc.Grant(ctx, owner, named.ID, workerGrantee(w)); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("sharing anew with the removed member: %v, want ErrNotFound", err)
	}
	in2.mustNotRead(t, again, named)
	if ids := in2.listIDs(t, again); len(ids) != 0 {
		t.Fatalf("removed member lists %v", ids)
	}
	in2.mustRead(t, other, shared, "pour le CCAS")
	texts := journalTexts(t, in1, owner)
	if n := countContaining(texts, vault.EventMemberRemoved+": CCAS de Roubaix | CCAS de Roubaix — Mme Morel"); n != 1 {
		t.Fatalf("owner's journal tells of the removal %d times:\n%s", n, strings.Join(texts, "\n"))
	}
}

// workerEmail is a worker's login as the administrator sees it.
func workerEmail(t *testing.T, in *instance, id string) string {
	t.Helper()
	ws, err := in.svc.Workers(testCtx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.ID == id {
			return w.Email
		}
	}
	t.Fatalf("worker %s not listed", id)
	return ""
}
