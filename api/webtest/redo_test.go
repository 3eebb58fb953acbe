package webtest

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// TestRedoLoopJourney (issue 17): the redo loop worker → owner → helper →
// worker on 360×740 touch phones. The worker marks the tax notice she
// received "page missing"; the owner sees it on top of her papers in plain
// words and makes the one-item link for her helper; the helper, who sees
// why, sends a readable photo; the worker finds the new paper and the redo
// done. Taps are counted (BENCHMARKS.md).
func TestRedoLoopJourney(t *testing.T) {
	photos := samples(t)
	clean, _, _ := capturePhotos(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0644556677", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "avis-impot", Title: "Avis d'impôt", Pages: 1}, bytes.NewReader(realPaper(t, photos[0])))
	if err != nil {
		t.Fatal(err)
	}
	// The worker asked for her tax notice; she shared it, and the tax
	// notices she adds until the sharing ends.
	wp, err := srv.v.LoginWorker(ctx, workerEmail, []byte(workerSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	rq, err := srv.v.CreateRequest(ctx, wp, vault.NewRequest{OwnerID: ownerID, Purpose: "Dossier RSA", Types: []string{"avis-impot"}, Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	op, err := srv.v.Login(ctx, ident, []byte(secret), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.AcceptRequest(ctx, op, rq.ID, vault.Acceptance{Documents: []string{doc.ID}, Future: []string{"avis-impot"}}); err != nil {
		t.Fatal(err)
	}

	// The worker: "redo this one, because a page is missing".
	worker := b.hand("worker")
	worker.signIn(srv.URL, "/lang?to=fr&back=/pro/login", map[string]string{"#email": workerEmail, "#secret": workerSecret})
	worker.open(srv.URL + "/pro/people/" + ownerID)
	worker.taps = 0
	worker.tap("details.redo summary")
	worker.tap(`details.redo input[name=reason][value=page_missing]`)
	worker.check("redo-worker-ask", false)
	worker.tapTo("details.redo button[type=submit]")
	workerTaps := worker.taps
	if got := worker.text(".notice"); !strings.Contains(got, "La personne verra votre demande de refaire ce papier") {
		t.Fatalf("after asking: %q", worker.seen())
	}
	if got := worker.text("[data-redo-status]"); !strings.HasPrefix(got, "À refaire (page manquante)") || !strings.Contains(got, "pas encore transmis") {
		t.Errorf("the worker's paper says %q", got)
	}
	if n := eval[int](worker.person, `document.querySelectorAll('details.redo').length`); n != 0 {
		t.Errorf("a second redo can be asked while the first waits (%d forms)", n)
	}

	// The owner: on top of her papers, in plain words; one tap makes the link.
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	owner.open(srv.URL + "/papers")
	seen := owner.seen()
	for _, s := range []string{"Papier à refaire : Avis d'impôt", "Il manque une page. Demandé par Mme Morel · CCAS de Roubaix"} {
		if !strings.Contains(seen, s) {
			t.Errorf("the owner's papers do not say %q: %q", s, seen)
		}
	}
	if top := eval[string](owner.person, `document.querySelector('#main section, main section').getAttribute('data-redo') || ''`); top != "open" {
		t.Errorf("the redo is not the first thing on her papers (%q)", top)
	}
	owner.check("redo-owner-asked", true)
	owner.taps = 0
	owner.tapTo("[data-redo] form button[type=submit]")
	linkURL := eval[string](owner.person, `document.getElementById('url').value`)
	if !strings.HasPrefix(linkURL, srv.URL+"/d/") {
		t.Fatalf("the redo's link: %q (%s)", linkURL, owner.seen())
	}
	if got := owner.text("figure.qr figcaption"); got != "À refaire : Avis d'impôt (page manquante)" {
		t.Errorf("the link is labelled %q", got)
	}
	owner.taps++ // sends the link to her helper ("Envoyer le lien", as for any link)
	ownerTaps := owner.taps
	owner.check("redo-owner-link", false)
	owner.open(srv.URL + "/papers")
	if got := owner.text("[data-redo]"); !strings.Contains(got, "on attend le nouveau papier") {
		t.Errorf("after forwarding, her papers say %q", got)
	}

	// The helper sees why, and sends a readable photo.
	helper := b.hand("helper")
	helper.open(linkURL)
	if got := helper.seen(); !strings.Contains(got, "À refaire : Avis d'impôt (page manquante)") {
		t.Errorf("the helper is not told why: %q", got)
	}
	helper.taps = 0
	helper.pick(`label[for=camera]`, clean)
	helper.poll(`document.querySelector('#pages li[data-verdict=ok]') !== null`, 2*time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	helperTaps := helper.taps
	helper.check("redo-helper-receipt", false)

	// The worker finds the new paper, and the redo done.
	worker.open(srv.URL + "/pro/people/" + ownerID)
	if n := eval[int](worker.person, `document.querySelectorAll('main .cards li').length`); n != 2 {
		t.Errorf("the worker sees %d papers, want the old one and the new one", n)
	}
	if got := eval[string](worker.person, `[...document.querySelectorAll('[data-redo-status]')].map(e => e.textContent).join('|')`); !strings.Contains(got, "Refait (page manquante) : le nouveau papier est arrivé.") {
		t.Errorf("the worker's page says %q", got)
	}
	worker.check("redo-worker-done", false)
	if _, err := srv.notify.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	worker.open(srv.URL + "/pro") // her unread messages are on her start page
	if got := worker.seen(); !strings.Contains(got, "Le papier à refaire est arrivé") {
		t.Errorf("the worker's messages: %q", got)
	}
	owner.open(srv.URL + "/papers")
	if strings.Contains(owner.seen(), "Papier à refaire") {
		t.Errorf("the redo is still on her papers once done")
	}
	t.Logf("redo loop: worker %d taps, owner %d taps (with sending the link), helper %d taps", workerTaps, ownerTaps, helperTaps)
}

// TestRedoByOwnerHerself: the owner who has the paper at hand redoes it
// herself, without a helper: one tap opens the redo's one-item link on
// her own phone; her photo passes the check, the redo closes, the worker
// finds the new paper, and the receipt leads back to her papers.
func TestRedoByOwnerHerself(t *testing.T) {
	photos := samples(t)
	clean, _, _ := capturePhotos(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0644556688", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "avis-impot", Title: "Avis d'impôt", Pages: 1}, bytes.NewReader(realPaper(t, photos[0])))
	if err != nil {
		t.Fatal(err)
	}
	wp, err := srv.v.LoginWorker(ctx, workerEmail, []byte(workerSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	rq, err := srv.v.CreateRequest(ctx, wp, vault.NewRequest{OwnerID: ownerID, Purpose: "Dossier RSA", Types: []string{"avis-impot"}, Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	op, err := srv.v.Login(ctx, ident, []byte(secret), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.AcceptRequest(ctx, op, rq.ID, vault.Acceptance{Documents: []string{doc.ID}, Future: []string{"avis-impot"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.AskRedo(ctx, wp, vault.NewRedo{RequestID: rq.ID, DocumentID: doc.ID, Reason: "unreadable"}); err != nil {
		t.Fatal(err)
	}

	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	owner.open(srv.URL + "/papers")
	owner.taps = 0
	owner.tapTo("[data-redo] button[data-redo-self]")
	if !strings.HasPrefix(owner.location(), srv.URL+"/d/") {
		t.Fatalf("\"Je le refais moi-même\" leads to %s (%q)", owner.location(), owner.seen())
	}
	if got := owner.seen(); !strings.Contains(got, "À refaire : Avis d'impôt") {
		t.Errorf("her own link does not say what to redo: %q", got)
	}
	if got := owner.seen(); !strings.Contains(got, "Reprenez les pages vous-même") || strings.Contains(got, "Quelqu'un vous demande") {
		t.Errorf("her own link speaks to her as to a stranger helping someone: %q", got)
	}
	// The same address on another phone (a helper it was sent to, with
	// "?mine=1" in it) keeps the warning about whose vault it is.
	other := b.hand("other")
	other.open(srv.URL + "/lang?to=fr&back=" + url.QueryEscape(strings.TrimPrefix(owner.location(), srv.URL)))
	if got := other.seen(); strings.Contains(got, "Reprenez les pages vous-même") || !strings.Contains(got, "Quelqu'un vous demande") {
		t.Errorf("another phone opening %s reads %q", owner.location(), got)
	}
	owner.pick(`label[for=camera]`, clean)
	owner.poll(`document.querySelector('#pages li[data-verdict=ok]') !== null`, 2*time.Minute)
	owner.tap("#send")
	owner.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	owner.check("redo-owner-herself", false)
	owner.tapTo("#receipt [data-mine-back]")
	if !strings.HasSuffix(owner.location(), "/papers") || strings.Contains(owner.seen(), "Papier à refaire") {
		t.Errorf("back on her papers (%s) the redo still shows: %q", owner.location(), owner.seen())
	}
	t.Logf("redo by the owner herself: %d taps (the button, camera button + shutter, Send, back to her papers)", owner.taps)
	// The two papers of the same type are told apart.
	if got := owner.seen(); !strings.Contains(got, "Ancien papier : remplacé le") || !strings.Contains(got, "Nouveau papier, refait") {
		t.Errorf("her papers do not tell the old one from the new one: %q", got)
	}
	// Her journal says she redid it herself, not that her helper was asked.
	owner.open(srv.URL + "/journal")
	if got := owner.seen(); !strings.Contains(got, "Vous avez choisi de refaire vous-même votre avis d'impôt (illisible)") || strings.Contains(got, "demandé à votre aide") {
		t.Errorf("her journal after redoing it herself: %q", got)
	}

	worker := b.hand("worker")
	worker.signIn(srv.URL, "/lang?to=fr&back=/pro/login", map[string]string{"#email": workerEmail, "#secret": workerSecret})
	worker.open(srv.URL + "/pro/people/" + ownerID)
	if n := eval[int](worker.person, `document.querySelectorAll('main .cards li').length`); n != 2 {
		t.Errorf("the worker sees %d papers, want the old one and the new one", n)
	}
	if got := eval[string](worker.person, `[...document.querySelectorAll('[data-redo-status]')].map(e => e.textContent).join('|')`); !strings.Contains(got, "Refait (illisible) : le nouveau papier est arrivé.") ||
		!strings.Contains(got, "Nouveau papier, refait (illisible) : il remplace l'ancien") {
		t.Errorf("the worker's page says %q (the old paper and its replacement, told apart)", got)
	}
}
