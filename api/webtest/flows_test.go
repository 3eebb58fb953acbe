package webtest

import (
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/coffre/coffre/internal/testenv"
)

// samples are three of the repository's sample phone photos.
func samples(t *testing.T) []string {
	t.Helper()
	return testenv.SamplePhotos(t)[:3]
}

// pendingBlobs counts the pending pages left in the blob directory.
func pendingBlobs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(dir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.ToSlash(p), "/pending/") {
			n++
		}
		return nil
	})
	return n
}

// TestWebFlows drives the whole interface in a real browser: an owner
// creates a vault and a drop link; a helper sends three pages through it on
// a connection that drops twice; the owner finds the paper, shares it with
// an organisation and later revokes; a worker signs in, downloads the paper
// and a dossier, creates a vault for a person present and a link for them.
// Every page passes axe-core's WCAG 2.1 AA rules in French and English.
func TestWebFlows(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	b := newBrowser(t)
	start := time.Now()

	// The owner signs up alone, in French.
	owner := b.person("owner")
	owner.open(srv.URL + "/lang?to=fr&back=/")
	owner.check("home", true)
	owner.open(srv.URL + "/signup")
	owner.check("signup", true)
	owner.fill("#identifier", "06 12 34 56 78")
	owner.fill("#name", "Awa")
	owner.fill("#secret", "girafe velo soleil cartable")
	owner.fill("#secret2", "girafe velo soleil cartable")
	owner.submit("form.form button[type=submit]")
	if got := owner.text("main h1"); got != "Votre feuille de secours" {
		t.Fatalf("after sign-up: %q", got)
	}
	code := owner.text(".code")
	if len(strings.Fields(code)) != 7 {
		t.Fatalf("recovery code shown as %q", code)
	}
	pdf := eval[string](owner, `fetch(document.getElementById('save-sheet').href)
		.then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5))))`)
	if pdf != "%PDF-" {
		t.Fatalf("recovery sheet is not a PDF: %q", pdf)
	}
	owner.check("owner-sheet", true)
	compact := strings.ReplaceAll(code, " ", "")
	owner.fill("#last4", compact[len(compact)-4:])
	owner.submit("#sheet-kept button[type=submit]")
	owner.check("owner-papers-empty", true)

	// A drop link for a helper: label, requested type, shown once with its QR code.
	owner.open(srv.URL + "/links")
	owner.check("owner-links", true)
	owner.fill("#label", "Mon avis d'impôt, s'il te plaît")
	owner.do(chromedp.Click(chromedp.CSS(`details summary`)))
	eval[bool](owner, `document.querySelector('input[name=type][value="avis-impot"]').checked = true`)
	owner.submit("form.form button[type=submit]")
	linkURL := eval[string](owner, `document.getElementById('url').value`)
	if !strings.HasPrefix(linkURL, srv.URL+"/d/") {
		t.Fatalf("drop link URL %q", linkURL)
	}
	if w := eval[int](owner, `document.querySelector('.qr img').naturalWidth`); w == 0 {
		t.Fatal("QR code image did not load")
	}
	owner.check("owner-newlink", false)

	// The helper opens the link on a fresh phone: the page weighs at most 100 KB.
	helper := b.person("helper")
	helper.counting.Store(true)
	helper.open(linkURL)
	helper.do(chromedp.Sleep(500 * time.Millisecond))
	helper.counting.Store(false)
	weight := helper.bytes.Load()
	t.Logf("helper page: %d bytes transferred (HTML, CSS, JS, icons)", weight)
	if weight <= 0 || weight > 100_000 {
		t.Errorf("helper page weighs %d bytes, want at most 100 KB", weight)
	}
	if n := eval[int](helper, `document.querySelectorAll('main a, nav a').length`); n != 0 {
		t.Errorf("helper page has %d links: nothing else must be reachable", n)
	}
	helper.check("helper-drop", true)

	// Three pages, one at a time; the connection is cut in the middle of
	// page 2, and the answer for page 3 is lost after it was stored.
	srv.cut.arm(2, 3)
	for i, photo := range photos {
		helper.do(chromedp.SetUploadFiles(chromedp.CSS("#camera"), []string{photo}))
		helper.poll(`document.querySelectorAll('#pages li').length === `+itoa(i+1), time.Minute)
	}
	helper.poll(`[...document.querySelectorAll('#pages .pstate')].every(s => s.classList.contains('ok'))`, 2*time.Minute)
	helper.do(chromedp.ScrollIntoView(chromedp.CSS("#pages li:nth-child(2)")))
	helper.check("helper-pages", false)
	// Reorder: move the last page first, then back.
	helper.do(chromedp.Click(chromedp.CSS(`#pages li:nth-child(3) .pbtns button:nth-child(1)`)))
	helper.do(chromedp.Click(chromedp.CSS(`#pages li:nth-child(2) .pbtns button:nth-child(2)`)))
	helper.do(chromedp.Click(chromedp.CSS("#send")))
	helper.do(chromedp.WaitVisible(chromedp.CSS("#receipt"), chromedp.RetryInterval(200*time.Millisecond)))
	receipt := helper.text("#receipt [data-receipt-text]")
	if !strings.Contains(receipt, "3 page") {
		t.Errorf("receipt %q does not say 3 pages", receipt)
	}
	helper.check("helper-receipt", false)
	created, repeated, cuts := srv.cut.counts()
	t.Logf("page uploads: stored %v, already stored %v, connections cut %d", created, repeated, cuts)
	for n := 1; n <= 3; n++ {
		if created[n] != 1 {
			t.Errorf("page %d stored %d times, want exactly once", n, created[n])
		}
	}
	if cuts != 2 || repeated[3] != 1 {
		t.Errorf("cuts %d, page 3 re-sent after its lost answer %d times; want 2 and 1", cuts, repeated[3])
	}
	// Downscaled in the browser: JPEG, long side at most 2400 px, a few
	// hundred KB (the samples are 3000×4000, 1.6 MB).
	side, size := srv.cut.largest()
	t.Logf("largest page sent: %d px long side, %d bytes", side, size)
	if side == 0 || side > 2400 || size > 1_000_000 {
		t.Errorf("pages not downscaled before upload: %d px, %d bytes", side, size)
	}
	if n := pendingBlobs(t, srv.blobDir); n != 0 {
		t.Errorf("%d pending pages left after sending", n)
	}

	// The owner finds the paper (3 pages) and shares it with the CCAS.
	owner.open(srv.URL + "/papers")
	owner.check("owner-papers", true)
	if got := owner.text(".cards .card .meta"); !strings.Contains(got, "3 page") {
		t.Errorf("paper listed as %q, want 3 pages", got)
	}
	owner.submit(".cards a.card")
	owner.check("owner-paper", true)
	paperURL := owner.location()
	owner.open(paperURL + "/share")
	owner.check("owner-share", true)
	owner.tap(`input[name=grantee][value^="organisation:"]`, false)
	owner.fill("#purpose", "Dossier RSA")
	owner.fill("#show_name", "Awa Diallo")
	// Sharing needs her secret again, typed in the form.
	owner.typeIn("#confirm-share", "girafe velo soleil cartable")
	owner.submit("form.form button[type=submit]")
	if !strings.Contains(owner.text(".notice"), "partagé") {
		t.Errorf("no confirmation after sharing: %q", owner.text("main"))
	}
	owner.check("owner-consents", true)

	// The worker signs in (in English) and downloads the paper and a dossier.
	worker := b.person("worker")
	worker.open(srv.URL + "/lang?to=en&back=/pro/login")
	worker.check("worker-login", true)
	worker.fill("#email", workerEmail)
	worker.fill("#secret", workerSecret)
	worker.submit("form.form button[type=submit]")
	worker.check("worker-home", true)
	if got := worker.text(".cards a.card .title"); got != "Awa Diallo" {
		t.Fatalf("worker sees person %q", got)
	}
	worker.submit(".cards a.card")
	worker.check("worker-person", true)
	personURL := worker.location()
	download := `fetch(document.querySelector('main form[method=get]').action + '?profile=caf')
		.then(r => r.ok ? r.arrayBuffer().then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5)))) : String(r.status))`
	if got := eval[string](worker, download); got != "%PDF-" {
		t.Fatalf("worker download: %q", got)
	}
	dossier := `fetch(document.querySelector('form[action$="/dossier"]').action + '?profile=caf')
		.then(r => r.ok ? r.arrayBuffer().then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5)))) : String(r.status))`
	if got := eval[string](worker, dossier); got != "%PDF-" {
		t.Fatalf("worker dossier: %q", got)
	}

	// While consented, the worker makes a drop link into the person's vault.
	worker.fill("#label", "Your payslips")
	worker.submit(`form[action="/pro/links"] button[type=submit]`)
	if got := worker.text("main h1"); got != "Your link is ready" {
		t.Fatalf("worker's drop link: %q", got)
	}
	worker.check("worker-newlink", false)
	worker.open(personURL)

	// The owner sees who opened the paper, and revokes in one tap.
	owner.open(srv.URL + "/journal")
	if got := owner.text("ol.journal"); !strings.Contains(got, "CCAS de Roubaix") {
		t.Errorf("journal does not name the worker's organisation: %q", got)
	}
	owner.check("owner-journal", true)
	owner.open(srv.URL + "/share")
	owner.submit(".cards form button")
	if !strings.Contains(owner.text(".notice"), "arrêté") {
		t.Errorf("no confirmation after revoking")
	}
	// 410 Gone: the page says the person stopped sharing (journey_people_test.go).
	if got := eval[string](worker, download); got != "410" {
		t.Errorf("worker download after revocation: %q, want 410", got)
	}
	owner.open(srv.URL + "/account")
	owner.check("owner-account", true)
	// A new recovery sheet asks for the secret again, on the same form: a
	// wrong one is refused in words, the right one shows the new code.
	owner.fill("#confirm-sheet", "pas le bon secret du tout")
	owner.submit("#new-sheet")
	if got := owner.text("main .error"); got != "Ce n'est pas votre secret. Réessayez." || owner.text("#confirm-sheet-error") != got {
		t.Errorf("new sheet with a wrong secret: %q", got)
	}
	owner.check("owner-account-wrongsecret", false)
	owner.fill("#confirm-sheet", "girafe velo soleil cartable")
	owner.submit("#new-sheet")
	if got := owner.text("main h1"); got != "Votre feuille de secours" {
		t.Fatalf("new sheet once confirmed: %q", got)
	}
	owner.check("owner-newsheet", false)
	zip := eval[string](owner, `fetch('/api/v1/export?format=pdf').then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 2))))`)
	if zip != "PK" {
		t.Errorf("export is not a zip: %q", zip)
	}

	// The owner adds a paper herself: the photo is made smaller in the
	// browser and sent with a progress bar; then she deletes it.
	owner.open(srv.URL + "/papers/add")
	owner.check("owner-add", true)
	owner.do(chromedp.SetValue(chromedp.CSS("#type"), "rib"))
	owner.do(chromedp.SetUploadFiles(chromedp.CSS("#gallery"), []string{photos[1]}))
	if got := owner.text("[data-chosen]"); got != "1 page prête." {
		t.Errorf("chosen pages: %q in %s", got, eval[string](owner, `document.querySelector('[data-chosen]').outerHTML`))
	}
	// The script sends it (smaller, with a progress bar), then goes to the paper.
	owner.do(chromedp.Click(chromedp.CSS("form.form button[type=submit]")))
	owner.waitFor(`location.search.includes('done=added') && document.readyState === 'complete'`, 2*time.Minute)
	if got := owner.text(".notice"); !strings.Contains(got, "enregistré") {
		t.Fatalf("after adding a paper: %q", owner.text("main"))
	}
	if got := owner.text("main h2"); got != "RIB" {
		t.Errorf("added paper titled %q", got)
	}
	owner.open(srv.URL + eval[string](owner, `location.pathname`) + "/delete")
	owner.check("owner-delete", false)
	// Deleting is final: the secret is asked unless she typed it in the
	// last minutes (she did, for the new sheet, but the walk may be slow).
	if eval[bool](owner, `!!document.getElementById('confirm-delete-paper')`) {
		owner.fill("#confirm-delete-paper", "girafe velo soleil cartable")
	}
	owner.submit("form.form button[type=submit]")
	if got := owner.text(".notice"); !strings.Contains(got, "supprimé") {
		t.Errorf("after deleting: %q", got)
	}

	// The worker creates a vault for a person present: the worker never
	// sees the recovery code; the person makes the sheet at first sign-in.
	worker.open(srv.URL + "/pro/signup")
	worker.check("worker-signup", true)
	worker.fill("#identifier", "amina.k")
	worker.fill("#secret", "piano lune tortue cerise")
	worker.fill("#secret2", "piano lune tortue cerise")
	worker.submit("form.form button[type=submit]")
	if got := worker.text("main h1"); got != "Vault created" {
		t.Fatalf("after creating a vault: %q", got)
	}
	if got := worker.text("main"); strings.Contains(got, "Recovery code") || !strings.Contains(got, "Only they will see the code") {
		t.Errorf("the worker's page after creating a vault: %q", got)
	}
	worker.check("worker-created", false)
	// The person signs in on her own phone: the worker saw her secret
	// typed, so she chooses a new one first (in both languages), then
	// makes her recovery sheet.
	amina := b.person("amina")
	amina.open(srv.URL + "/lang?to=fr&back=/login")
	amina.fill("#identifier", "amina.k")
	amina.fill("#secret", "piano lune tortue cerise")
	amina.submit("form.form button[type=submit]")
	if got := amina.text("#secret-due"); !strings.Contains(got, "Avant toute chose") {
		t.Fatalf("first sign-in after a worker-created vault: %q", amina.text("main"))
	}
	amina.check("owner-secret-due", true)
	amina.fill("#current", "piano lune tortue cerise")
	amina.fill("#secret", "citron balcon otarie fanfare")
	amina.fill("#secret2", "citron balcon otarie fanfare")
	amina.submit("form.form button[type=submit]")
	if amina.text("#sheet-due") == "" {
		t.Fatalf("after the new secret: %q", amina.text("main"))
	}
	// The worker asks the owner for two papers; the owner gives the one
	// she has; the worker sees the progress.
	worker.open(srv.URL + "/pro/requests/new")
	worker.check("worker-newrequest", true)
	worker.fill("#identifier", "0612345678")
	worker.fill("#purpose", "Dossier RSA 2027")
	eval[bool](worker, `['avis-impot', 'rib'].forEach(v => document.querySelector('input[name=type][value="' + v + '"]').checked = true); true`)
	worker.submit("form.form button[type=submit]")
	if !strings.Contains(worker.text(".notice"), "sent") {
		t.Fatalf("request not sent: %q", worker.text("main"))
	}
	owner.open(srv.URL + "/requests")
	owner.check("owner-request", true)
	// Nothing is ticked for her: she ticks the paper she gives.
	if n := eval[int](owner, `document.querySelectorAll('.cards input[name=doc]:checked').length`); n != 0 {
		t.Errorf("%d papers ticked before she chose", n)
	}
	owner.tap(".cards form.form input[name=doc]", false)
	owner.submit(".cards form.form button[type=submit]")
	if !strings.Contains(owner.text(".notice"), "accepté") {
		t.Fatalf("request not accepted: %q", owner.text("main"))
	}
	worker.open(srv.URL + "/pro")
	if got := worker.text("main"); !strings.Contains(got, "1 of 2 received") {
		t.Errorf("worker's request progress: %q", got)
	}
	worker.check("worker-progress", true)
	// A used-up link says only that, in both languages.
	helper.open(linkURL)
	helper.check("helper-usedup", true)
	if n := b.axeRuns.Load(); n < 40 {
		t.Errorf("axe-core checked only %d pages", n)
	}
	t.Logf("browser flows took %v; axe-core checked %d pages", time.Since(start).Round(time.Second), b.axeRuns.Load())
}

func itoa(n int) string { return strconv.Itoa(n) }
