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

// AccountStore is the part of the store behind accounts, organisations,
// sessions and login throttling (migration 2).
type AccountStore interface {
	Store
	CreateOwnerAccount(ctx context.Context, o meta.Owner, a meta.OwnerAccount) error
	OwnerAccount(ctx context.Context, id string) (meta.Owner, meta.OwnerAccount, error)
	OwnerAccountByIdentifier(ctx context.Context, identifierHash string) (meta.Owner, meta.OwnerAccount, error)
	SetOwnerIdentityByRecovery(ctx context.Context, id string, wrapped []byte) error
	SetOwnerAssistedRecovery(ctx context.Context, id, orgID string, wrapped []byte) error
	SetOwnerProfile(ctx context.Context, id string, nameSealed []byte, lang string) error
	CreateOrganisation(ctx context.Context, org meta.Organisation) error
	Organisation(ctx context.Context, id string) (meta.Organisation, error)
	Organisations(ctx context.Context) ([]meta.Organisation, error)
	CreateWorkerAccount(ctx context.Context, w meta.Worker, a meta.WorkerAccount) error
	SetWorkerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error
	WorkerAccount(ctx context.Context, id string) (meta.Worker, meta.WorkerAccount, error)
	WorkerAccountByEmail(ctx context.Context, emailHash string) (meta.Worker, meta.WorkerAccount, error)
	PendingMembers(ctx context.Context, orgID string) ([]meta.Worker, error)
	SetMemberOrgIdentity(ctx context.Context, workerID, orgID string, wrapped []byte) error
	UseTOTPStep(ctx context.Context, workerID string, step int64) error
	CreateSession(ctx context.Context, s meta.Session) error
	Session(ctx context.Context, tokenHash string) (meta.Session, error)
	TouchSession(ctx context.Context, tokenHash string, lastSeen, idleExpires time.Time) error
	DeleteSession(ctx context.Context, tokenHash string) (bool, error)
	DeleteSessions(ctx context.Context, kind meta.RecipientKind, principalID string) (int, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	BeginAttempt(ctx context.Context, now time.Time, rules ...meta.ThrottleRule) (bool, time.Time, error)
	ResetThrottle(ctx context.Context, key string) error
	ForgiveAttempt(ctx context.Context, key string) error
	Throttle(ctx context.Context, key string) (meta.ThrottleState, error)
	DeleteStaleThrottles(ctx context.Context, before time.Time) (int, error)
}

func accountStore(t *testing.T, s Store) AccountStore {
	t.Helper()
	as, ok := s.(AccountStore)
	if !ok {
		t.Fatalf("%T does not implement the account store (migration 2)", s)
	}
	return as
}

func newOrg(t *testing.T, s AccountStore) meta.Organisation {
	t.Helper()
	org := meta.Organisation{
		ID: uniq("org"), NameSealed: []byte("sealed name"), PublicKey: uniq("age1org"),
		IdentityByRecovery: []byte("org-by-recovery"), RecoveryPublicKey: uniq("age1rec"), Created: at,
	}
	if err := s.CreateOrganisation(context.Background(), org); err != nil {
		t.Fatalf("CreateOrganisation: %v", err)
	}
	return org
}

func testOwnerAccounts(t *testing.T, st Store) {
	ctx := context.Background()
	s := accountStore(t, st)
	org := newOrg(t, s)
	o := meta.Owner{ID: uniq("owner"), PublicKey: uniq("age1"), IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}, Created: at}
	a := meta.OwnerAccount{IdentifierHash: uniq("idhash"), IdentifierSealed: []byte("sealed-id"), NameSealed: []byte("sealed-name"), Lang: "fr"}
	if err := s.CreateOwnerAccount(ctx, o, a); err != nil {
		t.Fatalf("CreateOwnerAccount: %v", err)
	}
	for name, get := range map[string]func() (meta.Owner, meta.OwnerAccount, error){
		"by id": func() (meta.Owner, meta.OwnerAccount, error) { return s.OwnerAccount(ctx, o.ID) },
		"by identifier": func() (meta.Owner, meta.OwnerAccount, error) {
			return s.OwnerAccountByIdentifier(ctx, a.IdentifierHash)
		},
	} {
		go2, ga, err := get()
		if err != nil || go2.ID != o.ID || go2.PublicKey != o.PublicKey || !go2.Created.Equal(at) ||
			ga.IdentifierHash != a.IdentifierHash || string(ga.IdentifierSealed) != "sealed-id" || string(ga.NameSealed) != "sealed-name" ||
			ga.Lang != "fr" || ga.AssistedOrgID != "" || ga.IdentityByOrg != nil {
			t.Fatalf("OwnerAccount %s = %+v %+v, %v", name, go2, ga, err)
		}
	}
	// Duplicate identifier, even with another id and key.
	dup := meta.Owner{ID: uniq("owner"), PublicKey: uniq("age1"), IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}}
	wantErr(t, "duplicate identifier", s.CreateOwnerAccount(ctx, dup, a), meta.ErrConflict)
	bad := a
	bad.IdentifierHash = uniq("idhash")
	bad.AssistedOrgID = "no-such-org"
	bad.IdentityByOrg = []byte("w")
	wantErr(t, "unknown assisted org", s.CreateOwnerAccount(ctx, dup, bad), meta.ErrNotFound)
	if err := s.CreateOwnerAccount(ctx, dup, meta.OwnerAccount{IdentifierHash: uniq("h"), Lang: "fr", AssistedOrgID: org.ID}); err == nil {
		t.Fatal("assisted organisation without wrap accepted")
	}
	_, _, err := s.OwnerAccountByIdentifier(ctx, "nobody")
	wantErr(t, "by unknown identifier", err, meta.ErrNotFound)
	_, _, err = s.OwnerAccountByIdentifier(ctx, "")
	wantErr(t, "by empty identifier", err, meta.ErrNotFound)
	// Owners created without an account do not match an empty identifier.
	plain := newOwner(t, s)
	if _, pa, err := s.OwnerAccount(ctx, plain.ID); err != nil || pa.IdentifierHash != "" || pa.Lang != "fr" {
		t.Fatalf("plain owner account = %+v, %v", pa, err)
	}

	if err := s.SetOwnerAssistedRecovery(ctx, o.ID, org.ID, []byte("by-org")); err != nil {
		t.Fatalf("SetOwnerAssistedRecovery: %v", err)
	}
	if _, ga, _ := s.OwnerAccount(ctx, o.ID); ga.AssistedOrgID != org.ID || string(ga.IdentityByOrg) != "by-org" {
		t.Fatalf("after opt-in: %+v", ga)
	}
	wantErr(t, "assisted unknown org", s.SetOwnerAssistedRecovery(ctx, o.ID, "no-org", []byte("w")), meta.ErrNotFound)
	wantErr(t, "assisted unknown owner", s.SetOwnerAssistedRecovery(ctx, "nobody", org.ID, []byte("w")), meta.ErrNotFound)
	if err := s.SetOwnerAssistedRecovery(ctx, o.ID, "", nil); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	if _, ga, _ := s.OwnerAccount(ctx, o.ID); ga.AssistedOrgID != "" || ga.IdentityByOrg != nil {
		t.Fatalf("after withdrawal: %+v", ga)
	}
	if err := s.SetOwnerIdentityByRecovery(ctx, o.ID, []byte("new-recovery")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Owner(ctx, o.ID); string(got.IdentityByRecovery) != "new-recovery" {
		t.Fatalf("recovery wrap = %q", got.IdentityByRecovery)
	}
	wantErr(t, "recovery wrap unknown owner", s.SetOwnerIdentityByRecovery(ctx, "nobody", []byte("x")), meta.ErrNotFound)
	if err := s.SetOwnerProfile(ctx, o.ID, nil, "en"); err != nil {
		t.Fatal(err)
	}
	if _, ga, _ := s.OwnerAccount(ctx, o.ID); ga.Lang != "en" || ga.NameSealed != nil {
		t.Fatalf("profile = %+v", ga)
	}
}

func testWorkerAccounts(t *testing.T, st Store) {
	ctx := context.Background()
	s := accountStore(t, st)
	org := newOrg(t, s)
	got, err := s.Organisation(ctx, org.ID)
	if err != nil || got.PublicKey != org.PublicKey || string(got.NameSealed) != "sealed name" || got.RecoveryPublicKey != org.RecoveryPublicKey ||
		string(got.IdentityByRecovery) != "org-by-recovery" || !got.Created.Equal(at) {
		t.Fatalf("Organisation = %+v, %v", got, err)
	}
	dupOrg := org
	dupOrg.ID = uniq("org")
	wantErr(t, "duplicate org key", s.CreateOrganisation(ctx, dupOrg), meta.ErrConflict)
	_, err = s.Organisation(ctx, "nope")
	wantErr(t, "Organisation(missing)", err, meta.ErrNotFound)
	if list, err := s.Organisations(ctx); err != nil || len(list) != 1 || list[0].ID != org.ID {
		t.Fatalf("Organisations = %+v, %v", list, err)
	}

	mk := func(orgID string, totp []byte) (meta.Worker, meta.WorkerAccount) {
		w := meta.Worker{ID: uniq("w"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("w-wrap"), Created: at}
		a := meta.WorkerAccount{OrgID: orgID, EmailHash: uniq("mail"), EmailSealed: []byte("e"), NameSealed: []byte("n"), TOTPSealed: totp}
		if err := s.CreateWorkerAccount(ctx, w, a); err != nil {
			t.Fatalf("CreateWorkerAccount: %v", err)
		}
		return w, a
	}
	w1, a1 := mk(org.ID, []byte("totp"))
	w2, _ := mk(org.ID, nil)
	w3, _ := mk("", nil)
	gw, ga, err := s.WorkerAccountByEmail(ctx, a1.EmailHash)
	if err != nil || gw.ID != w1.ID || ga.OrgID != org.ID || string(ga.TOTPSealed) != "totp" || ga.OrgIdentityWrap != nil || ga.TOTPLastStep != 0 {
		t.Fatalf("WorkerAccountByEmail = %+v %+v, %v", gw, ga, err)
	}
	if _, ga3, err := s.WorkerAccount(ctx, w3.ID); err != nil || ga3.OrgID != "" {
		t.Fatalf("worker without org = %+v, %v", ga3, err)
	}
	dupW := meta.Worker{ID: uniq("w"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("x")}
	wantErr(t, "duplicate e-mail", s.CreateWorkerAccount(ctx, dupW, a1), meta.ErrConflict)
	wantErr(t, "unknown org", s.CreateWorkerAccount(ctx, dupW, meta.WorkerAccount{OrgID: "nope", EmailHash: uniq("m")}), meta.ErrNotFound)
	// Plain workers (CreateWorker) still work and are no org's members.
	if err := s.CreateWorker(ctx, meta.Worker{ID: uniq("w"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("x")}); err != nil {
		t.Fatal(err)
	}

	pending, err := s.PendingMembers(ctx, org.ID)
	if err != nil || len(pending) != 2 || pending[0].PublicKey == "" {
		t.Fatalf("PendingMembers = %+v, %v", pending, err)
	}
	if err := s.SetMemberOrgIdentity(ctx, w1.ID, org.ID, []byte("org-wrap")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "activate twice", s.SetMemberOrgIdentity(ctx, w1.ID, org.ID, []byte("again")), meta.ErrNotFound)
	wantErr(t, "activate in another org", s.SetMemberOrgIdentity(ctx, w3.ID, org.ID, []byte("x")), meta.ErrNotFound)
	if pending, _ := s.PendingMembers(ctx, org.ID); len(pending) != 1 || pending[0].ID != w2.ID {
		t.Fatalf("PendingMembers after activation = %+v", pending)
	}
	if _, ga, _ := s.WorkerAccount(ctx, w1.ID); string(ga.OrgIdentityWrap) != "org-wrap" {
		t.Fatalf("org wrap = %q", ga.OrgIdentityWrap)
	}

	if err := s.UseTOTPStep(ctx, w1.ID, 100); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "replayed step", s.UseTOTPStep(ctx, w1.ID, 100), meta.ErrConflict)
	wantErr(t, "older step", s.UseTOTPStep(ctx, w1.ID, 99), meta.ErrConflict)
	wantErr(t, "unknown worker step", s.UseTOTPStep(ctx, "nobody", 5), meta.ErrNotFound)
	if err := s.UseTOTPStep(ctx, w1.ID, 101); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWorkerIdentityBySecret(ctx, w2.ID, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.Worker(ctx, w2.ID); string(w.IdentityBySecret) != "new" {
		t.Fatal("worker secret wrap not replaced")
	}
	wantErr(t, "secret unknown worker", s.SetWorkerIdentityBySecret(ctx, "nobody", []byte("x")), meta.ErrNotFound)
}

func testSessions(t *testing.T, st Store) {
	ctx := context.Background()
	s := accountStore(t, st)
	row := meta.Session{
		TokenHash: uniq("tok"), Kind: meta.RecipientOwner, PrincipalID: "p1", IdentityWrap: []byte("wrap"),
		Created: at, LastSeen: at, IdleExpires: at.Add(30 * time.Minute), AbsoluteExpires: at.Add(12 * time.Hour),
	}
	if err := s.CreateSession(ctx, row); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "duplicate session", s.CreateSession(ctx, row), meta.ErrConflict)
	bad := row
	bad.TokenHash, bad.Kind = uniq("tok"), meta.RecipientOrganisation
	if err := s.CreateSession(ctx, bad); err == nil {
		t.Fatal("organisation session accepted")
	}
	got, err := s.Session(ctx, row.TokenHash)
	if err != nil || got.PrincipalID != "p1" || got.Kind != meta.RecipientOwner || !bytes.Equal(got.IdentityWrap, row.IdentityWrap) ||
		got.OrgIdentityWrap != nil || !got.Created.Equal(at) || !got.IdleExpires.Equal(row.IdleExpires) || !got.AbsoluteExpires.Equal(row.AbsoluteExpires) {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	later := at.Add(10 * time.Minute)
	if err := s.TouchSession(ctx, row.TokenHash, later, later.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Never backwards.
	if err := s.TouchSession(ctx, row.TokenHash, at, at.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(ctx, row.TokenHash); !got.LastSeen.Equal(later) || !got.IdleExpires.Equal(later.Add(30*time.Minute)) {
		t.Fatalf("after touches: %+v", got)
	}
	wantErr(t, "touch missing", s.TouchSession(ctx, "nope", later, later), meta.ErrNotFound)

	w := row
	w.TokenHash, w.Kind, w.PrincipalID, w.OrgIdentityWrap = uniq("tok"), meta.RecipientWorker, "w1", []byte("org")
	w2 := w
	w2.TokenHash = uniq("tok")
	old := row
	old.TokenHash, old.PrincipalID, old.IdleExpires = uniq("tok"), "p2", at.Add(time.Minute)
	for _, r := range []meta.Session{w, w2, old} {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteSessions(ctx, meta.RecipientWorker, "w1"); err != nil || n != 2 {
		t.Fatalf("DeleteSessions = %d, %v", n, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, at.Add(2*time.Minute)); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	if ok, err := s.DeleteSession(ctx, row.TokenHash); err != nil || !ok {
		t.Fatalf("DeleteSession = %v, %v", ok, err)
	}
	if ok, err := s.DeleteSession(ctx, row.TokenHash); err != nil || ok {
		t.Fatalf("DeleteSession again = %v, %v", ok, err)
	}
	_, err = s.Session(ctx, row.TokenHash)
	wantErr(t, "deleted session", err, meta.ErrNotFound)
}

func block5(n int) time.Duration {
	if n >= 5 {
		return time.Minute
	}
	return 0
}

func testThrottle(t *testing.T, st Store) {
	ctx := context.Background()
	s := accountStore(t, st)
	acct, ip := uniq("acct"), uniq("ip")
	rules := []meta.ThrottleRule{{Key: acct, Window: time.Hour, Block: block5}, {Key: ip, Window: time.Hour, Block: func(int) time.Duration { return 0 }}}
	for i := range 5 {
		ok, _, err := s.BeginAttempt(ctx, at, rules...)
		if err != nil || !ok {
			t.Fatalf("attempt %d = %v, %v", i, ok, err)
		}
	}
	ok, until, err := s.BeginAttempt(ctx, at, rules...)
	if err != nil || ok || !until.Equal(at.Add(time.Minute)) {
		t.Fatalf("blocked attempt = %v, %v, %v", ok, until, err)
	}
	// A refused attempt counts nothing, on either counter.
	if st, err := s.Throttle(ctx, ip); err != nil || st.Failures != 5 {
		t.Fatalf("ip counter = %+v, %v", st, err)
	}
	// After the block, counting resumes; after the window, it restarts.
	if ok, _, _ := s.BeginAttempt(ctx, at.Add(time.Minute), rules...); !ok {
		t.Fatal("attempt after block refused")
	}
	if st, _ := s.Throttle(ctx, acct); st.Failures != 6 {
		t.Fatalf("failures = %d, want 6", st.Failures)
	}
	if ok, _, _ := s.BeginAttempt(ctx, at.Add(3*time.Hour), rules...); !ok {
		t.Fatal("attempt after window refused")
	}
	if st, _ := s.Throttle(ctx, acct); st.Failures != 1 {
		t.Fatalf("failures after window = %d, want 1", st.Failures)
	}
	if err := s.ForgiveAttempt(ctx, ip); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Throttle(ctx, ip); st.Failures != 0 {
		t.Fatalf("ip after forgive = %d", st.Failures)
	}
	if err := s.ForgiveAttempt(ctx, ip); err != nil { // never below 0
		t.Fatal(err)
	}
	if err := s.ResetThrottle(ctx, acct); err != nil {
		t.Fatal(err)
	}
	_, err = s.Throttle(ctx, acct)
	wantErr(t, "reset counter", err, meta.ErrNotFound)
	if _, _, err := s.BeginAttempt(ctx, at); err == nil {
		t.Fatal("attempt without rules accepted")
	}
	if n, err := s.DeleteStaleThrottles(ctx, at.Add(10*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteStaleThrottles = %d, %v", n, err)
	}
}

// Racing attempts never pass a blocked counter: exactly the free attempts
// get through.
func testThrottleConcurrent(t *testing.T, st Store) {
	ctx := context.Background()
	s := accountStore(t, st)
	rule := meta.ThrottleRule{Key: uniq("race"), Window: time.Hour, Block: block5}
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	var errs []error
	for range 40 {
		wg.Go(func() {
			ok, _, err := s.BeginAttempt(ctx, at, rule)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				passed++
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if passed != 5 {
		t.Fatalf("%d racing attempts passed, want 5", passed)
	}
}
