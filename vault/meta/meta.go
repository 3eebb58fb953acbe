// Package meta is Coffre's metadata store, kept in SQL: owners, workers and
// organisations, sessions and login counters, documents and the
// per-recipient wraps of document keys, consents, drop links, requests, the
// journal and pending uploads.
//
// The store never sees plaintext: titles arrive sealed, keys arrive wrapped,
// and payloads live in the blob store, referenced by key. One implementation
// (*DB) runs on database/sql with a small dialect layer (placeholders, error
// classification, migration locking); OpenSQLite gives the embedded SQLite
// backend (modernc.org/sqlite), and OpenPostgres the PostgreSQL backend (pgx
// through database/sql) shared by several instances, with its own migrations
// directory holding the same versions. Both give the same outcomes under
// concurrency (see DB.Tx).
//
// Schema changes are versioned migrations embedded from
// migrations/<dialect>/NNNN_name.sql, applied in order at open time, each in
// its own transaction and recorded in schema_migrations; opening an
// up-to-date database applies nothing.
//
// Row integrity (integrity.go, migration 12): the rows that decide access
// carry a MAC under a key derived from the pepper (WithRowKey), checked by
// every read that grants anything and recomputed, in the same transaction,
// by every write; a row that fails it is treated as absent (ErrTampered)
// and counted (Tampered), never rewritten.
//
// Errors: ErrNotFound and ErrConflict are sentinels wrapped with context
// (ErrTampered also matches ErrNotFound); test them with errors.Is.
package meta

import (
	"errors"
	"time"
)

// Sentinel errors.
var (
	// ErrNotFound: no row matches (or a referenced row is missing).
	ErrNotFound = errors.New("meta: not found")
	// ErrConflict: a row with the same unique key already exists, or the row
	// is not in the state the operation requires.
	ErrConflict = errors.New("meta: conflict")
	// ErrSchemaTooNew: the database was migrated by a newer Coffre.
	ErrSchemaTooNew = errors.New("meta: database schema newer than this program")
)

// Owner is a vault owner. The identity is stored only wrapped.
type Owner struct {
	ID string
	// PublicKey is the owner's age recipient ("age1…").
	PublicKey string
	// IdentityBySecret is the identity wrapped by the owner's secret and the
	// server pepper.
	IdentityBySecret []byte
	// IdentityByRecovery is the identity wrapped by the recovery code.
	IdentityByRecovery []byte
	Created            time.Time
	// RetiredIdentities are the identities the owner rotated away from,
	// sealed to the current one (nil: never rotated; migration 8). Owner
	// reads them; other reads leave them nil.
	RetiredIdentities []byte
}

// Worker is a grantee account (a social worker). Minimal for now.
type Worker struct {
	ID string
	// PublicKey is the worker's age recipient.
	PublicKey string
	// IdentityBySecret is the worker's identity wrapped by secret and pepper.
	IdentityBySecret []byte
	Created          time.Time
}

// State is a document's life-cycle state.
type State string

// Document states. Only committed documents are ever listed or readable;
// pending and deleting rows exist for crash consistency and are cleaned by
// fsck once stale.
const (
	StatePending   State = "pending"
	StateCommitted State = "committed"
	StateDeleting  State = "deleting"
)

// Document is a stored document's metadata. Nothing here is plaintext
// content: the title is sealed to the document key.
type Document struct {
	ID      string
	OwnerID string
	// Category is one of the vault's category codes (identity, income, …).
	Category string
	// DocType is the catalogue document type (avis-impot, …), "" if none.
	DocType string
	// TitleSealed is the title encrypted to the document key.
	TitleSealed []byte
	// MediaType of the payload's plaintext ("application/pdf", "image/jpeg").
	MediaType string
	Pages     int
	// Size is the plaintext size in bytes (0 until committed).
	Size    int64
	Profile string
	// BlobKey is the key of the encrypted payload in the blob store.
	BlobKey string
	State   State
	// StateSince is when the row entered its current state (set by the store).
	StateSince time.Time
	Created    time.Time
	// Expires is the validity end of the paper (an ID card's expiry date);
	// zero means none.
	Expires time.Time
	// StoreID names the storage target holding the payload, "" for the
	// server's default store; Move is a move in progress (migration 6,
	// storage.go).
	StoreID string
	Move    Move
	// Unread: the paper arrived from someone else (a helper's link) and
	// the owner has not opened it yet (migration 16).
	Unread bool
	// HintsSealed is, for a paper the helper could not name, the types the
	// link asked for, sealed to the document key (nil: none; migration 16).
	HintsSealed []byte
	// ChecksSealed is, for a paper with pages sent although the
	// readability check asked for them again, those pages and the check's
	// findings, sealed to the document key (nil: none; migration 19).
	ChecksSealed []byte
}

// RecipientKind says whose key wraps a document key.
type RecipientKind string

// Recipient kinds.
const (
	RecipientOwner        RecipientKind = "owner"
	RecipientWorker       RecipientKind = "worker"
	RecipientOrganisation RecipientKind = "organisation"
)

// Valid reports whether k is a known kind.
func (k RecipientKind) Valid() bool {
	switch k {
	case RecipientOwner, RecipientWorker, RecipientOrganisation:
		return true
	}
	return false
}

// Wrap is a document key encrypted to one recipient. There is at most one
// wrap per (document, kind, recipient).
type Wrap struct {
	DocumentID    string
	RecipientKind RecipientKind
	RecipientID   string
	WrappedKey    []byte
	Created       time.Time
}

// Access is a committed document together with one recipient's wrap of its key.
type Access struct {
	Document Document
	Wrap     Wrap
}
