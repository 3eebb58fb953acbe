package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coffre/coffre/vault"
)

// Channel names a way of reaching someone.
type Channel string

// Channels. The inbox is always on; the others need a contact address and
// a configured Notifier. SMS is reserved for a provider plugged in later
// (see the package doc).
const (
	ChannelInbox Channel = "inbox"
	ChannelEmail Channel = "email"
	ChannelPush  Channel = "push"
	ChannelSMS   Channel = "sms"
)

// Kind is what a notification is about; preferences are per channel and kind.
type Kind string

// Kinds.
const (
	// KindReminder: a paper's validity ends soon (with the renewal link).
	KindReminder Kind = "reminder"
	// KindAccess: someone read a document, a drop link was used, a consent
	// ends soon or ended.
	KindAccess Kind = "access"
	// KindRequest: for workers, documents arrived for them.
	KindRequest Kind = "request"
)

// Kinds lists every kind, in display order.
var Kinds = []Kind{KindReminder, KindAccess, KindRequest}

// Recipient is an owner (vault.KindOwner) or a worker (vault.KindWorker).
type Recipient struct {
	Kind vault.RecipientKind
	ID   string
}

// Message is one notification rendered for one recipient on one channel.
// It never holds document content or a token, and a document's title
// only when its owner allowed titles.
type Message struct {
	// ID is unique per queued notification and channel address, and the
	// same on every retry of it: channels use it to deduplicate (the inbox
	// stores one entry per ID; e-mail puts it in Message-ID; Web Push in
	// the Topic header).
	ID        string
	Channel   Channel
	Recipient Recipient
	// To is the channel address: an e-mail address, a Web Push
	// subscription (its JSON), a phone number in E.164 form for SMS, or for
	// the inbox the recipient's age public key.
	To   string
	Kind Kind
	// Lang is the recipient's language (a catalogue code); Subject and
	// Body are already in it.
	Lang    string
	Subject string
	// Body is plain text, a few short lines.
	Body string
	// Link is an optional https URL (a renewal page, the vault's page):
	// never one carrying a token.
	Link    string
	Created time.Time

	// facts are what Subject and Body say (the queued payload), kept by
	// the inbox so that it says them again in the reader's language.
	facts *payload
}

// Notifier delivers messages on one channel. Implementations are safe for
// concurrent use.
type Notifier interface {
	// Send delivers m (or hands it to a relay that accepted it) before
	// returning nil. Errors say whether trying again may work:
	//   - errors.Is(err, ErrTemporary): the channel is down, busy or
	//     refused for now (SMTP 4xx, connection refused, Web Push 429 or
	//     5xx, a timeout): the outbox retries later with backoff.
	//   - errors.Is(err, ErrPermanent): this message will never go (SMTP
	//     5xx, a malformed address): the outbox gives up on it.
	//   - errors.Is(err, ErrGone) (also permanent): the address no longer
	//     exists (a Web Push subscription answered 404 or 410): the outbox
	//     disables the contact.
	//   - an error of neither kind counts as temporary.
	// ctx carries the deadline of one attempt; when it ends Send returns
	// an error wrapping ctx.Err() (temporary). Send must be idempotent per
	// m.ID where the channel allows it, since a crash between delivery and
	// bookkeeping makes the outbox send again.
	Send(ctx context.Context, m Message) error
}

// Sentinel errors.
var (
	// ErrTemporary: retry later.
	ErrTemporary = errors.New("notify: temporary failure")
	// ErrPermanent: do not retry.
	ErrPermanent = errors.New("notify: permanent failure")
	// ErrGone: the address is gone for good (implies ErrPermanent).
	ErrGone = fmt.Errorf("%w: address gone", ErrPermanent)
	// ErrInvalid: a bad argument (unknown channel, malformed address,
	// quiet hours out of range).
	ErrInvalid = errors.New("notify: invalid request")
	// ErrNotFound: no such contact or inbox entry.
	ErrNotFound = errors.New("notify: not found")
)

// Temporary wraps err as a temporary failure of a channel.
func Temporary(what string, err error) error {
	return fmt.Errorf("notify: %s: %w: %w", what, ErrTemporary, err)
}

// Permanent wraps err as a permanent failure of a channel.
func Permanent(what string, err error) error {
	return fmt.Errorf("notify: %s: %w: %w", what, ErrPermanent, err)
}

// IsPermanent reports whether err says not to retry. Anything else
// (including unclassified errors) is retried.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }
