package seal

import (
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Encrypt starts a standard (binary) age file on dst, encrypted to the given
// X25519 recipients, and returns a writer for the plaintext. Memory is
// bounded: plaintext is sealed in 64 KiB chunks as it is written.
//
// Format guarantees (age v1, relied upon by callers that announce sizes):
// the header and the 16-byte payload nonce are written to dst before Encrypt
// returns (call that length prefix); after Close the whole file is exactly
// prefix + n + 16·max(1, ⌈n/65536⌉) bytes for n bytes of plaintext.
//
// Contract:
//   - At least one recipient; each must be a non-nil *age.X25519Recipient,
//     otherwise ErrUnsupportedRecipient and nothing is written.
//   - Close seals the final chunk, which is what authenticates the end of the
//     stream. Call Close only after ALL the plaintext was written
//     successfully. On any failure (source error, cancellation), abandon the
//     writer without closing it and discard dst: the partial output is then
//     rejected by Decrypt (ErrPayload, or ErrHeader if cut inside the
//     header), never taken for a shorter file.
//   - Once ctx is done, Write and Close fail with an error wrapping ctx.Err()
//     and Close does not seal the final chunk.
//   - Close does not close dst.
func Encrypt(ctx context.Context, dst io.Writer, to ...age.Recipient) (io.WriteCloser, error) {
	if err := checkRecipients(to); err != nil {
		return nil, wrapOp("encrypt", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapOp("encrypt", err)
	}
	w, err := age.Encrypt(dst, to...)
	if err != nil {
		return nil, wrapOp("encrypt", err)
	}
	return &ctxWriter{ctx: ctx, w: w}, nil
}

type ctxWriter struct {
	ctx context.Context
	w   io.WriteCloser
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, wrapOp("encrypt", err)
	}
	n, err := c.w.Write(p)
	if err != nil {
		return n, wrapOp("encrypt", err)
	}
	return n, nil
}

func (c *ctxWriter) Close() error {
	if err := c.ctx.Err(); err != nil {
		return wrapOp("encrypt", err)
	}
	if err := c.w.Close(); err != nil {
		return wrapOp("encrypt", err)
	}
	return nil
}

// Decrypt reads the header of the binary age file src, unwraps the file key
// with the first identity that matches, and returns a reader of the
// plaintext. Memory is bounded: the header is capped at 2 MiB by age and the
// payload is opened one 64 KiB chunk at a time.
//
// Errors from Decrypt itself: ErrHeader, ErrHeaderMAC, ErrNoIdentityMatched,
// ErrUnsupportedIdentity (see Classify). Errors from Read: ErrPayload (a
// chunk failed authentication, the stream is truncated or has trailing
// data); plaintext returned before such an error is unauthenticated as a
// whole, so consumers must not act on it until Read returns io.EOF. Read
// returns io.EOF only after the final chunk authenticated.
//
// An error returned by src (or ctx being done) is returned wrapped as is,
// never classified as corruption, at Decrypt or at Read. Read checks ctx
// before each call. Identities must be *age.X25519Identity,
// *age.HybridIdentity or *age.ScryptIdentity (set a maximum work factor on
// scrypt identities that read untrusted files).
func Decrypt(ctx context.Context, src io.Reader, ids ...age.Identity) (io.Reader, error) {
	return decrypt(ctx, "decrypt", src, false, ids)
}

// DecryptArmored is Decrypt for an ASCII-armored age file ("-----BEGIN AGE
// ENCRYPTED FILE-----"). Armor errors, at Decrypt or at Read, are ErrArmor.
func DecryptArmored(ctx context.Context, src io.Reader, ids ...age.Identity) (io.Reader, error) {
	return decrypt(ctx, "decrypt", src, true, ids)
}

func decrypt(ctx context.Context, op string, src io.Reader, armored bool, ids []age.Identity) (io.Reader, error) {
	if err := checkIdentities(ids); err != nil {
		return nil, wrapOp(op, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapOp(op, err)
	}
	var in io.Reader = &sourceReader{ctx: ctx, r: src}
	if armored {
		in = armor.NewReader(in)
	}
	unwrapped := false
	watched := make([]age.Identity, len(ids))
	for i, id := range ids {
		watched[i] = watchedIdentity{id: id, unwrapped: &unwrapped}
	}
	r, err := age.Decrypt(in, watched...)
	if err != nil {
		return nil, classifyHeaderError(op, err, unwrapped)
	}
	return &plainReader{ctx: ctx, op: op, r: r}, nil
}

// classifyHeaderError maps an error from age.Decrypt to our sentinels.
// unwrapped reports whether an identity returned a file key: after that, the
// only failures age.Decrypt can report are the header MAC check and reading
// the payload nonce (a short read, io.EOF or io.ErrUnexpectedEOF).
func classifyHeaderError(op string, err error, unwrapped bool) error {
	var srcErr *sourceError
	var armorErr *armor.Error
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &srcErr):
		return wrapOp(op, srcErr.err)
	case errors.As(err, &armorErr):
		return wrapKind(op, ErrArmor, err)
	case errors.As(err, &noMatch):
		return wrapKind(op, ErrNoIdentityMatched, err)
	case unwrapped && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return wrapKind(op, ErrHeaderMAC, err)
	}
	return wrapKind(op, ErrHeader, err)
}

// watchedIdentity records whether the wrapped identity unwrapped a file key.
// Wrapping every identity keeps age's trial order (native identities first,
// then others, stable) unchanged since all of them become non-native.
type watchedIdentity struct {
	id        age.Identity
	unwrapped *bool
}

func (w watchedIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	key, err := w.id.Unwrap(stanzas)
	if err == nil && key != nil {
		*w.unwrapped = true
	}
	return key, err
}

// sourceError marks an error that came from the caller's reader (or ctx), so
// it is never mistaken for corruption.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

type sourceReader struct {
	ctx context.Context
	r   io.Reader
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, &sourceError{err}
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{err}
	}
	return n, err
}

// plainReader maps the errors of age's payload reader.
type plainReader struct {
	ctx context.Context
	op  string
	r   io.Reader
	err error // sticky
}

func (p *plainReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if err := p.ctx.Err(); err != nil {
		p.err = wrapOp(p.op, err)
		return 0, p.err
	}
	n, err := p.r.Read(b)
	if err == nil || err == io.EOF {
		return n, err
	}
	var srcErr *sourceError
	var armorErr *armor.Error
	switch {
	case errors.As(err, &srcErr):
		p.err = wrapOp(p.op, srcErr.err)
	case errors.As(err, &armorErr):
		p.err = wrapKind(p.op, ErrArmor, err)
	default:
		p.err = wrapKind(p.op, ErrPayload, err)
	}
	return n, p.err
}

func checkRecipients(to []age.Recipient) error {
	if len(to) == 0 {
		return fmt.Errorf("%w: no recipient", ErrUnsupportedRecipient)
	}
	for i, r := range to {
		x, ok := r.(*age.X25519Recipient)
		if !ok || x == nil {
			return fmt.Errorf("%w: recipient #%d is %T", ErrUnsupportedRecipient, i, r)
		}
	}
	return nil
}

func checkIdentities(ids []age.Identity) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: no identity", ErrUnsupportedIdentity)
	}
	for i, id := range ids {
		ok := false
		switch v := id.(type) {
		case *age.X25519Identity:
			ok = v != nil
		case *age.HybridIdentity:
			ok = v != nil
		case *age.ScryptIdentity:
			ok = v != nil
		}
		if !ok {
			return fmt.Errorf("%w: identity #%d is %T", ErrUnsupportedIdentity, i, id)
		}
	}
	return nil
}
