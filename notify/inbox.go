package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// inbox is the always-on channel: entries in the metadata database,
// sealed to the recipient's public key (m.To), one per message ID.
type inbox struct{ store Store }

// inboxText is the sealed content of an entry.
type inboxText struct {
	Subject string `json:"s"`
	Body    string `json:"b"`
	Link    string `json:"l,omitempty"`
	Lang    string `json:"g"`
}

func (n *inbox) Send(ctx context.Context, m Message) error {
	rcpt, err := seal.ParseRecipient(m.To)
	if err != nil {
		return Permanent("inbox: recipient key", err)
	}
	b, err := json.Marshal(inboxText{Subject: m.Subject, Body: m.Body, Link: m.Link, Lang: m.Lang})
	if err != nil {
		return Permanent("inbox: encode", err)
	}
	sealed, err := seal.SealString(string(b), rcpt)
	if err != nil {
		return Permanent("inbox: seal", err)
	}
	_, err = n.store.PutInboxEntry(ctx, meta.InboxEntry{
		ID: m.ID, RecipientKind: m.Recipient.Kind, RecipientID: m.Recipient.ID, Kind: string(m.Kind),
		EntrySealed: sealed, Created: m.Created.UTC(),
	})
	if err != nil {
		return Temporary("inbox: store", err)
	}
	return nil
}

// InboxItem is one entry of someone's in-app inbox.
type InboxItem struct {
	ID      string
	Kind    Kind
	Subject string
	Body    string
	Link    string
	Created time.Time
	// Read is zero while unread.
	Read time.Time
}

// Inbox returns p's newest entries first (at most limit; 0 means 100),
// opened with p's key: only p reads them.
func (s *Service) Inbox(ctx context.Context, p *vault.Principal, limit int) ([]InboxItem, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: principal required", ErrInvalid)
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	es, err := s.store.InboxEntries(ctx, p.Kind(), p.ID(), limit)
	if err != nil {
		return nil, fmt.Errorf("notify: inbox: %w", err)
	}
	out := make([]InboxItem, 0, len(es))
	for _, e := range es {
		txt, err := p.OpenSealed(e.EntrySealed)
		if err != nil {
			return nil, fmt.Errorf("notify: inbox entry %s: %w", e.ID, err)
		}
		var t inboxText
		if err := json.Unmarshal([]byte(txt), &t); err != nil {
			return nil, fmt.Errorf("notify: inbox entry %s: %w", e.ID, err)
		}
		out = append(out, InboxItem{
			ID: e.ID, Kind: Kind(e.Kind), Subject: t.Subject, Body: t.Body, Link: t.Link,
			Created: e.Created, Read: e.Read,
		})
	}
	return out, nil
}

// MarkRead marks one of p's inbox entries read. ErrNotFound.
func (s *Service) MarkRead(ctx context.Context, p *vault.Principal, entryID string) error {
	if p == nil {
		return fmt.Errorf("%w: principal required", ErrInvalid)
	}
	err := s.store.MarkInboxRead(ctx, p.Kind(), p.ID(), entryID, s.now().UTC())
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("notify: mark read: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	return nil
}
