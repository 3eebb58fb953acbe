package vault

import (
	"context"
	"fmt"
)

// Alerts that leave Coffre. An alert (who opened which paper, a request,
// a consent ending) goes to the inbox and to the addresses its owner gave
// (e-mail, Web Push). A new address, or titles in the alerts, would let a
// session thief keep reading every later alert after the session ended:
// both widen who learns about the vault, like a consent. So, like a
// consent, they need a recent proof in this very session (ConfirmWindow),
// and for an owner the journal says so and the alert reaches the
// addresses she already had (notify's JournalEvent), where she can see an
// address that is not hers and remove it.

// Journal event kinds of alert changes (Detail: the channel and address
// for a contact, sealed to the owner like every detail).
const (
	EventAlertContactAdded = "alert-contact-added"
	EventAlertTitlesOn     = "alert-titles-on"
)

// AlertsWidened records that p widened her alerts: kind is
// EventAlertContactAdded (detail: "channel address") or
// EventAlertTitlesOn (no detail). Call it once the change is stored; call
// CanWidenAlerts before. Owners' changes are journaled (and so alerted);
// a worker's are not (workers have no journal). Errors: ErrInvalid (not
// an unlocked owner or worker, unknown kind), ErrConfirmRequired.
func (s *Service) AlertsWidened(ctx context.Context, p *Principal, kind, detail string) error {
	if err := CanWidenAlerts(p); err != nil {
		return err
	}
	if kind != EventAlertContactAdded && kind != EventAlertTitlesOn {
		return fmt.Errorf("%w: alert change %q", ErrInvalid, kind)
	}
	if p.kind != KindOwner {
		return nil
	}
	return s.recordOrErr(ctx, p.id, Event{Kind: kind, ActorKind: ActorOwner, ActorID: p.id, Detail: detail})
}

// CanWidenAlerts reports whether p may add an address for alerts or turn
// titles on now: an unlocked owner or worker who proved the secret (or a
// passkey, or the recovery code) in this session within ConfirmWindow.
// Errors: ErrInvalid, ErrConfirmRequired.
func CanWidenAlerts(p *Principal) error {
	if !p.valid() || (p.kind != KindOwner && p.kind != KindWorker) {
		return fmt.Errorf("%w: not an owner or a worker", ErrInvalid)
	}
	if !p.IsConfirmed() {
		return ErrConfirmRequired
	}
	return nil
}
