package metatest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// ShareCodeStore is the part of the store behind share codes (migration
// 12).
type ShareCodeStore interface {
	InsertShareCode(ctx context.Context, sc meta.ShareCode) error
	ShareCodeByHash(ctx context.Context, hash string) (meta.ShareCode, error)
	UseShareCode(ctx context.Context, hash, usedBy string, now time.Time) error
	ReleaseShareCode(ctx context.Context, hash, usedBy string) error
	DeleteExpiredShareCodes(ctx context.Context, before time.Time) (int, error)
	BeginAttempt(ctx context.Context, now time.Time, rules ...meta.ThrottleRule) (bool, time.Time, error)
	ForgiveAttemptAt(ctx context.Context, key string, at time.Time) error
	Throttle(ctx context.Context, key string) (meta.ThrottleState, error)
}

func shareCodes(fn func(t *testing.T, s Store, sc ShareCodeStore)) func(t *testing.T, s Store) {
	return func(t *testing.T, s Store) {
		sc, ok := s.(ShareCodeStore)
		if !ok {
			t.Fatalf("%T does not implement share codes (migration 15)", s)
		}
		fn(t, s, sc)
	}
}

// testShareCodes: one live code per worker, used once (of racing owners
// exactly one wins), never after its expiry, given back only by whoever
// used it, swept after expiry.
func testShareCodes(t *testing.T, st Store, s ShareCodeStore) {
	ctx := context.Background()
	w := newWorker(t, st)
	code := func(workerID string) meta.ShareCode {
		t.Helper()
		sc := meta.ShareCode{Hash: uniq("hash"), WorkerID: workerID, WorkerKey: "age1w", OrgID: "org", OrgKey: "age1o",
			Bind: uniq("bind"), Created: at, Expires: at.Add(15 * time.Minute)}
		if err := s.InsertShareCode(ctx, sc); err != nil {
			t.Fatalf("InsertShareCode: %v", err)
		}
		return sc
	}
	first := code(w.ID)
	got, err := s.ShareCodeByHash(ctx, first.Hash)
	if err != nil || got.WorkerID != w.ID || got.WorkerKey != "age1w" || got.OrgID != "org" || got.OrgKey != "age1o" ||
		got.Bind != first.Bind || !got.Expires.Equal(first.Expires) || !got.Used.IsZero() || got.UsedBy != "" {
		t.Fatalf("ShareCodeByHash = %+v, %v", got, err)
	}
	if _, err := s.ShareCodeByHash(ctx, "nothing"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	if err := s.InsertShareCode(ctx, meta.ShareCode{Hash: uniq("h"), WorkerID: "no-such-worker", WorkerKey: "k", Bind: "b", Created: at, Expires: at.Add(time.Minute)}); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("a code of no worker: %v", err)
	}
	// A second code replaces the unused first.
	second := code(w.ID)
	if _, err := s.ShareCodeByHash(ctx, first.Hash); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("the replaced code: %v", err)
	}
	// Used once, by one of eight racing owners.
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UseShareCode(ctx, second.Hash, "owner"+string(rune('a'+i)), at.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, meta.ErrNotFound):
				t.Errorf("UseShareCode: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d owners used one code", wins)
	}
	got, _ = s.ShareCodeByHash(ctx, second.Hash)
	if got.Used.IsZero() || got.UsedBy == "" {
		t.Fatalf("used code = %+v", got)
	}
	// Given back only by its user; then usable again.
	if err := s.ReleaseShareCode(ctx, second.Hash, "someone else"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("released by another: %v", err)
	}
	if err := s.ReleaseShareCode(ctx, second.Hash, got.UsedBy); err != nil {
		t.Fatalf("ReleaseShareCode: %v", err)
	}
	if err := s.UseShareCode(ctx, second.Hash, "ownerz", at.Add(2*time.Minute)); err != nil {
		t.Fatalf("use after release: %v", err)
	}
	// A used code survives the worker's next code; an expired one is never used.
	third := code(w.ID)
	if _, err := s.ShareCodeByHash(ctx, second.Hash); err != nil {
		t.Fatalf("the used code after a new one: %v", err)
	}
	if err := s.UseShareCode(ctx, third.Hash, "ownery", third.Expires); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("use at expiry: %v", err)
	}
	// Swept once expired before the cut-off, used or not.
	other := code(newWorker(t, st).ID)
	n, err := s.DeleteExpiredShareCodes(ctx, at.Add(16*time.Minute))
	if err != nil || n != 3 {
		t.Fatalf("DeleteExpiredShareCodes = %d, %v; want 3", n, err)
	}
	for _, h := range []string{second.Hash, third.Hash, other.Hash} {
		if _, err := s.ShareCodeByHash(ctx, h); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("swept code still there: %v", err)
		}
	}

	// ForgiveAttemptAt lifts the block its own attempt set, not a later one's.
	blockAt := func(limit int) meta.ThrottleRule {
		return meta.ThrottleRule{Key: uniq("code-throttle"), Window: time.Hour, Block: func(n int) time.Duration {
			if n >= limit {
				return time.Minute
			}
			return 0
		}}
	}
	t0 := at.Add(time.Hour)
	attempt := func(r meta.ThrottleRule, now time.Time) {
		t.Helper()
		if ok, _, err := s.BeginAttempt(ctx, now, r); !ok || err != nil {
			t.Fatalf("attempt at %v: %v %v", now, ok, err)
		}
	}
	own := blockAt(2)
	attempt(own, t0)
	attempt(own, t0.Add(time.Second)) // blocks
	if err := s.ForgiveAttemptAt(ctx, own.Key, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Throttle(ctx, own.Key); err != nil || st.Failures != 1 || st.BlockedUntil.After(t0.Add(time.Second)) {
		t.Fatalf("after forgiving the attempt that blocked: %+v, %v", st, err)
	}
	attempt(own, t0.Add(2*time.Second)) // passes: the block is lifted
	later := blockAt(3)
	attempt(later, t0)
	attempt(later, t0.Add(time.Second))
	attempt(later, t0.Add(2*time.Second)) // blocks
	// The attempt at +1 s is forgiven after the one at +2 s blocked.
	if err := s.ForgiveAttemptAt(ctx, later.Key, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Throttle(ctx, later.Key); st.Failures != 2 || !st.BlockedUntil.Equal(t0.Add(2*time.Second+time.Minute)) {
		t.Fatalf("a later attempt's block was lifted: %+v", st)
	}
}
