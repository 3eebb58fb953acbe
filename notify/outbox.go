package notify

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// notice is one notification to queue for one recipient: on each channel
// they allow for its kind, one outbox row whose idempotency key is
// key + ":" + channel[.contact] + suffix.
type notice struct {
	to   Recipient
	kind Kind
	// key and suffix frame the idempotency key: "reminder:<doc>" and
	// ":<due date>", or "event:<id>" and "". When p.Group is set, the
	// channels other than the inbox are keyed by the group instead: one
	// e-mail or push message per group, every event in the inbox (which
	// shows the group as one message).
	key, suffix string
	// plan, if set, is taken once across instances before queuing.
	plan string
	p    payload
	// due, when set, holds every row back until then (a stop that can
	// still be undone).
	due time.Time
}

// queue stores n in the outbox: the inbox always, plus every enabled
// contact of a configured channel. Nothing is sent here.
func (s *Service) queue(ctx context.Context, n notice) (int, error) {
	st, err := s.Settings(ctx, n.to)
	if err != nil {
		return 0, err
	}
	if !st.AllowTitles {
		n.p.Title = ""
	}
	sealed, err := s.sealJSON(n.p)
	if err != nil {
		return 0, err
	}
	now := s.now().UTC()
	due := now
	if n.due.After(now) {
		due = n.due
	}
	var items []meta.OutboxItem
	add := func(c Channel, contactID string) error {
		id, err := newID()
		if err != nil {
			return err
		}
		ch := string(c)
		if contactID != "" {
			ch += "." + contactID
		}
		key := n.key
		if n.p.Group != "" && c != ChannelInbox {
			key = n.p.Group
		}
		items = append(items, meta.OutboxItem{
			ID: id, IdemKey: key + ":" + ch + n.suffix, RecipientKind: n.to.Kind, RecipientID: n.to.ID,
			Channel: string(c), ContactID: contactID, Kind: string(n.kind), PayloadSealed: sealed,
			Created: now, Due: due,
		})
		return nil
	}
	if err := add(ChannelInbox, ""); err != nil {
		return 0, err
	}
	cs, err := s.store.NotifyContacts(ctx, n.to.Kind, n.to.ID)
	if err != nil {
		return 0, fmt.Errorf("notify: queue: %w", err)
	}
	hasEmail := false
	for _, c := range cs {
		ch := Channel(c.Channel)
		hasEmail = hasEmail || ch == ChannelEmail
		if _, ok := s.channels[ch]; !ok || !c.Disabled.IsZero() || !st.Enabled(ch, n.kind) {
			continue
		}
		if err := add(ch, c.ID); err != nil {
			return 0, err
		}
	}
	// A worker without an e-mail contact of their own is reached at their
	// account e-mail.
	if _, ok := s.channels[ChannelEmail]; ok && !hasEmail && n.to.Kind == vault.KindWorker && st.Enabled(ChannelEmail, n.kind) {
		if err := add(ChannelEmail, accountContact); err != nil {
			return 0, err
		}
	}
	k, err := s.store.EnqueueNotifications(ctx, n.plan, now, items)
	if err != nil {
		return 0, fmt.Errorf("notify: queue: %w", err)
	}
	if k > 0 {
		s.nudge()
	}
	return k, nil
}

// accountContact stands for a worker's account e-mail.
const accountContact = "account"

// Outcomes of one delivery (last_error holds only these words).
const (
	outcomeTemporary  = "temporary"
	outcomePermanent  = "permanent"
	outcomeGone       = "gone"
	outcomeDisabled   = "disabled"
	outcomeNoAccount  = "no-account"
	outcomeNoChannel  = "no-channel"
	outcomeQuiet      = "quiet"
	outcomeGaveUp     = "gave-up"
	outcomeUnreadable = "unreadable"
)

// DeliveryError is what OnError receives for a failed delivery: ids and
// a classification only.
type DeliveryError struct {
	OutboxID string
	Channel  Channel
	Outcome  string
	Attempts int
	// Err is the channel's error (errors.Is works); its text is left out
	// of Error() because a channel may quote an address.
	Err error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify: delivery %s on %s: %s after %d attempt(s)", e.OutboxID, e.Channel, e.Outcome, e.Attempts)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// RunOnce sends every message due now (claiming each first, so that
// instances sharing the database never send one twice) and returns how
// many were delivered. Temporary failures are retried later with
// exponential backoff; quiet hours hold messages back.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	sent := 0
	for {
		now := s.now().UTC()
		due, err := s.store.DueOutbox(ctx, now, 100)
		if err != nil {
			return sent, fmt.Errorf("notify: due outbox: %w", err)
		}
		if len(due) == 0 {
			return sent, nil
		}
		var (
			mu      sync.Mutex
			wg      sync.WaitGroup
			claimed int
			firstEr error
		)
		sem := make(chan struct{}, s.cfg.Concurrency)
		// stop returns err once the deliveries already under way are done
		// (they count what they send; returning before them would read
		// sent while they write it).
		stop := func(err error) (int, error) {
			wg.Wait()
			mu.Lock()
			defer mu.Unlock()
			return sent, err
		}
		for _, it := range due {
			claimID, err := newID()
			if err != nil {
				return stop(err)
			}
			ok, err := s.store.ClaimOutbox(ctx, it.ID, claimID, now, now.Add(s.cfg.Lease))
			if err != nil {
				return stop(fmt.Errorf("notify: claim: %w", err))
			}
			if !ok {
				continue // another instance has it
			}
			claimed++
			it.ClaimID = claimID
			sem <- struct{}{}
			wg.Add(1)
			go func(it meta.OutboxItem) {
				defer func() { <-sem; wg.Done() }()
				ok, err := s.deliver(ctx, it)
				mu.Lock()
				defer mu.Unlock()
				if ok {
					sent++
				}
				if err != nil && firstEr == nil {
					firstEr = err
				}
			}(it)
		}
		wg.Wait()
		if firstEr != nil {
			return sent, firstEr
		}
		if claimed == 0 || len(due) < 100 || ctx.Err() != nil {
			return sent, ctx.Err()
		}
	}
}

// deliver sends one claimed row and records the outcome. The error is for
// bookkeeping failures (the database); channel failures are outcomes.
func (s *Service) deliver(ctx context.Context, it meta.OutboxItem) (bool, error) {
	ch := Channel(it.Channel)
	finish := func(state, outcome string, cause error) (bool, error) {
		if err := s.store.FinishOutbox(ctx, it.ID, it.ClaimID, state, s.now().UTC(), outcome); err != nil {
			return false, fmt.Errorf("notify: finish %s: %w", it.ID, err)
		}
		if state != meta.OutboxSent && outcome != outcomeDisabled && outcome != outcomeNoAccount {
			s.report(&DeliveryError{OutboxID: it.ID, Channel: ch, Outcome: outcome, Attempts: it.Attempts + 1, Err: cause})
		}
		return state == meta.OutboxSent, nil
	}
	var p payload
	if err := s.openJSON(it.PayloadSealed, &p); err != nil {
		return finish(meta.OutboxFailed, outcomeUnreadable, err)
	}
	to := Recipient{Kind: it.RecipientKind, ID: it.RecipientID}
	ad, err := s.vault.Addressee(ctx, to.Kind, to.ID)
	if errors.Is(err, vault.ErrNotFound) {
		return finish(meta.OutboxDropped, outcomeNoAccount, nil)
	}
	if err != nil {
		return s.retry(ctx, it, outcomeTemporary, err)
	}
	st, err := s.Settings(ctx, to)
	if err != nil {
		return s.retry(ctx, it, outcomeTemporary, err)
	}
	if !st.Enabled(ch, Kind(it.Kind)) {
		return finish(meta.OutboxDropped, outcomeDisabled, nil)
	}
	now := s.now().UTC()
	if ch != ChannelInbox {
		if end := st.Quiet.Until(now); end.After(now) {
			if err := s.store.RetryOutbox(ctx, it.ID, it.ClaimID, end, false, outcomeQuiet); err != nil {
				return false, fmt.Errorf("notify: hold %s: %w", it.ID, err)
			}
			return false, nil
		}
	}
	n, ok := s.channels[ch]
	if !ok {
		return s.retry(ctx, it, outcomeNoChannel, fmt.Errorf("%w: channel %s not configured here", ErrTemporary, ch))
	}
	addr := ad.PublicKey
	switch {
	case it.ContactID == accountContact:
		addr = ad.Email
		if addr == "" {
			return finish(meta.OutboxDropped, outcomeNoAccount, nil)
		}
	case it.ContactID != "":
		c, err := s.store.NotifyContact(ctx, it.ContactID)
		if errors.Is(err, meta.ErrNotFound) || (err == nil && !c.Disabled.IsZero()) {
			return finish(meta.OutboxDropped, outcomeDisabled, nil)
		}
		if err != nil {
			return s.retry(ctx, it, outcomeTemporary, err)
		}
		if addr, err = seal.OpenString(c.AddressSealed, s.id); err != nil {
			return finish(meta.OutboxFailed, outcomeUnreadable, err)
		}
	}
	lang := ad.Lang
	if st.Lang != "" {
		lang = st.Lang
	}
	t := s.render(p, lang, now, 1)
	m := Message{
		ID: it.ID, Channel: ch, Recipient: to, To: addr, Kind: Kind(it.Kind), Lang: lang,
		Subject: t.subject, Body: t.body, Link: t.link, Created: it.Created, facts: &p,
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.Lease/3)
	err = n.Send(sctx, m)
	cancel()
	switch {
	case err == nil:
		return finish(meta.OutboxSent, "", nil)
	case errors.Is(err, ErrGone):
		if it.ContactID != "" && it.ContactID != accountContact {
			if derr := s.store.DisableNotifyContact(ctx, it.ContactID, now); derr != nil {
				return false, fmt.Errorf("notify: disable contact: %w", derr)
			}
		}
		return finish(meta.OutboxFailed, outcomeGone, err)
	case IsPermanent(err):
		return finish(meta.OutboxFailed, outcomePermanent, err)
	}
	return s.retry(ctx, it, outcomeTemporary, err)
}

// retry puts a row back with exponential backoff, or gives up after
// MaxAttempts.
func (s *Service) retry(ctx context.Context, it meta.OutboxItem, outcome string, cause error) (bool, error) {
	attempts := it.Attempts + 1
	if attempts >= s.cfg.MaxAttempts {
		if err := s.store.FinishOutbox(ctx, it.ID, it.ClaimID, meta.OutboxFailed, s.now().UTC(), outcomeGaveUp); err != nil {
			return false, fmt.Errorf("notify: give up %s: %w", it.ID, err)
		}
		s.report(&DeliveryError{OutboxID: it.ID, Channel: Channel(it.Channel), Outcome: outcomeGaveUp, Attempts: attempts, Err: cause})
		return false, nil
	}
	due := s.now().UTC().Add(s.backoff(attempts))
	if err := s.store.RetryOutbox(ctx, it.ID, it.ClaimID, due, true, outcome); err != nil {
		return false, fmt.Errorf("notify: retry %s: %w", it.ID, err)
	}
	s.report(&DeliveryError{OutboxID: it.ID, Channel: Channel(it.Channel), Outcome: outcome, Attempts: attempts, Err: cause})
	return false, nil
}

// backoff is the delay before attempt n+1: RetryBase·2^(n-1), at most
// RetryMax, plus up to a quarter of jitter so that instances spread out.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	return d + time.Duration(binary.LittleEndian.Uint64(b[:])%uint64(d/4+1))
}
