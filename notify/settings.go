package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Settings are one owner's or worker's notification preferences.
type Settings struct {
	// Off lists, per channel, the kinds not to send there. The inbox
	// cannot be turned off: every notification lands there.
	Off map[Channel][]Kind `json:"off,omitempty"`
	// Quiet holds back e-mail, push and SMS (not the inbox) during these
	// hours; they go out when the quiet hours end.
	Quiet QuietHours `json:"quiet"`
	// AllowTitles lets messages name a document by the title its owner
	// gave it; otherwise only by its type ("your residence permit").
	AllowTitles bool `json:"titles,omitempty"`
	// Lang is a catalogue code ("fr", "ar", "fa-AF"…); "" follows the
	// account's language.
	Lang string `json:"lang,omitempty"`
}

// QuietHours is a daily window, from Start to End minutes after midnight
// in Zone (an IANA name; "" means Europe/Paris). It may span midnight
// (22:00–08:00). Start == End means no quiet hours.
type QuietHours struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Zone  string `json:"zone,omitempty"`
}

// DefaultSettings are the preferences of someone who never changed them:
// every kind on every channel they gave an address for, quiet from 21:00
// to 08:00 (Paris), no titles, the account's language.
func DefaultSettings() Settings {
	return Settings{Quiet: QuietHours{Start: 21 * 60, End: 8 * 60}}
}

// Enabled reports whether kind k goes out on channel c.
func (st Settings) Enabled(c Channel, k Kind) bool {
	if c == ChannelInbox {
		return true
	}
	return !slices.Contains(st.Off[c], k)
}

// Validate checks ranges and names. ErrInvalid.
func (st Settings) Validate() error {
	for c, ks := range st.Off {
		if !knownChannel(c) {
			return fmt.Errorf("%w: unknown channel %q", ErrInvalid, c)
		}
		for _, k := range ks {
			if !slices.Contains(Kinds, k) {
				return fmt.Errorf("%w: unknown kind %q", ErrInvalid, k)
			}
		}
	}
	q := st.Quiet
	if q.Start < 0 || q.Start >= 24*60 || q.End < 0 || q.End >= 24*60 {
		return fmt.Errorf("%w: quiet hours out of range", ErrInvalid)
	}
	if _, err := q.location(); err != nil {
		return fmt.Errorf("%w: quiet hours zone: %v", ErrInvalid, err)
	}
	if st.Lang != "" && i18n.Get(st.Lang) == nil {
		return fmt.Errorf("%w: language %q", ErrInvalid, st.Lang)
	}
	return nil
}

func knownChannel(c Channel) bool {
	switch c {
	case ChannelInbox, ChannelEmail, ChannelPush, ChannelSMS:
		return true
	}
	return false
}

func (q QuietHours) location() (*time.Location, error) {
	if q.Zone == "" {
		return paris, nil
	}
	return time.LoadLocation(q.Zone)
}

// Until returns when the quiet hours holding t end, or t itself when t
// is outside them.
func (q QuietHours) Until(t time.Time) time.Time {
	if q.Start == q.End {
		return t
	}
	loc, err := q.location()
	if err != nil {
		loc = paris
	}
	lt := t.In(loc)
	mins := lt.Hour()*60 + lt.Minute()
	var inside bool
	if q.Start < q.End {
		inside = mins >= q.Start && mins < q.End
	} else {
		inside = mins >= q.Start || mins < q.End
	}
	if !inside {
		return t
	}
	day := lt
	if q.Start > q.End && mins >= q.Start {
		day = lt.AddDate(0, 0, 1) // spans midnight: ends tomorrow
	}
	end := time.Date(day.Year(), day.Month(), day.Day(), q.End/60, q.End%60, 0, 0, loc)
	return end.UTC()
}

// Settings returns someone's preferences (DefaultSettings when they never
// changed them).
func (s *Service) Settings(ctx context.Context, r Recipient) (Settings, error) {
	b, err := s.store.NotifySettings(ctx, r.Kind, r.ID)
	if errors.Is(err, meta.ErrNotFound) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("notify: settings: %w", err)
	}
	var st Settings
	if err := s.openJSON(b, &st); err != nil {
		return Settings{}, fmt.Errorf("notify: settings: %w", err)
	}
	return st, nil
}

// SetSettings replaces someone's preferences. ErrInvalid.
func (s *Service) SetSettings(ctx context.Context, r Recipient, st Settings) error {
	if err := checkRecipient(r); err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	b, err := s.sealJSON(st)
	if err != nil {
		return err
	}
	if err := s.store.SetNotifySettings(ctx, r.Kind, r.ID, b, s.now()); err != nil {
		return fmt.Errorf("notify: set settings: %w", err)
	}
	return nil
}

// Contact is an address someone gave for a channel.
type Contact struct {
	ID      string
	Channel Channel
	// Address is the e-mail address, the push subscription's JSON or the
	// phone number, as normalised by the channel.
	Address string
	Created time.Time
	// Disabled is set when the channel reported the address gone.
	Disabled time.Time
}

// AddressValidator is an optional ability of a Notifier: it checks and
// normalises an address before it is stored (AddContact). Errors wrap
// ErrInvalid.
type AddressValidator interface {
	ValidateAddress(addr string) (string, error)
}

// AddContact stores an address for a channel this server sends on.
// ErrInvalid (unknown or unconfigured channel, address refused by the
// channel), an error wrapping meta.ErrConflict when it is already there.
func (s *Service) AddContact(ctx context.Context, r Recipient, c Channel, address string) (Contact, error) {
	if err := checkRecipient(r); err != nil {
		return Contact{}, err
	}
	n, ok := s.channels[c]
	if !ok || c == ChannelInbox {
		return Contact{}, fmt.Errorf("%w: channel %q not available", ErrInvalid, c)
	}
	if v, ok := n.(AddressValidator); ok {
		var err error
		if address, err = v.ValidateAddress(address); err != nil {
			return Contact{}, err
		}
	} else if address == "" || len(address) > 4096 {
		return Contact{}, fmt.Errorf("%w: address", ErrInvalid)
	}
	sealed, err := seal.SealString(address, s.id.Recipient())
	if err != nil {
		return Contact{}, fmt.Errorf("notify: seal address: %w", err)
	}
	id, err := newID()
	if err != nil {
		return Contact{}, err
	}
	mc := meta.NotifyContact{
		ID: id, RecipientKind: r.Kind, RecipientID: r.ID, Channel: string(c),
		AddressHash: s.addressHash(c, address), AddressSealed: sealed, Created: s.now().UTC(),
	}
	if err := s.store.AddNotifyContact(ctx, mc); err != nil {
		return Contact{}, fmt.Errorf("notify: add contact: %w", err)
	}
	return Contact{ID: id, Channel: c, Address: address, Created: mc.Created}, nil
}

// Contacts lists someone's addresses, opened.
func (s *Service) Contacts(ctx context.Context, r Recipient) ([]Contact, error) {
	cs, err := s.store.NotifyContacts(ctx, r.Kind, r.ID)
	if err != nil {
		return nil, fmt.Errorf("notify: contacts: %w", err)
	}
	out := make([]Contact, 0, len(cs))
	for _, c := range cs {
		addr, err := seal.OpenString(c.AddressSealed, s.id)
		if err != nil {
			return nil, fmt.Errorf("notify: contact %s: %w", c.ID, err)
		}
		out = append(out, Contact{ID: c.ID, Channel: Channel(c.Channel), Address: addr, Created: c.Created, Disabled: c.Disabled})
	}
	return out, nil
}

// RemoveContact deletes one of someone's addresses. ErrNotFound.
func (s *Service) RemoveContact(ctx context.Context, r Recipient, contactID string) error {
	err := s.store.DeleteNotifyContact(ctx, r.Kind, r.ID, contactID)
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("notify: remove contact: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("notify: remove contact: %w", err)
	}
	return nil
}

// Forget deletes everything kept for someone (their account is deleted).
func (s *Service) Forget(ctx context.Context, r Recipient) error {
	if err := s.store.ForgetNotifyRecipient(ctx, r.Kind, r.ID); err != nil {
		return fmt.Errorf("notify: forget: %w", err)
	}
	return nil
}

func checkRecipient(r Recipient) error {
	if (r.Kind != vault.KindOwner && r.Kind != vault.KindWorker) || r.ID == "" {
		return fmt.Errorf("%w: recipient", ErrInvalid)
	}
	return nil
}

// addressHash makes (recipient, channel, address) unique in the database
// without the address in clear.
func (s *Service) addressHash(c Channel, address string) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(c))
	m.Write([]byte{0})
	m.Write([]byte(address))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) sealJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("notify: encode: %w", err)
	}
	out, err := seal.SealString(string(b), s.id.Recipient())
	if err != nil {
		return nil, fmt.Errorf("notify: seal: %w", err)
	}
	return out, nil
}

func (s *Service) openJSON(b []byte, v any) error {
	txt, err := seal.OpenString(b, s.id)
	if err != nil {
		return fmt.Errorf("notify: open: %w", err)
	}
	if err := json.Unmarshal([]byte(txt), v); err != nil {
		return fmt.Errorf("notify: decode: %w", err)
	}
	return nil
}
