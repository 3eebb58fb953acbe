package vault

import (
	"context"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// OwnerStore keeps owners. Errors: meta.ErrNotFound for a missing owner,
// meta.ErrConflict for a duplicate id or public key.
type OwnerStore interface {
	CreateOwner(ctx context.Context, o meta.Owner) error
	Owner(ctx context.Context, id string) (meta.Owner, error)
	SetOwnerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error
}

// WorkerStore keeps workers (grantees). Same error contract as OwnerStore.
type WorkerStore interface {
	CreateWorker(ctx context.Context, w meta.Worker) error
	Worker(ctx context.Context, id string) (meta.Worker, error)
}

// DocumentStore keeps document rows and their key wraps. Contracts:
//   - InsertDocument writes an invisible pending row; CommitDocument makes it
//     visible and inserts its wraps in one transaction (all or nothing).
//   - DocumentAccess and ListAccess only ever return committed documents, and
//     only with a wrap held by the given recipient; DocumentAccess reports
//     meta.ErrNotFound when there is none.
//   - BeginDeleteDocument removes every wrap and hides the document in one
//     transaction; DeleteDocument then removes the row.
//   - DeleteStaleDocument removes a row only if still uncommitted and stale.
//   - ctx cancellation aborts with an error wrapping ctx.Err().
type DocumentStore interface {
	InsertDocument(ctx context.Context, d meta.Document) error
	CommitDocument(ctx context.Context, id string, size int64, wraps []meta.Wrap) error
	Document(ctx context.Context, id string) (meta.Document, error)
	DocumentAccess(ctx context.Context, docID string, kind meta.RecipientKind, recipientID string) (meta.Access, error)
	ListAccess(ctx context.Context, kind meta.RecipientKind, recipientID string) ([]meta.Access, error)
	StaleDocuments(ctx context.Context, before time.Time) ([]meta.Document, error)
	BeginDeleteDocument(ctx context.Context, id, ownerID string) (meta.Document, error)
	DeleteDocument(ctx context.Context, id string) error
	DeleteStaleDocument(ctx context.Context, id string, before time.Time) (meta.Document, error)
	AddWrap(ctx context.Context, w meta.Wrap) error
	DeleteWrap(ctx context.Context, docID string, kind meta.RecipientKind, recipientID string) error
}

// MetaStore is everything the Service needs from the metadata store
// (*meta.SQLite and *meta.Postgres provide it).
type MetaStore interface {
	OwnerStore
	WorkerStore
	DocumentStore
	AccountStore
	SharingStore
	PendingStore
	StorageStore
	KeyRotationStore
	WorkerAdminStore
	PasskeyStore
	// RowKeyed reports whether the store writes and checks row macs under
	// key (meta.WithRowKey); New requires the key of its pepper (RowKey).
	RowKeyed(key []byte) bool
	ShareCodeStore
	RedoStore
}

// PasskeyStore keeps the WebAuthn credentials of owners and workers, their
// PRF wraps, and the challenges of ceremonies in progress.
type PasskeyStore interface {
	// AddPasskey: ErrConflict for a credential id already enrolled.
	AddPasskey(ctx context.Context, p meta.Passkey) error
	// PasskeyByCredential: ErrNotFound for an unknown credential.
	PasskeyByCredential(ctx context.Context, credentialID []byte) (meta.Passkey, error)
	Passkeys(ctx context.Context, kind meta.RecipientKind, principalID string) ([]meta.Passkey, error)
	// UsePasskey: meta.ErrCounterBack when the counter did not advance.
	UsePasskey(ctx context.Context, id string, count uint32, at time.Time) error
	// SetPasskeyWrap and DeletePasskey: ErrNotFound when the principal has
	// no such passkey.
	SetPasskeyWrap(ctx context.Context, kind meta.RecipientKind, principalID, id string, wrap []byte) error
	DeletePasskey(ctx context.Context, kind meta.RecipientKind, principalID, id string) error
	PutChallenge(ctx context.Context, ch meta.Challenge) error
	// TakeChallenge: ErrNotFound when absent, taken or expired.
	TakeChallenge(ctx context.Context, hash, binding, purpose string, now time.Time) ([]byte, error)
	SweepChallenges(ctx context.Context, now time.Time) (int, error)
}
