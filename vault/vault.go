// Package vault is Coffre's domain service: accounts (owners, workers,
// organisations), sessions, documents (encrypted payloads in a blob store,
// metadata in a SQL store), consents, drop links, requests and redos, the per-owner
// journal, export and deletion, and the consistency checks behind
// `coffre admin fsck`.
//
// Key model (DESIGN.md, "Keys and encryption"): each owner and worker holds an
// age X25519 identity stored only wrapped (by secret + server pepper, and for
// owners also by the recovery code, optionally by an organisation's recovery
// key). Each document has its own identity: the payload is an age file
// encrypted to it, and the document identity is wrapped once per reader (the
// owner, each grantee holding a live consent). Adding a document needs only
// the owner's public key, so a relay (a drop link) can write but never read
// back. Revocation deletes wraps; deletion removes the payload and every wrap.
//
// Accounts and sessions: owners log in by a pseudonym or phone number (looked
// up by a keyed hash, stored sealed), workers by e-mail (+ TOTP). Failed
// attempts are counted in the database per account and per client address,
// so throttling and lock-outs hold across instances. A session row holds the
// unlocked identity only wrapped to a key derived from the cookie token and
// the pepper: the database alone opens nothing, and any instance sharing the
// database and pepper resumes the session. Owners and workers may also sign
// in with passkeys (passkeys.go): with the WebAuthn PRF extension the
// identity has one more wrap, keyed by the credential's PRF output through
// the secret's KDF and the pepper, so the passkey opens the vault with no
// secret; the ceremonies' challenges wait in the database (ceremony.go).
//
// Consents cover chosen documents and, by explicit choice, the papers of
// named types added later (whole categories only on consents from before
// version 7), for 1, 31, 182 or 365 days; a worker's every read checks a
// live consent at that moment, so expiry and revocation take effect on the
// next request. The owner grants one by answering a request, or of her own
// accord with the short code a worker shows (share_codes.go: only
// pepper-keyed HMACs of codes are stored, lookups are throttled). Drop links
// store only the SHA-256 of their token and redeem atomically. A worker who
// cannot use a paper received for a request asks to redo it (redos.go); the
// owner forwards it to her helper as a one-item link, and a readable
// replacement arriving through it closes it.
//
// The journal (journal.go, journal_log.go, journal_verify.go) is, per owner,
// a verifiable log in the manner of the Go checksum database: entries are
// the leaves of a Merkle tree (golang.org/x/mod/sumdb/tlog) and after each
// one the tree's size and root are signed as a C2SP checkpoint
// (golang.org/x/mod/sumdb/note) by an Ed25519 key derived from the pepper.
// Why not a hash chain: a chain kept in the database proves nothing about its
// own end — whoever writes the database can cut the tail and put back a head
// that was genuine before. Checkpoints held outside the database (the owner's
// browser, exports, notifications, `verify-journal --checkpoint`) demand a
// consistency proof that today's log extends them. Why a key derived from the
// pepper: it must never be in the database (a database writer would re-sign
// a shortened log), and the pepper is the secret every instance already holds
// outside it; the pepper holder can sign anything but cannot extend an
// owner's kept checkpoint while changing what it covers. Journal details are
// sealed to the owner.
//
// Someone who can write the database but lacks the pepper cannot grant
// anything by editing rows: the metadata store must be opened with the
// pepper's row key (RowKey, RowKeyOption), and a row changed without it
// reads as absent (vault/meta/integrity.go).
//
// Consistency of AddDocument: the metadata row is written first as pending
// (invisible), then the payload, then one transaction commits the row and
// inserts its wraps. A crash at any point leaves nothing visible; what it
// leaves behind (a pending row, perhaps a payload) is found by FindOrphans
// and removed by RemoveOrphans.
//
// Bring your own bucket (storage.go, storage_move.go): an organisation, or
// an owner where the operator allows it, may keep documents in its own S3
// bucket; each document row names the store its payload lives in, and
// documents move, resumably, when the setting changes.
//
// The recovery sheet (sheet.go, sheet_rtl.go, sheet_font.go) is a one-page
// PDF in the owner's language. Words the standard PDF fonts cannot print
// are shaped with github.com/go-text/typesetting, a Go port of HarfBuzz,
// and drawn with subsets of embedded fonts (DejaVu Sans; Noto Naskh Arabic
// for Arabic script). Why a shaping library: Arabic script joins its
// letters, and the right form of each, the ligatures and the placing of
// marks are in the font's OpenType tables (GSUB, GPOS); Unicode's
// presentation forms, which a hand-written table can use, cover Arabic and
// part of Persian but not Pashto's letters (ښ ږ ګ ړ ډ ټ ڼ ې ۍ). The
// library also brings the Unicode bidirectional algorithm, which lays out
// Latin words and numbers inside right-to-left lines.
//
// Errors are sentinels (ErrNotFound, ErrNoAccess, ErrInvalid, ErrConflict,
// ErrCorrupt, ErrWrongSecret, ErrWrongRecoveryCode, ErrThrottled,
// ErrNoSession, ErrNoLink, …) wrapped with context; test them with errors.Is.
// The package never logs.
package vault

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Sentinel errors.
var (
	// ErrNotFound: no such owner, worker or document (a document of another
	// owner is reported as not found).
	ErrNotFound = errors.New("vault: not found")
	// ErrNoAccess: the principal holds no key for the document (never
	// granted, revoked, deleted, or no such document: indistinguishable).
	ErrNoAccess = errors.New("vault: no access to document")
	// ErrInvalid: an argument breaks the rules (empty secret, bad category,
	// unknown export format, operation reserved to owners, …).
	ErrInvalid = errors.New("vault: invalid request")
	// ErrNothingChosen: accepting a request with no paper ticked and no
	// type chosen for later papers (also ErrInvalid).
	ErrNothingChosen = fmt.Errorf("vault: nothing chosen to share: %w", ErrInvalid)
	// ErrConflict: the thing already exists (a grant given twice).
	ErrConflict = errors.New("vault: conflict")
	// ErrCorrupt: stored data is damaged or missing (a committed document
	// without its payload, a wrap that does not open). Decryption failures
	// also satisfy errors.Is(err, seal.ErrCorrupt).
	ErrCorrupt = errors.New("vault: stored data corrupt or missing")
	// ErrWrongSecret: the secret does not open the identity.
	ErrWrongSecret = seal.ErrWrongSecret
	// ErrWrongRecoveryCode: the recovery code does not open the identity.
	ErrWrongRecoveryCode = seal.ErrWrongRecoveryCode
)

// RecipientKind says who a grantee is.
type RecipientKind = meta.RecipientKind

// Recipient kinds.
const (
	KindOwner        = meta.RecipientOwner
	KindWorker       = meta.RecipientWorker
	KindOrganisation = meta.RecipientOrganisation
)

// Config wires a Service.
type Config struct {
	// Meta is the metadata store (required), opened with
	// meta.WithRowKey(RowKey(Pepper)).
	Meta MetaStore
	// Blobs is the payload store (required).
	Blobs blob.Store
	// Pepper is the server pepper (seal.PepperSize bytes, required).
	Pepper []byte
	// Scrypt sets the cost of secret wraps; the zero value is the production
	// default.
	Scrypt seal.ScryptParams
	// MaxKDF bounds concurrent secret derivations (each may take 256 MiB at
	// the default cost); 0 means 2.
	MaxKDF int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SessionIdle and SessionMax are the idle and absolute session
	// timeouts; 0 means 30 minutes and 12 hours.
	SessionIdle, SessionMax time.Duration
	// OpenStore opens the blob store of a storage target (bring your own
	// bucket, storage.go); nil disables storage targets.
	OpenStore StoreOpener
	// OwnerBuckets lets owners point their documents at their own bucket
	// (organisations always may, when OpenStore is set).
	OwnerBuckets bool
}

// Service is the vault. It is safe for concurrent use.
type Service struct {
	meta   MetaStore
	blobs  blob.Store
	pepper []byte
	scrypt seal.ScryptParams
	kdf    chan struct{}
	now    func() time.Time
	acct   *accountState
	events eventHook // journal event sink (events.go)
	// Storage targets (storage.go).
	openStore    StoreOpener
	ownerBuckets bool
	targets      storeCache
	// views remembers the owner's recent views (views.go).
	views recentViews
	// testRotationHook, set by tests only, stops a key rotation at a named
	// step by returning an error (a simulated crash; org_rotate.go).
	testRotationHook func(step string) error
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Meta == nil || cfg.Blobs == nil {
		return nil, fmt.Errorf("%w: vault needs a metadata store and a blob store", ErrInvalid)
	}
	if len(cfg.Pepper) != seal.PepperSize {
		return nil, fmt.Errorf("vault: %w", seal.ErrBadPepper)
	}
	if err := cfg.Scrypt.Validate(); err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	rk, err := RowKey(cfg.Pepper)
	if err != nil {
		return nil, err
	}
	if !cfg.Meta.RowKeyed(rk) {
		return nil, fmt.Errorf("%w: the metadata store must be opened with this pepper's row key (meta.WithRowKey(vault.RowKey(pepper)))", ErrInvalid)
	}
	n := cfg.MaxKDF
	if n <= 0 {
		n = 2
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Service{
		meta: cfg.Meta, blobs: cfg.Blobs, pepper: append([]byte(nil), cfg.Pepper...),
		scrypt: cfg.Scrypt, kdf: make(chan struct{}, n), now: now,
		acct:      newAccountState(cfg),
		openStore: cfg.OpenStore, ownerBuckets: cfg.OwnerBuckets,
		targets: storeCache{stores: map[string]blob.Store{}},
	}, nil
}

// withKDF runs fn holding one of the derivation slots.
func (s *Service) withKDF(ctx context.Context, fn func() error) error {
	select {
	case s.kdf <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("vault: waiting for key derivation: %w", ctx.Err())
	}
	defer func() { <-s.kdf }()
	return fn()
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns 128 random bits as 26 lower-case base32 characters (valid
// in blob keys).
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("vault: random id: %w", err)
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// validID reports whether id has the shape newID produces, so that no
// caller-supplied string ever reaches a blob key unchecked.
func validID(id string) bool {
	if len(id) != 26 {
		return false
	}
	return strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// blobKey is where a document's payload lives.
func blobKey(docID string) string { return "doc/" + docID }

// blobPrefix is the prefix of every payload key.
const blobPrefix = "doc/"

// mapMeta translates metadata-store sentinels into the vault's.
func mapMeta(what string, err error) error {
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return fmt.Errorf("vault: %s: %w", what, ErrNotFound)
	case errors.Is(err, meta.ErrConflict):
		return fmt.Errorf("vault: %s: %w", what, ErrConflict)
	}
	return fmt.Errorf("vault: %s: %w", what, err)
}

// Now is the service's clock (Config.Now): what the api times its own
// short-lived pages by, so that they follow the same clock as the vault.
func (s *Service) Now() time.Time { return s.now() }
