package webtest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebFormPagesInOtherLanguage runs axe-core on the pages that only a
// form submission shows (recovery sheet, new drop link, the helper's pages
// and receipt, deletion, the worker's new link and sheet) in the language
// that TestWebFlows does not cover: the owner and the helper in English,
// the worker in French. With TestWebFlows, every page is checked in both.
func TestWebFormPagesInOtherLanguage(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)

	owner := b.person("owner-en")
	owner.open(srv.URL + "/lang?to=en&back=/signup")
	owner.fill("#identifier", "lea.m")
	owner.fill("#name", "Léa")
	owner.fill("#secret", "tigre banane nuage piano")
	owner.fill("#secret2", "tigre banane nuage piano")
	owner.submit("form.form button[type=submit]")
	if got := owner.text("main h1"); got != "Your recovery sheet" {
		t.Fatalf("after sign-up in English: %q", got)
	}
	owner.check("owner-sheet-en", false)

	owner.open(srv.URL + "/links")
	owner.fill("#label", "My tax notice, please")
	owner.submit("form.form button[type=submit]")
	linkURL := eval[string](owner, `document.getElementById('url').value`)
	if !strings.HasPrefix(linkURL, srv.URL+"/d/") {
		t.Fatalf("drop link URL %q", linkURL)
	}
	owner.check("owner-newlink-en", false)

	helper := b.person("helper-en")
	helper.open(srv.URL + "/lang?to=en&back=/")
	helper.open(linkURL)
	if got := helper.lang(); got != "en" {
		t.Fatalf("helper page in %q, want en", got)
	}
	helper.do(chromedp.SetUploadFiles(chromedp.CSS("#camera"), []string{photos[0]}))
	helper.poll(`document.querySelectorAll('#pages li').length === 1`, time.Minute)
	helper.poll(`[...document.querySelectorAll('#pages .pstate')].every(s => s.classList.contains('ok'))`, 2*time.Minute)
	helper.check("helper-pages-en", false)
	helper.do(chromedp.Click(chromedp.CSS("#send")))
	helper.do(chromedp.WaitVisible(chromedp.CSS("#receipt"), chromedp.RetryInterval(200*time.Millisecond)))
	helper.check("helper-receipt-en", false)

	// The owner shares the paper with the CCAS, then opens its deletion page.
	owner.open(srv.URL + "/papers")
	owner.submit(".cards a.card")
	paperURL := owner.location()
	owner.open(paperURL + "/share")
	owner.tap(`input[name=grantee][value^="organisation:"]`, false)
	owner.fill("#purpose", "RSA file")
	owner.fill("#show_name", "Léa M.")
	owner.typeIn("#confirm-share", "tigre banane nuage piano")
	owner.submit("form.form button[type=submit]")
	owner.open(paperURL + "/delete")
	owner.check("owner-delete-en", true)

	// The worker, in French: a drop link for the person, then a new vault.
	worker := b.person("worker-fr")
	worker.open(srv.URL + "/lang?to=fr&back=/pro/login")
	worker.fill("#email", workerEmail)
	worker.fill("#secret", workerSecret)
	worker.submit("form.form button[type=submit]")
	worker.submit(".cards a.card")
	// The person's language is shown on her page, named in itself; the
	// worker can show her the page in it, and comes back in her own.
	if got := worker.text("[data-person-lang]"); got != "Langue de la personne : English" {
		t.Fatalf("worker sees the person's language as %q", got)
	}
	personURL := worker.location()
	worker.tap("[data-showlang]", true)
	if got := worker.lang(); got != "en" {
		t.Fatalf("page shown in the person's language: lang %q, want en", got)
	}
	if got := worker.text("main h2"); got != "Shared papers" {
		t.Fatalf("page shown in the person's language starts with %q", got)
	}
	if got := worker.text("[data-mylang]"); got != "Revenir à ma langue" {
		t.Fatalf("the way back reads %q, want it in the worker's French", got)
	}
	worker.check("worker-person-shown-en", false)
	worker.tap("[data-mylang]", true)
	if got, loc := worker.lang(), worker.location(); got != "fr" || loc != personURL {
		t.Fatalf("back in the worker's language: lang %q at %s, want fr at %s", got, loc, personURL)
	}
	worker.fill("#label", "Vos bulletins de paie")
	worker.submit(`form[action="/pro/links"] button[type=submit]`)
	if got := worker.lang(); got != "fr" {
		t.Fatalf("worker page in %q, want fr", got)
	}
	worker.check("worker-newlink-fr", false)
	worker.open(srv.URL + "/pro/signup")
	worker.fill("#identifier", "yanis.b")
	worker.fill("#secret", "fraise moto lac horloge")
	worker.fill("#secret2", "fraise moto lac horloge")
	worker.submit("form.form button[type=submit]")
	if got := worker.text("main h1"); got != "Coffre créé" {
		t.Fatalf("after creating a vault in French: %q", got)
	}
	worker.check("worker-created-fr", false)
	t.Logf("axe-core checked %d pages", b.axeRuns.Load())
}
