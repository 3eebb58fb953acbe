package notify

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// Contractions French and English require, which a message built from
// parts gets wrong: "de le", "à les", "de un", "que il", "de Amina"; "a
// upload". Shared with package api's journal test by copy (see
// api/words_test.go).
var (
	badFrench  = regexp.MustCompile(`(?i)(?:^|\s)(?:(?:de|à) (?:le|les)\b|de (?:un|une)\b|(?:de|que|je|ne|se|me|te|le|la) [aeiouyàâäéèêëîïôöûü])`)
	badEnglish = regexp.MustCompile(`(?i)(?:^|\s)a [aeio]`)
)

// Every notification, in French and English, with names and titles
// starting with a vowel or an article, reads without a missing
// contraction, with the words of the one vocabulary.
func TestNotificationWords(t *testing.T) {
	s := &Service{cfg: Config{BaseURL: "https://coffre.test"}}
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	at := now.Add(-time.Hour)
	subjects := []string{subjectExpiry, vault.EventDocumentViewed, vault.EventDocumentDownload, vault.EventUploadViaLink,
		subjectConsentEnding, vault.EventConsentExpired, vault.EventAssistedRecovery, vault.EventRequestReceived,
		vault.EventRequestWaited, subjectSharingStopped, subjectDocsArrived, vault.EventAlertContactAdded, vault.EventAlertTitlesOn, "something-new"}
	var payloads []payload
	for _, subj := range subjects {
		for _, f := range []payload{
			{DocType: "acte-naissance", Title: "Acte 1990", Actor: "Amina", Org: "Emmaüs Connect", Target: "Le Relais"},
			{DocType: "avis-impot", Actor: "Élodie", Target: "Amina"},
			{DocType: "", Title: "Attestation", Target: ""},
			{},
		} {
			f.Subject, f.At, f.Expires = subj, at, now.Add(10*24*time.Hour)
			payloads = append(payloads, f)
		}
	}
	for _, lang := range []string{"fr", "en"} {
		bad := badFrench
		if lang == "en" {
			bad = badEnglish
		}
		for _, p := range payloads {
			for _, count := range []int{1, 3} {
				r := s.render(p, lang, now, count)
				for _, text := range []string{r.subject, r.body} {
					if m := bad.FindString(text); m != "" {
						t.Errorf("%s %s: %q in %q", lang, p.Subject, m, text)
					}
					for _, old := range retired[lang] {
						if strings.Contains(strings.ToLower(text), old) {
							t.Errorf("%s %s: retired word %q in %q", lang, p.Subject, old, text)
						}
					}
				}
			}
		}
	}
}

// retired are words the one vocabulary replaced: "papier" and "lien
// d'envoi" in French, "paper" and "upload link" in English.
var retired = map[string][]string{
	"fr": {"document", "dépôt", "déposé", "autorisation", "consentement"},
	"en": {"document", "drop link", "dropped", "deposit", "permission", "consent"},
}

// Every language names the paper's type in its own words in the messages
// (the pages' names, lowered mid-sentence where the script has case): an
// alert in Spanish or Dari never says "residence permit".
func TestNotificationTypesInEachLanguage(t *testing.T) {
	s := &Service{cfg: Config{BaseURL: "https://coffre.test"}}
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	want := map[string]string{
		"fr": "titre de séjour", "fr-x-falc": "titre de séjour", "en": "residence permit",
		"es": "permiso de residencia", "ro": "permis de ședere", "tr": "oturma izni",
		"uk": "посвідка на проживання", "ar": "بطاقة الإقامة",
	}
	for _, code := range i18n.Codes() {
		for _, subj := range []string{vault.EventDocumentViewed, vault.EventRedoAsked, subjectDocsArrived} {
			r := s.render(payload{Subject: subj, DocType: "titre-sejour", Actor: "Amina", At: now.Add(-time.Hour)}, code, now, 1)
			if code != "en" && strings.Contains(r.body, "residence permit") {
				t.Errorf("%s %s: the type in English: %q", code, subj, r.body)
			}
			name := want[code]
			if name == "" {
				own, ok := i18n.Lang(code).Own("type.titre-sejour")
				if !ok {
					t.Fatalf("%s: no name for the residence permit", code)
				}
				name = own
			}
			if !strings.Contains(r.body, name) {
				t.Errorf("%s %s: %q lacks %q", code, subj, r.body, name)
			}
		}
	}
	for in, out := range map[string]string{"Permiso de residencia": "permiso de residencia", "RIB": "RIB", "CAF attestation": "CAF attestation", "": "", "İkamet izni": "ikamet izni"} {
		if got := i18n.Lang("tr").MidSentence(in); got != out {
			t.Errorf("MidSentence(%q) = %q, want %q", in, got, out)
		}
	}
}
