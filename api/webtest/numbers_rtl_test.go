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
