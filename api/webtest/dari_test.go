package webtest

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
)

// visibleJS is everything a person reads or hears on the page: the title,
// the text shown, and the labels a screen reader says (aria-label, alt,
// title, placeholder, a button's value), of visible elements only. The
// suggested secret is in: it is made of Dari words (words_fa-AF.txt).
const visibleJS = `(() => {
  const parts = [document.title, document.body.innerText];
  for (const e of document.querySelectorAll('[aria-label], [alt], [title], [placeholder], input[type=submit], input[type=button]')) {
    if (!e.checkVisibility({visibilityProperty: true}) && !e.closest('.visually-hidden')) continue;
    for (const a of ['aria-label', 'alt', 'title', 'placeholder']) if (e.getAttribute(a)) parts.push(e.getAttribute(a));
    if (e.tagName === 'INPUT' && e.value) parts.push(e.value);
  }
  return parts.join('\n');
})()`

var placeholderRE = regexp.MustCompile(`\{[0-9]\}`)

// foreignWords lists the fragments (between placeholders, at least 6
// letters long) of the other catalogues' messages that the catalogue of
// lang never says: if one is on a page in lang, the page speaks another
// language. A fragment that lang's own messages contain ("Coffre",
// "CAF (caf.fr)", "K7QM-2XPD") is not foreign.
func foreignWords(lang string, others []string) map[string]string {
	own := i18n.Get(lang)
	var mine []string
	for _, k := range own.Keys() {
		v, _ := own.Own(k)
		mine = append(mine, v)
	}
	all := strings.Join(mine, "\n")
	out := map[string]string{}
	for _, code := range others {
		c := i18n.Get(code)
		for _, k := range c.Keys() {
			if strings.HasPrefix(k, "_") {
				continue
			}
			v, _ := c.Own(k)
			if w, _ := own.Own(k); w == v {
				continue
			}
			for _, f := range placeholderRE.Split(v, -1) {
				f = strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
				letters := 0
				for _, r := range f {
					if unicode.IsLetter(r) {
						letters++
					}
				}
				if letters < 6 || utf8.RuneCountInString(f) < 6 || strings.Contains(all, f) {
					continue
				}
				out[f] = code + " " + k
			}
		}
	}
	return out
}

// foreignOn lists the foreign fragments a text holds.
func foreignOn(text string, foreign map[string]string) []string {
	var out []string
	for f, where := range foreign {
		if strings.Contains(text, f) {
			out = append(out, strconv.Quote(f)+" ("+where+")")
		}
	}
	return out
}

// TestDariWalk (issue 16's acceptance): a person chooses Dari in the
// language menu of the home page, then on a touch phone signs up, keeps
// her recovery code, adds a paper with the camera, shares it and stops
// sharing. On every screen the page is lang="fa-AF" dir="rtl", axe-core
// finds no serious or critical violation, and no message of the French,
// English, easy-read French, Arabic or Pashto catalogues is visible or
// said to a screen reader; the recovery sheet PDF she saves reads in Dari
// (pdftotext). The check finds French on a French page.
func TestDariWalk(t *testing.T) {
	rtlWalk(t, rtlWalker{lang: "fa-AF", name: "دری", walker: "dari",
		others: []string{"fr", "en", "fr-x-falc", "ar", "ps"}, sheetWords: "ورق بازیابی"})
}

// TestPashtoWalk: the same walk in Pashto, chosen as پښتو in the menu; no
// message of the French, English, easy-read French, Arabic or Dari (the
// nearest, in the same script) catalogues on any screen or in the sheet,
// whose Pashto letters (ګ ځ ڼ) pdftotext reads back.
func TestPashtoWalk(t *testing.T) {
	rtlWalk(t, rtlWalker{lang: "ps", name: "پښتو", walker: "pashto",
		others: []string{"fr", "en", "fr-x-falc", "ar", "fa-AF"}, sheetWords: "د بیا راګرځولو پاڼه"})
}

// rtlWalker is a walk in a right-to-left language: its catalogue, the
// name the language menu gives it, the catalogues none of whose messages
// may show, and words its recovery sheet reads back.
type rtlWalker struct {
	lang, name, walker string
	others             []string
	sheetWords         string
}

// rtlWalk is TestDariWalk's walk in c's language.
func rtlWalk(t *testing.T, c rtlWalker) {
	t.Helper()
	lang := c.lang
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	foreign := foreignWords(lang, c.others)
	if len(foreign) < 1000 {
		t.Fatalf("only %d foreign fragments: the list is broken", len(foreign))
	}
	w := b.walker(c.walker)
	screens := 0
	screen := func(name string) {
		t.Helper()
		screens++
		if got := w.lang(); got != lang {
			t.Errorf("%s: lang=%q", name, got)
		}
		if got := eval[string](w.person, `document.documentElement.dir`); got != "rtl" {
			t.Errorf("%s: dir=%q", name, got)
		}
		if f := foreignOn(eval[string](w.person, visibleJS), foreign); len(f) > 0 {
			t.Errorf("%s: not in %s: %s", name, lang, strings.Join(f, ", "))
		}
		w.axe(c.walker + "-" + name)
	}

	// The home page in French (the phone's language); she opens the
	// language menu and chooses her language, written in itself.
	w.open(srv.URL + "/")
	if w.lang() != "fr" {
		t.Fatalf("home page in %q", w.lang())
	}
	w.tap(`header a[href="#langs"]`)
	if got := w.text(`#langs a[hreflang="` + lang + `"]`); got != c.name {
		t.Fatalf("the menu names %s %q", lang, got)
	}
	w.tapGo(`#langs a[hreflang="` + lang + `"]`)
	screen("home")

	// Sign-up and the recovery sheet. She keeps the secret the page
	// suggests: four Dari words.
	w.tapGo(`a.tile[href="/signup"]`)
	screen("signup")
	secret := eval[string](w.person, `((document.getElementById('secret-hint').textContent.match(/«\s*([^»]*?)\s*»/)) || [])[1] || ''`)
	dari := map[string]bool{}
	for _, word := range i18n.Get("fa-AF").Words() {
		dari[word] = true
	}
	if words := strings.Fields(secret); len(words) != 4 {
		t.Fatalf("the suggested secret %q is not 4 words", secret)
	} else {
		for _, word := range words {
			if !dari[word] {
				t.Errorf("the suggested word %q is not a word of the Dari list (Pashto borrows it)", word)
			}
		}
	}
	w.typeIn("#identifier", "0677889900")
	w.typeIn("#name", "Zahra")
	w.typeIn("#secret", secret)
	w.typeIn("#secret2", secret)
	w.tapGo("form.form button[type=submit]")
	if got := w.text("main h1"); got != i18n.Get(lang).T("sheet.title") {
		t.Fatalf("after sign-up: %q", got)
	}
	screen("sheet")
	if got := eval[string](w.person, `getComputedStyle(document.querySelector('.code')).direction`); got != "ltr" {
		t.Errorf("the recovery code reads %s", got)
	}
	// The sheet she saves: in her language, shaped, and nothing else
	// (pdftotext).
	pdf := eval[string](w.person, `fetch('/sheet/pdf', {credentials: 'same-origin'}).then(r => r.arrayBuffer())
		.then(b => { let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s); })`)
	raw, err := base64.StdEncoding.DecodeString(pdf)
	if err != nil || !bytes.HasPrefix(raw, []byte("%PDF")) {
		t.Fatalf("the sheet PDF: %v %.20q", err, raw)
	}
	file := filepath.Join(t.TempDir(), "sheet.pdf")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testenv.Tool(t, "pdftotext"), file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	sheet := string(out)
	if f := foreignOn(sheet, foreign); len(f) > 0 {
		t.Errorf("the sheet PDF: not in %s: %s", lang, strings.Join(f, ", "))
	}
	if strings.Contains(sheet, "?") || !strings.Contains(sheet, vault.SheetSpelling(c.sheetWords)) || !strings.Contains(sheet, "0677889900") {
		t.Errorf("the sheet PDF reads:\n%s", sheet)
	}
	w.keepSheet()
	screen("papers-empty")

	// A paper, with the camera.
	w.tapGo(`nav a[href="/papers/add"]`)
	screen("add")
	w.photo(`label[for=camera]`, photos[0])
	w.poll(`document.querySelectorAll('#pages li img').length === 1`, time.Minute)
	w.poll(`[...document.querySelectorAll('#pages li img')].every(i => i.complete && i.naturalWidth > 0)`, 30*time.Second)
	screen("add-1page")
	w.tap("form[data-upload] button[type=submit]")
	w.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 3*time.Minute)
	if got := w.text(".notice"); got != i18n.Get(lang).T("done.added") {
		t.Fatalf("after saving: %q", got)
	}
	screen("paper")

	// Share it, then stop sharing.
	w.tapGo(`a[href$="/share"]`)
	screen("share")
	// No organisation is ticked for her: she taps the one she means.
	w.tap(`input[name=grantee][value^="organisation:"]`)
	w.typeIn("#confirm-share", secret)
	w.tapGo("form.form button[type=submit]")
	if got := w.text(".notice"); got != i18n.Get(lang).T("done.shared") {
		t.Fatalf("after sharing: %q: %s", got, w.seen())
	}
	screen("shared")
	w.tapGo(`form[action$="/revoke"] button[type=submit]`)
	if got := w.text(".notice"); got != i18n.Get(lang).T("done.revoked") {
		t.Fatalf("after stopping: %q: %s", got, w.seen())
	}
	screen("stopped")
	w.open(srv.URL + "/journal")
	screen("journal")
	t.Logf("%d screens in %s, %d taps, %d foreign fragments looked for", screens, lang, w.taps, len(foreign))

	// The check has teeth: the same page in French is full of them.
	w.open(srv.URL + "/share?lang=fr")
	if f := foreignOn(eval[string](w.person, visibleJS), foreign); len(f) < 5 {
		t.Errorf("the French page shows only %d foreign fragments: %v", len(f), f)
	}
}

// TestListenVoice: "Listen" reads the page with a voice of its language
// (Persian for Dari when the phone has no Dari voice), and when the phone
// has none, says so in the page's language instead of reading Dari with a
// French voice. The phone's voices are stubbed: headless Chromium has none.
func TestListenVoice(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	w := b.walker("listener")
	stub := func(voices string) {
		eval[bool](w.person, `(() => { speechSynthesis.getVoices = () => `+voices+`; window.__spoken = [];
			window.SpeechSynthesisUtterance = function (text) { this.text = text; };
			speechSynthesis.speak = u => window.__spoken.push(u.voice.name + ' ' + u.lang); return true; })()`)
	}
	for _, c := range []struct {
		lang, voices, spoken string
	}{
		{"fa-AF", `[{lang: 'fr-FR', name: 'Amélie'}, {lang: 'en-GB', name: 'Kate'}]`, ""},
		{"fa-AF", `[{lang: 'fr-FR', name: 'Amélie'}, {lang: 'fa-IR', name: 'Dariush'}]`, "Dariush fa-IR"},
		{"ar", `[{lang: 'ar_SA', name: 'Maged'}]`, "Maged ar_SA"},
		{"fr-x-falc", `[{lang: 'en-US', name: 'Samantha'}, {lang: 'fr-CA', name: 'Amélie'}, {lang: 'fr-FR', name: 'Thomas'}]`, "Amélie fr-CA"},
		{"ps", `[{lang: 'fa-IR', name: 'Dariush'}]`, ""},
		{"ps", `[{lang: 'fa-IR', name: 'Dariush'}, {lang: 'ps-AF', name: 'Pashto'}]`, "Pashto ps-AF"},
		{"fr", `[]`, ""},
	} {
		w.open(srv.URL + "/?lang=" + c.lang)
		stub(c.voices)
		w.tap("[data-listen]")
		spoken := strings.Join(eval[[]string](w.person, `window.__spoken`), ",")
		status := eval[string](w.person, `(() => { const s = document.getElementById('listen-status'); return s.hidden ? '' : s.textContent; })()`)
		if spoken != c.spoken {
			t.Errorf("%s with %s: spoken by %q, want %q", c.lang, c.voices, spoken, c.spoken)
		}
		if want := i18n.Get(c.lang).T("a11y.novoice"); (c.spoken == "") != (status == want) {
			t.Errorf("%s with %s: status %q", c.lang, c.voices, status)
		}
	}
}
