package vault_test

import (
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// TestCatalogueNamesDistinct: each kind of paper appears once, with a name
// of its own in every language (no "employer's certificate" beside
// "certificate of employment", no "document" beside "another paper"); the
// ids papers were stored under stay readable.
func TestCatalogueNamesDistinct(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		seen := map[string]string{}
		for _, d := range vault.DocTypes() {
			l := strings.ToLower(d.Label[lang])
			if prev, ok := seen[l]; ok {
				t.Errorf("%s: %q and %q are both named %q", lang, prev, d.ID, l)
			}
			seen[l] = d.ID
		}
		if _, ok := seen["document"]; ok {
			t.Errorf("%s: a type is still named just \"document\"", lang)
		}
	}
	for _, id := range []string{"other", "attestation-employeur", "certificat-travail", "avis-impot"} {
		if _, ok := vault.DocTypeByID(id); !ok {
			t.Errorf("the stored id %q is no longer readable", id)
		}
	}
	a, _ := vault.DocTypeByID("attestation-employeur")
	c, _ := vault.DocTypeByID("certificat-travail")
	if a.Label["en"] == "employer's certificate" || c.Label["en"] == "certificate of employment" {
		t.Errorf("the two employment papers still read alike: %q / %q", a.Label["en"], c.Label["en"])
	}
}
