package vault_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// classify sorts a login result: evaluated (a wrong secret was checked) or
// refused by the throttle (with its delay).
func classify(t *testing.T, err error) (refused bool, retry time.Duration) {
	t.Helper()
	var te *vault.ThrottledError
	switch {
	case errors.As(err, &te):
		if !errors.Is(err, vault.ErrThrottled) || te.RetryAfter <= 0 {
			t.Fatalf("throttled error %v: Is=%v RetryAfter=%v", err, errors.Is(err, vault.ErrThrottled), te.RetryAfter)
		}
		return true, te.RetryAfter
	case errors.Is(err, vault.ErrWrongSecret):
		return false, 0
	}
	t.Fatalf("unexpected login result: %v", err)
	return false, 0
}

// Acceptance (issue 3): 1,000 guesses at a secret are slowed and locked. The
// attacker hammers without waiting: only the first 5 guesses reach the key
// derivation; the 995 others are refused before any scrypt work.
func TestThousandGuessesAreThrottled(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	in.signUp(t, "cible")
	before := vault.KDFEvaluations(in.svc)
	evaluated, refused := 0, 0
	start := time.Now()
	var refusedTime time.Duration
	for i := range 1000 {
		t0 := time.Now()
		_, err := in.svc.Login(ctx, "cible", fmt.Appendf(nil, "guess number %d", i), "203.0.113.9")
		if r, _ := classify(t, err); r {
			refused++
			refusedTime += time.Since(t0)
		} else {
			evaluated++
		}
	}
	derivations := vault.KDFEvaluations(in.svc) - before
	t.Logf("1000 guesses: %d evaluated, %d refused, %d scrypt derivations; %v in all, %v per refusal",
		evaluated, refused, derivations, time.Since(start).Round(time.Millisecond), (refusedTime / time.Duration(max(refused, 1))).Round(time.Microsecond))
	if evaluated != 5 || refused != 995 || derivations != 5 {
		t.Fatalf("evaluated %d, refused %d, derivations %d; want 5, 995, 5", evaluated, refused, derivations)
	}
	// Even the right secret is not looked at while blocked.
	if _, err := in.svc.Login(ctx, "cible", []byte(goodSecret), "203.0.113.9"); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("right secret while blocked: %v", err)
	}
	if vault.KDFEvaluations(in.svc)-before != 5 {
		t.Fatal("a derivation ran while blocked")
	}
}

// An attacker who waits out every delay gets 20 guesses in about 40
// minutes, then one per hour: 300 guesses take more than 11 days.
func TestGuessingWhileWaitingIsSlow(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	in.signUp(t, "patient")
	start := d.clock.Now()
	var retries []time.Duration
	for i := 0; i < 300; {
		_, err := in.svc.Login(ctx, "patient", fmt.Appendf(nil, "guess number %d", i), "")
		if r, wait := classify(t, err); r {
			retries = append(retries, wait)
			d.clock.Add(wait)
			continue
		}
		i++
	}
	elapsed := d.clock.Now().Sub(start)
	t.Logf("300 guesses waiting out every delay took %v of attacker time", elapsed)
	if elapsed < 270*time.Hour {
		t.Fatalf("300 guesses took only %v", elapsed)
	}
	// The delays grow, then the account locks for an hour.
	if retries[0] != time.Second || retries[1] != 2*time.Second || retries[len(retries)-1] != time.Hour {
		t.Fatalf("delays %v … %v", retries[:3], retries[len(retries)-1])
	}
	// The owner, once the lock is over, still gets in (and the counter
	// restarts).
	d.clock.Add(time.Hour)
	if _, err := in.svc.Login(ctx, "patient", []byte(goodSecret), ""); err != nil {
		t.Fatalf("owner after lock: %v", err)
	}
	for i := range 4 {
		if _, err := in.svc.Login(ctx, "patient", fmt.Appendf(nil, "typo %d", i), ""); !errors.Is(err, vault.ErrWrongSecret) {
			t.Fatalf("typo %d after reset: %v", i, err)
		}
	}
}

func TestSuccessResetsAccountCounter(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	in.signUp(t, "distrait")
	for round := range 3 {
		for i := range 4 {
			if _, err := in.svc.Login(ctx, "distrait", fmt.Appendf(nil, "typo %d", i), ""); !errors.Is(err, vault.ErrWrongSecret) {
				t.Fatalf("round %d typo %d: %v", round, i, err)
			}
		}
		if _, err := in.svc.Login(ctx, "distrait", []byte(goodSecret), ""); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// Attempts racing from many goroutines are counted before evaluation: no
// more than the free attempts reach scrypt.
func TestConcurrentGuessesAreThrottled(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	in.signUp(t, "cible")
	before := vault.KDFEvaluations(in.svc)
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			_, err := in.svc.Login(ctx, "cible", fmt.Appendf(nil, "guess %d", i), "")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	evaluated := 0
	for err := range errs {
		if r, _ := classify(t, err); !r {
			evaluated++
		}
	}
	if n := vault.KDFEvaluations(in.svc) - before; evaluated != 5 || n != 5 {
		t.Fatalf("60 concurrent guesses: %d evaluated, %d derivations; want 5", evaluated, n)
	}
}

// One address spraying guesses over many identifiers (existing or not) is
// slowed after 20 failures.
func TestThrottlePerAddress(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	in.signUp(t, "victime")
	before := vault.KDFEvaluations(in.svc)
	evaluated := 0
	for i := range 300 {
		ident := fmt.Sprintf("inconnu%d", i)
		if i%10 == 0 {
			ident = "victime"
		}
		_, err := in.svc.Login(ctx, ident, []byte("123456 soleil"), "2001:db8:1:2::"+fmt.Sprint(i%7+1))
		if r, _ := classify(t, err); !r {
			evaluated++
		}
	}
	if n := vault.KDFEvaluations(in.svc) - before; evaluated != 20 || n != 20 {
		t.Fatalf("300 guesses from one /64: %d evaluated, %d derivations; want 20", evaluated, n)
	}
	// Another address is not affected; the victim logs in from home.
	if _, err := in.svc.Login(ctx, "victime", []byte(goodSecret), "198.51.100.20"); err != nil {
		t.Fatalf("owner from another address: %v", err)
	}
}

// The counters live in the database: instances sharing it share them.
func TestThrottleAcrossInstances(t *testing.T) {
	d := newAcctDir(t)
	a, b := d.open(t), d.open(t)
	ctx := testCtx(t)
	a.signUp(t, "partage")
	for i := range 5 {
		in := []*instance{a, b}[i%2]
		if _, err := in.svc.Login(ctx, "partage", fmt.Appendf(nil, "guess %d", i), ""); !errors.Is(err, vault.ErrWrongSecret) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	for _, in := range []*instance{a, b} {
		if _, err := in.svc.Login(ctx, "partage", []byte("guess 6"), ""); !errors.Is(err, vault.ErrThrottled) {
			t.Fatalf("6th guess: %v, want ErrThrottled on every instance", err)
		}
	}
}

func TestWorkerLoginThrottled(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	if _, _, err := in.svc.AddWorker(ctx, "", "agent@example.org", "Agent", []byte(goodSecret), false); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := in.svc.LoginWorker(ctx, "agent@example.org", fmt.Appendf(nil, "guess %d", i), "", ""); !errors.Is(err, vault.ErrWrongSecret) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := in.svc.LoginWorker(ctx, "agent@example.org", []byte(goodSecret), "", ""); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("after 5 failures: %v", err)
	}
	// Owner logins are counted apart.
	in.signUp(t, "agent-owner")
}
