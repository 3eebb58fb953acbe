package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// Run is the scheduler: it sends due messages every PollInterval (at once
// when an event on this instance queued one) and plans reminders every
// ScanInterval, until ctx ends (then it returns nil). Every instance may
// run it on the same database: claims and idempotency keys keep each
// message to one delivery. Failures go to OnError and do not stop it.
func (s *Service) Run(ctx context.Context) error {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	scan := time.NewTicker(s.cfg.ScanInterval)
	defer scan.Stop()
	s.report(s.ScanOnce(ctx))
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.report(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-scan.C:
			if err := s.ScanOnce(ctx); err != nil && ctx.Err() == nil {
				s.report(err)
			}
		case <-poll.C:
		case <-s.wake:
		}
	}
}

// scanPage bounds one query of the planner.
const scanPage = 500

// sweepAfter is how long finished outbox rows and plan keys are kept.
const sweepAfter = 30 * 24 * time.Hour

// ScanOnce plans what the database says is due: an expiry reminder for
// each document whose notice period began (its type's NoticeDays before
// Expires, DefaultNoticeDays for types without one), a "consent ends soon"
// alert ConsentNotice before a consent ends; it has the vault journal the
// consents that ended (which alerts their owners), and sweeps old rows.
// Each plan is taken once across instances (notify_planned).
func (s *Service) ScanOnce(ctx context.Context) error {
	var errs []error
	errs = append(errs, s.planReminders(ctx), s.planConsentEnds(ctx))
	if _, err := s.vault.ExpireConsents(ctx); err != nil {
		errs = append(errs, fmt.Errorf("notify: expire consents: %w", err))
	}
	now := s.now().UTC()
	// Plan keys outlive what they plan (a reminder is planned at most a
	// year or so before its paper expires).
	if _, err := s.store.SweepNotify(ctx, now.Add(-sweepAfter), now.Add(-3*365*24*time.Hour)); err != nil {
		errs = append(errs, fmt.Errorf("notify: sweep: %w", err))
	}
	return errors.Join(errs...)
}

// maxNoticeDays is the longest notice of any document type.
func (s *Service) maxNoticeDays() int {
	m := s.cfg.DefaultNoticeDays
	for _, dt := range vault.DocTypes() {
		m = max(m, dt.NoticeDays)
	}
	return m
}

// noticeDays is the notice period of a document type.
func (s *Service) noticeDays(docType string) int {
	if dt, ok := vault.DocTypeByID(docType); ok && dt.NoticeDays > 0 {
		return dt.NoticeDays
	}
	return s.cfg.DefaultNoticeDays
}

// ReminderDue is when the reminder of a paper of docType valid until
// expires is due.
func (s *Service) ReminderDue(docType string, expires time.Time) time.Time {
	return expires.In(paris).AddDate(0, 0, -s.noticeDays(docType)).UTC()
}

func (s *Service) planReminders(ctx context.Context) error {
	now := s.now().UTC()
	from := now
	horizon := now.AddDate(0, 0, s.maxNoticeDays()+1)
	for {
		docs, err := s.store.ExpiringDocuments(ctx, from, horizon, scanPage)
		if err != nil {
			return fmt.Errorf("notify: expiring documents: %w", err)
		}
		for _, d := range docs {
			due := s.ReminderDue(d.DocType, d.Expires)
			if due.After(now) {
				continue
			}
			n := notice{
				to: Recipient{Kind: vault.KindOwner, ID: d.OwnerID}, kind: KindReminder,
				key: "reminder:" + d.ID, suffix: ":" + due.In(paris).Format("2006-01-02"),
				plan: meta.ReminderPlanKey(d.ID, d.Expires),
				p:    payload{Subject: subjectExpiry, DocType: d.DocType, Expires: d.Expires},
			}
			if _, err := s.queue(ctx, n); err != nil {
				return err
			}
		}
		if len(docs) < scanPage {
			return nil
		}
		from = docs[len(docs)-1].Expires
	}
}

func (s *Service) planConsentEnds(ctx context.Context) error {
	now := s.now().UTC()
	cs, err := s.store.EndingConsents(ctx, now, now.Add(s.cfg.ConsentNotice), scanPage)
	if err != nil {
		return fmt.Errorf("notify: ending consents: %w", err)
	}
	for _, c := range cs {
		n := notice{
			to: Recipient{Kind: vault.KindOwner, ID: c.OwnerID}, kind: KindAccess,
			key: "consent-ending:" + c.ID, suffix: ":" + c.Expires.In(paris).Format("2006-01-02"),
			plan: meta.ConsentEndPlanKey(c.ID, c.Expires),
			p: payload{Subject: subjectConsentEnding, Expires: c.Expires,
				Target: s.vault.GranteeName(ctx, vault.Grantee{Kind: c.GranteeKind, ID: c.GranteeID})},
		}
		if _, err := s.queue(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
