package seal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"filippo.io/age"
)

// maxWrappedIdentity caps the plaintext read from a key wrap. An X25519
// identity string is 74 bytes; the cap leaves room for an age identity file
// with a comment line while bounding memory on hostile input.
const maxWrappedIdentity = 1024

// NewIdentity returns a fresh random age X25519 identity, for an owner, a
// worker, an organisation or a document.
func NewIdentity() (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, wrapOp("new identity", err)
	}
	return id, nil
}

// ParseRecipient parses an "age1..." X25519 public key, as stored for
// workers and organisations. Any other recipient type (post-quantum,
// plugin, SSH) is ErrUnsupportedRecipient.
func ParseRecipient(s string) (*age.X25519Recipient, error) {
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		// age's message quotes the input, which may be a secret key pasted
		// by mistake: do not pass it on.
		return nil, wrapOp("parse recipient", ErrUnsupportedRecipient)
	}
	return r, nil
}

// WrapIdentity seals id (a document key, or an owner key for an
// organisation's assisted recovery) to the given X25519 recipients. The
// result is a standard age file whose plaintext is an age identity file
// (the "AGE-SECRET-KEY-1..." line), so `age -d -i owner.key wrap.age` prints
// the key. Recipients must be *age.X25519Recipient (ErrUnsupportedRecipient
// otherwise). One wrap per grantee keeps revocation a single delete.
func WrapIdentity(id *age.X25519Identity, to ...age.Recipient) ([]byte, error) {
	if id == nil {
		return nil, errors.New("seal: wrap identity: nil identity")
	}
	if err := checkRecipients(to); err != nil {
		return nil, wrapOp("wrap identity", err)
	}
	b, err := sealIdentity(id, to...)
	if err != nil {
		return nil, wrapOp("wrap identity", err)
	}
	return b, nil
}

// UnwrapIdentity opens a wrap made by WrapIdentity with the first matching
// identity. Errors: ErrNoIdentityMatched (none of ids is a recipient of the
// wrap), ErrCorrupt kinds (damaged wrap, or ErrContent when the authenticated
// plaintext is not an X25519 identity), ErrUnsupportedIdentity.
func UnwrapIdentity(wrapped []byte, ids ...age.Identity) (*age.X25519Identity, error) {
	return openIdentity("unwrap identity", wrapped, ids)
}

// sealIdentity encrypts id's string form to the recipients, which the caller
// has already checked (X25519, or the scrypt recipient of this package).
func sealIdentity(id *age.X25519Identity, to ...age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to...)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, id.String()+"\n"); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// openIdentity decrypts wrapped with ids and parses the identity inside.
func openIdentity(op string, wrapped []byte, ids []age.Identity) (*age.X25519Identity, error) {
	r, err := decrypt(context.Background(), op, bytes.NewReader(wrapped), false, ids)
	if err != nil {
		return nil, err
	}
	// Reading to EOF authenticates the final chunk; the limit bounds memory.
	text, err := io.ReadAll(io.LimitReader(r, maxWrappedIdentity+1))
	if err != nil {
		return nil, err
	}
	if len(text) > maxWrappedIdentity {
		return nil, wrapKind(op, ErrContent, errors.New("wrapped identity too long"))
	}
	id, err := parseIdentityFile(string(text))
	if err != nil {
		return nil, wrapKind(op, ErrContent, err)
	}
	return id, nil
}

// parseIdentityFile accepts an age identity file holding exactly one X25519
// identity, with optional "#" comment lines and blank lines. Parse errors
// never echo the input: it may be key material.
func parseIdentityFile(text string) (*age.X25519Identity, error) {
	var found *age.X25519Identity
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if found != nil {
			return nil, errors.New("more than one identity in wrap")
		}
		id, err := age.ParseX25519Identity(line)
		if err != nil {
			return nil, errors.New("wrap does not hold an X25519 identity")
		}
		found = id
	}
	if found == nil {
		return nil, errors.New("wrap holds no identity")
	}
	return found, nil
}
