package api

import (
	"slices"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// TestScopeWords: a consent's scope in words, as the owner's list of shares
// and the JSON API say it. A consent granted before types existed (a whole
// category) is said with its real reach: every paper with a type of the
// category, those added later included, until its end.
func TestScopeWords(t *testing.T) {
	end := time.Date(2027, 4, 3, 12, 0, 0, 0, time.UTC)
	k := vault.Consent{Expires: end, Scope: vault.Scope{
		Documents: []string{"d1", "gone"}, Types: []string{"avis-impot"}, Categories: []string{"income"},
	}}
	titles := map[string]string{"d1": "Bulletin de mars"}
	for lang, want := range map[string][]string{
		"fr": {"Bulletin de mars",
			"les papiers de type « Avis d'impôt » que vous ajoutez jusqu'au 3 avril 2027",
			"tous les papiers ayant un type dans la catégorie « Ressources », y compris ceux ajoutés plus tard, jusqu'au 3 avril 2027"},
		"en": {"Bulletin de mars",
			"the papers of type “Tax notice” you add until April 3, 2027",
			"all papers with a type in the category “Income”, including those added later, until April 3, 2027"},
	} {
		got := scopeWords(locFor(lang), k, titles)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q\nwant %q", lang, got, want)
		}
	}
}
