package webtest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// Issue 15, defect 9 and a newcomer's review on a phone: the kind of paper
// named in plain words on the owner's link form (required and optional
// fields said in words), papers from a helper marked new until opened and
// counted on the menu, titled in the owner's language, and filed in one
// tap (with an undo); one "another paper" in the type list.

// TestLinkFormSaysKindAndRequired: on her link form the owner reads which
// field she must fill ("obligatoire" / "required") and which she may leave
// ("facultatif" / "optional"), with hints; she names the paper she expects
// in plain words (a topic, then "Bulletin de paie"), by taps; the helper
// sees it with its pictogram and the paper arrives filed as a payslip.
func TestLinkFormSaysKindAndRequired(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0611223344", "girafe velo soleil cartable"
	if _, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Awa"}, nil); err != nil {
		t.Fatal(err)
	}
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	for _, c := range []struct {
		lang, required, optional, typesHint string
	}{
		{"en", "(required)", "(optional)", "Tap a topic, then tick the paper you expect"},
		{"fr", "(obligatoire)", "(facultatif)", "Touchez un thème, puis cochez le papier que vous attendez"},
	} {
		owner.open(srv.URL + "/links?lang=" + c.lang)
		label := owner.text(`label[for=label]`)
		from := owner.text(`label[for=from]`)
		legend := eval[string](owner.person, `document.querySelector('form[action="/links"] fieldset legend').innerText`)
		if !strings.HasSuffix(label, c.required) || strings.Contains(label, c.optional) {
			t.Errorf("%s: the message field reads %q, want it marked %s", c.lang, label, c.required)
		}
		if !strings.HasSuffix(from, c.optional) || strings.Contains(from, c.required) {
			t.Errorf("%s: the name field reads %q, want it marked %s", c.lang, from, c.optional)
		}
		if !strings.Contains(legend, c.optional) {
			t.Errorf("%s: the kinds of paper read %q, want them marked %s", c.lang, legend, c.optional)
		}
		if got := owner.seen(); !strings.Contains(got, c.typesHint) {
			t.Errorf("%s: no hint on naming the paper: %q", c.lang, got)
		}
		// Every field's words are tied to it for a screen reader.
		if !eval[bool](owner.person, `document.getElementById('label').getAttribute('aria-describedby') === 'label-hint' && document.getElementById('from').getAttribute('aria-describedby') === 'from-hint'`) {
			t.Errorf("%s: the hints are not tied to their fields", c.lang)
		}
	}
	// She names the paper in plain words, by taps.
	owner.open(srv.URL + "/links")
	owner.check("kinds-linkform", true)
	owner.taps = 0
	owner.typeIn("#label", "Merci d'envoyer ma fiche de paie")
	owner.tap(`form[action="/links"] details:has(input[value="bulletin-paie"]) summary`)
	if got := eval[string](owner.person, `document.querySelector('input[value="bulletin-paie"]').closest('label').innerText`); got != "Bulletin de paie" {
		t.Errorf("the payslip reads %q", got)
	}
	owner.tap(`input[name=type][value="bulletin-paie"]`)
	owner.tapTo(`form[action="/links"] button[type=submit]`)
	linkURL := eval[string](owner.person, `document.getElementById('url').value`)
	t.Logf("owner: a link asking for a payslip, %d taps", owner.taps)

	helper := b.hand("helper")
	helper.open(linkURL)
	if got := helper.seen(); !strings.Contains(got, "Bulletin de paie") {
		t.Errorf("the helper is not told which paper: %q", got)
	}
	if !eval[bool](helper.person, `[...document.querySelectorAll('ul.plain li')].some(li => li.innerText.includes('Bulletin de paie') && li.querySelector('svg'))`) {
		t.Errorf("the requested paper has no pictogram")
	}
	helper.check("kinds-helper-asked", true)
	helper.pick(`label[for=camera]`, photos[0])
	helper.poll(`document.querySelectorAll('#pages li[data-state=sent]').length === 1`, time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)

	owner.open(srv.URL + "/papers")
	if got := owner.text(".cards .card .title"); !strings.HasPrefix(got, "Bulletin de paie") {
		t.Errorf("the paper arrived as %q", got)
	}
	if n := eval[int](owner.person, `document.querySelectorAll('#cat-income').length`); n != 1 {
		t.Errorf("the payslip is not under Ressources: %q", owner.seen())
	}
}

// TestArrivalNewAndFiledInOneTap: a helper (a French phone) sends a paper
// into an English vault through a link that asked for two kinds, without
// knowing which it is. The owner sees it marked "New", counted on her menu,
// titled in English; big pictogram buttons offer the link's kinds first;
// one tap files it as a tax notice, an undo puts it back, and opening the
// paper clears "New". Axe finds nothing serious on the pages, in English
// and in French. The taps from the helper's link to the paper filed are
// counted.
func TestArrivalNewAndFiledInOneTap(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0699887766", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "en", DisplayName: "Amina"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ownerP, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, ownerP, ownerID, vault.NewDropLink{Label: "Please send my papers", From: "Amina", Requested: []string{"avis-impot", "bulletin-paie"}})
	if err != nil {
		t.Fatal(err)
	}
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=en&back=/login", map[string]string{"#identifier": ident, "#secret": secret})

	// The helper cannot tell which of the two it is: "I don't know".
	helper := b.hand("helper")
	helper.open(srv.URL + "/d/" + token)
	helper.taps = 0
	helper.tap(`fieldset.kinds input[name=type][value=""]`)
	helper.pick(`label[for=camera]`, photos[1])
	helper.poll(`document.querySelectorAll('#pages li[data-state=sent]').length === 1`, time.Minute)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	helperTaps := helper.taps

	// Her list: the paper is new, counted on the menu, titled in English.
	owner.open(srv.URL + "/papers")
	owner.taps = 0
	seen := owner.seen()
	if !strings.Contains(seen, "You have 1 new paper.") {
		t.Errorf("the list does not say a paper is new: %q", seen)
	}
	if got := owner.text(".cards li.is-new .card .title"); got != "Paper received through an upload link" {
		t.Errorf("the new paper reads %q, want its English title", got)
	}
	if got := owner.text(".cards li.is-new .card [data-new-badge]"); got != "New" {
		t.Errorf("the new paper is marked %q, want New", got)
	}
	if got := eval[string](owner.person, `[...document.querySelectorAll('header [data-new], nav [data-new]')].map(e => e.innerText.replace(/\s+/g, ' ').trim()).join('|')`); !strings.HasPrefix(got, "1") || !strings.Contains(got, "|1") {
		t.Errorf("the menu does not count 1 new paper: %q", got)
	}
	kinds := eval[[]string](owner.person, `[...document.querySelectorAll('li.is-new .kindbtns button')].map(b => b.innerText.trim())`)
	if len(kinds) < 3 || kinds[0] != "Tax notice" || kinds[1] != "Payslip" {
		t.Errorf("the one-tap kinds are %q, want the link's two first", kinds)
	}
	if n := eval[int](owner.person, `[...document.querySelectorAll('li.is-new .kindbtns button')].filter(b => b.querySelector('svg') && b.getBoundingClientRect().height >= 48).length`); n != len(kinds) {
		t.Errorf("%d of %d kind buttons are big and have a pictogram", n, len(kinds))
	}
	owner.check("kinds-new-list", true)
	// In French the same list speaks French, title included.
	owner.open(srv.URL + "/papers?lang=fr")
	if got := owner.seen(); !strings.Contains(got, "Vous avez 1 nouveau papier.") || !strings.Contains(got, "Papier reçu par un lien d'envoi") || !strings.Contains(got, "Avis d'impôt") {
		t.Errorf("the list in French: %q", got)
	}
	owner.open(srv.URL + "/papers?lang=en")

	// One tap files it.
	owner.tapTo(`li.is-new .kindbtns button[data-kind="avis-impot"]`)
	ownerTaps := owner.taps
	if got := owner.text("[data-filed] p"); got != "Filed as “Tax notice”." {
		t.Errorf("after the tap: %q", got)
	}
	// The page goes to the paper, and the undo stays in sight (before, it
	// was left 400 px above the screen).
	if inView := eval[bool](owner.person, `(() => { const r = document.querySelector('[data-filed] button[data-undo]').getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight; })()`); !inView {
		t.Errorf("after filing, the undo button is off the screen (scrollY %v)", eval[float64](owner.person, `scrollY`))
	}
	if got := owner.text("#cat-tax + .cards .card .title"); !strings.HasPrefix(got, "Tax notice") {
		t.Errorf("the filed paper reads %q under %q", got, owner.seen())
	}
	docs, _ := srv.v.List(ctx, ownerP)
	if len(docs) != 1 || docs[0].Type != "avis-impot" || docs[0].Category != "tax" || docs[0].Title != "Tax notice" {
		t.Fatalf("filed as %+v", docs)
	}
	owner.check("kinds-filed", false)

	// Undo tapped with no network: not the browser's error page but this
	// page, which says why next to the button, in the page's language.
	here := owner.location()
	owner.network(true, 0)
	owner.tap(`[data-filed] button[data-undo]`)
	owner.poll(`!!document.getElementById('net-offline') && !document.getElementById('net-offline').hidden`, 10*time.Second)
	if got, at := owner.text("#net-offline"), owner.location(); !strings.HasPrefix(got, "No network. Nothing is lost") || at != here {
		t.Errorf("undo with no network: %q at %s", got, at)
	}
	if !eval[bool](owner.person, `(() => { const r = document.getElementById('net-offline').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`) {
		t.Error("the no-network message is off the screen")
	}
	owner.network(false, 0)
	owner.poll(`document.getElementById('net-offline').hidden`, 10*time.Second)
	// Undo puts it back as it was.
	owner.tapTo(`[data-filed] button[data-undo]`)
	if got := owner.text(".notice"); !strings.Contains(got, "Undone") {
		t.Errorf("after undo: %q", got)
	}
	if docs, _ := srv.v.List(ctx, ownerP); docs[0].Type != "" || docs[0].Title != "Paper received through an upload link" {
		t.Errorf("after undo: %+v", docs[0])
	}
	if n := eval[int](owner.person, `document.querySelectorAll('li.is-new .kindbtns button').length`); n == 0 {
		t.Errorf("after undo the kinds are no longer offered")
	}

	// Opening the paper: "New" on its page this once, then no more.
	owner.tapTo(`li.is-new a.card`)
	if got := owner.text("[data-new-badge]"); got != "New: you are opening this paper for the first time." {
		t.Errorf("the paper's page: %q", got)
	}
	if n := eval[int](owner.person, `document.querySelectorAll('.kindbtns button').length`); n == 0 {
		t.Errorf("the paper's page offers no kinds to file it")
	}
	owner.check("kinds-paper", false)
	owner.tapTo(`.kindbtns button[data-kind="bulletin-paie"]`)
	if got := owner.text("[data-filed] p"); got != "Filed as “Payslip”." {
		t.Errorf("filed from its page: %q", got)
	}
	// Its page can always change the kind again.
	if !eval[bool](owner.person, `!!document.querySelector('form[action$="/kind"] select[name=type]')`) {
		t.Errorf("no way to change the kind on the paper's page")
	}
	owner.open(srv.URL + "/papers")
	if n := eval[int](owner.person, `document.querySelectorAll('[data-new], [data-new-badge], [data-newcount], li.is-new').length`); n != 0 {
		t.Errorf("still marked new after opening: %q", owner.seen())
	}
	t.Logf("helper sends → owner files the new paper: %d taps (helper %d, owner %d)", helperTaps+ownerTaps, helperTaps, ownerTaps)
}

// TestTypeListsNameEachKindOnce: the owner's "add a paper" list, her link
// form and the helper's pictograms name each kind of paper once, each with
// a name of its own, in French and in English: one "another paper" (no
// "Document" beside it), two employment papers that do not read alike.
func TestTypeListsNameEachKindOnce(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0677665544", "girafe velo soleil cartable"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ownerP, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.v.CreateDropLink(ctx, ownerP, ownerID, vault.NewDropLink{Label: "Papiers"})
	if err != nil {
		t.Fatal(err)
	}
	owner := b.hand("owner")
	owner.signIn(srv.URL, "/lang?to=fr&back=/login", map[string]string{"#identifier": ident, "#secret": secret})
	helper := b.hand("helper")
	lists := []struct {
		who   *hand
		path  string
		names string // a JavaScript expression: the names as listed
	}{
		{owner, "/papers/add", `[...document.querySelectorAll('#type option')].map(o => o.textContent.trim())`},
		{owner, "/links", `[...document.querySelectorAll('form[action="/links"] input[name=type]')].map(i => i.closest('label').textContent.trim())`},
		{helper, "/d/" + token, `[...document.querySelectorAll('fieldset.kinds input[name=type]')].map(i => i.closest('label').textContent.trim())`},
	}
	for _, lang := range []struct{ code, other, employer, certificate string }{
		{"fr", "Autre papier", "Attestation employeur pour France Travail", "Certificat de travail (fin d'un emploi)"},
		{"en", "Another paper", "Employer's statement for France Travail", "Work certificate (end of a job)"},
	} {
		for _, l := range lists {
			l.who.open(srv.URL + l.path + "?lang=" + lang.code)
			names := eval[[]string](l.who.person, l.names)
			if len(names) < 20 {
				t.Errorf("%s %s: only %d kinds listed", lang.code, l.path, len(names))
			}
			seen := map[string]bool{}
			for _, n := range names {
				k := strings.ToLower(n)
				if seen[k] {
					t.Errorf("%s %s: %q is listed twice", lang.code, l.path, n)
				}
				seen[k] = true
				if k == "document" {
					t.Errorf("%s %s: a kind named just %q", lang.code, l.path, n)
				}
			}
			if l.path == "/papers/add" && !seen[strings.ToLower(lang.other)] {
				t.Errorf("%s %s: no %q in %q", lang.code, l.path, lang.other, names)
			}
			if !seen[strings.ToLower(lang.employer)] || !seen[strings.ToLower(lang.certificate)] {
				t.Errorf("%s %s: the employment papers are not %q and %q: %q", lang.code, l.path, lang.employer, lang.certificate, names)
			}
		}
	}
	owner.open(srv.URL + "/papers/add")
	owner.check("kinds-add-list", true)
}

// TestSeveralPapersOneAtATime (newcomer's review): a link asking for a
// payslip and a tax notice, left at one sending, refused the tax notice once
// the payslip was sent, and its question "Which paper?" came with the
// payslip ticked, so four pages of two papers were filed as one payslip.
// By touch at 360×740: nothing is ticked, the page says one paper at a
// time; Send without a choice says to choose, in her language, and sends
// nothing; she chooses, sends the payslip, taps "send other papers", sends
// the tax notice. The owner gets two papers, each of its kind.
func TestSeveralPapersOneAtATime(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	ctx := context.Background()
	const ident, secret = "0699887700", "piano lune tortue cerise"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr", DisplayName: "Amina"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ownerP, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	// The default: one sending, raised to one per paper asked.
	token, _, err := srv.v.CreateDropLink(ctx, ownerP, ownerID, vault.NewDropLink{Label: "Ma fiche de paie et mon avis d'impôt", From: "Amina", Requested: []string{"bulletin-paie", "avis-impot"}})
	if err != nil {
		t.Fatal(err)
	}
	fr := i18n.Get("fr")
	helper := b.hand("helper")
	helper.open(srv.URL + "/d/" + token)
	if n := eval[int](helper.person, `document.querySelectorAll('input[name=type]:checked').length`); n != 0 {
		t.Errorf("%d kinds ticked before she chose", n)
	}
	if got := helper.text("#onepaper"); got != fr.T("drop.onepaper") {
		t.Errorf("the question's hint reads %q", got)
	}
	helper.pick(`label[for=camera]`, photos[0])
	helper.poll(`document.querySelectorAll('#pages li[data-state=sent]').length === 1`, time.Minute)
	helper.tap("#send")
	if got := helper.text("#status"); got != fr.T("drop.choosetype") {
		t.Errorf("Send without a choice says %q", got)
	}
	if !eval[bool](helper.person, `document.getElementById('receipt').hidden && document.activeElement && document.activeElement.name === 'type'`) {
		t.Errorf("Send without a choice sent, or left the question out of reach: %s", helper.seen())
	}
	helper.tap(`input[name=type][value="bulletin-paie"]`)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	helper.tapTo(`#receipt [data-send-more]`)
	helper.poll(`document.readyState === 'complete' && !document.getElementById('drop').hidden`, time.Minute)
	if n := eval[int](helper.person, `document.querySelectorAll('input[name=type]:checked').length`); n != 0 {
		t.Errorf("%d kinds ticked for the second paper", n)
	}
	helper.pick(`label[for=camera]`, photos[1])
	helper.poll(`document.querySelectorAll('#pages li[data-state=sent]').length === 1`, time.Minute)
	helper.tap(`input[name=type][value="avis-impot"]`)
	helper.tap("#send")
	helper.poll(`!document.getElementById('receipt').hidden`, 2*time.Minute)
	if eval[bool](helper.person, `!!document.querySelector('#receipt [data-send-more]')`) {
		t.Error("a link for two papers offers a third")
	}
	docs, err := srv.v.List(ctx, ownerP)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, d := range docs {
		kinds = append(kinds, d.Type)
	}
	slices.Sort(kinds)
	if strings.Join(kinds, ",") != "avis-impot,bulletin-paie" {
		t.Errorf("the owner got papers of kinds %v, want a payslip and a tax notice", kinds)
	}
}
