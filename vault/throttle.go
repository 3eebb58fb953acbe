package vault

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// ErrThrottled: too many failed attempts; test with errors.Is, read the delay
// with errors.As(err, &*ThrottledError).
var ErrThrottled = errors.New("vault: too many attempts")

// ThrottledError says how long to wait before the next attempt is evaluated.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("vault: too many attempts, retry in %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Throttling policy. Every attempt is counted before the secret is
// evaluated (a success takes it back), so however many attempts race, once
// a counter is blocked none of them reaches the key derivation.
//
// Per account (identifier, e-mail; logins and recoveries counted apart):
// the first 5 attempts are free, then each further one waits 1 s, 2 s,
// 4 s, … up to 5 min; the 20th failure locks the account for 1 h, and so
// does every failure after it. Counters restart after 24 h without attempts.
//
// Per client address (IPv4, or the /64 of an IPv6 address): a France
// Services office puts many people behind one address, so the thresholds
// are wider: slowed after 20 failures, locked 1 h after 100.
const (
	accountFreeAttempts = 5
	accountLockAfter    = 20
	ipFreeAttempts      = 20
	ipLockAfter         = 100
	throttleLock        = time.Hour
	maxThrottleDelay    = 5 * time.Minute
	throttleWindow      = 24 * time.Hour
)

func accountBlock(n int) time.Duration {
	switch {
	case n >= accountLockAfter:
		return throttleLock
	case n >= accountFreeAttempts:
		return growing(n - accountFreeAttempts)
	}
	return 0
}

func ipBlock(n int) time.Duration {
	switch {
	case n >= ipLockAfter:
		return throttleLock
	case n >= ipFreeAttempts:
		return growing((n - ipFreeAttempts) / 4)
	}
	return 0
}

// growing is 1 s × 2^k, at most maxThrottleDelay.
func growing(k int) time.Duration {
	if k > 16 {
		return maxThrottleDelay
	}
	return min(time.Second<<k, maxThrottleDelay)
}

// Throttle scopes: what an account counter counts.
const (
	scopeOwnerLogin    = "owner-login"
	scopeOwnerRecovery = "owner-recovery"
	scopeWorkerLogin   = "worker-login"
)

// attempt is one counted login or recovery attempt.
type attempt struct {
	s          *Service
	accountKey string
	ipKey      string
}

// beginAttempt counts an attempt against the account (scope, normalised
// identifier) and the client address, or fails with a *ThrottledError
// without counting anything.
func (s *Service) beginAttempt(ctx context.Context, scope, account, clientIP string) (*attempt, error) {
	return s.beginAttemptKey(ctx, "a:"+s.keyedHash(infoThrottle, scope, account), clientIP)
}

// beginAttemptKey is beginAttempt on the account counter accountKey.
func (s *Service) beginAttemptKey(ctx context.Context, accountKey, clientIP string) (*attempt, error) {
	a := &attempt{s: s, accountKey: accountKey}
	rules := []meta.ThrottleRule{{Key: a.accountKey, Window: throttleWindow, Block: accountBlock}}
	if ip := clientNet(clientIP); ip != "" {
		a.ipKey = "n:" + s.keyedHash(infoThrottle, "client", ip)
		rules = append(rules, meta.ThrottleRule{Key: a.ipKey, Window: throttleWindow, Block: ipBlock})
	}
	now := s.now()
	ok, until, err := s.meta.BeginAttempt(ctx, now, rules...)
	if err != nil {
		return nil, fmt.Errorf("vault: throttle: %w", err)
	}
	if !ok {
		wait := max(until.Sub(now), time.Second)
		return nil, &ThrottledError{RetryAfter: wait.Round(time.Second)}
	}
	return a, nil
}

// succeeded takes the attempt back: the account counter restarts, the
// address counter forgets this one attempt.
func (a *attempt) succeeded(ctx context.Context) error {
	if err := a.s.meta.ResetThrottle(ctx, a.accountKey); err != nil {
		return fmt.Errorf("vault: throttle: %w", err)
	}
	if a.ipKey != "" {
		if err := a.s.meta.ForgiveAttempt(ctx, a.ipKey); err != nil {
			return fmt.Errorf("vault: throttle: %w", err)
		}
	}
	return nil
}

// locked reports whether the account counter has just reached the lock.
func (a *attempt) locked(ctx context.Context) bool {
	st, err := a.s.meta.Throttle(ctx, a.accountKey)
	return err == nil && st.Failures == accountLockAfter
}

// clientNet is the unit an address counter counts: the IPv4 address, or
// the /64 of an IPv6 one (one subscriber's whole range); "" when clientIP
// is empty or unparsable (no address counter then).
func clientNet(clientIP string) string {
	addr, err := netip.ParseAddr(clientIP)
	if err != nil {
		return ""
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ""
	}
	return p.String()
}

// SweepAccounts removes expired sessions, stale throttle counters and
// WebAuthn ceremonies never answered; run it now and then (the API's
// janitor). It returns how many sessions and counters went.
func (s *Service) SweepAccounts(ctx context.Context) (sessions, counters int, err error) {
	now := s.now()
	if sessions, err = s.meta.DeleteExpiredSessions(ctx, now); err != nil {
		return 0, 0, fmt.Errorf("vault: sweep sessions: %w", err)
	}
	if counters, err = s.meta.DeleteStaleThrottles(ctx, now.Add(-throttleWindow)); err != nil {
		return sessions, 0, fmt.Errorf("vault: sweep throttles: %w", err)
	}
	if _, err = s.DeliverWaitingRequests(ctx); err != nil {
		return sessions, counters, err
	}
	if _, err = s.meta.DeleteExpiredWaitingRequests(ctx, now); err != nil {
		return sessions, counters, fmt.Errorf("vault: sweep waiting requests: %w", err)
	}
	if _, err = s.meta.SweepChallenges(ctx, now); err != nil {
		return sessions, counters, fmt.Errorf("vault: sweep ceremonies: %w", err)
	}
	if _, err = s.meta.DeleteExpiredShareCodes(ctx, now.Add(-shareCodeKeep)); err != nil {
		return sessions, counters, fmt.Errorf("vault: sweep share codes: %w", err)
	}
	return sessions, counters, nil
}
