package webtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tap touches an element as a person would and, when navigate is true,
// waits for the page it leads to.
func (p *person) tap(sel string, navigate bool) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Minute)
	defer cancel()
	p.do(chromedp.ScrollIntoView(chromedp.CSS(sel)))
	if !navigate {
		p.do(chromedp.Tap(chromedp.CSS(sel)))
		return
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Tap(chromedp.CSS(sel))); err != nil {
		p.b.t.Fatalf("%s: tap %s: %v", p.name, sel, err)
	}
	p.do(chromedp.WaitReady(chromedp.CSS("main h1")))
}

// typeIn taps a field and types into it, as a person would.
func (p *person) typeIn(sel, text string) {
	p.b.t.Helper()
	p.tap(sel, false)
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// TestWorkerSeesChosenName: on the accept screen (a phone, 360×740, by
// touch) the owner sees the name the worker will see, prefilled with the
// first name she gave, changes it, and chooses in words to share the tax
// notices she adds; the worker then sees that name, never "Person with no
// name shown", and the owner's list of shares says what is shared.
func TestWorkerSeesChosenName(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)

	owner := b.person("owner")
	owner.open(srv.URL + "/lang?to=fr&back=/")
	owner.open(srv.URL + "/signup")
	owner.fill("#identifier", "07 11 22 33 44")
	owner.fill("#name", "Awa")
	owner.fill("#secret", "girafe velo soleil cartable")
	owner.fill("#secret2", "girafe velo soleil cartable")
	owner.tap("form.form button[type=submit]", true)

	worker := b.person("worker")
	worker.open(srv.URL + "/lang?to=en&back=/pro/login")
	worker.fill("#email", workerEmail)
	worker.fill("#secret", workerSecret)
	worker.tap("form.form button[type=submit]", true)
	worker.open(srv.URL + "/pro/requests/new")
	worker.fill("#identifier", "0711223344")
	worker.fill("#purpose", "Dossier APL")
	eval[bool](worker, `['avis-impot', 'other'].forEach(v => document.querySelector('input[name=type][value="' + v + '"]').checked = true); true`)
	worker.tap("form.form button[type=submit]", true)
	if !strings.Contains(worker.text(".notice"), "sent") {
		t.Fatalf("request not sent: %q", worker.text("main"))
	}

	owner.open(srv.URL + "/requests")
	nameField := `.cards form.form input[name=show_name]`
	if got := eval[string](owner, `document.querySelector('`+nameField+`').value`); got != "Awa" {
		t.Errorf("name for the worker prefilled with %q, want the first name she gave (Awa)", got)
	}
	later := owner.text(`.cards form.form input[name=future] + span`)
	if !strings.Contains(later, "Partager aussi les papiers de type") || !strings.Contains(later, "que j'ajoute avant le") {
		t.Errorf("the later-papers choice reads %q", later)
	}
	// "other" is never offered for later papers.
	if n := eval[int](owner, `document.querySelectorAll('input[name=future]').length`); n != 1 {
		t.Errorf("%d later-papers choices, want 1 (the tax notice, not 'other')", n)
	}
	if eval[bool](owner, `document.querySelector('input[name=future]').checked`) {
		t.Error("sharing later papers is ticked before she chose it")
	}
	owner.tap(nameField, false)
	owner.do(chromedp.Clear(chromedp.CSS(nameField)), chromedp.SendKeys(chromedp.CSS(nameField), "Awa D."))
	owner.tap(`.cards form.form input[name=future]`, false)
	if !eval[bool](owner, `document.querySelector('input[name=future]').checked`) {
		t.Fatal("tapping the later-papers choice did not tick it")
	}
	owner.check("owner-accept-choices", false)
	// Accepting shares her papers: she types her secret again, inline.
	owner.typeIn(`.cards form.form input[name=confirm_secret]`, "girafe velo soleil cartable")
	owner.tap(".cards form.form button[type=submit]", true)
	if !strings.Contains(owner.text(".notice"), "accepté") {
		t.Fatalf("request not accepted: %q", owner.text("main"))
	}
	owner.open(srv.URL + "/share")
	if got := owner.text(".cards"); !strings.Contains(got, "les papiers de type") || !strings.Contains(got, "que vous ajoutez jusqu'au") {
		t.Errorf("the owner's list of shares says %q", got)
	}

	worker.open(srv.URL + "/pro")
	if got := worker.text(".cards a.card .title"); got != "Awa D." {
		t.Errorf("worker sees the person as %q, want Awa D.", got)
	}
	if strings.Contains(worker.text("main"), "no name shown") {
		t.Error("the worker's page says the person has no name")
	}
	worker.tap(".cards a.card", true)
	if got := worker.text("main .lead"); !strings.Contains(got, "Awa D.") {
		t.Errorf("person page lead %q", got)
	}
}
