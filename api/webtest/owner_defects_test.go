package webtest

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/vault"
)

// The owner's side of "the three journeys" (issue 15): each defect as a
// person on a phone meets it, by taps.

// pageSources lists the thumbnails of the add form, in order.
const pageSources = `JSON.stringify([...document.querySelectorAll('#pages li img')].map(i => i.src))`

// TestOwnerCameraKeepsEveryPage: on "Ajouter un papier", each photo taken
// with the camera adds a page (it used to replace the one before); pages
// can be taken again, removed and moved; the paper keeps them all.
func TestOwnerCameraKeepsEveryPage(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.signUp(srv.URL, "fr", "0611223344", "", "girafe velo soleil cartable")
	w.open(srv.URL + "/papers/add")

	count := func(n int, ready string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for w.text("[data-chosen]") != ready && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		if got := w.text("[data-chosen]"); got != ready {
			t.Fatalf("with %d photos the page says %q, want %q", n, got, ready)
		}
		if got := eval[int](w.person, `document.querySelectorAll('#pages li img').length`); got != n {
			t.Errorf("with %d photos the page shows %d thumbnails", n, got)
		}
	}
	w.photo(`label[for=camera]`, photos[0])
	count(1, "1 page prête.")
	if got := w.text(`label[for=camera]`); got != "Photographier la page suivante" {
		t.Errorf("camera button after one page: %q", got)
	}
	w.photo(`label[for=camera]`, photos[1])
	count(2, "2 pages prêtes.")
	// The first page cannot go up nor the last down: those buttons are
	// off (they were on, and did nothing when tapped).
	if got := eval[string](w.person, `[...document.querySelectorAll('#pages li .pbtns button:nth-child(-n+2)')].map(b => b.disabled ? 'off' : 'on').join(' ')`); got != "off on on off" {
		t.Errorf("up/down buttons of pages 1 and 2: %q, want \"off on on off\"", got)
	}
	// Page 1 again (blurred): still two pages, the first one replaced.
	// (Once both checks answered: an answer draws the list again, and a
	// finger on a button being redrawn finds nothing.)
	settled := func() {
		t.Helper()
		w.poll(`(() => { const f = document.querySelector('form[data-upload]'); return [...document.querySelectorAll('#pages .pstate')].every(s => s.textContent !== f.dataset.msgCaptureChecking); })()`, time.Minute)
	}
	settled()
	before := eval[string](w.person, pageSources)
	w.photo(`#pages li:nth-child(1) .pbtns button:nth-child(3)`, photos[2])
	count(2, "2 pages prêtes.")
	if after := eval[string](w.person, pageSources); after == before {
		t.Errorf("retaking page 1 changed nothing: %s", after)
	}
	// A third page, removed, then taken again; the last one moved up.
	w.photo(`label[for=camera]`, photos[0])
	count(3, "3 pages prêtes.")
	settled()
	w.tap(`#pages li:nth-child(2) .pbtns button:nth-child(4)`)
	count(2, "2 pages prêtes.")
	w.photo(`label[for=camera]`, photos[1])
	count(3, "3 pages prêtes.")
	// Each page's check answered (its cleaned thumbnail replaces the
	// photo's), so that only the move changes the thumbnails.
	w.poll(`(() => { const f = document.querySelector('form[data-upload]'); return [...document.querySelectorAll('#pages .pstate')].every(s => s.textContent !== f.dataset.msgCaptureChecking); })()`, time.Minute)
	order := eval[[]string](w.person, `[...document.querySelectorAll('#pages li img')].map(i => i.src)`)
	w.tap(`#pages li:nth-child(3) .pbtns button:nth-child(1)`)
	moved := eval[[]string](w.person, `[...document.querySelectorAll('#pages li img')].map(i => i.src)`)
	if len(moved) != 3 || moved[1] != order[2] || moved[2] != order[1] {
		t.Errorf("moving page 3 up: %v, then %v", order, moved)
	}
	w.axe("owner-add-pages")
	// With three pages the form is longer than the screen: "Enregistrer"
	// stays at the bottom of it without scrolling.
	eval[bool](w.person, `(() => { scrollTo(0, 0); return true; })()`)
	if inView := eval[bool](w.person, `(() => { const r = document.querySelector('form[data-upload] button[type=submit]').getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight; })()`); !inView {
		t.Errorf("with 3 pages, the save button is below the screen")
	}
	w.tap("form[data-upload] button[type=submit]")
	w.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 3*time.Minute)
	if got := w.text(".facts"); !strings.Contains(got, "3 pages") {
		t.Errorf("the paper saved: %q, want 3 pages", got)
	}
}

// TestOwnerSheetSurvivesReload: the recovery sheet is reached by a
// redirect; a reload (or Android restoring the tab) shows it again, with
// the same code, until the owner types its last 4 characters; the same
// after a recovery; a reload of a new drop link makes no second link.
func TestOwnerSheetSurvivesReload(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.signUp(srv.URL, "fr", "awa.reload", "Awa", "girafe velo soleil cartable")
	code := w.text(".code")
	for i := range 2 {
		w.reload()
		seen := w.seen()
		if w.text("main h1") != "Votre feuille de secours" || w.text(".code") != code || strings.Contains(seen, `"error"`) {
			t.Fatalf("reload %d of the sheet shows: %s", i+1, seen)
		}
	}
	// She leaves without confirming: her pages say the sheet waits, one
	// tap brings it back.
	w.open(srv.URL + "/papers")
	if got := w.text("#sheet-waiting"); !strings.Contains(got, "pas encore gardé") {
		t.Errorf("papers page while the sheet waits: %q", got)
	}
	w.tapGo("#sheet-waiting a")
	if w.text(".code") != code {
		t.Fatalf("back to the sheet: %s", w.seen())
	}
	// The wrong characters: told so, the sheet stays.
	w.typeIn("#last4", "0000")
	w.tapGo("#sheet-kept button[type=submit]")
	if got := w.text(".error"); !strings.Contains(got, "4 derniers caractères") || w.text(".code") != code {
		t.Fatalf("wrong last 4 characters: %q, %s", got, w.seen())
	}
	if n := eval[int](w.person, `document.querySelectorAll('#sheet-waiting').length`); n != 0 {
		t.Error("the sheet itself tells her to go back to her sheet")
	}
	w.keepSheet()
	if !strings.HasPrefix(w.location(), srv.URL+"/papers") {
		t.Fatalf("after keeping the sheet: %s", w.location())
	}
	// Kept: never shown again.
	if n := eval[int](w.person, `document.querySelectorAll('#sheet-waiting').length`); n != 0 {
		t.Errorf("the kept sheet is still said to wait")
	}
	w.open(srv.URL + "/sheet")
	if strings.Contains(w.seen(), strings.Fields(code)[0]) {
		t.Errorf("the sheet is still shown after it was kept")
	}

	// A recovery: the new sheet survives a reload too.
	r := b.walker("recoverer")
	r.open(srv.URL + "/lang?to=fr&back=/recover")
	r.typeIn("#identifier", "awa.reload")
	r.typeIn("#code", strings.ReplaceAll(code, " ", "-"))
	r.typeIn("#secret", "zebre piano lune tomate")
	r.typeIn("#secret2", "zebre piano lune tomate")
	r.tapGo("form.form button[type=submit]")
	newCode := r.text(".code")
	if newCode == code || len(strings.Fields(newCode)) != 7 {
		t.Fatalf("after recovery the sheet shows %q (old %q): %s", newCode, code, r.seen())
	}
	r.reload()
	if r.text(".code") != newCode || !strings.Contains(r.text("#after-recovery"), "ancienne feuille") {
		t.Fatalf("reloaded sheet after recovery: %s", r.seen())
	}

	// A drop link, by a double tap (newcomer's review: it made two): a
	// reload shows it again and makes no second one.
	r.keepSheet()
	r.tapGo(`nav a[href="/links"]`)
	r.typeIn("#label", "Ma fiche de paie")
	r.doubleTapGo("form.form button[type=submit]")
	url := eval[string](r.person, `document.getElementById('url').value`)
	r.reload()
	if again := eval[string](r.person, `document.getElementById('url').value`); again != url {
		t.Fatalf("reloaded link page shows %q, was %q", again, url)
	}
	r.open(srv.URL + "/links")
	if n := eval[int](r.person, `document.querySelectorAll('.cards .card').length`); n != 1 {
		t.Errorf("%d links after one creation and a reload, want 1", n)
	}
	// Left, then from her links: the same code again, on this phone.
	r.tapGo("[data-show-again]")
	if again := eval[string](r.person, `document.getElementById('url').value`); again != url {
		t.Errorf("the link shown again is %q, was %q", again, url)
	}
	// Another phone signed in to her vault is not offered it.
	other := b.walker("other phone")
	other.open(srv.URL + "/lang?to=fr&back=/login")
	other.typeIn("#identifier", "awa.reload")
	other.typeIn("#secret", "zebre piano lune tomate")
	other.tapGo("form.form button[type=submit]")
	other.open(srv.URL + "/links")
	if n := eval[int](other.person, `document.querySelectorAll('[data-show-again]').length`); n != 0 {
		t.Errorf("another phone is offered the code again")
	}

	// Her helper uses the one-use link: a reload of the page that showed
	// it no longer shows a code that would be refused; she lands on her
	// links, told why, the link listed as used.
	helper := b.walker("helper")
	helper.open(url)
	helper.photo(`label[for=camera]`, samples(t)[0])
	helper.poll(`document.querySelectorAll('#pages li[data-verdict]').length === 1`, 2*time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	// Used: the helper is no longer told until when it works.
	if eval[bool](helper.person, `!document.querySelector('[data-last-use]').hidden`) {
		t.Errorf("after the one-use link served, the helper still reads %q", helper.text("[data-last-use]"))
	}
	r.open(srv.URL + "/links/new")
	if !strings.HasPrefix(r.location(), srv.URL+"/papers?done=linkused") {
		t.Fatalf("the used link's page, reloaded, is at %s", r.location())
	}
	if got := r.text("p.notice"); got != "Ce lien a servi : ce qui a été envoyé est dans vos papiers." {
		t.Errorf("after the link served, her papers say %q", got)
	}
	if n := eval[int](r.person, `document.querySelectorAll('#url, img[src*="/qr."]').length`); n != 0 {
		t.Errorf("the used link's code is still offered (%d elements)", n)
	}
	r.tapGo(`nav a[href="/links"]`)
	if n := eval[int](r.person, `document.querySelectorAll('[data-show-again]').length`); n != 0 || r.text("[data-usedup]") == "" {
		t.Errorf("the used link is offered again (%d) or not listed as used: %s", n, r.seen())
	}
}

// TestOwnerSheetWording: the sheet says the code works once (recovery
// rotates it), offers to save the sheet on the phone (a PDF) and to copy
// the code in groups, says which to prefer, in French and English.
func TestOwnerSheetWording(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	for _, c := range []struct{ lang, once, prefer, old string }{
		{"fr", "ne sert qu'une fois", "Le mieux : recopiez-le sur un papier", "reste valable"},
		{"en", "This code works once", "Best: copy it on paper", "stays valid"},
	} {
		w := b.walker("owner-" + c.lang)
		w.signUp(srv.URL, c.lang, "lea.words."+c.lang, "", "tigre banane nuage piano")
		seen := w.seen()
		if !strings.Contains(seen, c.once) || !strings.Contains(seen, c.prefer) || strings.Contains(seen, c.old) {
			t.Errorf("%s sheet says: %s", c.lang, seen)
		}
		groups := eval[[]string](w.person, `[...document.querySelectorAll('.code span')].map(s => s.textContent)`)
		if len(groups) != 7 || len(groups[0]) != 4 {
			t.Errorf("%s code groups: %q", c.lang, groups)
		}
		if !eval[bool](w.person, `!!document.querySelector('#save-sheet').offsetParent && document.querySelector('#save-sheet').hasAttribute('download')`) {
			t.Errorf("%s: no visible button to save the sheet", c.lang)
		}
		got := eval[string](w.person, `fetch(document.querySelector('#save-sheet').href).then(r =>
			r.arrayBuffer().then(b => r.headers.get('Content-Disposition') + ' ' + String.fromCharCode(...new Uint8Array(b.slice(0, 5)))))`)
		if !strings.HasPrefix(got, "attachment") || !strings.HasSuffix(got, "%PDF-") {
			t.Errorf("%s: saving the sheet gives %q", c.lang, got)
		}
		w.axe("owner-sheet-" + c.lang)
	}
}

// TestOwnerAddRetryNeverDuplicates: the connection drops after the server
// stored the paper; the page says what happened and what to do; sending
// again finds the paper already saved, never a second one.
func TestOwnerAddRetryNeverDuplicates(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.signUp(srv.URL, "fr", "awa.retry", "", "girafe velo soleil cartable")
	w.open(srv.URL + "/papers/add")
	w.photo(`label[for=camera]`, photos[0])
	w.poll(`document.querySelector('[data-chosen]').textContent === '1 page prête.'`, time.Minute)
	srv.drops.arm(1)
	w.tap("form[data-upload] button[type=submit]")
	deadline := time.Now().Add(time.Minute)
	for !eval[bool](w.person, `!!document.querySelector('#add-status') && !document.querySelector('#add-status').hidden`) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := w.seen(); !strings.Contains(got, "La connexion a été coupée") {
		t.Fatalf("after the lost answer the page says nothing of it: %s", got)
	}
	if got := w.text("#add-status"); !strings.Contains(got, "La connexion a été coupée") || !strings.Contains(got, "jamais enregistré deux fois") {
		t.Fatalf("after the lost answer the page says %q", got)
	}
	w.axe("owner-add-offline")
	w.tap("form[data-upload] button[type=submit]")
	w.waitFor(`location.search.includes('done=addedonce') && document.readyState === 'complete'`, 3*time.Minute)
	if got := w.text(".notice"); !strings.Contains(got, "déjà enregistré") {
		t.Errorf("after sending again: %q", got)
	}
	w.open(srv.URL + "/papers")
	if n := eval[int](w.person, `document.querySelectorAll('.cards a.card').length`); n != 1 {
		t.Errorf("%d papers after one paper sent twice, want 1", n)
	}
	srv.drops.mu.Lock()
	handled := srv.drops.handled
	srv.drops.mu.Unlock()
	if handled != 2 {
		t.Errorf("the server handled %d submissions, want 2", handled)
	}
}

// TestOwnerWords: the identifier is shown as typed; a new date is
// journaled as a new date, not as a rename, in the app's words ("papier",
// never "de le document").
func TestOwnerWords(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.signUp(srv.URL, "fr", "06 12 34 56 78", "", "girafe velo soleil cartable")
	if got := w.text("main p strong"); got != "06 12 34 56 78" {
		t.Errorf("the sheet shows the identifier as %q, typed 06 12 34 56 78", got)
	}
	// Kept as typed: the account page says it so too.
	w.open(srv.URL + "/account")
	if got := w.text("main p strong"); got != "06 12 34 56 78" {
		t.Errorf("the account page shows the identifier as %q, typed 06 12 34 56 78", got)
	}
	w.open(srv.URL + "/papers/add")
	w.photo(`label[for=camera]`, photos[0])
	w.tap("details summary")
	w.typeIn("#title", "Mon contrat")
	w.tap("form[data-upload] button[type=submit]")
	w.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 3*time.Minute)
	// A new date only.
	w.tap("main details summary")
	w.do(chromedp.SetValue(chromedp.CSS("#expires"), "2031-05-31"))
	w.tapGo(`form[action$="/edit"] button[type=submit]`)
	w.open(srv.URL + "/journal")
	got := w.text("ol.journal")
	for _, bad := range []string{"renommé", "de le ", "document"} {
		if strings.Contains(got, bad) {
			t.Errorf("journal says %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, "Vous avez changé la date de fin de validité pour votre papier « Mon contrat » : 31 mai 2031") {
		t.Errorf("journal does not tell the new date: %s", got)
	}
}

// TestSheetGoneOnBack: she keeps her code, then taps the phone's Back
// button: the sheet page comes back from the browser's cache, and is asked
// again at once: it says the code is kept and shows it no more.
func TestSheetGoneOnBack(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.signUp(srv.URL, "fr", "awa.back", "Awa", "girafe velo soleil cartable")
	code := w.text(".code")
	w.keepSheet()
	if !strings.HasPrefix(w.location(), srv.URL+"/papers") {
		t.Fatalf("after keeping the sheet: %s", w.location())
	}
	w.back()
	first := strings.Fields(code)[0]
	w.waitFor(`document.readyState === 'complete' && !!document.querySelector('main h1') && !document.body.innerText.includes(`+jsString(first)+`)`, 10*time.Second)
	time.Sleep(time.Second) // what stays on the screen
	if got := eval[string](w.person, `document.body.innerText`); strings.Contains(got, first) {
		t.Fatalf("Back after keeping the sheet shows the code: %s", got)
	}
}

// TestBackAfterCorrectedForm: she mistypes the second secret, corrects it
// and signs up; the phone's Back shows her sheet again with the same code,
// never the sign-up form nor the browser's "Confirm Form Resubmission" page. The same
// after a wrong code on the sheet: Back from her papers shows the sheet.
func TestBackAfterCorrectedForm(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.open(srv.URL + "/lang?to=fr&back=/")
	w.tapGo(`a.tile[href="/signup"]`)
	w.typeIn("#identifier", "awa.retour")
	w.typeIn("#secret", "girafe velo soleil cartable")
	w.typeIn("#secret2", "girafe velo soleil cartabl")
	w.tapGo("form.form button[type=submit]")
	if got := w.text("main .error"); got == "" {
		t.Fatalf("no error for the mismatched secret: %s", w.seen())
	}
	w.typeIn("#identifier", "") // the field keeps what she typed
	w.typeIn("#secret", "girafe velo soleil cartable")
	w.typeIn("#secret2", "girafe velo soleil cartable")
	w.tapGo("form.form button[type=submit]")
	code := w.text(".code")
	if code == "" {
		t.Fatalf("no sheet after the corrected sign-up: %s", w.seen())
	}
	// Back: her sheet again, the same code, never the form (sent again,
	// it ended on "this request does not come from Coffre's page":
	// newcomer's review).
	w.back()
	if !strings.HasSuffix(w.location(), "/sheet") || w.text(".code") != code {
		t.Fatalf("Back after a corrected sign-up: %s %q", w.location(), eval[string](w.person, `document.body.innerText.slice(0, 300)`))
	}
	// The sheet: a wrong code first, then kept; Back from her papers.
	w.open(srv.URL + "/sheet")
	w.typeIn("#last4", "0000")
	w.tapGo("#sheet-kept button[type=submit]")
	w.keepSheet()
	w.back()
	if got := eval[string](w.person, `document.body.innerText`); strings.Contains(got, strings.Fields(code)[0]) || strings.Contains(got, "ERR_CACHE_MISS") {
		t.Fatalf("Back after keeping the sheet at the second try: %s", got)
	}
}

// TestOwnerAddAsksBeforeLosingPages: on "Ajouter un papier" she takes two
// pages, then the page is reloaded (a pull-down, a tap on Back): the phone
// first asks whether to leave; she stays, and both pages are still there.
// Once she taps "Enregistrer", nothing asks: the paper is in her list.
func TestOwnerAddAsksBeforeLosingPages(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	const ident, secret = "0677001122", "piano lune tortue cerise"
	if _, _, err := srv.v.SignUp(context.Background(), vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil); err != nil {
		t.Fatal(err)
	}
	o := b.hand("owner")
	o.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	o.open(srv.URL + "/papers/add")
	o.pick(`label[for=camera]`, photos[0])
	o.poll(`document.querySelector('[data-chosen]').textContent === '1 page prête.'`, time.Minute)
	o.pick(`label[for=camera]`, photos[1])
	o.poll(`document.querySelector('[data-chosen]').textContent === '2 pages prêtes.'`, time.Minute)
	// Both checks answered (each cleaned thumbnail replaced the photo's).
	o.poll(`(() => { const f = document.querySelector('form[data-upload]'); return [...document.querySelectorAll('#pages .pstate')].every(s => s.textContent !== f.dataset.msgCaptureChecking); })()`, time.Minute)
	before := eval[string](o.person, pageSources)

	// A reload, then Back: each time the phone asks, and she stays.
	o.stay.Store(true)
	for i, leave := range []string{`location.reload()`, `history.back()`} {
		eval[bool](o.person, `(setTimeout(() => `+leave+`, 0), true)`)
		if !waitCount(&o.leaveAsked, int64(i+1), 10*time.Second) {
			t.Fatalf("%s with 2 pages not saved: no \"leave this page?\" (asked %d times); the page shows %s", leave, o.leaveAsked.Load(), o.seen())
		}
		o.dialogs.Wait()
		if got := o.text("[data-chosen]"); got != "2 pages prêtes." {
			t.Errorf("after staying (%s): %q", leave, got)
		}
		if got := eval[string](o.person, pageSources); got != before {
			t.Errorf("after staying (%s) the thumbnails shown changed", leave)
		}
		if n := eval[int](o.person, `document.querySelectorAll('#pages li img').length`); n != 2 {
			t.Errorf("after staying (%s) the page shows %d thumbnails, want 2", leave, n)
		}
	}

	// Saving leaves without asking.
	o.stay.Store(false)
	asked := o.leaveAsked.Load()
	o.tap("form[data-upload] button[type=submit]")
	o.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 3*time.Minute)
	o.dialogs.Wait()
	if n := o.leaveAsked.Load(); n != asked {
		t.Errorf("saving the paper asked \"leave this page?\" %d times", n-asked)
	}
	if got := o.text(".facts"); !strings.Contains(got, "2 pages") {
		t.Errorf("the paper saved: %q, want 2 pages", got)
	}
	o.open(srv.URL + "/papers")
	if n := eval[int](o.person, `document.querySelectorAll('.cards a.card').length`); n != 1 {
		t.Errorf("%d papers in her list, want 1", n)
	}
}

// waitCount waits until a counter reaches n.
func waitCount(c *atomic.Int64, n int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for c.Load() < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	return c.Load() >= n
}

// TestNewSecretStopsLinks (attacker's review, second round): on her phone
// (360×740, by touch) the owner who fears her phone was stolen chooses a
// new secret and ticks « Arrêter aussi mes liens d'envoi »: the link a
// thief could have made no longer takes papers, her journal says it was
// stopped, and the page keeps to the phone's width.
func TestNewSecretStopsLinks(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("owner")
	w.signUp(srv.URL, "fr", "awa.vol", "Awa", "girafe velo soleil cartable")
	w.keepSheet()
	w.tapGo(`nav a[href="/links"]`)
	w.typeIn("#label", "Ma fiche de paie")
	w.tapGo("form.form button[type=submit]")
	url := eval[string](w.person, `document.getElementById('url').value`)
	w.open(srv.URL + "/account")
	w.tapGo("#secret-link")
	w.typeIn("#current", "girafe velo soleil cartable")
	w.typeIn("#secret", "zebre piano lune tomate")
	w.typeIn("#secret2", "zebre piano lune tomate")
	w.tap(`label:has(#stop-links)`)
	if !eval[bool](w.person, `document.getElementById('stop-links').checked`) {
		t.Fatalf("tapping the box's words did not tick it: %s", w.seen())
	}
	if wide := eval[bool](w.person, `document.documentElement.scrollWidth > window.innerWidth`); wide {
		t.Errorf("the secret page is wider than the phone")
	}
	w.check("owner-secret-links", false)
	w.tapGo("#change-secret")
	if strings.HasPrefix(w.location(), srv.URL+"/account/secret") {
		t.Fatalf("the new secret was not taken: %s", w.seen())
	}
	w.open(srv.URL + "/journal")
	if got := w.text("main"); !strings.Contains(strings.ReplaceAll(got, "\u00a0", " "), "Vous avez arrêté le lien d'envoi « Ma fiche de paie »") {
		t.Errorf("her journal does not say the link was stopped: %q", got)
	}
	helper := b.walker("helper")
	helper.open(url)
	if n := eval[int](helper.person, `document.querySelectorAll('label[for=camera]').length`); n != 0 {
		t.Errorf("the stopped link still offers the camera: %s", helper.seen())
	}
}
