package vault_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

func TestCheckSecret(t *testing.T) {
	weak := []struct{ name, secret, reason string }{
		{"empty", "", "short"},
		{"short", "Ab3$xyz", "short"},
		{"nine chars", "Tr0ub4d&r", "short"},
		{"all same", "aaaaaaaaaaaa", "repeated"},
		{"two chars", "abababababab", "repeated"},
		{"digits only", "0612345678", "digits"},
		{"digits with spaces", "06 12 34 56 78 90", "digits"},
		{"alphabet", "abcdefghijk", "sequence"},
		{"azerty", "azertyuiop", "sequence"},
		{"azerty digits", "azerty2024", "sequence"},
		{"qwerty upper", "QWERTYUIOP", "sequence"},
		{"reversed", "9876543210", "digits"},
		{"pattern", "abcabcabcabc", "repeated"},
		{"word pattern", "chat chat chat", "repeated"},
		{"common", "motdepasse", "common"},
		{"common with digits", "Marseille13", "common"},
		{"common decorated", "soleil2024!!", "common"},
		{"short word and digits", "moi123456789", "digits"},
		{"three short words", "un deux", "short"},
		{"four same words", "chat chat chat chat", "repeated"},
		{"common, Persian digits", "soleil۲۰۲۴!!", "common"},
		{"digits, Arabic-Indic", "٠٦١٢٣٤٥٦٧٨", "digits"},
	}
	for _, c := range weak {
		t.Run(c.name, func(t *testing.T) {
			err := vault.CheckSecret([]byte(c.secret))
			if !errors.Is(err, vault.ErrWeakSecret) {
				t.Fatalf("CheckSecret(%q) = %v, want ErrWeakSecret", c.secret, err)
			}
			if got := vault.WeakSecretReason(err); got != c.reason {
				t.Fatalf("reason %q, want %q", got, c.reason)
			}
		})
	}
	strong := []string{
		"jardin violon tempete cerise",
		"Correct-Horse-Battery",
		"Le chat de Mamie dort",
		"T4rte.aux.Pommes!",
		"ma fille s'appelle Inès",
		"Trombone9Girafe",
		"کیک یاسمن ستاره پنجره",
		"м’ята сонях вишня груша",
	}
	for _, s := range strong {
		if err := vault.CheckSecret([]byte(s)); err != nil {
			t.Errorf("CheckSecret(%q) = %v, want nil", s, err)
		}
	}
	if err := vault.CheckSecret(make([]byte, vault.MaxSecretBytes+1)); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("huge secret: %v", err)
	}
	if vault.WeakSecretReason(nil) != "" || vault.WeakSecretReason(vault.ErrInvalid) != "" {
		t.Error("a reason for an error that is not a weak secret")
	}
}

// The suggestions follow the person's language: four words of that
// language's list, lower-case ASCII, each one accepted by CheckSecret.
func TestSuggestPassphrase(t *testing.T) {
	for _, code := range []string{"fr", "en"} {
		t.Run(code, func(t *testing.T) { testSuggestions(t, i18n.Get(code).Words()) })
	}
	if _, err := vault.SuggestPassphrase([]string{"trop", "court"}); err == nil {
		t.Error("a list of 2 words was used")
	}
}

func testSuggestions(t *testing.T, list []string) {
	seen := map[string]bool{}
	for range 200 {
		p, err := vault.SuggestPassphrase(list)
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(p)
		if len(words) != 4 {
			t.Fatalf("%q: %d words", p, len(words))
		}
		for _, w := range words {
			for _, r := range w {
				if r < 'a' || r > 'z' {
					t.Fatalf("%q: word %q has %q (accents or capitals need no typing)", p, w, r)
				}
			}
		}
		if err := vault.CheckSecret([]byte(p)); err != nil {
			t.Fatalf("suggestion %q refused: %v", p, err)
		}
		seen[p] = true
	}
	if len(seen) < 199 {
		t.Fatalf("only %d different suggestions out of 200", len(seen))
	}
}

func TestWordListSize(t *testing.T) {
	// Draw until every word showed up would be slow; check the list through
	// the suggestions' vocabulary instead: 400 draws of 4 from ≥ 2048 words
	// give about 1 100 different words.
	vocab := map[string]bool{}
	for range 400 {
		p, err := vault.SuggestPassphrase(i18n.Get("fr").Words())
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range strings.Fields(p) {
			if !unicode.IsLower([]rune(w)[0]) {
				t.Fatalf("word %q", w)
			}
			vocab[w] = true
		}
	}
	if len(vocab) < 900 {
		t.Fatalf("vocabulary seen = %d words, the list looks shorter than 2048", len(vocab))
	}
}
