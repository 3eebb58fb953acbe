package vault

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ErrWeakSecret: the secret is too easy to guess. WeakSecretReason says
// why, as a code.
var ErrWeakSecret = errors.New("vault: secret too weak")

// Secret rules.
const (
	minSecretRunes     = 10
	minPassphraseWords = 4
	minPassphraseRunes = 15
	minDistinctRunes   = 4
	passphraseWords    = 4
	// MaxSecretBytes bounds a secret (a long passphrase fits easily).
	MaxSecretBytes = 1024
)

// weakReason says why a secret is weak.
type weakReason int

const (
	weakShort weakReason = iota
	weakRepeated
	weakDigits
	weakSequence
	weakCommon
)

// weakCodes are the stable codes of the reasons (WeakSecretReason).
var weakCodes = map[weakReason]string{
	weakShort: "short", weakRepeated: "repeated", weakDigits: "digits",
	weakSequence: "sequence", weakCommon: "common",
}

// weakSecretError is CheckSecret's error: errors.Is(err, ErrWeakSecret).
type weakSecretError struct{ reason weakReason }

func (e *weakSecretError) Error() string {
	return "vault: secret too weak: " + weakCodes[e.reason]
}

func (e *weakSecretError) Is(target error) bool { return target == ErrWeakSecret }

// WeakSecretReason is the code of why CheckSecret refused a secret —
// "short", "repeated", "digits", "sequence" or "common" — for the edge to
// explain it in the person's language; "" for any other error.
func WeakSecretReason(err error) string {
	var w *weakSecretError
	if errors.As(err, &w) {
		return weakCodes[w.reason]
	}
	return ""
}

// CheckSecret refuses secrets that are easy to guess: fewer than 10
// characters (unless a passphrase of at least 4 different words and 15
// characters), fewer than 4 different characters, digits only, alphabet or
// keyboard sequences (also followed or preceded by digits), and the most
// common passwords (also with digits around). The error wraps
// ErrWeakSecret; WeakSecretReason says why. A secret over MaxSecretBytes is
// ErrInvalid.
func CheckSecret(secret []byte) error {
	if len(secret) > MaxSecretBytes {
		return fmt.Errorf("%w: secret longer than %d bytes", ErrInvalid, MaxSecretBytes)
	}
	s := strings.TrimSpace(foldSecret(norm.NFC.String(string(secret)))) // as the vault derives it: ۱۲۳۴ is 1234
	lower := strings.ToLower(s)
	runes := []rune(lower)
	if len(runes) == 0 {
		return &weakSecretError{weakShort}
	}
	if isPassphrase(lower) {
		return nil
	}
	if len(runes) < minSecretRunes {
		return &weakSecretError{weakShort}
	}
	distinct := map[rune]bool{}
	digits, letters := 0, 0
	for _, r := range runes {
		distinct[r] = true
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if len(distinct) < minDistinctRunes || isRepeated(lower) {
		return &weakSecretError{weakRepeated}
	}
	if letters == 0 && digits > 0 && digits+countSeparators(runes) == len(runes) {
		return &weakSecretError{weakDigits}
	}
	compact := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, lower)
	core := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, lower)
	if isSequence(compact) || len(core) >= 3 && isSequence(core) && len(core) >= len(compact)/2 {
		return &weakSecretError{weakSequence}
	}
	if commonSecrets()[compact] || commonSecrets()[core] {
		return &weakSecretError{weakCommon}
	}
	// A short word drowned in digits ("abc1234567", "moi2024…").
	if len([]rune(core)) < 4 && digits > 0 {
		return &weakSecretError{weakDigits}
	}
	return nil
}

func countSeparators(runes []rune) int {
	n := 0
	for _, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// isPassphrase: at least 4 different words and 15 characters in all.
func isPassphrase(lower string) bool {
	words := strings.FieldsFunc(lower, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '_' || r == '.' || r == ',' || r == '+'
	})
	if len(words) < minPassphraseWords || len([]rune(lower)) < minPassphraseRunes {
		return false
	}
	distinct := map[string]bool{}
	for _, w := range words {
		if letters := strings.IndexFunc(w, unicode.IsLetter) >= 0; letters && len([]rune(w)) >= 2 {
			distinct[w] = true
		}
	}
	return len(distinct) >= minPassphraseWords
}

// isRepeated: s is a pattern repeated at least twice ("chat chat chat",
// "a1a1a1a1").
func isRepeated(s string) bool {
	for p := 1; p <= len(s)/2; p++ {
		if strings.Repeat(s[:p], len(s)/p+1)[:len(s)] == s {
			return true
		}
	}
	return false
}

// sequences are alphabets and keyboard rows, read both ways.
var sequences = func() []string {
	base := []string{
		"abcdefghijklmnopqrstuvwxyz", "0123456789012345678901234567890",
		"azertyuiopqsdfghjklmwxcvbn", "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm",
		"azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm",
		"aqwzsxedcrfvtgbyhnujikolpm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
		"1a2z3e4r5t6y7u8i9o0p", "1q2w3e4r5t6y7u8i9o0p", "a1z2e3r4t5y6u7i8o9p0",
	}
	out := base
	for _, s := range base {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		out = append(out, string(r))
	}
	return out
}()

// isSequence: s is (mostly) a run of an alphabet or keyboard row, possibly
// with a digit run stuck to it.
func isSequence(s string) bool {
	if s == "" {
		return false
	}
	for _, seq := range sequences {
		if strings.Contains(seq, s) {
			return true
		}
	}
	// A sequence followed or preceded by digits: azerty2024, 123abcdef.
	trimmed := strings.TrimRightFunc(strings.TrimLeftFunc(s, unicode.IsDigit), unicode.IsDigit)
	if trimmed != s && len(trimmed) >= 4 && len(trimmed) >= len(s)/2 {
		return isSequence(trimmed)
	}
	return false
}

// commonList holds frequent passwords and their French favourites (lower
// case, letters and digits only), checked whole and by their letters.
const commonList = `
123456 1234567 12345678 123456789 1234567890 0123456789 000000 111111 121212 123123 654321 666666 696969 112233 
password passw0rd motdepasse motdepass mdp secret secrete azerty qwerty soleil doudou loulou chouchou nounours 
marseille paris lyon toulouse bordeaux lille nantes jetaime jeteaime bonjour bonsoir coucou salut chocolat 
princesse football dragon liberte france admin administrateur welcome bienvenue letmein monkey sunshine 
superman batman pokemon tresor amour iloveyou nicolas camille thomas julien marie sophie nathalie isabelle 
celine stephanie sandrine jennifer anthony alexandre caroline laurent olivier sebastien christophe 
motdepassesecret coffre coffrefort vault capucine tintin asterix naruto doudoune chaton chouette 
maison famille bebe cheval cheri cherie mamour mamie papi maman papa enfant vacances soleil
`

var commonOnce = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(commonList) {
		m[w] = true
	}
	return m
})

func commonSecrets() map[string]bool { return commonOnce() }

// SuggestPassphrase proposes four words drawn uniformly with crypto/rand
// from words (a list of more than 2048 common words, over 44 bits: the
// catalogue's list for the person's language, i18n.Catalogue.Words),
// separated by spaces: easy to type on a phone and to remember.
func SuggestPassphrase(words []string) (string, error) {
	if len(words) < 2048 {
		return "", fmt.Errorf("vault: word list too short (%d)", len(words))
	}
	out := make([]string, 0, passphraseWords)
	seen := map[int]bool{}
	for len(out) < passphraseWords {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
		if err != nil {
			return "", fmt.Errorf("vault: suggest passphrase: %w", err)
		}
		i := int(n.Int64())
		if seen[i] {
			continue
		}
		seen[i] = true
		out = append(out, words[i])
	}
	return strings.Join(out, " "), nil
}
