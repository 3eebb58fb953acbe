package webtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/internal/testenv"
)

// ownerWords is what the owner's journey expects to read, per language.
type ownerWords struct {
	lang, sheet, ready3, added, pages3, shared, kept, close string
}

var ownerJourneyWords = []ownerWords{
	{lang: "fr", sheet: "Votre feuille de secours", ready3: "3 pages prêtes.", added: "Votre papier est enregistré.",
		pages3: "3 pages", shared: "C'est partagé.", kept: "Votre code de secours est gardé.", close: "Fermer"},
	{lang: "en", sheet: "Your recovery sheet", ready3: "3 pages ready.", added: "Your paper is saved.",
		pages3: "3 pages", shared: "It is shared.", kept: "Your recovery code is kept.", close: "Close"},
}

// TestOwnerJourney walks the owner's journey on a phone, in French and in
// English, by taps only: sign-up, the recovery sheet (reloaded on the way,
// saved on the phone, kept), a 3-page paper taken with the camera one
// photo at a time, its cleaned pages previewed and one zoomed, then shared
// with an organisation. Every page visited passes axe-core (no serious or
// critical violation). It counts the taps (BENCHMARKS.md) and saves the
// README's owner screenshot.
func TestOwnerJourney(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	for i, words := range ownerJourneyWords {
		t.Run(words.lang, func(t *testing.T) {
			parent := b.t
			b.t = t
			defer func() { b.t = parent }()
			w := b.walker("owner-" + words.lang)
			ident := "awa.journey" + strconv.Itoa(i)

			// Sign-up.
			w.signUp(srv.URL, words.lang, ident, "Awa", "girafe velo soleil cartable")
			w.axe("journey-signup")
			if got := w.text("main h1"); got != words.sheet {
				t.Fatalf("after sign-up: %q: %s", got, w.seen())
			}
			code := w.text(".code")
			if len(strings.Fields(code)) != 7 {
				t.Fatalf("recovery code shown as %q", code)
			}
			w.axe("journey-sheet")
			// The phone reloads the tab: the sheet and its code are still there.
			w.reload()
			if got, again := w.text("main h1"), w.text(".code"); got != words.sheet || again != code {
				t.Fatalf("after a reload: %q, code %q (was %q): %s", got, again, code, w.seen())
			}
			// Save the sheet on the phone, then prove the code is kept.
			w.tap("#save-sheet")
			w.keepSheet()
			if got := w.text(".notice"); !strings.HasPrefix(got, words.kept) {
				t.Errorf("after keeping the sheet: %q", got)
			}
			w.axe("journey-papers-empty")
			signUpTaps := w.taps

			// A 3-page paper, one photo at a time.
			w.tapGo(`nav a[href="/papers/add"]`)
			w.axe("journey-add")
			for k, photo := range photos {
				w.photo(`label[for=camera]`, photo)
				w.poll(`document.querySelectorAll('#pages li img').length === `+strconv.Itoa(k+1), time.Minute)
			}
			if got := w.text("[data-chosen]"); got != words.ready3 {
				t.Errorf("after 3 photos the page says %q, want %q", got, words.ready3)
			}
			w.poll(`[...document.querySelectorAll('#pages li img')].every(i => i.complete && i.naturalWidth > 0)`, 30*time.Second)
			w.axe("journey-add-3pages")
			if words.lang == "fr" {
				w.screenshot("journey-owner-add")
			}
			w.tap("form[data-upload] button[type=submit]")
			w.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 3*time.Minute)
			if got := w.text(".notice"); got != words.added {
				t.Fatalf("after saving: %q: %s", got, w.seen())
			}
			if got := w.text(".facts"); !strings.Contains(got, words.pages3) {
				t.Errorf("paper facts %q do not say %q", got, words.pages3)
			}
			// The cleaned pages, as images.
			w.poll(`document.querySelectorAll('.preview img').length === 3 &&
				[...document.querySelectorAll('.preview img')].every(i => i.complete && i.naturalWidth > 0)`, 2*time.Minute)
			w.axe("journey-paper")
			if words.lang == "fr" {
				w.screenshot("journey-owner-paper")
			}
			paperURL := w.location()
			paperTaps := w.taps - signUpTaps
			// Tap a page to zoom: the cleaned page two and a half screens
			// wide over the paper, closed by a button (newcomer's review:
			// the page's picture alone, with no way back but the phone's).
			w.tap(".preview li:nth-child(2) a")
			w.poll(`(() => { const i = document.querySelector('dialog.zoom[open] img'); return !!i && i.complete && i.naturalWidth > 0; })()`, time.Minute)
			if wd := eval[int](w.person, `Math.round(document.querySelector('dialog.zoom img').getBoundingClientRect().width)`); wd < 2*360 {
				t.Errorf("the zoomed page shows %d px wide", wd)
			}
			if got := w.text("dialog.zoom .btn"); got != words.close {
				t.Errorf("the zoom's button says %q, want %q", got, words.close)
			}
			w.axe("journey-zoom")
			w.tap("dialog.zoom .btn")
			w.poll(`!document.querySelector('dialog.zoom')`, 10*time.Second)
			if w.location() != paperURL {
				t.Errorf("after closing the zoom: %s, want the paper %s", w.location(), paperURL)
			}

			// Share it with the organisation.
			w.tapGo(`a[href$="/share"]`)
			w.axe("journey-share")
			// No organisation is ticked for her, and it is named as its
			// whole team: she taps the one she means.
			if n := eval[int](w.person, `document.querySelectorAll('input[name=grantee]:checked').length`); n != 0 {
				t.Errorf("%d recipients ticked before she chose", n)
			}
			if got, want := w.text(`label.check:has(input[name=grantee])`), i18n.Get(words.lang).T("sharecode.org", srv.org.Name); got != want {
				t.Errorf("the organisation is named %q, want %q", got, want)
			}
			w.tap(`input[name=grantee][value^="organisation:"]`)
			// Sharing asks her secret again, in the form.
			w.typeIn("#confirm-share", "girafe velo soleil cartable")
			w.tapGo("form.form button[type=submit]")
			if got := w.text(".notice"); got != words.shared {
				t.Errorf("after sharing: %q", got)
			}
			w.axe("journey-consents")
			// Where she comes back: her papers by category (the README's
			// owner screenshot).
			w.open(srv.URL + "/papers")
			w.axe("journey-papers")
			if words.lang == "fr" {
				w.screenshot("journey-owner-papers")
				copyScreenshot(t, "journey-owner-papers", "owner")
			}
			t.Logf("owner journey (%s): %d taps in all: sign-up and sheet %d, the 3-page paper %d (from the menu to the saved paper), preview and share %d",
				words.lang, w.taps, signUpTaps, paperTaps, w.taps-signUpTaps-paperTaps)
		})
	}
	if t.Failed() {
		return
	}
	t.Logf("axe-core checked %d pages", b.axeRuns.Load())
}

// copyScreenshot keeps a screenshot of the suite for the README
// (docs/screenshots/<as>.png) when COFFRE_README_SHOTS=1.
func copyScreenshot(t *testing.T, name, as string) {
	t.Helper()
	if os.Getenv("COFFRE_README_SHOTS") != "1" {
		return
	}
	root := testenv.RepoRoot()
	png, err := os.ReadFile(filepath.Join(root, "testoutput", "screenshots", name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "screenshots", as+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
