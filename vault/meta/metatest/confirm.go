package metatest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// ConfirmStore is the part of the store behind confirmation and key
// rotation (migration 8).
type ConfirmStore interface {
	AccountStore
	ConfirmSession(ctx context.Context, tokenHash string, at time.Time) error
	DeleteOtherSessions(ctx context.Context, kind meta.RecipientKind, principalID, keep string) (int, error)
	BeginKeyRotation(ctx context.Context, r meta.KeyRotation) error
	KeyRotation(ctx context.Context, ownerID string) (meta.KeyRotation, error)
	SetOwnerWrap(ctx context.Context, docID, ownerID string, wrapped []byte) error
	SwitchOwnerKeys(ctx context.Context, sw meta.OwnerKeySwitch) error
	FinishKeyRotation(ctx context.Context, ownerID string) error
	OwnerRetiredIdentities(ctx context.Context, ownerID string) ([]byte, error)
	Wraps(ctx context.Context, docID string) ([]meta.Wrap, error)
}

func confirmStore(t *testing.T, s Store) ConfirmStore {
	t.Helper()
	cs, ok := s.(ConfirmStore)
	if !ok {
		t.Fatalf("%T does not implement confirmation and key rotation (migration 8)", s)
	}
	return cs
}

func session(owner string) meta.Session {
	return meta.Session{TokenHash: uniq("tok"), Kind: meta.RecipientOwner, PrincipalID: owner, IdentityWrap: []byte("wrap"),
		Created: at, LastSeen: at, IdleExpires: at.Add(30 * time.Minute), AbsoluteExpires: at.Add(12 * time.Hour)}
}

// testSessionConfirm: a confirmation is stored per session; ending the
// other sessions of a principal keeps the one named and touches nobody
// else's.
func testSessionConfirm(t *testing.T, st Store) {
	ctx := context.Background()
	s := confirmStore(t, st)
	mine, theirs, third, stranger := session("p1"), session("p1"), session("p1"), session("p2")
	for _, r := range []meta.Session{mine, theirs, third, stranger} {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Session(ctx, mine.TokenHash); !got.ConfirmedAt.IsZero() {
		t.Fatalf("new session confirmed at %v", got.ConfirmedAt)
	}
	when := at.Add(3 * time.Minute)
	if err := s.ConfirmSession(ctx, mine.TokenHash, when); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(ctx, mine.TokenHash); !got.ConfirmedAt.Equal(when) {
		t.Fatalf("ConfirmedAt = %v, want %v", got.ConfirmedAt, when)
	}
	if got, _ := s.Session(ctx, theirs.TokenHash); !got.ConfirmedAt.IsZero() {
		t.Fatal("confirming one session confirmed another")
	}
	wantErr(t, "confirm a missing session", s.ConfirmSession(ctx, "nope", when), meta.ErrNotFound)
	if n, err := s.DeleteOtherSessions(ctx, meta.RecipientOwner, "p1", mine.TokenHash); err != nil || n != 2 {
		t.Fatalf("DeleteOtherSessions = %d, %v", n, err)
	}
	for _, r := range []meta.Session{mine, stranger} {
		if _, err := s.Session(ctx, r.TokenHash); err != nil {
			t.Fatalf("session %s gone: %v", r.PrincipalID, err)
		}
	}
	if _, err := s.Session(ctx, theirs.TokenHash); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("other session left: %v", err)
	}
	if n, err := s.DeleteOtherSessions(ctx, meta.RecipientOwner, "p1", ""); err != nil || n != 1 {
		t.Fatalf("DeleteOtherSessions keeping none = %d, %v", n, err)
	}
}

// testKeyRotation: a rotation is begun once, the owner wraps change one
// by one, the switch is all or nothing and conditional on the old key.
func testKeyRotation(t *testing.T, st Store) {
	ctx := context.Background()
	s := confirmStore(t, st)
	o := newOwner(t, s)
	d := committedDoc(t, s, o.ID)
	r := meta.KeyRotation{OwnerID: o.ID, OldPublicKey: o.PublicKey, NewPublicKey: uniq("age1new"),
		CarriedIdentityWrap: []byte("new-to-old"), Started: at}
	_, err := s.KeyRotation(ctx, o.ID)
	wantErr(t, "no rotation", err, meta.ErrNotFound)
	if err := s.BeginKeyRotation(ctx, r); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second rotation", s.BeginKeyRotation(ctx, r), meta.ErrConflict)
	bad := r
	bad.OwnerID = "nobody"
	wantErr(t, "rotation of nobody", s.BeginKeyRotation(ctx, bad), meta.ErrNotFound)
	got, err := s.KeyRotation(ctx, o.ID)
	if err != nil || got.Phase != meta.RotationAdding || got.NewPublicKey != r.NewPublicKey || !bytes.Equal(got.CarriedIdentityWrap, r.CarriedIdentityWrap) || !got.Started.Equal(at) {
		t.Fatalf("KeyRotation = %+v, %v", got, err)
	}
	if err := s.SetOwnerWrap(ctx, d.ID, o.ID, []byte("both")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "wrap of another owner", s.SetOwnerWrap(ctx, d.ID, "nobody", []byte("x")), meta.ErrNotFound)
	ws, err := s.Wraps(ctx, d.ID)
	if err != nil || len(ws) != 1 || string(ws[0].WrappedKey) != "both" {
		t.Fatalf("wraps = %+v, %v", ws, err)
	}

	keep, gone := session(o.ID), session(o.ID)
	for _, x := range []meta.Session{keep, gone} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	sw := meta.OwnerKeySwitch{OwnerID: o.ID, OldPublicKey: o.PublicKey, NewPublicKey: r.NewPublicKey,
		IdentityBySecret: []byte("s2"), IdentityByRecovery: []byte("r2"), IdentifierSealed: []byte("id2"),
		OldIdentityWrap: []byte("old-to-new"), RetiredIdentities: []byte("retired"),
		KeepSession: keep.TokenHash, SessionIdentityWrap: []byte("session-new"), ConfirmedAt: at.Add(time.Minute)}
	stale := sw
	stale.OldPublicKey = "age1stale"
	wantErr(t, "switch from a stale key", s.SwitchOwnerKeys(ctx, stale), meta.ErrConflict)
	if err := s.SwitchOwnerKeys(ctx, sw); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second switch", s.SwitchOwnerKeys(ctx, sw), meta.ErrConflict)
	ow, a, err := s.OwnerAccount(ctx, o.ID)
	if err != nil || ow.PublicKey != r.NewPublicKey || string(ow.IdentityBySecret) != "s2" || string(ow.IdentityByRecovery) != "r2" ||
		string(a.IdentifierSealed) != "id2" || a.NameSealed != nil || string(ow.RetiredIdentities) != "retired" {
		t.Fatalf("owner after switch = %+v %+v, %v", ow, a, err)
	}
	if b, err := s.OwnerRetiredIdentities(ctx, o.ID); err != nil || string(b) != "retired" {
		t.Fatalf("OwnerRetiredIdentities = %q, %v", b, err)
	}
	got, err = s.KeyRotation(ctx, o.ID)
	if err != nil || got.Phase != meta.RotationRemoving || string(got.CarriedIdentityWrap) != "old-to-new" {
		t.Fatalf("rotation after switch = %+v, %v", got, err)
	}
	ks, err := s.Session(ctx, keep.TokenHash)
	if err != nil || string(ks.IdentityWrap) != "session-new" || !ks.ConfirmedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("kept session = %+v, %v", ks, err)
	}
	_, err = s.Session(ctx, gone.TokenHash)
	wantErr(t, "other session after switch", err, meta.ErrNotFound)
	if err := s.FinishKeyRotation(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.KeyRotation(ctx, o.ID)
	wantErr(t, "finished rotation", err, meta.ErrNotFound)
	if err := s.FinishKeyRotation(ctx, o.ID); err != nil {
		t.Fatalf("finishing twice: %v", err)
	}
}
