package api

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// One vocabulary: the words the catalogues retired for a paper, an upload
// link and sharing. French says "papier", "lien d'envoi", "partage"; English
// "paper", "upload link", "sharing".
var retiredWords = map[string]*regexp.Regexp{
	"fr": regexp.MustCompile(`(?i)\bdocuments?\b|lien de dépôt|\bdépôts?\b|\bdépos|\bconsentements?\b|\bautorisations?\b`),
	// Easy-read French keeps the French vocabulary.
	"fr-x-falc": regexp.MustCompile(`(?i)\bdocuments?\b|lien de dépôt|\bdépôts?\b|\bdépos|\bconsentements?\b|\bautorisations?\b`),
	"en":        regexp.MustCompile(`(?i)\bdocuments?\b|\bdrop links?\b|\bdeposit|\bdropped\b|\bconsents?\b|\bpermissions?\b`),
}

// Contractions a message built from parts gets wrong: "de le", "à les",
// "de un", "de Amina"; "a upload" (the same check as notify's).
var missingContraction = map[string]*regexp.Regexp{
	"fr": regexp.MustCompile(`(?i)(?:^|\s)(?:(?:de|à) (?:le|les)\b|de (?:un|une)\b|(?:de|que|je|ne|se|me|te|le|la) [aeiouyàâäéèêëîïôöûü])`),
	"en": regexp.MustCompile(`(?i)(?:^|\s)a [aeio]`),
}

// No catalogue message uses a retired word (the zip folder "documents/" of
// an export is a name, not a word).
func TestRetiredWords(t *testing.T) {
	for code, re := range retiredWords {
		c := i18n.Get(code)
		for _, k := range c.Keys() {
			v, _ := c.Own(k)
			if m := re.FindString(strings.ReplaceAll(v, "documents/", "")); m != "" {
				t.Errorf("%s: %q says %q: %q", code, k, m, v)
			}
		}
	}
}

// journalFixtures are events of every kind, by every kind of actor, with
// names and titles that start with a vowel or an article.
func journalFixtures(t *testing.T, at time.Time) []vault.Event {
	var out []vault.Event
	for _, kind := range journalKinds(t) {
		for _, e := range []vault.Event{
			{ActorKind: vault.ActorOwner},
			{ActorKind: vault.ActorWorker, ActorName: "Amina", OrgName: "Emmaüs Connect", Target: "Le Relais",
				DocumentType: "acte-naissance", DocumentTitle: "Acte 1990", Detail: "Aide au logement"},
			{ActorKind: vault.ActorWorker, DocumentType: "avis-impot"},
			{ActorKind: vault.ActorHelper, DocumentTitle: "Attestation", Detail: "Emploi"},
			{ActorKind: vault.ActorSystem, Target: "Élodie"},
			{ActorKind: vault.ActorOwner, DocumentType: "carte-identite", Detail: "2031-05-04"},
		} {
			e.Kind, e.At = kind, at
			out = append(out, e)
		}
	}
	return out
}

// Every journal line, in every language, is a sentence of the catalogue:
// no key, no placeholder left, no missing contraction, no retired word,
// and French and English differ.
func TestJournalWords(t *testing.T) {
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	for _, e := range journalFixtures(t, now.Add(-time.Hour)) {
		fr, en := locFor("fr").EventText(e, now), locFor("en").EventText(e, now)
		if fr == en {
			t.Errorf("%s: the same in French and English: %q", e.Kind, fr)
		}
		lines := map[string]string{"fr": fr, "en": en}
		for _, code := range i18n.Codes() {
			lines[code] = locFor(code).EventText(e, now)
		}
		for lang, s := range lines {
			if strings.Contains(s, "{") || strings.Contains(s, "ev.") || (strings.Contains(e.Kind, "-") && strings.Contains(s, e.Kind)) {
				t.Errorf("%s %s: unfinished line %q", lang, e.Kind, s)
			}
			if re := missingContraction[lang]; re != nil {
				if m := re.FindString(s); m != "" {
					t.Errorf("%s %s: %q in %q", lang, e.Kind, m, s)
				}
			}
			if re := retiredWords[lang]; re != nil {
				if m := re.FindString(s); m != "" {
					t.Errorf("%s %s: retired word %q in %q", lang, e.Kind, m, s)
				}
			}
			// Arabic and Dari name the paper type in their own words.
			if i18n.Get(lang).Dir == "rtl" && e.DocumentType != "" && strings.Contains(s, "birth certificate") {
				t.Errorf("%s %s: English type name in %q", lang, e.Kind, s)
			}
		}
	}
}

// What the journal says, word for word, for a few events.
func TestEventText(t *testing.T) {
	now := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	at := time.Date(2026, 3, 3, 13, 2, 0, 0, time.UTC) // 14 h 02 in Paris
	viewed := vault.Event{At: at, Kind: vault.EventDocumentViewed, ActorKind: vault.ActorWorker, ActorName: "Mme Morel",
		OrgName: "CCAS de Roubaix", DocumentType: "avis-impot"}
	for _, c := range []struct {
		e          vault.Event
		lang, want string
	}{
		{viewed, "fr", "CCAS de Roubaix — Mme Morel a ouvert votre avis d'impôt, le 3 mars à 14\u00a0h\u00a002"},
		{viewed, "en", "CCAS de Roubaix — Mme Morel opened your tax notice, on March 3 at 14:02"},
		{vault.Event{At: time.Date(2025, 8, 1, 6, 5, 0, 0, time.UTC), Kind: vault.EventLogin, ActorKind: vault.ActorOwner}, "fr",
			"Vous vous êtes connecté, le 1er août 2025 à 8\u00a0h\u00a005"},
		{vault.Event{At: at, Kind: vault.EventUploadViaLink, ActorKind: vault.ActorHelper, DocumentTitle: "Photos", Detail: "CAF"}, "en",
			"Someone sent your paper “Photos” through the upload link “CAF”, on March 3 at 14:02"},
		{vault.Event{At: at, Kind: vault.EventUploadViaLink, ActorKind: vault.ActorHelper, DocumentTitle: "Photos", Detail: "CAF"}, "fr",
			"Quelqu'un a envoyé votre papier « Photos » par le lien d'envoi « CAF », le 3 mars à 14\u00a0h\u00a002"},
		{vault.Event{At: at, Kind: vault.EventDocumentExpiry, ActorKind: vault.ActorOwner, DocumentType: "carte-identite",
			DocumentTitle: "Carte d'identité", Detail: "2031-05-04"}, "fr",
			"Vous avez changé la date de fin de validité pour votre carte d'identité : 4 mai 2031, le 3 mars à 14\u00a0h\u00a002"},
		{vault.Event{At: at, Kind: vault.EventDocumentExpiry, ActorKind: vault.ActorOwner, DocumentType: "carte-identite"}, "en",
			"You changed the end-of-validity date of your identity card: no date, on March 3 at 14:02"},
		{vault.Event{At: at, Kind: vault.EventRequestAccepted, ActorKind: vault.ActorOwner}, "fr",
			"Vous avez accepté la demande envoyée par un travailleur social, le 3 mars à 14\u00a0h\u00a002"},
		{vault.Event{At: at, Kind: "something-new", ActorKind: vault.ActorSystem}, "fr", "Coffre : something-new, le 3 mars à 14\u00a0h\u00a002"},
		// A title Coffre gave, in the reader's language (newcomer's review).
		{vault.Event{At: at, Kind: vault.EventUploadViaLink, ActorKind: vault.ActorHelper, DocumentTitle: "Papier reçu par un lien d'envoi", Detail: "CAF"}, "en",
			"Someone sent your paper “Paper received through an upload link” through the upload link “CAF”, on March 3 at 14:02"},
		// The sharing of an arrived paper once she opened it.
		{vault.Event{At: at, Kind: vault.EventDocumentShared, ActorKind: vault.ActorOwner, DocumentType: "rib", Target: "CCAS de Roubaix — Mme Morel"}, "fr",
			"Vous avez ouvert votre RIB : ce papier arrivé par un lien est maintenant partagé avec CCAS de Roubaix — Mme Morel, le 3 mars à 14\u00a0h\u00a002"},
		{viewed, "ar", "فتح \u2068CCAS de Roubaix\u2069 — \u2068Mme Morel\u2069 ورقتك (الإشعار الضريبي)، في 3 مارس، الساعة 14:02"},
		{viewed, "fa-AF", "\u2068CCAS de Roubaix\u2069 — \u2068Mme Morel\u2069 اطلاعیهٔ مالیات شما را باز کرد، در 3 مارچ، ساعت 14:02"},
	} {
		if got := locFor(c.lang).EventText(c.e, now); got != c.want {
			t.Errorf("%s %s =\n %q\nwant\n %q", c.lang, c.e.Kind, got, c.want)
		}
	}
}

// The recovery sheet is written in the person's language, with the
// identifier as she typed it (pdftotext reads it back).
func TestRecoverySheetWords(t *testing.T) {
	tool := testenv.Tool(t, "pdftotext")
	code, err := seal.NewRecoveryCode()
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{
		"fr": {"Coffre — feuille de secours", "Votre identifiant :", "Tous vos papiers sont gardés."},
		"en": {"Coffre — recovery sheet", "Your identifier:", "All your papers are kept."},
		"es": {"Coffre — hoja de rescate", "Su identificador:", "Todos sus papeles se conservan."},
		// Turkish letters (ş, ğ, ı) are outside Windows-1252: the font is embedded.
		"tr": {"Coffre — kurtarma sayfası", "Kimliğiniz:", "Tüm belgeleriniz korunur."},
		"ro": {"Coffre — foaie de salvare", "Codul dumneavoastră de salvare:", "Toate actele sunt păstrate."},
	} {
		var buf bytes.Buffer
		if err := locFor(lang).recoverySheet(&buf, "06 12 34 56 78", code); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "sheet.pdf")
		if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "-layout", f, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := string(out)
		for _, w := range append(want, "06 12 34 56 78", code.String()) {
			if !strings.Contains(text, w) {
				t.Errorf("%s sheet lacks %q:\n%s", lang, w, text)
			}
		}
	}
	// Arabic, Dari, Pashto and Ukrainian: the letters are drawn with
	// embedded fonts (Arabic script shaped with the font's OpenType tables
	// and laid out right to left), and pdftotext reads every phrase back
	// (the sheet prints without the optional vowel marks,
	// vault.SheetSpelling).
	bidi := strings.NewReplacer("\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "", "\u200e", "", "\u200f", "")
	for _, lang := range []string{"ar", "fa-AF", "ps", "uk"} {
		var buf bytes.Buffer
		if err := locFor(lang).recoverySheet(&buf, "06 12 34 56 78", code); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "sheet.pdf")
		if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, f, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := strings.Join(strings.Fields(bidi.Replace(string(out))), " ")
		if strings.Contains(text, "?") || !strings.Contains(text, code.String()) || !strings.Contains(text, "06 12 34 56 78") {
			t.Errorf("%s sheet: %s", lang, text)
		}
		phrases := 0
		for _, m := range locFor(lang).sheetText().All() {
			// Phrases of Arabic or Cyrillic script between Latin words,
			// digits and punctuation.
			for _, ph := range regexp.MustCompile(`[^\p{Arabic}\p{Cyrillic}'\s]+`).Split(vault.SheetSpelling(m), -1) {
				ph = strings.Join(strings.Fields(ph), " ")
				if utf8.RuneCountInString(ph) < 2 {
					continue
				}
				phrases++
				if !strings.Contains(text, ph) {
					t.Errorf("%s sheet: %q not read back from:\n%s", lang, ph, text)
				}
			}
		}
		if phrases < 20 {
			t.Errorf("%s sheet: only %d phrases checked", lang, phrases)
		}
		// Pashto's own letters (ڼ ګ ځ ې ژ ړ), which have no presentation
		// forms, come back as letters.
		if lang == "ps" {
			for _, w := range []string{"د بیا راګرځولو پاڼه", "ستاسو پېژندنه", "کړئ"} {
				if !strings.Contains(text, w) {
					t.Errorf("ps sheet lacks %q:\n%s", w, text)
				}
			}
		}
	}
}

// The suggested secret and the portal names follow the page's language.
func TestSuggestionAndPortalsFollowLanguage(t *testing.T) {
	for _, code := range []string{"fr", "en"} {
		l := locFor(code)
		list := map[string]bool{}
		for _, w := range l.c.Words() {
			list[w] = true
		}
		other := map[string]bool{}
		for _, w := range locFor(map[string]string{"fr": "en", "en": "fr"}[code]).c.Words() {
			other[w] = !list[w]
		}
		foreign := 0
		for range 20 {
			for _, w := range strings.Fields(l.suggestion()) {
				if !list[w] {
					t.Fatalf("%s: suggested word %q is not in the %s list", code, w, code)
				}
				if other[w] {
					foreign++
				}
			}
		}
		if foreign > 0 {
			t.Errorf("%s: %d suggested words of the other language", code, foreign)
		}
	}
	for _, p := range converter.Profiles() {
		fr, en := locFor("fr").Portal(p), locFor("en").Portal(p)
		if fr == "" || en == "" || (p.ID == "generic" && fr == en) {
			t.Errorf("portal %s: %q / %q", p.ID, fr, en)
		}
	}
	if got := locFor("en").Portal(converter.Profiles()[0]); !strings.HasPrefix(got, "Any site") {
		t.Errorf("the generic portal in English: %q", got)
	}
}
