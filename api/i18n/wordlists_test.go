package i18n_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// The word lists of the suggested secret, language by language: the
// script every word is written in, and a few words that must never be
// suggested (the same rule as the English list: nothing about violence,
// illness, death, police, prison, borders, money, religion, politics or
// sex, no insult), a sample of what the drafts were cleaned of.
var wordLists = map[string]struct {
	script *unicode.RangeTable
	deny   []string
}{
	"es":    {unicode.Latin, []string{"sangre", "muerte", "guerra", "policia", "carcel", "frontera", "dinero", "cuchillo", "iglesia", "hospital", "pistola", "bomba", "tumba", "soldado"}},
	"ro":    {unicode.Latin, []string{"sânge", "moarte", "război", "poliție", "închisoare", "graniță", "bani", "cuțit", "biserică", "spital", "armă", "bombă", "mormânt", "soldat"}},
	"tr":    {unicode.Latin, []string{"kan", "ölüm", "savaş", "polis", "hapis", "sınır", "para", "bıçak", "cami", "hastane", "silah", "bomba", "mezar", "asker"}},
	"uk":    {unicode.Cyrillic, []string{"кров", "смерть", "війна", "поліція", "тюрма", "кордон", "гроші", "ніж", "церква", "лікарня", "зброя", "ракета", "могила", "солдат", "сирена", "гармата"}},
	"ar":    {unicode.Arabic, []string{"دم", "موت", "حرب", "شرطة", "سجن", "حدود", "مال", "سكين", "مسجد", "مستشفى", "سلاح", "قنبلة", "قبر", "جندي", "خمر"}},
	"fa-AF": {unicode.Arabic, []string{"خون", "مرگ", "جنگ", "پولیس", "زندان", "مرز", "پول", "چاقو", "مسجد", "شفاخانه", "تفنگ", "بمب", "قبر", "سرباز", "اردوگاه"}},
}

// plain is w as a person could misremember or mistype it: folded like a
// secret (keyboard variants, vault.FoldSecret), lower case, without
// diacritics. Two words of a list never share it.
func plain(w string) string {
	w = norm.NFD.String(strings.ToLower(vault.FoldSecret(w)))
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, w)
}

// TestWordListsOfEachLanguage: Arabic, Dari, Spanish, Romanian, Turkish
// and Ukrainian each have their own list (not the French fallback) of at
// least 2048 distinct words of 3 to 9 lower-case letters of the language's
// script, no two alike once folded, without diacritics and in lower case,
// none of the denied words; easy-read French keeps the French list.
func TestWordListsOfEachLanguage(t *testing.T) {
	fr := map[string]bool{}
	for _, w := range i18n.Get("fr").Words() {
		fr[w] = true
	}
	for code, wl := range wordLists {
		t.Run(code, func(t *testing.T) {
			c := i18n.Get(code)
			if c == nil {
				t.Fatalf("no catalogue %s", code)
			}
			words := c.Words()
			if len(words) < 2048 {
				t.Fatalf("%d words, want at least 2048", len(words))
			}
			deny := map[string]bool{}
			for _, w := range wl.deny {
				deny[plain(w)] = true
			}
			seen := map[string]string{}
			shared := 0
			for _, w := range words {
				if n := utf8.RuneCountInString(w); n < 3 || n > 9 {
					t.Errorf("%q: %d letters", w, n)
				}
				if !norm.NFC.IsNormalString(w) || strings.ToLower(w) != w {
					t.Errorf("%q: not NFC lower case", w)
				}
				for _, r := range w {
					if !unicode.IsLetter(r) || !unicode.Is(wl.script, r) {
						t.Errorf("%q: %q is not a letter of the list's script", w, r)
						break
					}
				}
				p := plain(w)
				if other, ok := seen[p]; ok {
					t.Errorf("%q and %q are alike", other, w)
				}
				seen[p] = w
				if deny[p] {
					t.Errorf("%q must not be suggested", w)
				}
				if fr[w] {
					shared++
				}
			}
			if shared > len(words)/10 {
				t.Errorf("%d of %d words are in the French list: the French fallback?", shared, len(words))
			}
		})
	}
	falc, fr0 := i18n.Get("fr-x-falc").Words(), i18n.Get("fr").Words()
	if len(falc) != len(fr0) || falc[0] != fr0[0] {
		t.Errorf("easy-read French does not suggest French words")
	}
}
