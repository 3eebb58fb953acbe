package vault

import (
	"bytes"
	"errors"
	"strings"

	"filippo.io/age"
	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/vault/seal"
)

// Keyboard variants of one secret.
//
// The secret Coffre suggests is four words of the person's language
// (api/i18n's word lists). The phone that types it later may not be the
// one that showed it: a Dari speaker's Persian keyboard types yeh ی
// (U+06CC) and keheh ک (U+06A9) where an Arabic keyboard types ي (U+064A)
// and ك (U+0643), Persian (۰–۹) or Arabic-Indic (٠–٩) digits where another
// types 0–9, and may add tatweel or harakat; a Ukrainian keyboard types
// one of three apostrophes (' ’ ʼ), a Romanian one ş ţ (cedilla) or ș ț
// (comma). The same words must open the vault whichever keyboard types
// them, so normSecret folds each of these families to one character
// before the secret reaches scrypt.
//
// Wraps made before the fold were sealed with the secret as typed (NFC
// only): openWithSecret tries the folded secret and then, only when
// folding changed it, the secret as typed — one attempt for the throttle,
// at most two derivations, and nothing stored changes.

// foldSecret folds the keyboard variants of s (already NFC) and returns
// it in NFC.
func foldSecret(s string) string {
	if !needsFold(s) {
		return s
	}
	return norm.NFC.String(strings.Map(foldRune, s))
}

// needsFold reports whether s holds a character foldRune changes: plain
// ASCII secrets (most) skip the mapping.
func needsFold(s string) bool {
	for _, r := range s {
		if r >= 0x80 && foldRune(r) != r {
			return true
		}
	}
	return false
}

// foldRune maps one character to its family's representative; -1 drops it.
func foldRune(r rune) rune {
	switch {
	case r >= 0x0660 && r <= 0x0669: // Arabic-Indic digits
		return '0' + (r - 0x0660)
	case r >= 0x06F0 && r <= 0x06F9: // Persian (extended Arabic-Indic) digits
		return '0' + (r - 0x06F0)
	case r >= 0x064B && r <= 0x065F, r == 0x0670: // harakat, superscript alef
		return -1
	}
	switch r {
	case 0x0649, 0x06CC: // alef maksura ى, Persian yeh ی
		return 0x064A // ي
	case 0x06A9, 0x06AA: // keheh ک, swash kaf ڪ
		return 0x0643 // ك
	case 0x06C1, 0x06BE, 0x06D5, 0x06C0, 0x0629: // heh goal ہ, heh doachashmee ھ, ae ە, heh with yeh ۀ, teh marbuta ة
		return 0x0647 // ه
	case 0x0622, 0x0623, 0x0625, 0x0671: // alef with madda, hamza above, hamza below, wasla
		return 0x0627 // ا
	case 0x0640, // tatweel ـ
		0x200C,         // zero-width non-joiner (Persian keyboards, between parts of a word)
		0x200E, 0x200F, // left-to-right and right-to-left marks
		0x061C,                                 // Arabic letter mark
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, // embeddings and overrides
		0x2066, 0x2067, 0x2068, 0x2069: // isolates (a suggestion copied from a right-to-left page carries them)
		return -1
	case 0x2019, 0x02BC, 0x2018: // ’ ʼ ‘: the apostrophes of Ukrainian keyboards
		return '\''
	case 0x015F: // ş (cedilla)
		return 0x0219 // ș (comma)
	case 0x015E:
		return 0x0218
	case 0x0163: // ţ (cedilla)
		return 0x021B // ț (comma)
	case 0x0162:
		return 0x021A
	}
	return r
}

// FoldSecret is the form in which the vault compares a secret: NFC with
// keyboard variants folded (see foldSecret). The word-list tests use it to
// check that no two suggested words become one.
func FoldSecret(s string) string { return foldSecret(norm.NFC.String(s)) }

// secretForms is a secret as the vault checks it: folded, as every wrap
// is made now, and as typed before the fold (NFC only; nil when folding
// changed nothing), which wraps made before still need.
type secretForms struct {
	folded, typed []byte
}

// checkSecretForms validates raw like normSecret and returns its forms.
func checkSecretForms(raw []byte) (secretForms, error) {
	folded, err := normSecret(raw)
	if err != nil {
		return secretForms{}, err
	}
	f := secretForms{folded: folded}
	if typed := norm.NFC.Bytes(raw); !bytes.Equal(typed, folded) {
		f.typed = typed
	}
	return f, nil
}

// openWithSecret opens a seal.WrapWithSecret wrap with the folded secret
// and, when that is refused and folding changed the secret, with the
// secret as typed (a wrap made before the fold). Run inside a KDF slot;
// the caller counts the whole as one attempt.
func (s *Service) openWithSecret(wrap []byte, sec secretForms) (*age.X25519Identity, error) {
	id, err := seal.UnwrapWithSecret(wrap, sec.folded, s.pepper)
	if err == nil || sec.typed == nil || !errors.Is(err, seal.ErrWrongSecret) {
		return id, err
	}
	return seal.UnwrapWithSecret(wrap, sec.typed, s.pepper)
}
