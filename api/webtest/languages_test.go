package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// pseudoCode is the pseudo-locale: French 40 % longer, every letter it can
// accented, made by the test (pseudo) so that overflow shows before
// translators write longer words than French.
const pseudoCode = "fr-x-pseudo"

var pseudoOnce sync.Once

// registerPseudo adds the pseudo-locale to the catalogues, before any
// server of the test speaks.
func registerPseudo(t *testing.T) {
	t.Helper()
	var err error
	pseudoOnce.Do(func() {
		fr := i18n.Get(i18n.Default)
		msgs := map[string]string{"_name": "Pšéüdö", "_dir": "ltr", "_status": "test"}
		for _, k := range fr.Keys() {
			if !strings.HasPrefix(k, "_") {
				v, _ := fr.Own(k)
				msgs[k] = pseudo(v)
			}
		}
		err = i18n.Register(pseudoCode, msgs)
	})
	if err != nil {
		t.Fatal(err)
	}
}

var accented = map[rune]rune{'a': 'á', 'e': 'é', 'i': 'ï', 'o': 'ö', 'u': 'ü', 'c': 'ç', 'n': 'ñ', 'y': 'ÿ', 's': 'š', 'z': 'ž',
	'A': 'Å', 'E': 'É', 'I': 'Ï', 'O': 'Ö', 'U': 'Ü', 'C': 'Ç', 'N': 'Ñ', 'S': 'Š', 'Z': 'Ž'}

// pseudo accents s and lengthens each word by more than half (so that the
// whole text, spaces and placeholders included, is at least 40 % longer):
// long words, not more words, are what overflows a phone's width.
// Placeholders ({0}) and everything that is not a letter stay as they are.
func pseudo(s string) string {
	var b strings.Builder
	var word []rune
	flush := func() {
		for _, r := range word {
			if a, ok := accented[r]; ok {
				r = a
			}
			b.WriteRune(r)
		}
		for i := 0; i < (len(word)*3+4)/5; i++ {
			r := unicode.ToLower(word[i%len(word)])
			if a, ok := accented[r]; ok {
				r = a
			}
			b.WriteRune(r)
		}
		word = word[:0]
	}
	for _, r := range s {
		if unicode.IsLetter(r) {
			word = append(word, r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// layoutJS lists what is wrong with the page's layout at the phone's
// width: a horizontal scroll, a control or heading outside the screen or
// whose text overflows its box, and two controls that overlap.
const layoutJS = `(() => {
  const W = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > W + 1) out.push('horizontal scroll: ' + document.documentElement.scrollWidth + 'px for ' + W + 'px');
  const shown = e => { const cs = getComputedStyle(e);
    return e.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}) && e.getClientRects().length > 0 && cs.visibility !== 'hidden' && !e.closest('.visually-hidden, [hidden]') &&
      e.getBoundingClientRect().width > 2 && e.getBoundingClientRect().height > 2; };
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
    ' "' + (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 40) + '"';
  const controls = [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea, summary, label, h1, h2')].filter(shown);
  for (const e of controls) {
    for (const r of e.getClientRects()) {
      if (r.left < -1 || r.right > W + 1) { out.push('outside the screen: ' + name(e) + ' ' + Math.round(r.left) + '..' + Math.round(r.right)); break; }
    }
    const cs = getComputedStyle(e);
    if (cs.display !== 'inline' && !['INPUT', 'TEXTAREA'].includes(e.tagName) && e.scrollWidth > e.clientWidth + 1) {
      out.push('text overflows its box: ' + name(e) + ' ' + e.scrollWidth + 'px in ' + e.clientWidth + 'px');
    }
  }
  const tappable = controls.filter(e => !['H1', 'H2', 'LABEL'].includes(e.tagName) || e.classList.contains('check'));
  for (let i = 0; i < tappable.length; i++) for (let j = i + 1; j < tappable.length; j++) {
    const a = tappable[i], b = tappable[j];
    if (a.contains(b) || b.contains(a) || (a.tagName === 'LABEL' && a.control === b) || (b.tagName === 'LABEL' && b.control === a)) continue;
    let hit = false;
    for (const r of a.getClientRects()) for (const s of b.getClientRects()) {
      const w = Math.min(r.right, s.right) - Math.max(r.left, s.left), h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
      if (w > 2 && h > 2) hit = true;
    }
    if (hit) out.push('overlap: ' + name(a) + ' and ' + name(b));
  }
  return JSON.stringify(out);
})()`

// layoutFaults runs layoutJS on the current page.
func (p *person) layoutFaults() []string {
	p.b.t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(eval[string](p, layoutJS)), &out); err != nil {
		p.b.t.Fatal(err)
	}
	return out
}

// paper2 is a two-page paper made of two sample photos, as the server
// makes it.
func paper2(t *testing.T, photos []string) []byte {
	t.Helper()
	var ins []converter.Input
	for _, ph := range photos[:2] {
		f, err := os.Open(ph)
		if err != nil {
			t.Fatal(err)
		}
		in, err := converter.ReadInput(f, filepath.Base(ph), 30<<20)
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	var out bytes.Buffer
	if _, err := (&converter.Converter{}).Convert(context.Background(), ins, converter.Options{}, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestLanguagesLayout opens the main pages of the owner, the helper and the
// worker at 360×740 in the pseudo-locale (French 40 % longer, accented),
// Arabic, Dari, easy-read French, Spanish, Ukrainian, Turkish and Romanian: no horizontal scroll, no control
// outside the screen, clipped or overlapping another; lang and dir right
// on every page; in Arabic and Dari, axe-core finds no serious or critical
// violation and the layout is mirrored (the brand at the right, the menu
// and the page thumbnails from right to left) while the identifier reads
// left to right. It saves the README's screenshots of the owner's papers
// in Arabic and easy-read French.
func TestLanguagesLayout(t *testing.T) {
	registerPseudo(t)
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "06 71 82 93 04", "tortue cerise piano lune"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ownerP, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "avis-impot", Title: "Avis 2025", Pages: 2}, bytes.NewReader(paper2(t, photos)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.GrantConsent(ctx, ownerP, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindOrganisation, ID: srv.org.ID},
		Scope:   vault.Scope{Documents: []string{doc.ID}}, Purpose: "Dossier CAF", Days: 31, ShowName: "Awa D.",
	}); err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, ownerP, ownerID, vault.NewDropLink{Label: "Papiers pour la CAF", From: "Awa", Requested: []string{"avis-impot"}})
	if err != nil {
		t.Fatal(err)
	}

	owner := b.person("owner")
	owner.open(srv.URL + "/lang?to=fr&back=/login")
	owner.fill("#identifier", ident)
	owner.fill("#secret", secret)
	owner.submit("form.form button[type=submit]")
	worker := b.person("worker")
	worker.open(srv.URL + "/lang?to=fr&back=/pro/login")
	worker.fill("#email", workerEmail)
	worker.fill("#secret", workerSecret)
	worker.submit("form.form button[type=submit]")
	personURL := eval[string](worker, `document.querySelector('.cards a.card').href`)
	helper := b.person("helper")
	visitor := b.person("visitor")

	type page struct {
		who  *person
		path string
	}
	pages := []page{
		{owner, "/papers"}, {owner, "/papers/add"}, {owner, "/papers/" + doc.ID}, {owner, "/papers/" + doc.ID + "/share"},
		{owner, "/share"}, {owner, "/share/code"}, {owner, "/links"}, {owner, "/requests"}, {owner, "/journal"},
		{owner, "/messages"}, {owner, "/messages/settings"}, {owner, "/account"},
		{helper, "/d/" + token},
		{worker, "/pro"}, {worker, strings.TrimPrefix(personURL, srv.URL)}, {worker, "/pro/requests/new"}, {worker, "/pro/account"},
		{visitor, "/"}, {visitor, "/signup"}, {visitor, "/login"}, {visitor, "/recover"}, {visitor, "/pro/login"},
	}
	for _, lang := range []string{pseudoCode, "ar", "fa-AF", "ps", "fr-x-falc", "es", "uk", "tr", "ro"} {
		t.Run(lang, func(t *testing.T) {
			parent := b.t
			b.t = t
			defer func() { b.t = parent }()
			wantDir := "ltr"
			if i18n.Get(lang).Dir == "rtl" {
				wantDir = "rtl"
			}
			for _, p := range []*person{owner, helper, worker, visitor} {
				p.open(srv.URL + "/lang?to=" + lang + "&back=/")
			}
			for _, pg := range pages {
				who := pg.who
				who.open(srv.URL + pg.path)
				if got := who.lang(); got != lang {
					t.Errorf("%s: lang=%q, want %q", pg.path, got, lang)
				}
				if got := eval[string](who, `document.documentElement.dir`); got != wantDir {
					t.Errorf("%s: dir=%q, want %q", pg.path, got, wantDir)
				}
				for _, f := range who.layoutFaults() {
					t.Errorf("%s in %s: %s", pg.path, lang, f)
				}
				// The home page's big buttons keep their words whole
				// (newcomer's review: easy-read cut "professionnel/s").
				if pg.path == "/" && lang != pseudoCode {
					if cut := eval[string](who, brokenWords(".tile, .tile *")); cut != "" {
						t.Errorf("/ in %s: a tile cuts %q at 360 px", lang, cut)
					}
				}
				if wantDir == "rtl" || lang == "fr-x-falc" {
					who.axe(lang + pg.path)
				}
			}
			// The mirror: in right-to-left, the brand is at the right, the
			// menu and the page thumbnails run from right to left; the
			// identifier still reads left to right.
			owner.open(srv.URL + "/papers/" + doc.ID)
			owner.poll(`document.querySelectorAll('.preview li').length === 2`, 10*time.Second)
			mirrored := eval[bool](owner, `(() => {
				const x = s => document.querySelector(s).getBoundingClientRect();
				const W = document.documentElement.clientWidth;
				return x('.top .brand').left > W / 2 && x('#menu li:nth-child(1)').left > x('#menu li:nth-child(2)').left &&
					x('.preview li:nth-child(1)').left > x('.preview li:nth-child(2)').left;
			})()`)
			if mirrored != (wantDir == "rtl") {
				t.Errorf("%s: layout mirrored = %v, want %v", lang, mirrored, wantDir == "rtl")
			}
			owner.open(srv.URL + "/account")
			if got := eval[string](owner, `(() => { const e = document.querySelector('main strong[dir=ltr]');
				return e ? getComputedStyle(e).direction + ' ' + e.textContent : 'none'; })()`); got != "ltr "+ident {
				t.Errorf("%s: the identifier reads %q, want ltr %s", lang, got, ident)
			}
			// The language menu names every other language in itself.
			owner.open(srv.URL + "/papers")
			names := eval[[]string](owner, `[...document.querySelectorAll('#langs a[hreflang]')].map(a => a.getAttribute('lang') + '=' + a.textContent)`)
			want := len(i18n.Codes()) - 2 // all but the page's and the pseudo-locale
			if lang == pseudoCode {
				want++
			}
			if len(names) != want {
				t.Errorf("%s: language menu %v", lang, names)
			}
			for _, n := range names {
				code, name, _ := strings.Cut(n, "=")
				if c := i18n.Get(code); c == nil || c.Name != name {
					t.Errorf("%s: the menu names %s %q", lang, code, name)
				}
			}
			switch lang {
			case "ar":
				owner.screenshot("papers-ar")
				copyScreenshot(t, "papers-ar", "owner-ar")
			case "fr-x-falc":
				owner.screenshot("papers-falc")
				copyScreenshot(t, "papers-falc", "owner-falc")
			}
		})
	}
	// The pseudo-locale is at least 40 % longer than French.
	fr, ps := 0, 0
	for _, k := range i18n.Get("fr").Keys() {
		v, _ := i18n.Get("fr").Own(k)
		w, _ := i18n.Get(pseudoCode).Own(k)
		fr += utf8.RuneCountInString(v)
		ps += utf8.RuneCountInString(w)
	}
	if ps*10 < fr*14 {
		t.Errorf("the pseudo-locale is %d characters for French's %d: less than 40 %% longer", ps, fr)
	}
}

// TestLayoutCheckHasTeeth: the layout check finds a button wider than the
// phone, a scroll, and two overlapping controls.
func TestLayoutCheckHasTeeth(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	p := b.person("teeth")
	p.open(srv.URL + "/login")
	if f := p.layoutFaults(); len(f) != 0 {
		t.Fatalf("the login page has faults: %v", f)
	}
	eval[bool](p, `(() => { const b = document.querySelector('form.form button[type=submit]');
		b.style.whiteSpace = 'nowrap'; b.style.width = '300px'; b.style.overflow = 'hidden'; b.querySelector('span').textContent = 'Ouvrir '.repeat(20);
		const a = document.querySelector('a[href="/recover"]'); a.style.position = 'relative'; a.style.top = '-1px';
		const i = document.getElementById('identifier'); i.style.position = 'relative'; i.style.top = '80px'; return true; })()`)
	got := strings.Join(p.layoutFaults(), "\n")
	if !strings.Contains(got, "text overflows its box: button") || !strings.Contains(got, "overlap:") {
		t.Errorf("faults not found: %s", got)
	}
	eval[bool](p, `(() => { document.querySelector('main h1').style.width = '900px'; return true; })()`)
	if got := strings.Join(p.layoutFaults(), "\n"); !strings.Contains(got, "horizontal scroll") || !strings.Contains(got, "outside the screen: h1") {
		t.Errorf("a scroll not found: %s", got)
	}
}

// glyphsJS returns the characters of a list that the page's font stack
// draws as the missing-glyph box, or not at all: it draws each on a
// canvas with the body's fonts and compares the pixels with those of a
// character no font has (U+0378, unassigned). A combining mark is drawn on
// a tatweel (or a dotted circle) and must change it.
const glyphsJS = `((chars) => {
  const c = document.createElement('canvas'); c.width = 96; c.height = 64;
  const x = c.getContext('2d', {willReadFrequently: true});
  x.font = '40px ' + getComputedStyle(document.body).fontFamily; x.textBaseline = 'middle'; x.fillStyle = '#000';
  const draw = s => { x.clearRect(0, 0, 96, 64); x.fillText(s, 12, 32); const d = x.getImageData(0, 0, 96, 64).data; let h = 0, n = 0;
    for (let i = 3; i < d.length; i += 4) { h = (h * 31 + d[i]) | 0; if (d[i]) n++; } return h + ':' + n; };
  const tofu = draw('\u0378'), blank = draw('');
  return JSON.stringify(chars.filter(ch => {
    if (/\p{M}/u.test(ch)) { const base = /[\u0600-\u06ff]/.test(ch) ? '\u0640' : '\u25cc'; const d = draw(base + ch); return d === draw(base) || d === draw(base + '\u0378'); }
    const d = draw(ch); return d === tofu || d === blank;
  }));
})`

// missingGlyphs is the characters of chars that the person's Chromium
// cannot draw with the page's fonts.
func (p *person) missingGlyphs(chars []string) []string {
	p.b.t.Helper()
	in, _ := json.Marshal(chars)
	var out []string
	if err := json.Unmarshal([]byte(eval[string](p, glyphsJS+"("+string(in)+")")), &out); err != nil {
		p.b.t.Fatal(err)
	}
	return out
}

// catalogueChars is every character a catalogue's messages use, but white
// space and invisible format characters (the zero-width non-joiner of
// Dari).
func catalogueChars(c *i18n.Catalogue) []string {
	seen := map[rune]bool{}
	for _, k := range c.Keys() {
		v, _ := c.Own(k)
		for _, r := range v {
			if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !unicode.IsControl(r) {
				seen[r] = true
			}
		}
	}
	var out []string
	for r := range seen {
		out = append(out, string(r))
	}
	sort.Strings(out)
	return out
}

// TestCatalogueGlyphs: every character of every catalogue is drawn by the
// browser tests' Chromium with the pages' system fonts (no missing-glyph
// box, "tofu"), Pashto's ښ and ۍ included (Noto Naskh Arabic, from
// fonts-noto-core as on Android phones). The check itself is held to
// fontconfig, which Chromium draws with: of a few CJK characters and an
// unassigned code point, it finds missing exactly those no installed font
// covers (fonts-noto-core has no CJK, but a machine may have a CJK font
// that another package brought).
func TestCatalogueGlyphs(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	p := b.person("glyphs")
	p.open(srv.URL + "/lang?to=ar&back=/")
	for _, code := range i18n.Codes() {
		c := i18n.Get(code)
		chars := catalogueChars(c)
		if len(chars) < 20 {
			t.Fatalf("%s: only %d characters", code, len(chars))
		}
		if miss := p.missingGlyphs(chars); len(miss) > 0 {
			t.Errorf("%s: no glyph for %q", code, miss)
		}
	}
	probe := []string{"漢", "字", "가", "あ", "a", "ۍ", "ښ", "\U0010FFFD"}
	var want []string
	for _, ch := range probe {
		if !fontconfigCovers(t, []rune(ch)[0]) {
			want = append(want, ch)
		}
	}
	if len(want) == 0 || want[len(want)-1] != "\U0010FFFD" || len(want) > 5 {
		t.Fatalf("fontconfig says %q have no font; want U+10FFFD among them and a, ۍ, ښ covered", want)
	}
	if len(want) == 1 {
		t.Logf("this machine has fonts for CJK: only U+10FFFD tests the check's missing side")
	}
	if miss := p.missingGlyphs(probe); strings.Join(miss, ",") != strings.Join(want, ",") {
		t.Errorf("the check finds %q missing, fontconfig %q", miss, want)
	}
}

// fontconfigCovers reports whether an installed font has a glyph for r,
// asking fc-list (the fontconfig package, scripts/test.sh).
func fontconfigCovers(t *testing.T, r rune) bool {
	t.Helper()
	out, err := exec.Command("fc-list", fmt.Sprintf(":charset=%x", r), "family").Output()
	if err != nil {
		t.Fatalf("fc-list: %v", err)
	}
	return len(bytes.TrimSpace(out)) > 0
}
