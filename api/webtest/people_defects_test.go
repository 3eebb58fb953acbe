package webtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// Focused tests of issue 15's helper and worker defects that the journeys
// (journey_people_test.go) reach only late: each sets the scene through the
// vault, then taps through the pages and checks what the person sees. They
// report with Errorf and stop only where nothing more can be seen, so that
// on the old code every defect shows.

// soft waits until a JavaScript expression is true and reports whether it
// became true (no failure).
func (h *hand) soft(expr string, timeout time.Duration) bool {
	h.b.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if eval[bool](h.person, `(() => { try { return !!(`+expr+`); } catch (e) { return false; } })()`) {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// tapAway taps something that loads another document (a page, or
// whatever the server answers) and waits for it to load.
func (h *hand) tapAway(sel string) {
	h.b.t.Helper()
	eval[bool](h.person, `window.__here = true`)
	h.tap(sel)
	h.waitFor(`!window.__here && document.readyState === 'complete'`, time.Minute)
}

// TestHelperPaperType (defect 9): a helper's paper sent through a link that
// names no type is not titled with the owner's message; the helper can say
// what it is by its pictogram, and it is then filed by type.
func TestHelperPaperType(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const secret = "girafe velo soleil cartable"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: "0644556677", Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	const label = "Envoie ce que tu as, merci !"
	send := func(pick bool) {
		t.Helper()
		token, _, err := srv.v.CreateDropLink(ctx, owner, ownerID, vault.NewDropLink{Label: label})
		if err != nil {
			t.Fatal(err)
		}
		helper := b.hand("helper")
		helper.open(srv.URL + "/d/" + token)
		if pick {
			if !helper.soft(`document.querySelector('fieldset.kinds input[value="avis-impot"]')`, 5*time.Second) {
				t.Errorf("the helper cannot say what the paper is: %q", helper.seen())
			} else {
				helper.check("helper-kinds", true)
				helper.tap(`fieldset.kinds details:has(input[value="avis-impot"]) summary`)
				helper.tap(`input[name=type][value="avis-impot"]`)
			}
		}
		helper.pick(`label[for=camera]`, photos[2])
		helper.poll(`[...document.querySelectorAll('#pages .pstate')].length === 1 && [...document.querySelectorAll('#pages .pstate')].every(s => s.classList.contains('ok'))`, time.Minute)
		helper.tap("#send")
		helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	}
	send(false)
	docs, err := srv.v.List(ctx, owner)
	if err != nil || len(docs) != 1 {
		t.Fatalf("after the first sending: %v %v", docs, err)
	}
	if docs[0].Title == label {
		t.Errorf("a paper of no type is titled with the owner's own message %q", label)
	}
	send(true)
	docs, _ = srv.v.List(ctx, owner)
	if len(docs) != 2 || docs[1].Type != "avis-impot" || docs[1].Category != "tax" {
		t.Errorf("the paper the helper said was a tax notice is filed as %q/%q", docs[len(docs)-1].Type, docs[len(docs)-1].Category)
	}
}

// TestWorkerStaleDownload (defects 7, 10, 12): the worker who asked is
// preselected on the owner's share form; after the owner stops sharing, the
// worker's stale "Download" gets a page (not JSON) that says the person
// stopped sharing and when, the request says "sharing stopped on …" and a
// message tells it; an unknown address and a stale form get pages too, and
// HEAD / answers like GET /.
func TestWorkerStaleDownload(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0655667788", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 1}, bytes.NewReader(realPaper(t, photos[0])))
	if err != nil {
		t.Fatal(err)
	}
	worker := b.hand("worker")
	worker.signIn(srv.URL, "/lang?to=en&back=/pro/login", map[string]string{"#email": workerEmail, "#secret": workerSecret})
	worker.open(srv.URL + "/pro/requests/new")
	worker.typeIn("#identifier", ident)
	worker.typeIn("#purpose", "RSA file")
	worker.tap(`details:has(input[value="rib"]) summary`)
	worker.tap(`input[name=type][value="rib"]`)
	worker.tapTo("form.form button[type=submit]")
	reqs, err := srv.v.Requests(ctx, owner)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests: %v %v", reqs, err)
	}
	if _, err := srv.v.AcceptRequest(ctx, owner, reqs[0].ID, vault.Acceptance{Documents: []string{doc.ID}}); err != nil {
		t.Fatal(err)
	}

	// The owner's share form preselects the worker who asked.
	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/papers/" + doc.ID + "/share")
	if got := eval[string](o.person, `(() => { const i = document.querySelector('input[name=grantee]:checked'); return i ? i.closest('label').innerText : ''; })()`); got != "Mme Morel (CCAS de Roubaix)" {
		t.Errorf("the share form preselects %q, want the worker who asked", got)
	}

	// The worker has the person's page open; the owner stops sharing.
	worker.open(srv.URL + "/pro")
	worker.tapTo(".cards a.card")
	ks, err := srv.v.Consents(ctx, owner)
	if err != nil || len(ks) != 1 {
		t.Fatalf("consents: %v %v", ks, err)
	}
	// She still shares another paper with the same worker: the stopped
	// paper's download says it stopped all the same (before, "not found").
	other, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "avis-impot", Title: "Avis", Pages: 1}, bytes.NewReader(realPaper(t, photos[1])))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.GrantConsent(ctx, owner, vault.NewConsent{Grantee: ks[0].Grantee, Scope: vault.Scope{Documents: []string{other.ID}},
		Purpose: "RSA", Days: 31}); err != nil {
		t.Fatal(err)
	}
	if err := srv.v.RevokeConsent(ctx, owner, ks[0].ID); err != nil {
		t.Fatal(err)
	}
	srv.deliverLater(t) // a stop is told once it can no longer be undone
	worker.tapAway("main form[method=get] button[type=submit]")
	if got := eval[string](worker.person, `(document.querySelector('main h1') || {}).textContent || document.body.innerText`); got != "Sharing stopped" {
		t.Errorf("the stale download answers %q", got)
	} else {
		if got := worker.seen(); !strings.Contains(got, "stopped sharing papers with you on") || !strings.Contains(got, "Ask for papers again") {
			t.Errorf("stale download page: %q", got)
		}
		worker.check("worker-stale-download", false)
	}
	worker.open(srv.URL + "/pro")
	if got := worker.seen(); !strings.Contains(got, "sharing stopped on") {
		t.Errorf("the request does not say the share ended: %q", got)
	}
	if got := eval[string](worker.person, `[...document.querySelectorAll('[data-message]')].map(e => e.innerText).join('|')`); !strings.Contains(got, "stopped sharing papers with you on") {
		t.Errorf("the worker has no message about the share ending: %q", got)
	}

	// An unknown address, in the person's language, with the header and a way back.
	o.do(chromedp.Navigate(srv.URL + "/papiers-perdus"))
	if got := eval[string](o.person, `(document.querySelector('main h1') || {}).textContent || document.body.innerText`); got != "Page introuvable" {
		t.Errorf("an unknown address answers %q", got)
	} else if !eval[bool](o.person, `!!document.querySelector('header.top') && !!document.querySelector('main a.btn[href="/"]')`) {
		t.Errorf("the not-found page has no header or way back")
	}
	// A form whose token is stale (a tab kept open across sessions).
	o.open(srv.URL + "/links")
	o.typeIn("#label", "Mes fiches de paie")
	eval[bool](o.person, `document.querySelector('form[action="/links"] input[name=csrf]').value = 'perime'; true`)
	o.tapAway(`form[action="/links"] button[type=submit]`)
	if got := eval[string](o.person, `document.body.innerText`); !strings.Contains(got, "Cette demande ne vient pas de la page de Coffre") || strings.Contains(got, `"error"`) {
		t.Errorf("a stale form answers %q", got)
	}
	// HEAD answers like GET, with no body, on every page.
	for _, path := range []string{"/", "/login", "/papers", "/pro/login", "/papiers-perdus"} {
		resp, err := http.Head(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		get, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		if resp.StatusCode != get.StatusCode || len(body) != 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("HEAD %s: %d (GET %d) %s, %d bytes", path, resp.StatusCode, get.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
}

// TestUndoStopSharing (defect 12): stopping a share can be undone for a
// minute; the worker then reads the paper again.
func TestUndoStopSharing(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0677889900", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 1}, bytes.NewReader(realPaper(t, photos[1])))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.GrantConsent(ctx, owner, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindOrganisation, ID: srv.org.ID},
		Scope:   vault.Scope{Documents: []string{doc.ID}}, Purpose: "Dossier CAF", Days: 31, ShowName: "Awa",
	}); err != nil {
		t.Fatal(err)
	}
	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/share")
	o.tapTo(".cards form button")
	if !strings.Contains(o.text(".notice"), "arrêté") {
		t.Fatalf("no confirmation after stopping: %q", o.seen())
	}
	if !o.soft(`document.querySelector('[data-undo] button')`, 3*time.Second) {
		t.Fatalf("stopping a share cannot be undone: %q", o.seen())
	}
	o.check("owner-undo", false)
	o.tapTo("[data-undo] button")
	if got := o.text(".notice"); !strings.Contains(got, "rétabli") {
		t.Errorf("after undoing: %q", o.seen())
	}
	if n := eval[int](o.person, `document.querySelectorAll('.cards form[action$="/revoke"]').length`); n != 1 {
		t.Errorf("after undoing, %d live shares listed", n)
	}
	worker := b.hand("worker")
	worker.signIn(srv.URL, "/lang?to=fr&back=/pro/login", map[string]string{"#email": workerEmail, "#secret": workerSecret})
	worker.tapTo(".cards a.card")
	download := `fetch(document.querySelector('main form[method=get]').action)
		.then(r => r.ok ? r.arrayBuffer().then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5)))) : String(r.status))`
	if got := eval[string](worker.person, download); got != "%PDF-" {
		t.Errorf("the worker's download after the undo: %q", got)
	}
}

// TestBackThenTapAgain: on a phone, Back after sharing shows the form
// again; tapping Share again shares once (the form's key), and the
// list shows one share. Back after taking a stop back, then the button
// again: "rétabli", not "too late", and still one share.
func TestBackThenTapAgain(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	const ident, secret = "0677889911", "piano lune tortue cerise"
	_, doc := ownerWithRIB(t, srv, ident, secret)
	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/papers/" + doc.ID + "/share")
	o.tap(`input[name=grantee][value^="organisation:"]`)
	o.typeIn("#confirm-share", secret)
	o.tapTo("form[action='/share'] button[type=submit]")
	live := func() int {
		return eval[int](o.person, `document.querySelectorAll('.cards form[action$="/revoke"]').length`)
	}
	if !strings.Contains(o.text(".notice"), "partag") || live() != 1 {
		t.Fatalf("after sharing: %s", o.seen())
	}
	o.back()
	if !o.soft(`document.querySelector("form[action='/share']")`, 5*time.Second) {
		t.Fatalf("Back after sharing: %s", o.seen())
	}
	o.tapToByTouch("form[action='/share'] button[type=submit]")
	if got := o.seen(); strings.Contains(got, "erreur") || live() != 1 {
		t.Fatalf("Back, then Share again: %d shares listed\n%s", live(), got)
	}

	// Stop, take it back, Back, take it back again.
	o.tapTo(`.cards form[action$="/revoke"] button`)
	if !o.soft(`document.querySelector('[data-undo] button')`, 3*time.Second) {
		t.Fatalf("stopping a share cannot be undone: %q", o.seen())
	}
	stopped := o.location() // /share?undo=…&done=revoked
	o.tapTo("[data-undo] button")
	if got := o.text(".notice"); !strings.Contains(got, "rétabli") {
		t.Fatalf("after undoing: %q", o.seen())
	}
	// That address again (a reload, a Back): no "stopped" over a live share.
	o.open(stopped)
	if got := o.seen(); strings.Contains(got, "arrêté") || live() != 1 {
		t.Errorf("the stop's address after its undo says: %q", got)
	}
	o.open(srv.URL + "/share?done=restored")
	o.back()
	if o.soft(`document.querySelector('[data-undo] button')`, time.Second) {
		o.tapToByTouch("[data-undo] button")
		if got := o.seen(); !strings.Contains(got, "rétabli") || strings.Contains(got, "trop tard") {
			t.Errorf("Back, then undo again: %s", got)
		}
	}
	if n := live(); n != 1 {
		t.Errorf("after Back and undo again: %d live shares", n)
	}
	o.axe("shares after Back")
}

// back is the phone's Back button: the page before, from the browser's
// back-forward cache when it keeps it (its scripts' state as it was left).
func (p *person) back() {
	p.b.t.Helper()
	tok := fmt.Sprint(time.Now().UnixNano())
	eval[bool](p, `(window.__back = `+jsString(tok)+`, history.back(), true)`)
	p.waitFor(`window.__back !== `+jsString(tok)+` && document.readyState === 'complete' && !!document.querySelector('main h1')`, 30*time.Second)
}

// tapToByTouch taps an element at its place on the screen with a finger's
// touch events, and waits for the page it loads: on a page the browser
// restored from its back-forward cache, where the DevTools' DOM queries do
// not follow.
func (h *hand) tapToByTouch(sel string) {
	h.b.t.Helper()
	h.taps++
	box := eval[[]float64](h.person, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); window.__doc = 'before'; return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	h.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchStart, TouchPoints: []*input.TouchPoint{{X: box[0], Y: box[1]}}}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{}})
		return err
	}))
	h.waitFor(`window.__doc !== 'before' && document.readyState === 'complete' && !!document.querySelector('main h1')`, time.Minute)
}

// TestShareWrongSecretKeepsChoices: on a phone she ticks one day, writes
// why, and mistypes her secret: the form comes back with one day still
// ticked and her words, the message beside the secret field (not screens
// above) with the cursor in it, and no word about an identifier. With the
// right secret she shares for one day.
func TestShareWrongSecretKeepsChoices(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	const ident, secret = "0677889922", "piano lune tortue cerise"
	ownerID, doc := ownerWithRIB(t, srv, ident, secret)
	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/papers/" + doc.ID + "/share")
	o.tap(`input[name=grantee][value^="organisation:"]`)
	o.tap(`input[name=days][value="1"]`)
	o.typeIn("#purpose", "Dossier CAF")
	o.typeIn("#confirm-share", "pas le bon secret")
	o.tapTo("form[action='/share'] button[type=submit]")
	if got := o.text("#confirm-share-error"); got != "Ce n'est pas votre secret. Réessayez." {
		t.Errorf("beside the secret field: %q", got)
	}
	if strings.Contains(o.seen(), "Identifiant") {
		t.Errorf("the message speaks of an identifier: %s", o.seen())
	}
	if !eval[bool](o.person, `document.activeElement && document.activeElement.id === 'confirm-share' && document.getElementById('confirm-share').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the cursor is not in the secret field")
	}
	if !eval[bool](o.person, `document.querySelector('input[name=days][value="1"]').checked`) || eval[string](o.person, `document.getElementById('purpose').value`) != "Dossier CAF" {
		t.Fatalf("her choices were lost: %s", o.seen())
	}
	o.axe("share form, wrong secret")
	// She shows what she types, to see her mistake.
	o.typeIn("#confirm-share", secret)
	o.tap("#confirm-share + button.reveal")
	if typ, label := eval[string](o.person, `document.getElementById('confirm-share').type`), o.text("#confirm-share + button.reveal"); typ != "text" || label != "Cacher" {
		t.Errorf("the secret is not shown: type %q, the button says %q", typ, label)
	}
	o.tapTo("form[action='/share'] button[type=submit]")
	ctx := context.Background()
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := srv.v.Consents(ctx, owner)
	if err != nil || len(ks) != 1 || ks[0].Expires.Sub(ks[0].Created) != 24*time.Hour || ks[0].Purpose != "Dossier CAF" {
		t.Fatalf("shared: %+v, %v; want one day, 'Dossier CAF'", ks, err)
	}
}

// TestMultiUseLinkReloadAfterSend: the helper sends through a link that
// takes several sends, then the page is reloaded: what was sent is still
// said (not an empty form, as if nothing had gone), and one tap opens the
// form for more papers.
func TestMultiUseLinkReloadAfterSend(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0677889933", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ownerP, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, ownerP, ownerID, vault.NewDropLink{Label: "Papiers", MaxUses: 3, Requested: []string{"rib"}})
	if err != nil {
		t.Fatal(err)
	}
	helper := b.hand("helper")
	helper.open(srv.URL + "/d/" + token)
	helper.pick(`label[for=camera]`, photos[0])
	helper.poll(`document.querySelector('#pages li[data-state=sent]') !== null`, time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	sent := helper.text("[data-receipt-text]")
	// "Send other papers" is offered at once, not only after a reload
	// (newcomer's review).
	if got := helper.text("#receipt [data-send-more]"); got != "Envoyer d'autres papiers" {
		t.Errorf("right after the send, the receipt offers %q", got)
	}
	helper.person.do(chromedp.Reload())
	helper.waitFor(`document.readyState === 'complete' && !document.getElementById('receipt').hidden`, 30*time.Second)
	if got := helper.text("[data-receipt-text]"); got != sent || !eval[bool](helper.person, `document.getElementById('drop').hidden`) {
		t.Fatalf("after a reload the page says %q (was %q): %s", got, sent, helper.seen())
	}
	helper.tap("[data-send-more]")
	if !eval[bool](helper.person, `!document.getElementById('drop').hidden && document.getElementById('receipt').hidden`) {
		t.Fatalf("'send more' does not open the form: %s", helper.seen())
	}
	helper.axe("helper, more papers")
	// A second paper, then "send more" tapped right away: a fresh form.
	helper.pick(`label[for=camera]`, photos[1])
	helper.poll(`document.querySelector('#pages li[data-state=sent]') !== null`, time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden && !!document.querySelector('#receipt [data-send-more]')`, 2*time.Minute)
	helper.tapTo("#receipt [data-send-more]")
	helper.waitFor(`document.readyState === 'complete' && !document.getElementById('drop').hidden && document.getElementById('receipt').hidden && document.querySelectorAll('#pages li').length === 0`, 30*time.Second)
	// The last use: no more to offer.
	helper.pick(`label[for=camera]`, photos[0])
	helper.poll(`document.querySelector('#pages li[data-state=sent]') !== null`, time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	if n := eval[int](helper.person, `document.querySelectorAll('#receipt [data-send-more]').length`); n != 0 {
		t.Errorf("the link's last send still offers to send more (%d buttons)", n)
	}
}

// ownerWithRIB signs up a French-speaking owner and files one paper, a
// RIB made from a real phone photo.
func ownerWithRIB(t *testing.T, srv *server, ident, secret string) (string, vault.Document) {
	t.Helper()
	ctx := context.Background()
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 1}, bytes.NewReader(realPaper(t, samples(t)[1])))
	if err != nil {
		t.Fatal(err)
	}
	return ownerID, doc
}

// TestHelperErrorInChosenLanguage: on a phone set to French, the helper
// chooses Dari in the language menu of the drop page, attaches a broken
// photo and taps Send: the refusal she reads is the Dari catalogue's, on
// a right-to-left page, not the French one (the page's requests carried no
// language cookie, so the server answered in the phone's language).
func TestHelperErrorInChosenLanguage(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const secret = "girafe velo soleil cartable"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: "0644556600", Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, owner, ownerID, vault.NewDropLink{Label: "Papiers"})
	if err != nil {
		t.Fatal(err)
	}
	// A JPEG that starts well and breaks at once.
	broken := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(broken, append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte("cassé "), 400)...), 0o600); err != nil {
		t.Fatal(err)
	}
	helper := b.hand("helper")
	helper.open(srv.URL + "/d/" + token)
	if got := helper.lang(); got != "fr" {
		t.Fatalf("the drop page opens in %q on a French phone", got)
	}
	helper.tap(`header a[href="#langs"]`)
	helper.tapTo(`#langs a[hreflang="fa-AF"]`)
	if got, dir := helper.lang(), eval[string](helper.person, `document.documentElement.dir`); got != "fa-AF" || dir != "rtl" {
		t.Fatalf("after choosing Dari the page is lang=%q dir=%q", got, dir)
	}
	helper.pick(`label[for=camera]`, broken)
	helper.poll(`document.querySelector('#pages li[data-state=sent]') !== null`, time.Minute)
	helper.tap("#send")
	if !helper.soft(`document.getElementById('status').textContent.trim() !== '' && !document.getElementById('send').disabled`, time.Minute) {
		t.Fatalf("no refusal shown: %s", helper.seen())
	}
	// The server names the page "page 1" (its file name, not a message).
	fa, fr := i18n.Get("fa-AF"), i18n.Get("fr")
	want := fa.T("convert.malformed_image", fa.T("convert.file", "page 1"))
	french := fr.T("convert.malformed_image", fr.T("convert.file", "page 1"))
	if got := strings.TrimSpace(helper.text("#status")); got != want {
		if got == french {
			t.Errorf("the helper chose Dari; the refusal is in French: %q", got)
		} else {
			t.Errorf("the refusal reads %q, want the Dari catalogue's %q", got, want)
		}
	}
	if got := helper.lang(); got != "fa-AF" {
		t.Errorf("after the refusal the page is lang=%q", got)
	}
	helper.axe("helper, refusal in Dari")
}

// TestUsedUpLinkSaysSo: once a link has taken all its sends, her list of
// links says it no longer works (it said "works until …" while the helper
// read "this link has served"), and offers no "stop" button for it.
func TestUsedUpLinkSaysSo(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0677889944", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ownerP, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, ownerP, ownerID, vault.NewDropLink{Label: "Papiers de Awa", MaxUses: 1, Requested: []string{"rib"}})
	if err != nil {
		t.Fatal(err)
	}
	helper := b.hand("helper")
	helper.open(srv.URL + "/d/" + token)
	helper.pick(`label[for=camera]`, photos[0])
	helper.poll(`document.querySelector('#pages li[data-state=sent]') !== null`, time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)

	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/links")
	card := o.text(".cards .card")
	if !strings.Contains(card, "tout est envoyé : ce lien ne marche plus") || strings.Contains(card, "marche jusqu") {
		t.Errorf("a used-up link reads %q", card)
	}
	if n := eval[int](o.person, `document.querySelectorAll('.cards form[action$="/revoke"]').length`); n != 0 {
		t.Errorf("%d stop buttons for a link that no longer works", n)
	}
	o.axe("links, one used up")
}

// TestSignupNumberTakenSaysWhatToDo: a number that already has a vault,
// typed at sign-up, was answered "It exists already." (what? what now?).
// The page now says her number has a vault, and how to open or recover
// it, naming the sign-in page's own button, in her language.
func TestSignupNumberTakenSaysWhatToDo(t *testing.T) {
	srv := newServer(t)
	const ident, secret = "0677889955", "piano lune tortue cerise"
	if _, _, err := srv.v.SignUp(context.Background(), vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, c := range []struct{ lang, want, button string }{
		{"fr", "Ce numéro ou ce nom a déjà un coffre", "J'ai oublié mon secret"},
		{"fr-x-falc", "Ce numéro a déjà un coffre", ""},
	} {
		h := b.hand("newcomer " + c.lang)
		h.open(srv.URL + "/lang?to=" + c.lang + "&back=/signup")
		h.typeIn("#identifier", "06 77 88 99 55")
		h.typeIn("#secret", "hibou sapin cerise lampe")
		h.typeIn("#secret2", "hibou sapin cerise lampe")
		h.tapTo("form[action='/signup'] button[type=submit]")
		got := h.text("main .error")
		if !strings.Contains(got, c.want) || strings.Contains(got, "Cela existe déjà") {
			t.Errorf("%s: a number with a vault: %q", c.lang, got)
		}
		if c.button != "" && !strings.Contains(got, c.button) {
			t.Errorf("%s: %q does not name %q", c.lang, got, c.button)
		}
		h.axe("sign-up, number taken, " + c.lang)
	}
}
