package metatest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// PasskeyStore is the part of the store behind passkeys and WebAuthn
// challenges (migration 14).
type PasskeyStore interface {
	ConfirmStore
	AddPasskey(ctx context.Context, p meta.Passkey) error
	PasskeyByCredential(ctx context.Context, credentialID []byte) (meta.Passkey, error)
	Passkeys(ctx context.Context, kind meta.RecipientKind, principalID string) ([]meta.Passkey, error)
	UsePasskey(ctx context.Context, id string, count uint32, at time.Time) error
	SetPasskeyWrap(ctx context.Context, kind meta.RecipientKind, principalID, id string, wrap []byte) error
	DeletePasskey(ctx context.Context, kind meta.RecipientKind, principalID, id string) error
	PutChallenge(ctx context.Context, ch meta.Challenge) error
	TakeChallenge(ctx context.Context, hash, binding, purpose string, now time.Time) ([]byte, error)
	SweepChallenges(ctx context.Context, now time.Time) (int, error)
}

func passkeyStore(t *testing.T, s Store) PasskeyStore {
	t.Helper()
	ps, ok := s.(PasskeyStore)
	if !ok {
		t.Fatalf("%T does not implement passkeys (migration 14)", s)
	}
	return ps
}

// testPasskeys: owners' and workers' passkeys share one credential space;
// the counter only moves forward, also when two uses race; wraps are set,
// dropped by a key switch (waiting for re-enrolment) and deleted with the
// passkey; a principal touches only their own.
func testPasskeys(t *testing.T, st Store) {
	ctx := context.Background()
	s := passkeyStore(t, st)
	o := newOwner(t, s)
	w := newWorker(t, s)
	pk := meta.Passkey{ID: uniq("pk"), Kind: meta.RecipientOwner, PrincipalID: o.ID, CredentialID: []byte(uniq("cred")),
		PublicKey: []byte("cose"), Flags: meta.PasskeyBackupEligible, Transports: "internal,hybrid",
		NameSealed: []byte("sealed-name"), IdentityByPRF: []byte("prf-wrap"), Created: at}
	if err := s.AddPasskey(ctx, pk); err != nil {
		t.Fatal(err)
	}
	dup := pk
	dup.ID, dup.Kind, dup.PrincipalID = uniq("pk"), meta.RecipientWorker, w.ID
	wantErr(t, "same credential for a worker", s.AddPasskey(ctx, dup), meta.ErrConflict)
	wk := dup
	wk.CredentialID, wk.IdentityByPRF = []byte(uniq("cred")), nil
	if err := s.AddPasskey(ctx, wk); err != nil {
		t.Fatal(err)
	}
	orphan := wk
	orphan.ID, orphan.CredentialID, orphan.PrincipalID = uniq("pk"), []byte(uniq("cred")), "nobody"
	wantErr(t, "passkey of nobody", s.AddPasskey(ctx, orphan), meta.ErrNotFound)

	got, err := s.PasskeyByCredential(ctx, pk.CredentialID)
	if err != nil || got.Kind != meta.RecipientOwner || got.PrincipalID != o.ID || got.Flags != meta.PasskeyBackupEligible ||
		got.Transports != "internal,hybrid" || !bytes.Equal(got.IdentityByPRF, pk.IdentityByPRF) || !got.Created.Equal(at) || !got.LastUsed.IsZero() {
		t.Fatalf("PasskeyByCredential = %+v, %v", got, err)
	}
	if got, err := s.PasskeyByCredential(ctx, wk.CredentialID); err != nil || got.Kind != meta.RecipientWorker || got.PrincipalID != w.ID || got.IdentityByPRF != nil {
		t.Fatalf("worker's passkey = %+v, %v", got, err)
	}
	_, err = s.PasskeyByCredential(ctx, []byte("unknown"))
	wantErr(t, "unknown credential", err, meta.ErrNotFound)
	if l, err := s.Passkeys(ctx, meta.RecipientOwner, o.ID); err != nil || len(l) != 1 || l[0].ID != pk.ID {
		t.Fatalf("owner's passkeys = %+v, %v", l, err)
	}
	if l, err := s.Passkeys(ctx, meta.RecipientWorker, o.ID); err != nil || len(l) != 0 {
		t.Fatalf("a worker with the owner's id = %+v, %v", l, err)
	}

	// The counter: forward only, one winner of a race.
	if err := s.UsePasskey(ctx, pk.ID, 5, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "counter back", s.UsePasskey(ctx, pk.ID, 5, at.Add(2*time.Minute)), meta.ErrCounterBack)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UsePasskey(ctx, pk.ID, 9, at.Add(3*time.Minute))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, meta.ErrCounterBack) && !errors.Is(err, meta.ErrNotFound):
			t.Errorf("racing use: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing uses of counter 9 succeeded, want 1", won)
	}
	if got, _ := s.PasskeyByCredential(ctx, pk.CredentialID); got.SignCount != 9 || !got.LastUsed.Equal(at.Add(3*time.Minute)) {
		t.Errorf("after use: %+v", got)
	}
	// Authenticators that do not count (0 always) are not refused.
	if err := s.UsePasskey(ctx, wk.ID, 0, at); err != nil {
		t.Fatal(err)
	}
	if err := s.UsePasskey(ctx, wk.ID, 0, at); err != nil {
		t.Fatalf("a non-counting authenticator again: %v", err)
	}

	// A key switch drops the owner's wraps, waiting for re-enrolment.
	r := meta.KeyRotation{OwnerID: o.ID, OldPublicKey: o.PublicKey, NewPublicKey: uniq("age1new"), CarriedIdentityWrap: []byte("c"), Started: at}
	if err := s.BeginKeyRotation(ctx, r); err != nil {
		t.Fatal(err)
	}
	sw := meta.OwnerKeySwitch{OwnerID: o.ID, OldPublicKey: o.PublicKey, NewPublicKey: r.NewPublicKey,
		IdentityBySecret: []byte("s2"), IdentityByRecovery: []byte("r2"), OldIdentityWrap: []byte("o"), ConfirmedAt: at.Add(time.Hour)}
	if err := s.SwitchOwnerKeys(ctx, sw); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PasskeyByCredential(ctx, pk.CredentialID); got.IdentityByPRF != nil || !got.ReenrolSince.Equal(at.Add(time.Hour)) {
		t.Fatalf("after the key switch: %+v", got)
	}
	wantErr(t, "wrap for another principal", s.SetPasskeyWrap(ctx, meta.RecipientWorker, w.ID, pk.ID, []byte("x")), meta.ErrNotFound)
	if err := s.SetPasskeyWrap(ctx, meta.RecipientOwner, o.ID, pk.ID, []byte("new-wrap")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PasskeyByCredential(ctx, pk.CredentialID); string(got.IdentityByPRF) != "new-wrap" || !got.ReenrolSince.IsZero() {
		t.Fatalf("after re-enrolment: %+v", got)
	}
	wantErr(t, "delete another's", s.DeletePasskey(ctx, meta.RecipientWorker, w.ID, pk.ID), meta.ErrNotFound)
	if err := s.DeletePasskey(ctx, meta.RecipientOwner, o.ID, pk.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.PasskeyByCredential(ctx, pk.CredentialID)
	wantErr(t, "deleted passkey", err, meta.ErrNotFound)
}

// testChallenges: a challenge is taken once, by its binding and purpose,
// before it expires; a binding keeps a few; the sweep removes the expired.
func testChallenges(t *testing.T, st Store) {
	ctx := context.Background()
	s := passkeyStore(t, st)
	ch := meta.Challenge{Hash: uniq("h"), Binding: "b1", Purpose: "login", Data: []byte(`{"c":1}`), Expires: at.Add(5 * time.Minute)}
	if err := s.PutChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "the same challenge twice", s.PutChallenge(ctx, ch), meta.ErrConflict)
	for _, c := range []struct{ binding, purpose string }{{"b2", "login"}, {"b1", "register"}} {
		_, err := s.TakeChallenge(ctx, ch.Hash, c.binding, c.purpose, at)
		wantErr(t, "take with "+c.binding+"/"+c.purpose, err, meta.ErrNotFound)
	}
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = s.TakeChallenge(ctx, ch.Hash, "b1", "login", at)
		}()
	}
	wg.Wait()
	taken := 0
	for _, g := range got {
		if g != nil {
			taken++
			if string(g) != `{"c":1}` {
				t.Errorf("data = %q", g)
			}
		}
	}
	if taken != 1 {
		t.Fatalf("taken %d times, want once", taken)
	}
	late := meta.Challenge{Hash: uniq("h"), Binding: "b1", Purpose: "login", Data: []byte("x"), Expires: at}
	if err := s.PutChallenge(ctx, late); err != nil {
		t.Fatal(err)
	}
	_, err := s.TakeChallenge(ctx, late.Hash, "b1", "login", at)
	wantErr(t, "expired", err, meta.ErrNotFound)
	// A binding keeps the newest few; a new one is never the one dropped.
	var hashes []string
	for i := range 5 {
		c := meta.Challenge{Hash: uniq("h"), Binding: "b3", Purpose: "login", Data: []byte("y"), Expires: at.Add(time.Hour)}
		if i < 2 {
			c.Expires = at.Add(time.Duration(i) * time.Minute)
		}
		hashes = append(hashes, c.Hash)
		if err := s.PutChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.TakeChallenge(ctx, hashes[4], "b3", "login", at); err != nil {
		t.Errorf("the newest was dropped: %v", err)
	}
	_, err = s.TakeChallenge(ctx, hashes[0], "b3", "login", at.Add(-time.Hour))
	wantErr(t, "the oldest beyond the few", err, meta.ErrNotFound)
	n, err := s.SweepChallenges(ctx, at.Add(2*time.Hour))
	if err != nil || n < 2 {
		t.Fatalf("sweep = %d, %v", n, err)
	}
	_, err = s.TakeChallenge(ctx, hashes[3], "b3", "login", at)
	wantErr(t, "swept", err, meta.ErrNotFound)
}
