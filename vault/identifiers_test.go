package vault_test

import (
	"errors"
	"testing"
	"unicode"

	"github.com/coffre/coffre/vault"
)

func TestNormalizeIdentifier(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"mobile spaced", "06 12 34 56 78", "+33612345678"},
		{"mobile dotted", "06.12.34.56.78", "+33612345678"},
		{"mobile plain", "0712345678", "+33712345678"},
		{"international", "+33 6 12 34 56 78", "+33612345678"},
		{"international with 0", "+33 (0)6 12 34 56 78", "+33612345678"},
		{"double zero", "0033 6 12 34 56 78", "+33612345678"},
		{"landline", "01-23-45-67-89", "+33123456789"},
		{"surrounding spaces", "  06 12 34 56 78 ", "+33612345678"},
		{"pseudonym", "Elodie.M", "elodie.m"},
		{"pseudonym accents NFC", "E\u0301lodie_59", "élodie_59"},
		{"pseudonym precomposed", "ÉLODIE_59", "élodie_59"},
		{"pseudonym min", "abc", "abc"},
		{"pseudonym with digits", "marie-1987", "marie-1987"},
		{"german sharp s folds", "Straße", "strasse"},
		{"mobile in Persian digits (a Dari keyboard)", "۰۶ ۱۲ ۳۴ ۵۶ ۷۸", "+33612345678"},
		{"mobile in Arabic-Indic digits", "٠٦١٢٣٤٥٦٧٨", "+33612345678"},
		{"mobile mixed and full width", "06 １２ ٣٤ 56 ۷۸", "+33612345678"},
		{"pseudonym keeps its digits as typed", "مریم۱۲", "مریم۱۲"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := vault.NormalizeIdentifier(c.in)
			if err != nil || got != c.want {
				t.Fatalf("NormalizeIdentifier(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	bad := []struct{ name, in string }{
		{"empty", ""},
		{"too short", "ab"},
		{"too long", "abcdefghijabcdefghijabcdefghijabcdefghijx"},
		{"space inside", "jean pierre"},
		{"at sign", "jean@example.org"},
		{"digits only not a phone", "12345"},
		{"phone too short", "06 12 34 56"},
		{"phone too long", "06 12 34 56 78 9"},
		{"premium number", "08 12 34 56 78"},
		{"foreign", "+44 20 7946 0958"},
		{"plus inside", "06+12345678"},
		{"control char", "abc\x00def"},
		{"emoji", "abc😀"},
		{"invalid utf8", "ab\xffcd"},
		{"only dots", "..."},
	}
	for _, c := range bad {
		t.Run("bad "+c.name, func(t *testing.T) {
			if got, err := vault.NormalizeIdentifier(c.in); !errors.Is(err, vault.ErrInvalid) {
				t.Fatalf("NormalizeIdentifier(%q) = %q, %v; want ErrInvalid", c.in, got, err)
			}
		})
	}
}

func FuzzNormalizeIdentifier(f *testing.F) {
	for _, s := range []string{"06 12 34 56 78", "+33612345678", "Élodie", "a.b-c_d", "\xff", "+33 (0)6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := vault.NormalizeIdentifier(s)
		if err != nil {
			if !errors.Is(err, vault.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		// Idempotent: the canonical form normalises to itself.
		again, err := vault.NormalizeIdentifier(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeIdentifier(%q) = %q, then %q, %v", s, got, again, err)
		}
	})
}

// TestNormalizeIdentifierIdempotentForEveryLetter: for every letter and
// mark of Unicode, the canonical form of a pseudonym holding it normalises
// to itself (regression: Cherokee, whose folding cases.Fold inverts).
func TestNormalizeIdentifierIdempotentForEveryLetter(t *testing.T) {
	checked := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) {
			continue
		}
		s := "ab" + string(r)
		got, err := vault.NormalizeIdentifier(s)
		if err != nil {
			continue
		}
		checked++
		again, err := vault.NormalizeIdentifier(got)
		if err != nil || again != got {
			t.Errorf("%U: NormalizeIdentifier(%q) = %q, then %q, %v", r, s, got, again, err)
		}
	}
	if checked < 100000 {
		t.Fatalf("only %d letters checked", checked)
	}
	for _, pair := range [][2]string{{"Ꮊ00", "ꮊ00"}, {"ᏸab", "Ᏸab"}} {
		a, errA := vault.NormalizeIdentifier(pair[0])
		b, errB := vault.NormalizeIdentifier(pair[1])
		if errA != nil || errB != nil || a != b {
			t.Errorf("%q and %q differ only by case: %q, %q (%v, %v)", pair[0], pair[1], a, b, errA, errB)
		}
	}
}
