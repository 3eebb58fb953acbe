package vault

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/seal"
)

// EventSink receives each journal event once it is stored: the hook that
// lets notifications (package notify) alert an owner when a worker opens a
// document, a drop link is used or a consent ends. The vault calls it; its
// implementer (the consumer of events) keeps it small.
type EventSink interface {
	// JournalEvent is called after e was appended to ownerID's journal,
	// synchronously on the goroutine that recorded it, once per stored
	// entry, with e.At set to the stored time (e.Seq is not set). e holds
	// names and a title in clear as the recorder knew them: the sink keeps
	// them out of storage and logs unless it seals them. It must return
	// quickly (queue, do not deliver), must not record journal events
	// itself, and cannot fail the recording: the journal entry stands
	// whatever it does. ctx carries the recording call's values without its
	// cancellation.
	JournalEvent(ctx context.Context, ownerID string, e Event)
}

// eventHook holds the Service's sink (none by default).
type eventHook struct{ p atomic.Pointer[sinkBox] }

type sinkBox struct{ sink EventSink }

// SetEventSink attaches sink to the journal (nil detaches). Safe to call
// while the Service is in use; events recorded before it are not replayed.
func (s *Service) SetEventSink(sink EventSink) {
	if sink == nil {
		s.events.p.Store(nil)
		return
	}
	s.events.p.Store(&sinkBox{sink: sink})
}

// emitEvent hands a stored journal event to the sink, if any. A panicking
// sink does not fail the recording.
func (s *Service) emitEvent(ctx context.Context, ownerID string, e Event, at time.Time) {
	b := s.events.p.Load()
	if b == nil {
		return
	}
	defer func() { _ = recover() }()
	e.At = at
	b.sink.JournalEvent(context.WithoutCancel(ctx), ownerID, e)
}

// Addressee is what reaching an owner or a worker outside a session needs
// (notifications): their public key (to seal an inbox entry only they
// open), their language, and for workers their account e-mail and names.
type Addressee struct {
	Kind RecipientKind
	ID   string
	// PublicKey is the age recipient ("age1…").
	PublicKey string
	// Lang is the owner's choice, a catalogue code ("fr", "en", "ar",
	// "fa-AF"…); workers get "fr".
	Lang string
	// Email is a worker's account e-mail ("" for owners, whose identifier
	// is sealed to themselves).
	Email string
	// Name and OrgName name a worker ("" for owners).
	Name, OrgName string
}

// Addressee describes an owner or a worker for notifications. Errors:
// ErrNotFound (no such account), ErrInvalid (another kind).
func (s *Service) Addressee(ctx context.Context, kind RecipientKind, id string) (Addressee, error) {
	switch kind {
	case KindOwner:
		o, a, err := s.meta.OwnerAccount(ctx, id)
		if err != nil {
			return Addressee{}, mapMeta("addressee", err)
		}
		lang := a.Lang
		if lang != "en" {
			lang = "fr"
		}
		return Addressee{Kind: kind, ID: id, PublicKey: o.PublicKey, Lang: lang}, nil
	case KindWorker:
		w, a, err := s.meta.WorkerAccount(ctx, id)
		if err != nil {
			return Addressee{}, mapMeta("addressee", err)
		}
		ad := Addressee{Kind: kind, ID: id, PublicKey: w.PublicKey, Lang: "fr"}
		if len(a.EmailSealed) > 0 {
			if ad.Email, err = s.openServer(a.EmailSealed); err != nil {
				return Addressee{}, fmt.Errorf("vault: addressee e-mail: %w", err)
			}
		}
		if info, err := s.WorkerInfo(ctx, id); err == nil {
			ad.Name, ad.OrgName = info.Name, info.OrgName
		}
		return ad, nil
	}
	return Addressee{}, fmt.Errorf("%w: addressee of kind %q", ErrInvalid, kind)
}

// GranteeName is how an owner reads the name of a consent's grantee
// ("CCAS de Roubaix — Mme Morel"); "" when unknown.
func (s *Service) GranteeName(ctx context.Context, g Grantee) string {
	return s.granteeName(ctx, g)
}

// OpenSealed opens a short text sealed (seal.SealString) to the
// principal's public key: what only this owner or worker may read back,
// such as their notification inbox. ErrInvalid for a locked principal;
// seal's errors (ErrCorrupt, ErrNoIdentityMatched) otherwise. What was
// sealed before a key rotation opens too.
func (p *Principal) OpenSealed(sealed []byte) (string, error) {
	if !p.valid() {
		return "", fmt.Errorf("%w: principal required", ErrInvalid)
	}
	return seal.OpenString(sealed, p.historyIdentities()...)
}

// infoPurposePrefix domain-separates identities handed to other packages
// from the vault's own derived keys.
const infoPurposePrefix = "coffre/vault/v1/purpose/"

// PurposeIdentity returns an age identity derived from the server pepper
// for one named purpose (e.g. "notify"): what another package of the server
// seals for itself (contact addresses, queued notifications), so that the
// database alone does not open it. Each purpose gets its own key, distinct
// from every key the vault uses itself. ErrInvalid for an empty purpose.
func (s *Service) PurposeIdentity(purpose string) (*age.X25519Identity, error) {
	if purpose == "" {
		return nil, fmt.Errorf("%w: empty key purpose", ErrInvalid)
	}
	return identityFromSeed(s.pepperKey(infoPurposePrefix + purpose))
}
