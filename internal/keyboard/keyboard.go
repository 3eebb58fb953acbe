// Package keyboard reads what a phone's keyboard types in place of ASCII.
//
// A Dari, Pashto, Persian or Arabic keyboard types its own digits (۰۷۹۹,
// ٠٧٩٩) where a French one types 0799, and a keyboard in full-width mode
// types ０７９９ or ＡＢＣＤ: the person sees the same number, and so must
// Coffre, wherever an ASCII code is expected (a phone number, a recovery
// code, its last four characters). Free text (a pseudonym, a secret) is not
// read through here: what it means is what was typed.
package keyboard

// ASCII maps r to the ASCII character it stands for when r is a decimal
// digit of a script phones type in (Arabic-Indic, extended Arabic-Indic,
// Devanagari, Bengali, Thai, Myanmar, N'Ko) or a full-width ASCII form;
// any other rune is returned as it is.
func ASCII(r rune) rune {
	for _, zero := range digitZeros {
		if r >= zero && r <= zero+9 {
			return '0' + (r - zero)
		}
	}
	if r >= 0xFF01 && r <= 0xFF5E { // full-width forms of '!' … '~'
		return r - 0xFEE0
	}
	if r == 0x3000 { // ideographic (full-width) space
		return ' '
	}
	return r
}

// digitZeros are the zeros of the decimal digit blocks ASCII reads.
var digitZeros = []rune{
	0x0660, // Arabic-Indic
	0x06F0, // extended Arabic-Indic (Persian, Dari, Pashto, Urdu)
	0x07C0, // N'Ko
	0x0966, // Devanagari
	0x09E6, // Bengali
	0x0E50, // Thai
	0x1040, // Myanmar
}

// String maps every rune of s through ASCII.
func String(s string) string {
	for _, r := range s {
		if ASCII(r) != r {
			b := make([]rune, 0, len(s))
			for _, r := range s {
				b = append(b, ASCII(r))
			}
			return string(b)
		}
	}
	return s
}
