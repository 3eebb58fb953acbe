package vault

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/coffre/coffre/vault/meta"
)

// Idempotent submissions and secrets shown until kept.
//
// An owner's "add a paper" form carries an idempotency key. The document id
// is derived from the owner and that key (an HMAC under a pepper-derived
// key), so a submission sent again after a lost answer lands on the same
// row: it is never stored twice, and the retry finds the paper the first
// attempt stored. No table is needed: the documents' primary key is the
// guard.

const (
	infoSubmission = "coffre/vault/v1/submission-id"
	infoOnce       = "coffre/vault/v1/session-once"
	// A drop link asked for with a form key (NewDropLink.Key).
	infoKeyedLink   = "coffre/vault/v1/keyed-link"
	infoKeyedLinkID = "coffre/vault/v1/keyed-link-id"
)

// Submission states, as Submission reports them.
const (
	// SubmissionNone: nothing was stored under this key (or it was deleted).
	SubmissionNone SubmissionState = iota
	// SubmissionPending: a paper under this key is being stored right now.
	SubmissionPending
	// SubmissionDone: the paper under this key is stored.
	SubmissionDone
)

// SubmissionState says what became of an idempotency key.
type SubmissionState int

// MinSubmissionKey and MaxSubmissionKey bound an idempotency key's length.
const (
	MinSubmissionKey = 16
	MaxSubmissionKey = 64
)

// ValidSubmissionKey reports whether key has the shape forms send: 16 to 64
// characters among A–Z, a–z, 0–9, '-' and '_'.
func ValidSubmissionKey(key string) bool {
	if len(key) < MinSubmissionKey || len(key) > MaxSubmissionKey {
		return false
	}
	for _, r := range key {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// submissionID is the document id of an owner's submission key.
func (s *Service) submissionID(ownerID, key string) string {
	return s.keyedID(infoSubmission, ownerID, key)
}

// keyedID is the row id an owner's form key stands for, under the
// pepper-derived key of info: without the pepper no one can tell or plant
// it.
func (s *Service) keyedID(info, ownerID, key string) string {
	m := hmac.New(sha256.New, s.pepperKey(info))
	m.Write([]byte(ownerID))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return idEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Submission reports what became of the owner's submission key: the paper
// when it is stored (SubmissionDone). ErrInvalid for a malformed key.
func (s *Service) Submission(ctx context.Context, p *Principal, key string) (Document, SubmissionState, error) {
	if p == nil || p.Kind() != KindOwner {
		return Document{}, SubmissionNone, fmt.Errorf("%w: submissions are owners'", ErrInvalid)
	}
	if !ValidSubmissionKey(key) {
		return Document{}, SubmissionNone, fmt.Errorf("%w: submission key", ErrInvalid)
	}
	id := s.submissionID(p.ID(), key)
	row, err := s.meta.Document(ctx, id)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return Document{}, SubmissionNone, nil
	case err != nil:
		return Document{}, SubmissionNone, mapMeta("submission", err)
	case row.OwnerID != p.ID():
		return Document{}, SubmissionNone, nil
	case row.State == meta.StatePending:
		return Document{}, SubmissionPending, nil
	case row.State != meta.StateCommitted:
		return Document{}, SubmissionNone, nil
	}
	d, err := s.Document(ctx, p, id)
	if err != nil {
		return Document{}, SubmissionNone, err
	}
	return d, SubmissionDone, nil
}

// SealOnce encrypts a secret shown to a person until they confirm they kept
// it (a recovery code, a drop link's address), bound to their session: the
// key comes from the pepper and the session token together, so neither the
// browser's cookies nor the database alone open it. The result is meant for
// a cookie of that session.
func (s *Service) SealOnce(token string, plaintext []byte) ([]byte, error) {
	aead, err := s.onceAEAD(token)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("vault: seal once: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, nil), nil
}

// OpenOnce opens what SealOnce sealed for the same session token;
// ErrInvalid for anything else (another session, a tampered value).
func (s *Service) OpenOnce(token string, sealed []byte) ([]byte, error) {
	aead, err := s.onceAEAD(token)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed value too short", ErrInvalid)
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed value", ErrInvalid)
	}
	return out, nil
}

func (s *Service) onceAEAD(token string) (cipher.AEAD, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: no session", ErrInvalid)
	}
	m := hmac.New(sha256.New, s.pepperKey(infoOnce))
	m.Write([]byte(token))
	aead, err := chacha20poly1305.NewX(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("vault: seal once: %w", err)
	}
	return aead, nil
}
