package metatest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/coffre/coffre/vault/meta"
)

// ownerRecoveryStore is what a recovery writes and reads (accounts and the
// journal).
type ownerRecoveryStore interface {
	SharingStore
	ReplaceOwnerRecovery(ctx context.Context, id string, oldRecovery, bySecret, byRecovery []byte) error
	LastJournalKind(ctx context.Context, ownerID string, kinds ...string) (string, error)
}

// testOwnerRecovery: the conditional write of a recovery lets exactly one
// of concurrent writers win; LastJournalKind finds the latest entry among
// the kinds asked.
func testOwnerRecovery(t *testing.T, st Store) {
	s, ok := st.(ownerRecoveryStore)
	if !ok {
		t.Fatalf("%T does not implement ReplaceOwnerRecovery/LastJournalKind", st)
	}
	ctx := context.Background()
	o := newOwner(t, s)
	old := o.IdentityByRecovery
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.ReplaceOwnerRecovery(ctx, o.ID, old, []byte{'s', byte(i)}, []byte{'r', byte(i)})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both replaced the recovery wrap", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, meta.ErrConflict):
			t.Fatalf("writer %d: %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	got, err := s.Owner(ctx, o.ID)
	if err != nil || string(got.IdentityBySecret) != string([]byte{'s', byte(winner)}) || string(got.IdentityByRecovery) != string([]byte{'r', byte(winner)}) {
		t.Fatalf("after the race: %+v, %v (winner %d)", got, err, winner)
	}
	wantErr(t, "replace with the old wrap", s.ReplaceOwnerRecovery(ctx, o.ID, old, []byte("s"), []byte("r")), meta.ErrConflict)
	wantErr(t, "replace for a missing owner", s.ReplaceOwnerRecovery(ctx, "nobody", old, []byte("s"), []byte("r")), meta.ErrNotFound)
	if err := s.ReplaceOwnerRecovery(ctx, o.ID, nil, []byte("s"), []byte("r")); err == nil {
		t.Fatal("empty old wrap accepted")
	}

	if k, err := s.LastJournalKind(ctx, o.ID, "a", "b"); err != nil || k != "" {
		t.Fatalf("LastJournalKind(empty journal) = %q, %v", k, err)
	}
	for _, kind := range []string{"a", "x", "b", "x"} {
		err := s.AppendJournal(ctx, o.ID, ChainedAppend(o.ID, kind))
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		kinds []string
		want  string
	}{{[]string{"a", "b"}, "b"}, {[]string{"a"}, "a"}, {[]string{"a", "b", "x"}, "x"}, {[]string{"zzz"}, ""}, {nil, ""}} {
		if k, err := s.LastJournalKind(ctx, o.ID, c.kinds...); err != nil || k != c.want {
			t.Errorf("LastJournalKind(%v) = %q, %v; want %q", c.kinds, k, err, c.want)
		}
	}
}
