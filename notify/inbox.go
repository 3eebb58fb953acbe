package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// inbox is the always-on channel: entries in the metadata database,
// sealed to the recipient's public key (m.To), one per message ID.
type inbox struct{ store Store }

// inboxText is the sealed content of an entry: the message as sent, and
// the facts it says, to say them again in the reader's language (entries
// written before the facts were kept show as sent).
type inboxText struct {
	Subject string   `json:"s"`
	Body    string   `json:"b"`
	Link    string   `json:"l,omitempty"`
	Lang    string   `json:"g"`
	Facts   *payload `json:"p,omitempty"`
}

func (n *inbox) Send(ctx context.Context, m Message) error {
	rcpt, err := seal.ParseRecipient(m.To)
	if err != nil {
		return Permanent("inbox: recipient key", err)
	}
	b, err := json.Marshal(inboxText{Subject: m.Subject, Body: m.Body, Link: m.Link, Lang: m.Lang, Facts: m.facts})
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

// InboxItem is one message of someone's in-app inbox: one entry, or a
// group of entries that make one message (a worker's reads of one paper
// in one day: "… 3 fois aujourd'hui").
type InboxItem struct {
	// ID is the newest entry's; IDs lists every entry of the message.
	ID      string
	IDs     []string
	Kind    Kind
	Subject string
	Body    string
	Link    string
	Created time.Time
	// Read is zero while any entry of the message is unread.
	Read time.Time
	// Count is how many events the message stands for (1 for most).
	Count int
}

// Inbox returns p's messages newest first (from at most limit entries; 0
// means 100), opened with p's key: only p reads them. They are said in
// p's language for messages (the notification settings', else the
// account's).
func (s *Service) Inbox(ctx context.Context, p *vault.Principal, limit int) ([]InboxItem, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: principal required", ErrInvalid)
	}
	lang := ""
	if ad, err := s.vault.Addressee(ctx, p.Kind(), p.ID()); err == nil {
		lang = ad.Lang
	}
	if st, err := s.Settings(ctx, Recipient{Kind: p.Kind(), ID: p.ID()}); err == nil && st.Lang != "" {
		lang = st.Lang
	}
	return s.InboxIn(ctx, p, limit, lang)
}

// InboxIn is Inbox said in lang (a catalogue code: the language of the
// page the person reads it on).
func (s *Service) InboxIn(ctx context.Context, p *vault.Principal, limit int, lang string) ([]InboxItem, error) {
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
	now := s.now()
	out := make([]InboxItem, 0, len(es))
	groups := map[string]int{} // group → index in out
	var facts []*payload       // by index in out: the newest entry's facts
	for _, e := range es {
		txt, err := p.OpenSealed(e.EntrySealed)
		if err != nil {
			return nil, fmt.Errorf("notify: inbox entry %s: %w", e.ID, err)
		}
		var t inboxText
		if err := json.Unmarshal([]byte(txt), &t); err != nil {
			return nil, fmt.Errorf("notify: inbox entry %s: %w", e.ID, err)
		}
		if t.Facts != nil && t.Facts.Group != "" {
			if i, ok := groups[t.Facts.Group]; ok {
				it := &out[i]
				it.IDs = append(it.IDs, e.ID)
				it.Count++
				if e.Read.IsZero() {
					it.Read = time.Time{}
				}
				continue
			}
			groups[t.Facts.Group] = len(out)
		}
		out = append(out, InboxItem{
			ID: e.ID, IDs: []string{e.ID}, Kind: Kind(e.Kind), Subject: t.Subject, Body: t.Body, Link: t.Link,
			Created: e.Created, Read: e.Read, Count: 1,
		})
		facts = append(facts, t.Facts)
	}
	for i := range out {
		if facts[i] == nil {
			continue
		}
		r := s.render(*facts[i], lang, now, out[i].Count)
		out[i].Subject, out[i].Body = r.subject, r.inbox
		if r.link != "" {
			out[i].Link = r.link
		}
	}
	return out, nil
}

// MarkRead marks one of p's inbox messages read: the entry, and every
// entry of the message it belongs to. ErrNotFound.
func (s *Service) MarkRead(ctx context.Context, p *vault.Principal, entryID string) error {
	if p == nil {
		return fmt.Errorf("%w: principal required", ErrInvalid)
	}
	ids := []string{entryID}
	if items, err := s.InboxIn(ctx, p, 1000, ""); err == nil {
		for _, it := range items {
			if slices.Contains(it.IDs, entryID) {
				ids = it.IDs
			}
		}
	}
	var err error
	at := s.now().UTC()
	for _, id := range ids {
		if err = s.store.MarkInboxRead(ctx, p.Kind(), p.ID(), id, at); err != nil {
			break
		}
	}
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("notify: mark read: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	return nil
}
