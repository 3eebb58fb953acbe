package seal

import (
	"bytes"
	"context"
	"io"

	"filippo.io/age"
)

// MaxStringSize is the largest plaintext SealString accepts and OpenString
// returns, in bytes. Sealed strings are for short metadata (document titles,
// labels, notes), not for documents.
const MaxStringSize = 64 << 10

// SealString encrypts a short string (a document title, a label) to X25519
// recipients, typically the document's or the owner's recipient. The result
// is a binary age file, suitable for a BLOB column. Errors:
// ErrUnsupportedRecipient, ErrTooLarge (over MaxStringSize).
func SealString(s string, to ...age.Recipient) ([]byte, error) {
	const op = "seal string"
	if len(s) > MaxStringSize {
		return nil, wrapOp(op, ErrTooLarge)
	}
	if err := checkRecipients(to); err != nil {
		return nil, wrapOp(op, err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to...)
	if err != nil {
		return nil, wrapOp(op, err)
	}
	if _, err := io.WriteString(w, s); err != nil {
		return nil, wrapOp(op, err)
	}
	if err := w.Close(); err != nil {
		return nil, wrapOp(op, err)
	}
	return buf.Bytes(), nil
}

// OpenString decrypts a string sealed by SealString. Errors: as Decrypt and
// its reader (ErrNoIdentityMatched, ErrCorrupt kinds), plus ErrTooLarge when
// the plaintext exceeds MaxStringSize (memory stays bounded).
func OpenString(sealed []byte, ids ...age.Identity) (string, error) {
	const op = "open string"
	r, err := decrypt(context.Background(), op, bytes.NewReader(sealed), false, ids)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxStringSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxStringSize {
		return "", wrapOp(op, ErrTooLarge)
	}
	return string(b), nil
}
