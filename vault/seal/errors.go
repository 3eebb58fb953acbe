package seal

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Functions wrap them with context; test with errors.Is.
var (
	// ErrWrongSecret: UnwrapWithSecret could not open the wrap with this
	// secret and pepper. A wrong secret and a wrong pepper are, by design,
	// indistinguishable. Because age's scrypt stanza uses a non-committing
	// AEAD, a tampered stanza body also reports ErrWrongSecret.
	ErrWrongSecret = errors.New("seal: wrong secret")

	// ErrWrongRecoveryCode: UnwrapWithRecoveryCode could not open the wrap
	// with this (well-formed) recovery code.
	ErrWrongRecoveryCode = errors.New("seal: wrong recovery code")

	// ErrNoIdentityMatched: none of the given identities can open the file
	// (age's *age.NoIdentityMatchError, still reachable with errors.As).
	ErrNoIdentityMatched = errors.New("seal: no identity matched")

	// ErrCorrupt: the age file is damaged or was tampered with. Every finer
	// corruption sentinel below satisfies errors.Is(err, ErrCorrupt).
	ErrCorrupt = errors.New("seal: corrupt age file")

	// ErrHeader: the age header is malformed (syntax, unknown version,
	// invalid recipient stanza, scrypt work factor above the accepted
	// maximum, missing or short payload nonce). Wraps ErrCorrupt.
	ErrHeader error = &corruptError{"seal: malformed age header"}

	// ErrHeaderMAC: an identity unwrapped the file key but the header MAC
	// does not verify: the header was altered. Wraps ErrCorrupt.
	ErrHeaderMAC error = &corruptError{"seal: age header MAC mismatch"}

	// ErrPayload: the payload failed authentication, is truncated, or has
	// trailing data. It surfaces from Read, possibly after some plaintext was
	// already returned: treat everything read so far as untrusted. Wraps
	// ErrCorrupt.
	ErrPayload error = &corruptError{"seal: age payload authentication failed"}

	// ErrArmor: the ASCII armor (PEM-like encoding) is invalid. Wraps
	// ErrCorrupt.
	ErrArmor error = &corruptError{"seal: invalid age armor"}

	// ErrContent: the file decrypted and authenticated, but its plaintext is
	// not what the function expects (for example a key wrap that does not
	// hold an X25519 identity). Anyone holding a recipient can produce such
	// a file, so this is corruption of the stored data. Wraps ErrCorrupt.
	ErrContent error = &corruptError{"seal: unexpected content in age file"}

	// ErrUnsupportedRecipient: a recipient other than *age.X25519Recipient,
	// or a nil one, was given for encryption.
	ErrUnsupportedRecipient = errors.New("seal: unsupported recipient (X25519 only)")

	// ErrUnsupportedIdentity: an identity other than the native age types
	// (*age.X25519Identity, *age.HybridIdentity, *age.ScryptIdentity), or a
	// nil one, was given for decryption.
	ErrUnsupportedIdentity = errors.New("seal: unsupported identity")

	// ErrRecoveryCodeMalformed: the text is not a recovery code (wrong
	// length, or a character outside the alphabet).
	ErrRecoveryCodeMalformed = errors.New("seal: malformed recovery code")

	// ErrRecoveryCodeChecksum: the text has the shape of a recovery code but
	// its check characters do not match: a typo.
	ErrRecoveryCodeChecksum = errors.New("seal: recovery code checksum mismatch")

	// ErrBadPepper: the pepper is not exactly PepperSize bytes.
	ErrBadPepper = errors.New("seal: pepper must be 32 bytes")

	// ErrWeakParams: ScryptParams outside the accepted range.
	ErrWeakParams = errors.New("seal: scrypt parameters out of range")

	// ErrTooLarge: a sealed string exceeds MaxStringSize.
	ErrTooLarge = errors.New("seal: sealed string too large")
)

// corruptError is a corruption kind: errors.Is(kind, ErrCorrupt) holds.
type corruptError struct{ msg string }

func (e *corruptError) Error() string        { return e.msg }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

// Kind classifies a decryption failure. It exists so that callers and tests
// can tell the age failure classes apart without matching messages.
type Kind int

const (
	// KindUnknown: nil, or not a decryption failure (I/O error from the
	// source or destination, ctx cancellation, invalid argument, wrong
	// secret or recovery code).
	KindUnknown Kind = iota
	// KindHeader: ErrHeader.
	KindHeader
	// KindHeaderMAC: ErrHeaderMAC.
	KindHeaderMAC
	// KindPayload: ErrPayload.
	KindPayload
	// KindArmor: ErrArmor.
	KindArmor
	// KindNoMatch: ErrNoIdentityMatched.
	KindNoMatch
	// KindContent: ErrContent.
	KindContent
)

var kindNames = [...]string{
	KindUnknown:   "unknown",
	KindHeader:    "header failure",
	KindHeaderMAC: "HMAC failure",
	KindPayload:   "payload failure",
	KindArmor:     "armor failure",
	KindNoMatch:   "no match",
	KindContent:   "content failure",
}

// String returns the name age's test vectors use for the class
// ("header failure", "HMAC failure", ...).
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Classify returns the Kind of err.
func Classify(err error) Kind {
	switch {
	case err == nil:
		return KindUnknown
	case errors.Is(err, ErrArmor):
		return KindArmor
	case errors.Is(err, ErrHeaderMAC):
		return KindHeaderMAC
	case errors.Is(err, ErrHeader):
		return KindHeader
	case errors.Is(err, ErrPayload):
		return KindPayload
	case errors.Is(err, ErrContent):
		return KindContent
	case errors.Is(err, ErrNoIdentityMatched):
		return KindNoMatch
	}
	return KindUnknown
}

// wrapOp returns an error reading "seal: <op>: <err>" (without repeating
// err's own "seal: " prefix) that wraps err.
func wrapOp(op string, err error) error {
	return &opError{op: op, err: err}
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "seal: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "seal: ")
}

func (e *opError) Unwrap() error { return e.err }

// wrapKind returns an error reading "seal: <op>: <kind>: <cause>" for which
// errors.Is and errors.As see both kind and cause.
func wrapKind(op string, kind, cause error) error {
	return &kindError{op: op, kind: kind, cause: cause}
}

type kindError struct {
	op          string
	kind, cause error
}

func (e *kindError) Error() string {
	return "seal: " + e.op + ": " + strings.TrimPrefix(e.kind.Error(), "seal: ") + ": " + e.cause.Error()
}

func (e *kindError) Unwrap() []error { return []error{e.kind, e.cause} }
