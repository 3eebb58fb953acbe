package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// TestWebWordsJournalAndMessages: where the owner reads what happened to
// her papers — the journal page and "Mes messages" — the words are the
// catalogue's, in the language she chose: in French, then in English with
// no French word left; a worker's three downloads of one paper in a day
// are one message ("3 fois aujourd'hui"); a date change reads as a date
// change; the journal's count is in the singular or plural as CLDR says.
func TestWebWordsJournalAndMessages(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	const ident, secret = "06 44 55 66 77", "mouette carafe pluie sapin"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	pdf := "%PDF-1.4\n% RIB de test\n%%EOF\n"
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "rib", Title: "RIB Banque Postale", Pages: 1}, strings.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.GrantConsent(ctx, owner, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindOrganisation, ID: srv.org.ID},
		Scope:   vault.Scope{Documents: []string{doc.ID}}, Purpose: "Dossier CAF", Days: 31,
	}); err != nil {
		t.Fatal(err)
	}
	w := newNoJS(t, srv.URL)
	body, _ := json.Marshal(map[string]string{"email": workerEmail, "secret": workerSecret})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/workers/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if resp, page := w.do(req); resp.StatusCode != http.StatusOK {
		t.Fatalf("worker login: %d %.300s", resp.StatusCode, page)
	}
	for range 3 {
		if resp, got := w.get("/api/v1/documents/" + doc.ID + "/content"); resp.StatusCode != http.StatusOK || got != pdf {
			t.Fatalf("worker download: %d", resp.StatusCode)
		}
		if _, err := srv.notify.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	b := newBrowser(t)
	p := b.person("owner")
	p.open(srv.URL + "/lang?to=fr&back=/login")
	p.fill("#identifier", ident)
	p.fill("#secret", secret)
	p.tapNav("form button[type=submit]")
	// A date change, made on the paper's page as she would.
	p.open(srv.URL + "/papers/" + doc.ID)
	_ = eval[bool](p, `document.querySelector('details').open = true`)
	p.fill("#expires", "2031-05-04")
	p.tapNav(`form[action$="/edit"] button[type=submit]`)

	p.tapNav(`nav#menu a[href="/journal"]`)
	journal := p.text("ol.journal")
	for _, want := range []string{
		"Vous avez créé votre coffre",
		"Vous avez partagé des papiers avec CCAS de Roubaix (Dossier CAF)",
		"CCAS de Roubaix — Mme Morel a téléchargé votre RIB « RIB Banque Postale »",
		"Vous avez changé la date de fin de validité pour votre RIB « RIB Banque Postale » : 4 mai 2031",
	} {
		if !strings.Contains(journal, want) {
			t.Errorf("French journal lacks %q:\n%s", want, journal)
		}
	}
	if strings.Contains(journal, "renommé") {
		t.Errorf("the date change reads as a rename:\n%s", journal)
	}
	if n := strings.Count(journal, "a téléchargé"); n != 3 {
		t.Errorf("the journal keeps every download: %d lines, want 3", n)
	}
	if got := p.text("#journal-proof .hint:not([id])"); !strings.HasPrefix(got, "Le journal compte ") || !strings.Contains(got, " lignes.") {
		t.Errorf("checkpoint line %q", got)
	}
	p.check("words-journal", true)

	p.tapNav(`nav#menu a[href="/messages"]`)
	messages := p.text("main")
	if n := strings.Count(messages, "a téléchargé"); n != 1 || !strings.Contains(messages, "CCAS de Roubaix — Mme Morel a téléchargé votre RIB 3 fois aujourd'hui.") {
		t.Errorf("3 downloads in a day are not one message (%d):\n%s", n, messages)
	}
	p.check("words-messages", true)

	// In English: the same pages, no French word.
	p.open(srv.URL + "/lang?to=en&back=/journal")
	journal = p.text("ol.journal")
	for _, want := range []string{
		"You created your vault",
		"You shared papers with CCAS de Roubaix (Dossier CAF)",
		"CCAS de Roubaix — Mme Morel downloaded your bank details (RIB) “RIB Banque Postale”",
		"You changed the end-of-validity date of your bank details (RIB) “RIB Banque Postale”: May 4, 2031",
	} {
		if !strings.Contains(journal, want) {
			t.Errorf("English journal lacks %q:\n%s", want, journal)
		}
	}
	p.open(srv.URL + "/messages")
	messages = p.text("main")
	if !strings.Contains(messages, "CCAS de Roubaix — Mme Morel downloaded your bank details (RIB) 3 times today.") {
		t.Errorf("English messages:\n%s", messages)
	}
	french := []string{"Vous", "votre", "papier", " le ", "aujourd'hui", "lien d'envoi", "partag"}
	for page, text := range map[string]string{"journal": journal, "messages": messages} {
		for _, f := range french {
			if strings.Contains(text, f) {
				t.Errorf("English %s page says %q:\n%s", page, f, text)
			}
		}
	}
}

// TestWebPluralRulesAgree: the scripts choose plural forms with the
// browser's Intl.PluralRules, the server with go-i18n's CLDR rules; for
// every catalogue language and every count a page shows, they agree, and
// the forms the server gives a script read "1 page prête." / "2 pages
// prêtes.", never "1 pages".
func TestWebPluralRulesAgree(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	p := b.person("plural")
	p.open(srv.URL + "/")
	for _, code := range i18n.Codes() {
		c := i18n.Get(code)
		var server []string
		for n := int64(0); n <= 300; n++ {
			server = append(server, c.Category(n))
		}
		browser := eval[[]string](p, fmt.Sprintf(`(() => { const r = new Intl.PluralRules(%q); return [...Array(301).keys()].map(n => r.select(n)); })()`, code))
		for n := range server {
			if n >= len(browser) || browser[n] != server[n] {
				t.Errorf("%s: %d is %q for the server, %q for the browser", code, n, server[n], browser[min(n, len(browser)-1)])
				break
			}
		}
	}
	for _, tc := range []struct{ lang, one, two string }{
		{"fr", "1 page prête.", "2 pages prêtes."}, {"en", "1 page ready.", "2 pages ready."},
	} {
		p.open(srv.URL + "/?lang=" + tc.lang)
		forms := i18n.Get(tc.lang).FormsJSON("drop.count")
		got := eval[[]string](p, fmt.Sprintf(`[0, 1, 2].map(n => window.coffrePlural(%q, n))`, forms))
		if got[1] != tc.one || got[2] != tc.two {
			t.Errorf("%s: the script says %q", tc.lang, got)
		}
		if tc.lang == "fr" && got[0] != "0 page prête." {
			t.Errorf("French 0 is singular: %q", got[0])
		}
	}
}
