package vault

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/internal/keyboard"
)

// Pseudonym length bounds, in characters.
const (
	minPseudonym = 3
	maxPseudonym = 40
)

// maxIdentifierInput bounds what is even looked at.
const maxIdentifierInput = 200

var folder = cases.Fold()

// foldCherokee finishes case folding for Cherokee, the one script whose
// folding goes to upper case (Unicode CaseFolding.txt: U+AB70–U+ABBF →
// U+13A0–U+13EF, U+13F8–U+13FD → U+13F0–U+13F5). cases.Fold turns upper
// into lower case there, so without this step folding is not idempotent
// ("Ꮊ" → "ꮊ" → "Ꮊ") and an owner could not log in with the very
// identifier they were shown (found by FuzzNormalizeIdentifier).
func foldCherokee(r rune) rune {
	switch {
	case r >= 0xAB70 && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case r >= 0x13F8 && r <= 0x13FD:
		return r - 8
	}
	return r
}

// NormalizeIdentifier returns the canonical form of an owner's login
// identifier, so that the same person typing it differently reaches the
// same account:
//   - a French phone number — 06 12 34 56 78, 06.12.34.56.78, 0612345678,
//     +33 6 12 34 56 78, 0033 6…, also +33 (0)6… — becomes +33612345678
//     (numbers 01–07 and 09; 08 numbers are services, not people);
//   - otherwise a pseudonym: 3 to 40 letters, digits, '.', '_' or '-', with
//     at least one letter, normalised to NFC and case-folded ("Élodie.M" and
//     "élodie.m" are the same).
//
// Anything else is ErrInvalid. Surrounding spaces are ignored.
func NormalizeIdentifier(s string) (string, error) {
	if len(s) > maxIdentifierInput || !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: identifier: not a phone number or a pseudonym", ErrInvalid)
	}
	s = strings.TrimSpace(s)
	// A phone number typed with a Dari or Arabic keyboard's digits (or in
	// full width) is the same number. A pseudonym keeps its digits as typed.
	if a := keyboard.String(s); looksLikePhone(a) {
		return normalizePhone(a)
	}
	p := norm.NFC.String(strings.Map(foldCherokee, folder.String(norm.NFC.String(s))))
	n, letters := 0, 0
	for _, r := range p {
		n++
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r), r == '.', r == '_', r == '-':
		case unicode.Is(unicode.Mn, r): // combining marks left by NFC
		default:
			return "", fmt.Errorf("%w: identifier: a pseudonym has only letters, digits, '.', '_' and '-'", ErrInvalid)
		}
	}
	if n < minPseudonym || n > maxPseudonym {
		return "", fmt.Errorf("%w: identifier: a pseudonym has %d to %d characters", ErrInvalid, minPseudonym, maxPseudonym)
	}
	if letters == 0 {
		return "", fmt.Errorf("%w: identifier: a pseudonym needs at least one letter", ErrInvalid)
	}
	return p, nil
}

// looksLikePhone: only digits, '+', spaces, dots, dashes and parentheses,
// and at least one digit.
func looksLikePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+', r == ' ', r == '.', r == '-', r == '(', r == ')', r == '\u00a0', r == '\u202f':
		default:
			return false
		}
	}
	return digits > 0
}

func normalizePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == '+':
			return "", fmt.Errorf("%w: identifier: misplaced '+' in phone number", ErrInvalid)
		}
	}
	d := b.String()
	switch { // "+33 (0)6…" arrives here as "+3306…"
	case strings.HasPrefix(d, "+330") && len(d) == 13:
		d = "0" + d[4:]
	case strings.HasPrefix(d, "+33") && len(d) == 12:
		d = "0" + d[3:]
	case strings.HasPrefix(d, "00330") && len(d) == 14:
		d = "0" + d[5:]
	case strings.HasPrefix(d, "0033") && len(d) == 13:
		d = "0" + d[4:]
	}
	if len(d) != 10 || d[0] != '0' || strings.ContainsRune(d, '+') {
		return "", fmt.Errorf("%w: identifier: not a French phone number (10 digits starting with 0, or +33)", ErrInvalid)
	}
	switch d[1] {
	case '1', '2', '3', '4', '5', '6', '7', '9':
	default:
		return "", fmt.Errorf("%w: identifier: not a personal French phone number", ErrInvalid)
	}
	return "+33" + d[1:], nil
}
