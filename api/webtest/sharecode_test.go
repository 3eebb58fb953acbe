package webtest

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/coffre/coffre/vault"
)

// TestShareCodeJourney (defect 12): sharing on the owner's own initiative.
// The worker shows a code on their page (8 characters and a QR code of an
// address of this server); the test reads both from the worker's screen
// and checks the QR code holds that address. In French the owner opens
// the address as her camera would, signs in and comes back to it; in
// English, already signed in, she types the code on her share page. The
// page names the worker, preselected; she ticks one paper of three,
// confirms with her secret; the worker then finds exactly that paper, and
// not the others, and a message. axe-core on every page; taps counted.
func TestShareCodeJourney(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) { shareCodeJourney(t, lang) })
	}
}

// say picks the French or the English of what a page shows.
func say(lang, fr, en string) string {
	if lang == "en" {
		return en
	}
	return fr
}

func shareCodeJourney(t *testing.T, lang string) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0655667788", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: lang, DisplayName: "Awa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	papers := map[string]string{}
	for i, p := range []struct{ typ, title string }{{"rib", "RIB Awa"}, {"bulletin-paie", "Paie de mars"}, {"avis-impot", "Avis 2025"}} {
		d, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: p.typ, Title: p.title, Pages: 1}, bytes.NewReader(realPaper(t, photos[i])))
		if err != nil {
			t.Fatal(err)
		}
		papers[p.title] = d.ID
	}

	// The worker shows a code.
	worker := b.hand("worker")
	worker.signIn(srv.URL, "/lang?to="+lang+"&back=/pro/login", map[string]string{"#email": workerEmail, "#secret": workerSecret})
	worker.taps = 0
	worker.check("sharecode-pro", true)
	worker.tapTo(`form[action="/pro/code"] button[type=submit]`)
	shown := worker.text("[data-share-code]")
	if !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(shown) {
		t.Fatalf("the worker's page shows the code %q", shown)
	}
	address := eval[string](worker.person, `document.querySelector('[data-share-qr]').dataset.url`)
	if address != srv.URL+"/s/"+strings.ReplaceAll(shown, "-", "") {
		t.Fatalf("the QR code's address %q does not carry the code %q", address, shown)
	}
	checkQR(t, eval[string](worker.person, `document.querySelector('[data-share-qr] svg path').getAttribute('d')`), address)
	if got := worker.seen(); !strings.Contains(got, say(lang, "pour un seul partage", "for one share")) {
		t.Errorf("the code's page does not say how long it works: %q", got)
	}
	worker.check("sharecode-pro-code", false)
	// A reload shows the same code, never a new one.
	worker.open(srv.URL + "/pro")
	if again := worker.text("[data-share-code]"); again != shown {
		t.Errorf("after a reload the code is %q, was %q", again, shown)
	}

	// The owner opens it on her phone.
	owner := b.hand("owner")
	owner.open(srv.URL + "/lang?to=" + lang + "&back=/") // her phone's language
	if lang == "fr" {
		// Her camera opens the address; she signs in and comes back to it.
		owner.taps = 0
		owner.open(address)
		if !strings.Contains(owner.location(), "/login") {
			t.Fatalf("signed out, the code's address leads to %s", owner.location())
		}
		owner.check("sharecode-login", false)
		owner.typeIn("#identifier", ident)
		owner.typeIn("#secret", secret)
		owner.tapTo("form.form button[type=submit]")
	} else {
		owner.signIn(srv.URL, "/login", map[string]string{"#identifier": ident, "#secret": secret})
		owner.taps = 0
		// She types it on her share page, in lower case as a phone offers.
		owner.tap(`header a[href="#menu"]`)
		owner.tapTo(`nav a[href="/share"]`)
		owner.check("sharecode-share-page", true)
		owner.typeIn("#code", strings.ToLower(shown))
		owner.tapTo(`#code-entry button[type=submit]`)
	}
	if !strings.HasSuffix(owner.location(), "/s/"+strings.ReplaceAll(shown, "-", "")) {
		t.Fatalf("the owner is at %s, want the code's page", owner.location())
	}
	if got, want := owner.text("main h1"), say(lang, "Partager avec Mme Morel, CCAS de Roubaix", "Share with Mme Morel, CCAS de Roubaix"); got != want {
		t.Errorf("the code's page is titled %q, want %q", got, want)
	}
	if got := eval[string](owner.person, `document.querySelector('input[name=grantee]:checked').closest('label').innerText`); got != say(lang, "Mme Morel seulement", "Mme Morel only") {
		t.Errorf("preselected: %q, want the worker alone", got)
	}
	if n := eval[int](owner.person, `document.querySelectorAll('input[name=doc]').length`); n != 3 {
		t.Errorf("%d papers to tick, want 3", n)
	}
	if n := eval[int](owner.person, `document.querySelectorAll('input[name=doc]:checked, input[name=future]:checked').length`); n != 0 {
		t.Errorf("%d papers ticked before she ticks any", n)
	}
	if got := eval[string](owner.person, `document.getElementById('show_name').value`); got != "Awa" {
		t.Errorf("the name the worker will see is prefilled with %q", got)
	}
	owner.check("sharecode-owner-form", true)
	owner.tap(`input[name=doc][value="` + papers["RIB Awa"] + `"]`)
	owner.typeIn("#confirm-share", secret)
	owner.tapTo(`form[data-sharecode] button[type=submit]`)
	if got := owner.text(".notice"); got != say(lang, "C'est partagé.", "It is shared.") {
		t.Fatalf("after sharing: %q (%q)", got, owner.seen())
	}
	if got := owner.text(".cards .card"); !strings.Contains(got, "Mme Morel") || !strings.Contains(got, "RIB Awa") ||
		strings.Contains(got, "Paie de mars") || strings.Contains(got, "Avis 2025") {
		t.Errorf("her shares: %q", got)
	}
	owner.check("sharecode-owner-shared", true)
	ownerTaps := owner.taps
	// Her journal says it, with the name the worker sees.
	owner.open(srv.URL + "/journal")
	if got := owner.seen(); !strings.Contains(got, say(lang, "sous le nom « Awa »", "under the name “Awa”")) {
		t.Errorf("the journal does not record the name shown: %q", got)
	}
	owner.check("sharecode-journal", false)

	// The worker's page, left showing the code, shows the person by itself.
	worker.waitFor(`document.readyState === 'complete' && !document.querySelector('[data-share-code]') && !!document.querySelector('.cards a.card')`, 30*time.Second)
	if got := worker.text(".cards a.card"); !strings.Contains(got, "Awa") {
		t.Errorf("the person did not appear on the worker's page by itself: %q", got)
	}
	// And a message.
	if _, err := srv.notify.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	worker.open(srv.URL + "/pro")
	if n := eval[int](worker.person, `document.querySelectorAll('[data-share-code]').length`); n != 0 {
		t.Errorf("the used code is still shown")
	}
	if got := eval[string](worker.person, `[...document.querySelectorAll('[data-message]')].map(e => e.innerText).join('|')`); !strings.Contains(got, "partagé des papiers avec vous") && !strings.Contains(got, "shared papers with you") {
		t.Errorf("the worker has no message about the share: %q", got)
	}
	if got := worker.text(".cards a.card"); !strings.Contains(got, "Awa") {
		t.Errorf("the person is not on the worker's page: %q", got)
	}
	worker.check("sharecode-pro-shared", true)
	worker.tapTo(".cards a.card")
	if got := eval[[]string](worker.person, `[...document.querySelectorAll('.cards .card .title')].map(e => e.innerText.trim())`); len(got) != 1 || got[0] != "RIB Awa" {
		t.Errorf("the worker sees the papers %q, want the RIB only", got)
	}
	worker.check("sharecode-person", true)
	download := `fetch(document.querySelector('main form[method=get]').action)
		.then(r => r.ok ? r.arrayBuffer().then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5)))) : String(r.status))`
	if got := eval[string](worker.person, download); got != "%PDF-" {
		t.Fatalf("worker download: %q", got)
	}
	worker.taps++ // "Download"
	for _, title := range []string{"Paie de mars", "Avis 2025"} {
		path := "/pro/people/" + ownerID + "/papers/" + papers[title] + "/file"
		if st := eval[int](worker.person, `fetch(`+jsString(path)+`).then(r => r.status)`); st == 200 {
			t.Errorf("the worker downloads %q, which was not shared", title)
		}
	}
	t.Logf("share by code (%s): worker %d taps (show the code, then open the person and download), owner %d taps (%s)",
		lang, worker.taps, ownerTaps, say(lang, "scanned signed out: sign in, tick, secret, Share", "typed on her share page: menu, Share, code, Continue, tick, secret, Share"))
	t.Logf("axe-core ran on %d pages", b.axeRuns.Load())
}

// checkQR checks that the QR code drawn by the SVG path d (one unit
// square per dark module) holds address, module for module.
func checkQR(t *testing.T, d, address string) {
	t.Helper()
	q, err := qrcode.New(address, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]int]bool{}
	for y, row := range q.Bitmap() {
		for x, dark := range row {
			if dark {
				want[[2]int{x, y}] = true
			}
		}
	}
	got := map[[2]int]bool{}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`).FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		got[[2]int{x, y}] = true
	}
	if len(got) == 0 || len(got) != len(want) {
		t.Fatalf("the QR code on screen has %d dark modules, the address's has %d", len(got), len(want))
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("the QR code on screen does not hold %q (module %v)", address, k)
		}
	}
}
