package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/seal"
)

// ageChunk is the plaintext size of one age STREAM chunk; each chunk adds a
// 16-byte authentication tag (age v1 format, c2sp.org/age).
const (
	ageChunk = 64 << 10
	ageTag   = 16
)

// encryptingReader yields the age encryption of src, pulling plaintext as
// its own reader is read: no goroutine, memory bounded to about one chunk.
// After EOF, n is the plaintext byte count.
type encryptingReader struct {
	src     io.Reader
	enc     io.WriteCloser
	buf     bytes.Buffer // ciphertext ready to be read
	scratch []byte
	n       int64
	done    bool
	err     error
	// prefix is the length of the header and nonce, written by seal.Encrypt.
	prefix int64
}

func newEncryptingReader(ctx context.Context, src io.Reader, to age.Recipient) (*encryptingReader, error) {
	e := &encryptingReader{src: src, scratch: make([]byte, ageChunk)}
	enc, err := seal.Encrypt(ctx, &e.buf, to)
	if err != nil {
		return nil, err
	}
	e.enc = enc
	e.prefix = int64(e.buf.Len())
	return e, nil
}

// size is the exact ciphertext size for a plaintext of n bytes.
func (e *encryptingReader) size(n int64) int64 {
	chunks := (n + ageChunk - 1) / ageChunk
	if chunks == 0 {
		chunks = 1
	}
	return e.prefix + n + chunks*ageTag
}

func (e *encryptingReader) Read(p []byte) (int, error) {
	for e.buf.Len() == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.done {
			return 0, io.EOF
		}
		e.fill()
	}
	return e.buf.Read(p)
}

// fill encrypts the next piece of plaintext into buf.
func (e *encryptingReader) fill() {
	n, err := io.ReadFull(e.src, e.scratch)
	if n > 0 {
		e.n += int64(n)
		if _, werr := e.enc.Write(e.scratch[:n]); werr != nil {
			e.err = fmt.Errorf("vault: encrypt: %w", werr)
			return
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		// Seal the final chunk only now that all plaintext was read; on any
		// other error the stream is abandoned unsealed (seal's contract).
		if cerr := e.enc.Close(); cerr != nil {
			e.err = fmt.Errorf("vault: encrypt: %w", cerr)
			return
		}
		e.done = true
	default:
		e.err = fmt.Errorf("vault: read plaintext: %w", err)
	}
}
