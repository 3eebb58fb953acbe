package ocrcheck

import (
	"math"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"trim", "  abc \n", "abc"},
		{"fold spaces and lines", "a  b\n\n\tc", "a b c"},
		{"dot leaders", "Total ........ 42 €", "Total 42 €"},
		{"two dots", "a..b", "ab"},
		{"single dot kept", "M. Dupont.", "M. Dupont."},
		{"leader then newline", "Nom .....\nPrenom", "Nom Prenom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"equal", "abc", "abc", 0},
		{"both empty", "", "", 0},
		{"one empty", "abc", "", 3},
		{"other empty", "", "abcd", 4},
		{"substitution", "kitten", "sitten", 1},
		{"classic", "kitten", "sitting", 3},
		{"insertion", "abc", "abxc", 1},
		{"runes not bytes", "été", "ete", 2},
		{"symmetric", "sitting", "kitten", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Levenshtein(tc.a, tc.b); got != tc.want {
				t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestCER(t *testing.T) {
	tests := []struct {
		name, got, truth string
		want             float64
	}{
		{"perfect despite layout", "Bonjour  le\nmonde", "Bonjour le monde", 0},
		{"one error in ten", "abcdefghiX", "abcdefghij", 0.1},
		{"dot leaders ignored", "Montant ..... 12", "Montant 12", 0},
		{"nothing read", "", "abcd", 1},
		{"garbage longer than truth", "abcdefgh", "ab", 3},
		{"empty truth empty got", "", " ", 0},
		{"empty truth", "x", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CER(tc.got, tc.truth); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("CER(%q, %q) = %v, want %v", tc.got, tc.truth, got, tc.want)
			}
		})
	}
}
