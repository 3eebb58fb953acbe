package webtest

import (
	"testing"

	"github.com/coffre/coffre/api/i18n"
)

// A phone number typed with Arabic-Indic digits reads from its first group
// on the left on her sheet and her account page, as she typed it
// (newcomer's review: "٠٦ ١١ ٢٢ ٣٣ ٤٤" showed ٠٦ at the right edge, the
// groups reversed, although the element was marked left to right).
func TestArabicDigitsIdentifierReadsLeftToRight(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	p := b.person("owner")
	p.open(srv.URL + "/lang?to=ar&back=/signup")
	const ident = "٠٦ ١١ ٢٢ ٣٣ ٤٤"
	p.fill("#identifier", ident)
	p.fill("#secret", "pomme radis ballon hibou")
	p.fill("#secret2", "pomme radis ballon hibou")
	p.submit("form.form button[type=submit]")
	if got := p.text("main h1"); got != i18n.Get("ar").T("sheet.title") {
		t.Fatalf("after sign-up: %q", got)
	}
	// The left edge of the first two digits, against the last two's.
	order := `(() => {
		const el = document.querySelector('main strong[dir=ltr]');
		const t = el.firstChild, r = document.createRange();
		if (t.data !== '` + ident + `') return 'text ' + t.data;
		r.setStart(t, 0); r.setEnd(t, 2);
		const first = r.getBoundingClientRect().left;
		r.setStart(t, t.length - 2); r.setEnd(t, t.length);
		const last = r.getBoundingClientRect().left;
		return first < last ? 'ltr' : 'reversed';
	})()`
	if got := eval[string](p, order); got != "ltr" {
		t.Errorf("the sheet shows her number %s", got)
	}
	p.open(srv.URL + "/account")
	if got := eval[string](p, order); got != "ltr" {
		t.Errorf("her account page shows her number %s", got)
	}
}

// Every link and button of the page's top bar is a finger's size at
// 360 px, the logo too (newcomer's review: it was 30 px wide once its
// word is hidden), in a left-to-right and a right-to-left language.
func TestTopBarTapTargets(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	p := b.person("visitor")
	for _, lang := range []string{"fr", "ar"} {
		p.open(srv.URL + "/lang?to=" + lang + "&back=/signup")
		small := eval[[]string](p, `[...document.querySelectorAll('.top a, .top button, .top summary')]
			.filter(e => e.offsetParent !== null)
			.map(e => [e, e.getBoundingClientRect()])
			.filter(([e, r]) => r.width < 44 || r.height < 44)
			.map(([e, r]) => (e.className || e.tagName) + ' ' + Math.round(r.width) + '×' + Math.round(r.height))`)
		if len(small) > 0 {
			t.Errorf("%s: top bar targets under 44 px: %v", lang, small)
		}
	}
}
