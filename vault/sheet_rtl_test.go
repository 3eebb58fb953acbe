package vault

import (
	"testing"
)

// Letters take their contextual forms (lam-alef its ligature, a
// zero-width non-joiner breaks the joining) and a line is laid out right
// to left with its Latin words left to right.
func TestArabicShaping(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []rune
	}{
		{"سلام", []rune{0xFEB3, 0xFEFC, 0xFEE1}},
		{"لا", []rune{0xFEFB}},
		{"می\u200cکند", []rune{0xFEE3, 0xFBFD, 0xFB90, 0xFEE8, 0xFEAA}},
		{"پول", []rune{0xFB58, 0xFEEE, 0xFEDD}},
	} {
		got := shape([]rune(c.in))
		if string(got.chars) != string(c.want) {
			t.Errorf("shape(%s) = %U, want %U", c.in, got.chars, c.want)
		}
	}
	if got := string(visual("سلام Coffre").chars); got != "Coffre "+string([]rune{0xFEE1, 0xFEFC, 0xFEB3}) {
		t.Errorf("visual = %q", got)
	}
	if got := string(visual("(سلام)").chars); got != "("+string([]rune{0xFEE1, 0xFEFC, 0xFEB3})+")" {
		t.Errorf("brackets are not mirrored: %q", got)
	}
	if got := SheetSpelling("جدًا صفحهٔ می\u200cکند"); got != "جدا صفحه میکند" {
		t.Errorf("SheetSpelling = %q", got)
	}
}
