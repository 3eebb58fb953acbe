package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
)

// The helper's and the social worker's journeys (issue 15), walked as
// people walk them: a 360×740 touch phone, every action a chromedp.Tap
// (typing aside), real photos, and assertions on what the person sees.
// Each journey counts its taps (BENCHMARKS.md).

// hand is a person on a touch phone who acts by tapping, counts the taps,
// answers "leave this page?" dialogs as told, and can lose the network.
type hand struct {
	*person
	taps    int
	chooser chan page.EventFileChooserOpened
	// stay makes the next "leave this page?" dialogs answer "stay".
	stay atomic.Bool
	// leaveAsked counts the "leave this page?" dialogs shown.
	leaveAsked atomic.Int64
	dialogs    sync.WaitGroup
}

func (b *browser) hand(name string) *hand {
	p := b.person(name)
	h := &hand{person: p, chooser: make(chan page.EventFileChooserOpened, 4)}
	p.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	if err := chromedp.Listen(p.ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventFileChooserOpened:
			select {
			case h.chooser <- *e:
			default:
			}
		case *page.EventJavascriptDialogOpening:
			if e.Type == page.DialogTypeBeforeunload {
				h.leaveAsked.Add(1)
			}
			accept := !h.stay.Load()
			h.dialogs.Add(1)
			go func() { // commands may not run inside a listener
				defer h.dialogs.Done()
				_ = chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
					_, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
					return err
				}))
			}()
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true})
		return err
	}))
	return h
}

// tap taps an element that changes the page in place.
func (h *hand) tap(sel string) {
	h.b.t.Helper()
	h.taps++
	// A person scrolls what they want to tap into the middle of the
	// screen, clear of the bar kept at the bottom.
	h.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	eval[bool](h.person, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (e) e.scrollIntoView({block: 'center'}); return true; })()`)
	h.do(chromedp.Tap(chromedp.CSS(sel)))
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tapTo taps an element that loads another page, and waits for it.
func (h *hand) tapTo(sel string) {
	h.b.t.Helper()
	eval[bool](h.person, `window.__here = true`)
	h.tap(sel)
	h.waitFor(`!window.__here && document.readyState === 'complete' && !!document.querySelector('main h1')`, 2*time.Minute)
}

// typeIn taps a field and types into it.
func (h *hand) typeIn(sel, text string) {
	h.b.t.Helper()
	h.tap(sel)
	// A phone's on-screen keyboard commits text as insertText, not as
	// key presses.
	h.do(chromedp.Focus(chromedp.CSS(sel)), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
	if got := eval[string](h.person, `document.querySelector(`+jsString(sel)+`).value`); !strings.HasSuffix(got, text) {
		h.b.t.Fatalf("%s: typed %q into %s, it holds %q", h.name, text, sel, got)
	}
}

// pick taps a button that opens the camera or the gallery and chooses a
// file there: one tap on the page, one in the camera or the gallery.
func (h *hand) pick(sel, file string) {
	h.b.t.Helper()
	h.tap(sel)
	var ev page.EventFileChooserOpened
	select {
	case ev = <-h.chooser:
	case <-time.After(30 * time.Second):
		h.b.t.Fatalf("%s: tapping %s opened no camera or gallery", h.name, sel)
	}
	h.taps++
	h.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: []string{file}, BackendNodeID: ev.BackendNodeID})
		return err
	}))
}

// network cuts (offline) or restores the phone's connection, optionally
// slowing uploads to bytesPerSecond.
func (h *hand) network(offline bool, bytesPerSecond float64) {
	h.b.t.Helper()
	if bytesPerSecond == 0 {
		bytesPerSecond = -1
	}
	h.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: bytesPerSecond}},
		}); err != nil {
			return err
		}
		// navigator.onLine follows, with its online/offline events.
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: offline, DownloadThroughput: -1, UploadThroughput: bytesPerSecond,
		})
		return err
	}))
}

// seen is the visible text of the page's main part.
func (h *hand) seen() string {
	h.b.t.Helper()
	return eval[string](h.person, `(document.getElementById('main') || document.body).innerText`)
}

// pageStates are the states the helper's page shows, page by page.
func (h *hand) pageStates() []string {
	return eval[[]string](h.person, `[...document.querySelectorAll('#pages .pstate')].map(s => s.textContent)`)
}

// signIn signs an owner or a worker in by the form (not counted: the
// journeys start signed in).
func (h *hand) signIn(base, path string, fields map[string]string) {
	h.b.t.Helper()
	h.open(base + path)
	for sel, v := range fields {
		h.fill(sel, v)
	}
	h.submit("form.form button[type=submit]")
}

// nonPhoto is a file of the repository's test data that is not a picture.
func nonPhoto(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testenv.SamplesDir(t), "rib.truth.txt")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the samples' text file: %v", err)
	}
	return p
}

// TestHelperJourney: an owner makes a link that names her; a helper opens
// it, sees whose vault it is, is refused a text file by name, takes three
// photos while the network drops in the middle and comes back, sees each
// page "ready, not sent yet" (never "received" before sending) with Send
// kept in sight, is asked before leaving, reloads and still sees the
// thumbnails, picks the kind of paper by its pictogram and sends: every
// page is then "received by the vault". The owner finds a payslip, not an
// "Autre" titled with her own message.
func TestHelperJourney(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0622334455", "girafe velo soleil cartable"
	if _, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil); err != nil {
		t.Fatal(err)
	}
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	owner.open(srv.URL + "/links")
	if got := eval[string](owner.person, `(document.getElementById('from') || {}).value || ''`); got != "Awa" {
		t.Errorf("the name the helper will see is prefilled with %q, want the owner's name", got)
	}
	const label = "Merci d'envoyer ma fiche de paie"
	owner.fill("#label", label)
	owner.submit("form.form button[type=submit]")
	linkURL := eval[string](owner.person, `document.getElementById('url').value`)

	helper := b.hand("helper")
	helper.open(linkURL)
	if got := helper.seen(); !strings.Contains(got, "coffre de : Awa") {
		t.Errorf("the helper is not told whose vault it is: %q", got)
	}
	helper.check("journey-helper-link", true)
	// The main action is on the first screen, before any list of kinds.
	if !eval[bool](helper.person, `(() => { const r = document.querySelector('label[for=camera]').getBoundingClientRect(); return scrollY === 0 && r.bottom <= innerHeight; })()`) {
		t.Errorf("the camera button is below the first screen (%.0f px)", eval[float64](helper.person, `document.querySelector('label[for=camera]').getBoundingClientRect().bottom`))
	}
	helper.taps = 0

	// A text file chosen by mistake is refused at once, by name.
	helper.pick(`label[for=gallery]`, nonPhoto(t))
	helper.poll(`document.getElementById('status').textContent.includes('rib.truth.txt')`, 30*time.Second)
	if got := helper.text("#status"); !strings.Contains(got, "ni une photo ni un PDF") {
		t.Errorf("a text file is refused with %q", got)
	}
	if n := eval[int](helper.person, `document.querySelectorAll('#pages li').length`); n != 0 {
		t.Errorf("the text file became %d page(s)", n)
	}

	// Page 1 on a good connection: "ready, not sent yet", never "received".
	// (The server will cut page 2's connection in the middle of its body.)
	srv.cut.arm(2, 0)
	helper.pick(`label[for=camera]`, photos[0])
	helper.poll(`document.querySelector('#pages li[data-state=sent]') !== null`, time.Minute)
	if st := helper.pageStates(); len(st) != 1 || st[0] != "prête, pas encore envoyée" {
		t.Errorf("page 1 once stored shows %q, want it ready and not yet sent", st)
	}
	// Send stays in sight once a page is ready, wherever the page is scrolled.
	eval[bool](helper.person, `window.scrollTo(0, 0); true`)
	helper.do(chromedp.Sleep(300 * time.Millisecond))
	if !eval[bool](helper.person, `(() => { const r = document.getElementById('send').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`) {
		t.Errorf("the Send button is out of sight at the top of the page once a page is ready")
	}
	helper.check("journey-helper-ready", false)

	// Page 2 goes out on a slow line whose connection is cut in the middle
	// of the page; page 3 is taken while the phone is offline. Both show
	// the honest "connection lost" state, and are sent once back online.
	helper.network(false, 40_000)
	helper.pick(`label[for=camera]`, photos[1])
	helper.poll(`(() => { const b = document.querySelector('#pages li:nth-child(2) progress'); return b && b.value > 0; })()`, time.Minute)
	helper.network(true, 0)
	helper.pick(`label[for=camera]`, photos[2])
	helper.poll(`document.querySelectorAll('#pages li[data-state=retry]').length >= 1`, time.Minute)
	offline := helper.pageStates()
	t.Logf("offline, the pages say %q", offline)
	for _, st := range offline {
		if strings.Contains(st, "reçue") || strings.Contains(st, "envoyée,") {
			t.Errorf("offline, a page claims %q", st)
		}
	}
	// The summary in sight says so too (it said "(1 en préparation)").
	if got := helper.text("[data-chosen]"); !strings.HasSuffix(got, "(connexion coupée, on réessaie…)") {
		t.Errorf("offline, the summary says %q", got)
	}
	helper.screenshot("journey-helper-offline")
	helper.network(false, 0)
	helper.poll(`document.querySelectorAll('#pages li[data-state=sent]').length === 3`, 2*time.Minute)
	if got := helper.text("[data-chosen]"); got != "3 pages prêtes." {
		t.Errorf("with the network back: %q", got)
	}
	// Page 1 cannot go up nor page 3 down: those buttons are off.
	if got := eval[string](helper.person, `[...document.querySelectorAll('#pages li .pbtns button:nth-child(-n+2)')].map(b => b.disabled ? 'off' : 'on').join(' ')`); got != "off on on on on off" {
		t.Errorf("up/down buttons of pages 1 to 3: %q", got)
	}
	eval[bool](helper.person, `window.scrollTo(0, document.getElementById('pages').offsetTop - 120); true`)
	helper.screenshot("journey-helper-pages") // README: docs/screenshots/helper.png

	// Leaving with unsent pages asks first; staying keeps everything.
	helper.stay.Store(true)
	asked := helper.leaveAsked.Load()
	helper.tap(`#langs a[hreflang=en]`)
	deadline := time.Now().Add(10 * time.Second)
	for helper.leaveAsked.Load() == asked && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	helper.dialogs.Wait()
	helper.stay.Store(false)
	if helper.leaveAsked.Load() == asked {
		t.Errorf("leaving with 3 unsent pages did not ask first")
	}
	if n := eval[int](helper.person, `document.querySelectorAll('#pages li').length`); n != 3 || !strings.HasPrefix(helper.location(), linkURL) {
		t.Errorf("after choosing to stay: %d pages at %s", n, helper.location())
	}

	// A reload (or Android restoring the tab) keeps the thumbnails.
	helper.do(chromedp.Reload())
	helper.dialogs.Wait()
	helper.poll(`document.querySelectorAll('#pages li').length === 3`, time.Minute)
	helper.poll(`[...document.querySelectorAll('#pages img')].every(i => i.complete && i.naturalWidth > 0)`, 30*time.Second)
	if st := helper.pageStates(); len(st) != 3 || st[2] != "prête, pas encore envoyée" {
		t.Errorf("after a reload the pages say %q", st)
	}

	// The kind of paper, by its pictogram; then Send.
	helper.tap(`fieldset.kinds details:has(input[value="bulletin-paie"]) summary`)
	helper.tap(`input[name=type][value="bulletin-paie"]`)
	if got := eval[string](helper.person, `document.getElementById('drop').elements.type.value`); got != "bulletin-paie" {
		t.Errorf("the pictogram chose %q", got)
	}
	// Send tapped with no network: the page says so and claims nothing;
	// back online, the paper goes with no other tap.
	helper.network(true, 0)
	helper.tap("#send")
	helper.poll(`document.getElementById('status').textContent !== ''`, 10*time.Second)
	if got := helper.text("#status"); !strings.HasPrefix(got, "Pas de réseau. Rien n'est perdu") {
		t.Errorf("Send with no network says %q", got)
	}
	for _, st := range helper.pageStates() {
		if strings.Contains(st, "envoyée,") || strings.Contains(st, "reçue") {
			t.Errorf("Send with no network, a page claims %q", st)
		}
	}
	helper.network(false, 0)
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	receipt := helper.text("#receipt [data-receipt-text]")
	if !strings.Contains(receipt, "3 pages reçues par le coffre") {
		t.Errorf("receipt %q", receipt)
	}
	if st := eval[[]string](helper.person, `[...document.querySelectorAll('#receipt .pstate')].map(s => s.textContent)`); len(st) != 3 || st[0] != "reçue par le coffre" {
		t.Errorf("after the receipt the pages say %q", st)
	}
	helper.check("journey-helper-receipt", false)
	// Reloaded, the thank-you page says the papers arrived (before: "this
	// link does not work, ask for a new one"), and not as if to anyone
	// who opens it that they sent them (newcomer's review).
	helper.do(chromedp.Reload())
	helper.waitFor(`document.readyState === 'complete' && !!document.querySelector('main h1')`, time.Minute)
	if h1, got := helper.text("main h1"), helper.seen(); h1 != "Ce lien a déjà servi" || !strings.Contains(got, "bien arrivé dans le coffre") || !strings.Contains(got, "Si vous n'avez rien envoyé") || strings.Contains(got, "ne marche pas") {
		t.Errorf("the receipt reloaded reads %q: %q", h1, got)
	}
	created, _, cuts := srv.cut.counts()
	for n := 1; n <= 3; n++ {
		if created[n] != 1 {
			t.Errorf("page %d stored %d times, want once", n, created[n])
		}
	}
	if cuts != 1 {
		t.Errorf("%d connections cut by the server, want 1 (page 2)", cuts)
	}
	t.Logf("helper, 3 pages with the network cut and a reload: %d taps", helper.taps)

	// The owner finds a payslip, filed as income, not "Autre" with her message.
	owner.open(srv.URL + "/papers")
	if got := owner.text(".cards .card .title"); got != "Bulletin de paie" || strings.Contains(owner.seen(), label) {
		t.Errorf("the helper's paper is listed as %q", got)
	}
	if n := eval[int](owner.person, `document.querySelectorAll('#cat-income').length`); n != 1 {
		t.Errorf("the helper's paper is not under Ressources: %q", owner.seen())
	}
}

// realPaper converts a sample photo (the repository's test data) into the
// PDF a paper holds, as the server does.
func realPaper(t *testing.T, photo string) []byte {
	t.Helper()
	f, err := os.Open(photo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := converter.ReadInput(f, filepath.Base(photo), 30<<20)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := (&converter.Converter{}).Convert(context.Background(), []converter.Input{in}, converter.Options{}, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestWorkerJourney: a worker asks an owner for papers; the owner sees it
// without looking for it (on top of "Mes papiers", a badge on the menu, a
// message), accepts; the worker downloads; the owner stops sharing; the
// worker's stale "Download" gets a page that says so, the request says
// "sharing stopped on …" and the worker has a message. Error pages (an
// unknown address, a stale form) are pages, in the person's language.
func TestWorkerJourney(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0633445566", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 1}, bytes.NewReader(realPaper(t, photos[0])))
	if err != nil {
		t.Fatal(err)
	}

	// The worker asks, in English.
	worker := b.hand("worker")
	worker.signIn(srv.URL, "/lang?to=en&back=/pro/login", map[string]string{"#email": workerEmail, "#secret": workerSecret})
	worker.taps = 0
	worker.tapTo(`a.tile[href="/pro/requests/new"]`)
	worker.typeIn("#identifier", ident)
	worker.typeIn("#purpose", "RSA file")
	worker.tap(`details:has(input[value="rib"]) summary`)
	worker.tap(`input[name=type][value="rib"]`)
	worker.tapTo("form.form button[type=submit]")
	if !strings.Contains(worker.text(".notice"), "sent") {
		t.Fatalf("request not sent: %q", worker.seen())
	}
	if _, err := srv.notify.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}

	// The owner signs in and lands on "Mes papiers": the request is there.
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	owner.taps = 0
	// The notifier's loop turns the delivered request into her message.
	if _, err := srv.notify.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(owner.location(), "/papers") {
		t.Fatalf("after signing in the owner is at %s", owner.location())
	}
	seen := owner.seen()
	if !strings.Contains(seen, "Une demande de Mme Morel · CCAS de Roubaix") || !strings.Contains(seen, "On vous demande 1 papier.") {
		t.Errorf("the request is not on top of Mes papiers: %q", seen)
	}
	if got := eval[string](owner.person, `[...document.querySelectorAll('header [data-asks]')].map(e => e.textContent).join('|')`); !strings.HasPrefix(got, "1") {
		t.Errorf("no badge on the menu for 1 request: %q", got)
	}
	// The badge keeps the header on one line at 360 px (the menu button
	// does not drop below the brand).
	if h := eval[[]float64](owner.person, `[document.querySelector('header.top').getBoundingClientRect().height, document.querySelector('header.top a.tool[href="#menu"]').getBoundingClientRect().height]`); h[0] >= 2*h[1] {
		t.Errorf("with a badge the header wraps: %v px high for a %v px button; %s", h[0], h[1], eval[string](owner.person, `[...document.querySelectorAll("header.top > *, header .tool")].map(e => e.className + ":" + Math.round(e.getBoundingClientRect().width) + (e.hidden ? "(hidden)" : "")).join(" ")`))
	}
	// The menu's items keep their words whole beside a badge (newcomer's
	// review: "Demand/es").
	if cut := eval[string](owner.person, `document.querySelector('#menu').scrollIntoView(); `+brokenWords("#menu a span")); cut != "" {
		t.Errorf("the menu cuts words at 360 px: %q", cut)
	}
	owner.check("journey-owner-asked", true)
	owner.open(srv.URL + "/messages")
	if got := owner.seen(); !strings.Contains(got, "On vous demande des papiers") || !strings.Contains(got, "Mme Morel") {
		t.Errorf("no message about the request: %q", got)
	}
	// Each message's « Ouvrir » is a finger's height (it was 29 px).
	if small := eval[[]float64](owner.person, `[...document.querySelectorAll('.cards a[href]')].map(a => a.getBoundingClientRect().height).filter(h => h < 44)`); len(small) != 0 {
		t.Errorf("links under 44 px in her messages: %v", small)
	}
	owner.open(srv.URL + "/papers")
	owner.tapTo(`[data-ask] a.btn`)
	if !strings.Contains(owner.location(), "/requests") {
		t.Fatalf("the request's button leads to %s", owner.location())
	}
	if eval[bool](owner.person, `!!document.querySelector('.cards form.form input[name=show_name]')`) {
		owner.typeIn(".cards form.form input[name=show_name]", "Awa")
	}
	// Nothing is ticked for her (one tap on "Accept" would share what
	// she never looked at): accepting without a tick says so, and shares
	// nothing.
	if n := eval[int](owner.person, `document.querySelectorAll('.cards input[name=doc]:checked').length`); n != 0 {
		t.Errorf("%d papers ticked before she chose", n)
	}
	owner.typeIn(".cards form.form input[name=confirm_secret]", secret)
	owner.tapTo(".cards form.form button[type=submit]")
	if got := owner.text("main .error"); !strings.Contains(got, "Cochez les papiers") {
		t.Errorf("accepting with nothing ticked: %q (%s)", got, owner.seen())
	}
	// Accepting shares the papers she ticks (the secret typed above
	// counts for the next minutes).
	owner.tap(".cards form.form input[name=doc]")
	if eval[bool](owner.person, `!!document.querySelector('.cards form.form input[name=confirm_secret]')`) {
		owner.typeIn(".cards form.form input[name=confirm_secret]", secret)
	}
	owner.tapTo(".cards form.form button[type=submit]")
	if !strings.Contains(owner.text(".notice"), "accepté") {
		t.Fatalf("request not accepted: %q", owner.seen())
	}
	ownerTaps := owner.taps

	// Sharing a paper of her own accord, the form preselects the worker
	// who asked, not the whole organisation.
	owner.open(srv.URL + "/papers/" + doc.ID + "/share")
	if got := eval[string](owner.person, `(document.querySelector('input[name=grantee]:checked') || {closest: () => ({innerText: ''})}).closest('label').innerText`); got != "Mme Morel (CCAS de Roubaix)" {
		t.Errorf("the share form preselects %q, want the worker who asked", got)
	}

	// The worker opens the person and downloads the paper.
	worker.open(srv.URL + "/pro")
	worker.tapTo(".cards a.card")
	download := `fetch(document.querySelector('main form[method=get]').action)
		.then(r => r.ok ? r.arrayBuffer().then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5)))) : String(r.status))`
	if got := eval[string](worker.person, download); got != "%PDF-" {
		t.Fatalf("worker download: %q", got)
	}
	worker.taps++ // "Download"
	workerTaps := worker.taps

	// The owner stops sharing.
	owner.tap(`header a[href="#menu"]`)
	owner.tapTo(`nav a[href="/share"]`)
	owner.tapTo(".cards form button")
	if !strings.Contains(owner.text(".notice"), "arrêté") {
		t.Fatalf("no confirmation after stopping: %q", owner.seen())
	}
	stopTaps := owner.taps - ownerTaps

	// The worker's stale "Download" gets a page that says what happened.
	worker.tapTo("main form[method=get] button[type=submit]")
	if got := worker.text("main h1"); got != "Sharing stopped" {
		t.Errorf("stale download: heading %q, page %q", got, worker.seen())
	}
	if got := worker.seen(); !strings.Contains(got, "stopped sharing papers with you on") || !strings.Contains(got, "Ask for papers again") {
		t.Errorf("stale download page: %q", got)
	}
	if n := eval[int](worker.person, `document.querySelectorAll('header.top').length`); n != 1 {
		t.Errorf("the stale download page has no header")
	}
	worker.check("journey-worker-stopped", false)
	srv.deliverLater(t) // a stop is told once it can no longer be undone
	worker.open(srv.URL + "/pro")
	// The request says so, and a message (in the language of the page the
	// worker reads it on, English here) tells it.
	if got := worker.text("main"); !strings.Contains(got, "sharing stopped on") {
		t.Errorf("the request does not say the share ended: %q", got)
	}
	if got := eval[string](worker.person, `[...document.querySelectorAll('[data-message]')].map(e => e.innerText).join('|')`); !strings.Contains(got, "stopped sharing papers with you on") {
		t.Errorf("the worker has no message about the share ending: %q", got)
	}
	worker.check("journey-worker-told", true) // README: docs/screenshots/worker.png

	// Error pages are pages: an unknown address, a form without its token.
	owner.open(srv.URL + "/nulle-part")
	if got := owner.text("main h1"); got != "Page introuvable" {
		t.Errorf("unknown address: %q", owner.seen())
	}
	if !eval[bool](owner.person, `!!document.querySelector('header.top') && !!document.querySelector('main a.btn[href="/"]')`) {
		t.Errorf("the not-found page has no header or way back")
	}
	owner.check("journey-notfound", true)
	owner.open(srv.URL + "/links")
	owner.typeIn("#label", "Mes fiches de paie")
	eval[bool](owner.person, `document.querySelector('form[action="/links"] input[name=csrf]').value = 'perime'; true`)
	owner.tapTo(`form[action="/links"] button[type=submit]`)
	if got := owner.seen(); !strings.Contains(got, "Cette demande ne vient pas de la page de Coffre") || strings.Contains(got, `"error"`) {
		t.Errorf("a stale form: %q", got)
	}
	resp, err := http.Head(srv.URL + "/")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HEAD /: %v %v", resp, err)
	}
	t.Logf("worker: request and download %d taps; owner: answer %d taps, stop %d taps", workerTaps, ownerTaps, stopTaps)
}
