package notify

import (
	"regexp"
	"strings"
	"testing"
	"time"

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
