package vault_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/coffre/coffre/vault"
)

func TestCheckSecret(t *testing.T) {
	weak := []struct{ name, secret, advice string }{
		{"empty", "", "trop court"},
		{"short", "Ab3$xyz", "trop court"},
		{"nine chars", "Tr0ub4d&r", "trop court"},
		{"all same", "aaaaaaaaaaaa", "répète"},
		{"two chars", "abababababab", "répète"},
		{"digits only", "0612345678", "chiffres"},
		{"digits with spaces", "06 12 34 56 78 90", "chiffres"},
		{"alphabet", "abcdefghijk", "suites"},
		{"azerty", "azertyuiop", "suites"},
		{"azerty digits", "azerty2024", "suites"},
		{"qwerty upper", "QWERTYUIOP", "suites"},
		{"reversed", "9876543210", "chiffres"},
		{"pattern", "abcabcabcabc", "répète"},
		{"word pattern", "chat chat chat", "répète"},
		{"common", "motdepasse", "plus utilisés"},
		{"common with digits", "Marseille13", "plus utilisés"},
		{"common decorated", "soleil2024!!", "plus utilisés"},
		{"short word and digits", "moi123456789", "chiffres"},
		{"three short words", "un deux", "trop court"},
		{"four same words", "chat chat chat chat", "répète"},
	}
	for _, c := range weak {
		t.Run(c.name, func(t *testing.T) {
			err := vault.CheckSecret([]byte(c.secret))
			if !errors.Is(err, vault.ErrWeakSecret) {
				t.Fatalf("CheckSecret(%q) = %v, want ErrWeakSecret", c.secret, err)
			}
			fr := vault.SecretAdvice(err, "fr")
			if !strings.Contains(fr, c.advice) || !strings.Contains(fr, "Astuce") {
				t.Fatalf("advice %q does not say %q", fr, c.advice)
			}
			if en := vault.SecretAdvice(err, "en"); en == fr || !strings.Contains(en, "Tip") {
				t.Fatalf("English advice %q", en)
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
	}
	for _, s := range strong {
		if err := vault.CheckSecret([]byte(s)); err != nil {
			t.Errorf("CheckSecret(%q) = %v, want nil", s, err)
		}
	}
	if err := vault.CheckSecret(make([]byte, vault.MaxSecretBytes+1)); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("huge secret: %v", err)
	}
	if vault.SecretAdvice(nil, "fr") != "" {
		t.Error("advice for nil error")
	}
}

func TestSuggestPassphrase(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p, err := vault.SuggestPassphrase()
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
		p, err := vault.SuggestPassphrase()
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
