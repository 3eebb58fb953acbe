package seal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func mustCode(t testing.TB) RecoveryCode {
	t.Helper()
	c, err := NewRecoveryCode()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var codeShape = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$`)

func TestRecoveryCodeShape(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := mustCode(t)
		s := c.String()
		if !codeShape.MatchString(s) {
			t.Fatalf("code %q does not have the printed shape", s)
		}
		if seen[s] {
			t.Fatalf("duplicate code %q", s)
		}
		seen[s] = true
		back, err := ParseRecoveryCode(s)
		if err != nil || back != c {
			t.Fatalf("ParseRecoveryCode(String()) = %v, %v", back.String(), err)
		}
		if c.IsZero() {
			t.Fatal("fresh code reports IsZero")
		}
	}
	var zero RecoveryCode
	if zero.String() != "" || !zero.IsZero() {
		t.Fatal("zero RecoveryCode must print empty and report IsZero")
	}
}

// TestRecoveryCodeEntropy checks that every data symbol takes all 32 values
// over many codes (130 random bits: nothing fixed by construction).
func TestRecoveryCodeEntropy(t *testing.T) {
	var seen [recoveryDataSymbols][32]bool
	for range 2000 {
		c := mustCode(t)
		for i := range recoveryDataSymbols {
			seen[i][c.sym[i]] = true
		}
	}
	for i := range seen {
		for v, ok := range seen[i] {
			if !ok {
				t.Fatalf("symbol %d never took value %d in 2000 codes", i, v)
			}
		}
	}
}

func TestParseRecoveryCodeTolerance(t *testing.T) {
	c := mustCode(t)
	s := c.String()
	compact := strings.ReplaceAll(s, "-", "")
	confused := strings.NewReplacer("0", "o", "1", "l").Replace(strings.ToLower(s))
	for _, tc := range []struct {
		name, in string
	}{
		{"as printed", s},
		{"lower case", strings.ToLower(s)},
		{"no dashes", compact},
		{"spaces", strings.ReplaceAll(s, "-", " ")},
		{"surrounding blanks and newline", "  \t" + s + "\n"},
		{"unicode dashes", strings.ReplaceAll(s, "-", "\u2013")},
		{"non-breaking spaces", strings.ReplaceAll(s, "-", "\u00a0")},
		{"O and L confusions", confused},
		{"I confusion", strings.ReplaceAll(s, "1", "I")},
		{"odd grouping", compact[:3] + " " + compact[3:11] + "--" + compact[11:]},
		{"Persian digits (a Dari keyboard)", strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹").Replace(s)},
		{"Arabic-Indic digits", strings.NewReplacer("2", "٢", "7", "٧", "9", "٩").Replace(s)},
		{"full width", strings.Map(func(r rune) rune {
			if r > ' ' && r < 0x7F {
				return r + 0xFEE0
			}
			return r
		}, s)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRecoveryCode(tc.in)
			if err != nil || got != c {
				t.Fatalf("ParseRecoveryCode(%q) = %q, %v; want %q", tc.in, got.String(), err, s)
			}
		})
	}
}

func TestParseRecoveryCodeErrors(t *testing.T) {
	c := mustCode(t)
	compact := strings.ReplaceAll(c.String(), "-", "")
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrRecoveryCodeMalformed},
		{"one short", compact[1:], ErrRecoveryCodeMalformed},
		{"one long", compact + "0", ErrRecoveryCodeMalformed},
		{"letter U", "U" + compact[1:], ErrRecoveryCodeMalformed},
		{"punctuation", compact[:10] + "!" + compact[11:], ErrRecoveryCodeMalformed},
		{"non-ASCII letter", compact[:10] + "É" + compact[11:], ErrRecoveryCodeMalformed},
		{"huge", strings.Repeat("0", 10000), ErrRecoveryCodeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRecoveryCode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), compact[2:8]) {
				t.Fatalf("error echoes the code: %v", err)
			}
		})
	}
}

// TestRecoveryCodeDetectsEverySubstitution replaces each character of many
// codes with every other printable ASCII character: the result is never
// accepted as a different code (confusable letters map to the same code;
// separators shorten the code).
func TestRecoveryCodeDetectsEverySubstitution(t *testing.T) {
	codes := 300
	if testing.Short() {
		codes = 30
	}
	checked := 0
	for range codes {
		c := mustCode(t)
		compact := []byte(strings.ReplaceAll(c.String(), "-", ""))
		for i := range compact {
			var substituted [32]bool
			for ch := byte(0x20); ch < 0x7f; ch++ {
				typo := bytes.Clone(compact)
				typo[i] = ch
				got, err := ParseRecoveryCode(string(typo))
				v, inAlphabet := symbolValue(rune(ch))
				switch {
				case inAlphabet && v == c.sym[i]:
					if err != nil || got != c {
						t.Fatalf("%q (same symbol) not accepted: %v", typo, err)
					}
				case inAlphabet:
					substituted[v] = true
					if !errors.Is(err, ErrRecoveryCodeChecksum) {
						t.Fatalf("substitution %q at %d: got %v, want ErrRecoveryCodeChecksum", ch, i, err)
					}
				default:
					if err == nil {
						t.Fatalf("substitution %q at %d accepted", ch, i)
					}
				}
			}
			for v, ok := range substituted {
				if ok {
					checked++
				} else if byte(v) != c.sym[i] {
					t.Fatalf("symbol %d never tried at position %d", v, i)
				}
			}
		}
	}
	if want := codes * recoveryCodeSymbols * 31; checked != want {
		t.Fatalf("checked %d in-alphabet substitutions, want %d", checked, want)
	}
	t.Logf("%d single-symbol substitutions rejected by the checksum", checked)
}

// TestRecoveryCodeDetectsTranspositions swaps every pair of distinct
// symbols (adjacent or not) and checks random double substitutions.
func TestRecoveryCodeDetectsTranspositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		c := mustCode(t)
		for i := range recoveryCodeSymbols {
			for j := i + 1; j < recoveryCodeSymbols; j++ {
				if c.sym[i] == c.sym[j] {
					continue
				}
				typo := c
				typo.sym[i], typo.sym[j] = typo.sym[j], typo.sym[i]
				if _, err := ParseRecoveryCode(typo.String()); !errors.Is(err, ErrRecoveryCodeChecksum) {
					t.Fatalf("swap %d<->%d of %s: got %v", i, j, c, err)
				}
			}
		}
		// Any two substitutions: distance 3 means still detected.
		typo := c
		i, j := rng.IntN(recoveryCodeSymbols), rng.IntN(recoveryCodeSymbols-1)
		if j >= i {
			j++
		}
		typo.sym[i] ^= byte(1 + rng.IntN(31))
		typo.sym[j] ^= byte(1 + rng.IntN(31))
		if _, err := ParseRecoveryCode(typo.String()); !errors.Is(err, ErrRecoveryCodeChecksum) {
			t.Fatalf("double substitution at %d,%d: got %v", i, j, err)
		}
	}
}

func TestGF32(t *testing.T) {
	// α generates the 31 nonzero elements, and mul/div are inverse.
	seen := map[byte]bool{}
	for i := range 31 {
		seen[gfAlphaPow(i)] = true
	}
	if len(seen) != 31 || seen[0] {
		t.Fatalf("α is not primitive: %d distinct powers", len(seen))
	}
	for a := byte(0); a < 32; a++ {
		for b := byte(1); b < 32; b++ {
			if gfDiv(gfMul(a, b), b) != a {
				t.Fatalf("(%d*%d)/%d != %d", a, b, b, a)
			}
		}
	}
	// checkSymbols produces codewords for arbitrary data.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		var sym [recoveryCodeSymbols]byte
		for i := range recoveryDataSymbols {
			sym[i] = byte(rng.IntN(32))
		}
		sym[26], sym[27] = checkSymbols(sym[:26])
		if s1, s2 := syndromes(sym[:]); s1 != 0 || s2 != 0 {
			t.Fatalf("checkSymbols did not produce a codeword: %v", sym)
		}
	}
}

func TestRecoveryWrap(t *testing.T) {
	id := mustIdentity(t)
	code := mustCode(t)
	wrapped, err := WrapWithRecoveryCode(id, code)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(wrapped, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Fatal("recovery wrap is not a passphrase-encrypted age file")
	}
	// Typed by a person, lower case without dashes.
	typed, err := ParseRecoveryCode(strings.ToLower(strings.ReplaceAll(code.String(), "-", " ")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapWithRecoveryCode(wrapped, typed)
	if err != nil || got.String() != id.String() {
		t.Fatalf("UnwrapWithRecoveryCode: %v", err)
	}

	other := mustCode(t)
	if _, err := UnwrapWithRecoveryCode(wrapped, other); !errors.Is(err, ErrWrongRecoveryCode) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong code: got %v, want ErrWrongRecoveryCode", err)
	}
	if _, err := UnwrapWithRecoveryCode(wrapped, RecoveryCode{}); !errors.Is(err, ErrRecoveryCodeMalformed) {
		t.Fatalf("zero code: got %v", err)
	}
	if _, err := WrapWithRecoveryCode(id, RecoveryCode{}); !errors.Is(err, ErrRecoveryCodeMalformed) {
		t.Fatalf("wrap with zero code: got %v", err)
	}
	if _, err := WrapWithRecoveryCode(nil, code); err == nil {
		t.Fatal("wrap of nil identity accepted")
	}
	// A secret wrap is not opened by a recovery code.
	secretWrap, err := WrapWithSecret(id, []byte(code.String()), mustPepper(t, 9), testScrypt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnwrapWithRecoveryCode(secretWrap, code); !errors.Is(err, ErrWrongRecoveryCode) {
		t.Fatalf("secret wrap opened with the code: %v", err)
	}
	// A work factor above RecoveryScryptLogN is refused without computing it.
	high := bytes.Replace(wrapped, []byte(" 14\n"), []byte(" 22\n"), 1)
	if _, err := UnwrapWithRecoveryCode(high, code); Classify(err) != KindHeader {
		t.Fatalf("work factor 22: got %v, want ErrHeader", err)
	}
}
