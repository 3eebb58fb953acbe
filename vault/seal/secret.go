package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"filippo.io/age"
)

// PepperSize is the length of the server pepper in bytes. The pepper is a
// random key kept in a file beside the server (cmd/coffre creates and loads
// it), never in the database nor in its backups.
const PepperSize = 32

// scrypt work factors (log2 of scrypt's N; r=8, p=1 as fixed by age). Memory
// per derivation is 128·8·2^LogN bytes: 256 MiB at 18, 4 GiB at 22, so the
// caller must bound how many derivations run at once.
const (
	// DefaultScryptLogN is the production work factor for secret wraps:
	// about one second on a current server core.
	DefaultScryptLogN = 18
	// MinScryptLogN is the lowest work factor ScryptParams.Validate accepts
	// without AllowWeak: the floor for any production configuration.
	MinScryptLogN = 15
	// MaxScryptLogN is the highest work factor accepted when wrapping, and
	// the highest UnwrapWithSecret will compute (a higher one in a stored
	// wrap is refused as ErrHeader rather than burning CPU and memory).
	MaxScryptLogN = 22
)

// ScryptParams sets the cost of WrapWithSecret. The zero value means
// DefaultScryptLogN.
type ScryptParams struct {
	// LogN is log2 of scrypt's N. 0 means DefaultScryptLogN.
	LogN int
	// AllowWeak permits 1 <= LogN < MinScryptLogN. Tests only: production
	// configuration must never set it.
	AllowWeak bool
}

// Validate reports ErrWeakParams unless LogN is 0 or within
// [MinScryptLogN, MaxScryptLogN] (or within [1, MaxScryptLogN] with
// AllowWeak).
func (p ScryptParams) Validate() error {
	n := p.logN()
	lo := MinScryptLogN
	if p.AllowWeak {
		lo = 1
	}
	if n < lo || n > MaxScryptLogN {
		return fmt.Errorf("%w: LogN %d not in [%d, %d]", ErrWeakParams, n, lo, MaxScryptLogN)
	}
	return nil
}

func (p ScryptParams) logN() int {
	if p.LogN == 0 {
		return DefaultScryptLogN
	}
	return p.LogN
}

// secretDomain separates this HMAC use from any other use of the pepper.
const secretDomain = "coffre/seal/v1/secret-wrap\x00" // #nosec G101 -- a domain-separation label, not a credential

// secretPassphrase derives the age scrypt passphrase for a secret wrap:
// base64url(HMAC-SHA256(pepper, secretDomain || secret)). Without the
// pepper, the passphrase is a uniformly random 256-bit value, so a stolen
// database cannot be attacked offline; with the pepper, every guess still
// costs one scrypt derivation at the wrap's work factor.
func secretPassphrase(secret, pepper []byte) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(secretDomain))
	m.Write(secret)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// WrapWithSecret seals id so that opening it needs both secret (the owner's
// or worker's passphrase or PIN, already normalised by the caller, e.g. to
// Unicode NFC) and the server pepper. The result is a standard age file,
// passphrase-encrypted (scrypt, work factor p) with the passphrase derived
// by secretPassphrase; its plaintext is an age identity file.
//
// Errors: ErrBadPepper, ErrWeakParams, or an error for an empty secret or
// nil id. The call costs one scrypt derivation (about 1 s and 256 MiB at the
// default work factor).
func WrapWithSecret(id *age.X25519Identity, secret, pepper []byte, p ScryptParams) ([]byte, error) {
	const op = "wrap with secret"
	switch {
	case id == nil:
		return nil, fmt.Errorf("seal: %s: nil identity", op)
	case len(secret) == 0:
		return nil, fmt.Errorf("seal: %s: empty secret", op)
	case len(pepper) != PepperSize:
		return nil, wrapOp(op, ErrBadPepper)
	}
	if err := p.Validate(); err != nil {
		return nil, wrapOp(op, err)
	}
	r, err := age.NewScryptRecipient(secretPassphrase(secret, pepper))
	if err != nil {
		return nil, wrapOp(op, err)
	}
	r.SetWorkFactor(p.logN())
	b, err := sealIdentity(id, r)
	if err != nil {
		return nil, wrapOp(op, err)
	}
	return b, nil
}

// UnwrapWithSecret opens a wrap made by WrapWithSecret.
//
// Errors: ErrWrongSecret (wrong secret or wrong pepper, indistinguishable;
// also an empty secret), ErrBadPepper (pepper not 32 bytes: a configuration
// error), ErrCorrupt kinds (damaged wrap, a wrap that is not
// passphrase-encrypted, or a work factor above MaxScryptLogN: ErrHeader).
// The call costs one scrypt derivation at the wrap's work factor.
func UnwrapWithSecret(wrapped, secret, pepper []byte) (*age.X25519Identity, error) {
	return unwrapWithSecret(wrapped, secret, pepper, MaxScryptLogN)
}

func unwrapWithSecret(wrapped, secret, pepper []byte, maxLogN int) (*age.X25519Identity, error) {
	const op = "unwrap with secret"
	switch {
	case len(pepper) != PepperSize:
		return nil, wrapOp(op, ErrBadPepper)
	case len(secret) == 0:
		return nil, wrapKind(op, ErrWrongSecret, errors.New("empty secret"))
	}
	return unwrapPassphrase(op, wrapped, secretPassphrase(secret, pepper), maxLogN, ErrWrongSecret)
}

// unwrapPassphrase opens a passphrase-encrypted identity wrap, reporting
// wrong when the (single) scrypt stanza does not open with passphrase.
func unwrapPassphrase(op string, wrapped []byte, passphrase string, maxLogN int, wrong error) (*age.X25519Identity, error) {
	sid, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, wrapOp(op, err)
	}
	sid.SetMaxWorkFactor(maxLogN)
	id, err := openIdentity(op, wrapped, []age.Identity{sid})
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		if slices.Equal(noMatch.StanzaTypes, []string{"scrypt"}) {
			return nil, wrapOp(op, wrong)
		}
		// Well-formed, but not a passphrase wrap: the stored wrap is wrong.
		return nil, wrapKind(op, ErrHeader, errors.New("not a passphrase-encrypted wrap"))
	}
	return id, err
}
