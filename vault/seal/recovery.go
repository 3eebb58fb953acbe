package seal

import (
	"crypto/rand"
	"fmt"
	"strings"
	"unicode"

	"filippo.io/age"

	"github.com/coffre/coffre/internal/keyboard"
)

// Recovery code layout: 26 random symbols (130 bits) then 2 check symbols,
// printed in 7 groups of 4 separated by '-', e.g.
// "7K3M-Q0ZD-…-W4XT". Symbols are Crockford base32 digits (no I, L, O, U).
const (
	recoveryDataSymbols  = 26
	recoveryCheckSymbols = 2
	recoveryCodeSymbols  = recoveryDataSymbols + recoveryCheckSymbols
	recoveryGroupSize    = 4
	// maxRecoveryCodeInput bounds the text ParseRecoveryCode looks at.
	maxRecoveryCodeInput = 256
)

// RecoveryScryptLogN is the scrypt work factor of recovery-code wraps.
//
// Why scrypt rather than deriving an X25519 key with HKDF: the code carries
// 130 random bits, so brute force is hopeless whatever the work factor, and
// no pepper is needed (recovery must work even if the pepper is lost). Using
// age's own passphrase recipient keeps the wrap a standard passphrase-
// encrypted age file that `age -d` opens when the code is typed exactly as
// printed (RecoveryCode.String), without any Coffre tool. The factor is kept
// modest (16 MiB, tens of milliseconds) so recovery attempts stay cheap for
// the server; it is also the maximum UnwrapWithRecoveryCode computes.
const RecoveryScryptLogN = 14

const crockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// RecoveryCode is an owner's recovery code: 130 random bits plus a
// two-symbol checksum that detects any one or two wrong characters,
// including every transposition. The zero value is not a valid code.
// RecoveryCode values are comparable with ==.
type RecoveryCode struct {
	sym   [recoveryCodeSymbols]byte // values 0..31
	valid bool
}

// NewRecoveryCode returns a fresh random recovery code.
func NewRecoveryCode() (RecoveryCode, error) {
	var c RecoveryCode
	var buf [recoveryDataSymbols]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return RecoveryCode{}, wrapOp("new recovery code", err)
	}
	for i, b := range buf {
		c.sym[i] = b & 31 // uniform: 256 is a multiple of 32
	}
	c.sym[recoveryDataSymbols], c.sym[recoveryDataSymbols+1] = checkSymbols(c.sym[:recoveryDataSymbols])
	c.valid = true
	return c, nil
}

// ParseRecoveryCode parses a recovery code as typed by a person. It ignores
// case, white space and dashes (ASCII and Unicode), and reads O as 0 and I
// or L as 1. Errors: ErrRecoveryCodeMalformed (wrong number of characters, a
// character outside the alphabet such as U, or input over 256 bytes) and
// ErrRecoveryCodeChecksum (a typo). Errors never echo the input.
func ParseRecoveryCode(s string) (RecoveryCode, error) {
	if len(s) > maxRecoveryCodeInput {
		return RecoveryCode{}, fmt.Errorf("%w: too long", ErrRecoveryCodeMalformed)
	}
	var c RecoveryCode
	n := 0
	for _, r := range s {
		r = keyboard.ASCII(r) // a Dari keyboard's ۸ is the 8 on the sheet
		if isCodeSeparator(r) {
			continue
		}
		v, ok := symbolValue(r)
		if !ok {
			return RecoveryCode{}, fmt.Errorf("%w: character %d is not in the alphabet", ErrRecoveryCodeMalformed, n+1)
		}
		if n == recoveryCodeSymbols {
			return RecoveryCode{}, fmt.Errorf("%w: more than %d characters", ErrRecoveryCodeMalformed, recoveryCodeSymbols)
		}
		c.sym[n] = v
		n++
	}
	if n != recoveryCodeSymbols {
		return RecoveryCode{}, fmt.Errorf("%w: %d characters, want %d", ErrRecoveryCodeMalformed, n, recoveryCodeSymbols)
	}
	if s1, s2 := syndromes(c.sym[:]); s1 != 0 || s2 != 0 {
		return RecoveryCode{}, ErrRecoveryCodeChecksum
	}
	c.valid = true
	return c, nil
}

// String returns the code as printed on the recovery sheet: 28 upper-case
// characters in groups of 4 joined by '-'. It is the secret itself: never
// log it. The zero RecoveryCode gives "".
func (c RecoveryCode) String() string {
	if !c.valid {
		return ""
	}
	var b strings.Builder
	for i, v := range c.sym {
		if i > 0 && i%recoveryGroupSize == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(crockfordAlphabet[v])
	}
	return b.String()
}

// IsZero reports whether c is the zero (invalid) RecoveryCode.
func (c RecoveryCode) IsZero() bool { return !c.valid }

// WrapWithRecoveryCode seals id with the recovery code: a standard age file
// encrypted with age's scrypt passphrase recipient (work factor
// RecoveryScryptLogN) whose passphrase is code.String(). See
// RecoveryScryptLogN for the rationale. A zero code is
// ErrRecoveryCodeMalformed.
func WrapWithRecoveryCode(id *age.X25519Identity, code RecoveryCode) ([]byte, error) {
	const op = "wrap with recovery code"
	if id == nil {
		return nil, fmt.Errorf("seal: %s: nil identity", op)
	}
	if !code.valid {
		return nil, wrapOp(op, ErrRecoveryCodeMalformed)
	}
	r, err := age.NewScryptRecipient(code.String())
	if err != nil {
		return nil, wrapOp(op, err)
	}
	r.SetWorkFactor(RecoveryScryptLogN)
	b, err := sealIdentity(id, r)
	if err != nil {
		return nil, wrapOp(op, err)
	}
	return b, nil
}

// UnwrapWithRecoveryCode opens a wrap made by WrapWithRecoveryCode.
// Errors: ErrWrongRecoveryCode, ErrRecoveryCodeMalformed (zero code),
// ErrCorrupt kinds (damaged wrap, not a passphrase wrap, or a work factor
// above RecoveryScryptLogN: ErrHeader).
func UnwrapWithRecoveryCode(wrapped []byte, code RecoveryCode) (*age.X25519Identity, error) {
	const op = "unwrap with recovery code"
	if !code.valid {
		return nil, wrapOp(op, ErrRecoveryCodeMalformed)
	}
	return unwrapPassphrase(op, wrapped, code.String(), RecoveryScryptLogN, ErrWrongRecoveryCode)
}

func isCodeSeparator(r rune) bool {
	switch r {
	case '-', '_', '.', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return true
	}
	return unicode.IsSpace(r)
}

// symbolValue maps a typed character to its symbol, folding case and the
// usual confusions (O→0, I/L→1).
func symbolValue(r rune) (byte, bool) {
	if r >= 'a' && r <= 'z' {
		r -= 'a' - 'A'
	}
	switch r {
	case 'O':
		r = '0'
	case 'I', 'L':
		r = '1'
	}
	if r > unicode.MaxASCII {
		return 0, false
	}
	i := strings.IndexByte(crockfordAlphabet, byte(r))
	if i < 0 {
		return 0, false
	}
	return byte(i), true
}
