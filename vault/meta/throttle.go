package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ThrottleRule is one failure counter consulted by a login attempt (per
// account, per client address, …). Keys are opaque (callers pass HMACs,
// never identifiers or addresses in clear).
type ThrottleRule struct {
	Key string
	// Window: a counter whose last attempt is older than this restarts at 0.
	Window time.Duration
	// Block returns how long attempts are refused after the n-th counted
	// attempt (0: not at all).
	Block func(n int) time.Duration
}

// ThrottleState is a counter as stored.
type ThrottleState struct {
	Key          string
	Failures     int
	BlockedUntil time.Time
	LastAttempt  time.Time
}

// errRefused rolls back a refused attempt.
var errRefused = errors.New("meta: attempt refused")

// BeginAttempt counts one attempt against every rule, in one transaction,
// before the caller evaluates the secret: the attempt counts as a failure
// until the caller forgives it (ResetThrottle, ForgiveAttempt) after a
// success. If any counter is blocked at now, nothing changes and it returns
// ok=false with the latest time until which they are blocked. Concurrent
// attempts (from any instance) are serialised: once a counter is blocked no
// further attempt passes, however many race.
func (o *ops) BeginAttempt(ctx context.Context, now time.Time, rules ...ThrottleRule) (ok bool, until time.Time, err error) {
	if len(rules) == 0 {
		return false, time.Time{}, errors.New("meta: begin attempt: no rule")
	}
	for _, r := range rules {
		if r.Key == "" || r.Block == nil || r.Window <= 0 {
			return false, time.Time{}, errors.New("meta: begin attempt: incomplete rule")
		}
	}
	nowDB := toDB(now)
	err = o.atomic(ctx, func(tx *Tx) error {
		until = time.Time{}
		for _, r := range rules {
			if _, err := tx.exec(ctx, "begin attempt",
				`INSERT INTO login_throttle (throttle_key, failures, blocked_until, last_attempt) VALUES (?, 0, 0, ?)
				ON CONFLICT (throttle_key) DO NOTHING`, r.Key, nowDB); err != nil {
				return err
			}
		}
		for _, r := range rules {
			var blocked int64
			if err := tx.queryRow(ctx, `SELECT blocked_until FROM login_throttle WHERE throttle_key = ?`, r.Key).Scan(&blocked); err != nil {
				return tx.wrap("begin attempt", err)
			}
			if blocked > nowDB {
				if b := fromDB(blocked); b.After(until) {
					until = b
				}
			}
		}
		if !until.IsZero() {
			return errRefused
		}
		for _, r := range rules {
			// The WHERE clause re-checks the block under the row lock
			// (engines with concurrent writers).
			res, err := tx.exec(ctx, "begin attempt",
				`UPDATE login_throttle
				SET failures = CASE WHEN last_attempt <= ? THEN 1 ELSE failures + 1 END, last_attempt = ?
				WHERE throttle_key = ? AND blocked_until <= ?`,
				toDB(now.Add(-r.Window)), nowDB, r.Key, nowDB)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("meta: begin attempt: %w", err)
			} else if n == 0 {
				until = now.Add(time.Second)
				return errRefused
			}
			var failures int
			if err := tx.queryRow(ctx, `SELECT failures FROM login_throttle WHERE throttle_key = ?`, r.Key).Scan(&failures); err != nil {
				return tx.wrap("begin attempt", err)
			}
			if d := r.Block(failures); d > 0 {
				if _, err := tx.exec(ctx, "begin attempt",
					`UPDATE login_throttle SET blocked_until = ? WHERE throttle_key = ?`, toDB(now.Add(d)), r.Key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return false, until, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	return true, time.Time{}, nil
}

// ResetThrottle forgets a counter (a successful login resets its account).
func (o *ops) ResetThrottle(ctx context.Context, key string) error {
	_, err := o.exec(ctx, "reset throttle", `DELETE FROM login_throttle WHERE throttle_key = ?`, key)
	return err
}

// ForgiveAttempt takes one counted attempt back (a success from a shared
// address); any block in force stays.
func (o *ops) ForgiveAttempt(ctx context.Context, key string) error {
	_, err := o.exec(ctx, "forgive attempt",
		`UPDATE login_throttle SET failures = failures - 1 WHERE throttle_key = ? AND failures > 0`, key)
	return err
}

// ForgiveAttemptAt takes back one attempt counted at at, and lifts the
// block that attempt set (an attempt passes only when no block is in
// force, so a block whose last attempt is at was set by it). A later
// attempt's block stays: it moved last_attempt on.
func (o *ops) ForgiveAttemptAt(ctx context.Context, key string, at time.Time) error {
	_, err := o.exec(ctx, "forgive attempt",
		`UPDATE login_throttle SET failures = failures - 1,
		blocked_until = CASE WHEN last_attempt = ? THEN 0 ELSE blocked_until END
		WHERE throttle_key = ? AND failures > 0`, toDB(at), key)
	return err
}

// Throttle returns a counter, or ErrNotFound.
func (o *ops) Throttle(ctx context.Context, key string) (ThrottleState, error) {
	st := ThrottleState{Key: key}
	var blocked, last int64
	err := o.queryRow(ctx, `SELECT failures, blocked_until, last_attempt FROM login_throttle WHERE throttle_key = ?`, key).
		Scan(&st.Failures, &blocked, &last)
	if err != nil {
		return ThrottleState{}, o.wrap("throttle", err)
	}
	st.BlockedUntil, st.LastAttempt = fromDB(blocked), fromDB(last)
	return st, nil
}

// DeleteStaleThrottles removes counters neither blocked nor used since
// before and returns how many.
func (o *ops) DeleteStaleThrottles(ctx context.Context, before time.Time) (int, error) {
	res, err := o.exec(ctx, "delete stale throttles",
		`DELETE FROM login_throttle WHERE last_attempt < ? AND blocked_until < ?`, toDB(before), toDB(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: delete stale throttles: %w", err)
	}
	return int(n), nil
}
