package notify

import (
	"context"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// Store is what notifications keep in the metadata database (*meta.SQLite
// and *meta.Postgres provide it; migration 0005). Contracts:
//   - Errors wrap meta.ErrNotFound (no such row) and meta.ErrConflict
//     (a duplicate contact); ctx cancellation aborts with ctx.Err().
//   - EnqueueNotifications stores each item at most once per IdemKey, in
//     one transaction, and nothing when planKey was already taken: two
//     instances planning the same reminder queue it once.
//   - ClaimOutbox succeeds for exactly one of several concurrent callers
//     on a due row whose claim expired (UPDATE … WHERE claimed_until <
//     now); FinishOutbox and RetryOutbox act only for the claim's holder.
//   - DropQueuedOutbox drops only queued rows no sender holds, of that
//     recipient, whose idempotency key starts with the prefix.
//   - PutInboxEntry stores one entry per id.
//   - ExpiringDocuments and EndingConsents skip subjects whose plan key
//     (meta.ReminderPlanKey, meta.ConsentEndPlanKey) is taken.
type Store interface {
	SetNotifySettings(ctx context.Context, kind meta.RecipientKind, id string, sealed []byte, at time.Time) error
	NotifySettings(ctx context.Context, kind meta.RecipientKind, id string) ([]byte, error)
	AddNotifyContact(ctx context.Context, c meta.NotifyContact) error
	NotifyContacts(ctx context.Context, kind meta.RecipientKind, id string) ([]meta.NotifyContact, error)
	NotifyContact(ctx context.Context, id string) (meta.NotifyContact, error)
	DeleteNotifyContact(ctx context.Context, kind meta.RecipientKind, recipientID, id string) error
	DisableNotifyContact(ctx context.Context, id string, at time.Time) error

	EnqueueNotifications(ctx context.Context, planKey string, at time.Time, items []meta.OutboxItem) (int, error)
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]meta.OutboxItem, error)
	OutboxOf(ctx context.Context, kind meta.RecipientKind, id string) ([]meta.OutboxItem, error)
	ClaimOutbox(ctx context.Context, id, claimID string, now, until time.Time) (bool, error)
	FinishOutbox(ctx context.Context, id, claimID, state string, at time.Time, lastError string) error
	RetryOutbox(ctx context.Context, id, claimID string, due time.Time, attempt bool, lastError string) error
	DropQueuedOutbox(ctx context.Context, kind meta.RecipientKind, recipientID, keyPrefix string, at time.Time) (int, error)

	PutInboxEntry(ctx context.Context, e meta.InboxEntry) (bool, error)
	InboxEntries(ctx context.Context, kind meta.RecipientKind, id string, limit int) ([]meta.InboxEntry, error)
	MarkInboxRead(ctx context.Context, kind meta.RecipientKind, recipientID, id string, at time.Time) error

	ExpiringDocuments(ctx context.Context, from, to time.Time, limit int) ([]meta.ExpiringDocument, error)
	EndingConsents(ctx context.Context, from, to time.Time, limit int) ([]meta.EndingConsent, error)
	DocumentWorkers(ctx context.Context, docID string) ([]string, error)
	ForgetNotifyRecipient(ctx context.Context, kind meta.RecipientKind, id string) error
	SweepNotify(ctx context.Context, before, planBefore time.Time) (int64, error)
}

// Vault is what notifications need from the vault (*vault.Service
// provides it). Contracts:
//   - Addressee: vault.ErrNotFound for an account that no longer exists.
//   - GranteeName: "" when unknown, never an error.
//   - PurposeIdentity returns the same identity for the same purpose on
//     every instance sharing the pepper.
//   - ExpireConsents journals each consent's end once across instances
//     (the journal hook then alerts the owner).
type Vault interface {
	Addressee(ctx context.Context, kind vault.RecipientKind, id string) (vault.Addressee, error)
	GranteeName(ctx context.Context, g vault.Grantee) string
	PurposeIdentity(purpose string) (*age.X25519Identity, error)
	ExpireConsents(ctx context.Context) (int, error)
}

var (
	_ Store = (*meta.SQLite)(nil)
	_ Store = (*meta.Postgres)(nil)
	_ Vault = (*vault.Service)(nil)
)
