package metatest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// IntegrityStore is what the integrity suite uses: every store part whose
// rows carry a mac (migration 12), and the failure counts.
type IntegrityStore interface {
	WorkerAdminStore
	ConfirmStore
	StorageStore
	AddPasskey(ctx context.Context, p meta.Passkey) error
	PasskeyByCredential(ctx context.Context, credentialID []byte) (meta.Passkey, error)
	Passkeys(ctx context.Context, kind meta.RecipientKind, principalID string) ([]meta.Passkey, error)
	UsePasskey(ctx context.Context, id string, count uint32, at time.Time) error
	ClearSessionSecretDue(ctx context.Context, tokenHash string) error
	RedoStore
	Tampered() map[string]int64
	SealStatus() error
	SealedAtOpen() int
}

// IntegrityEnv is one database seen as Coffre and as someone who can
// write it but lacks the pepper.
type IntegrityEnv struct {
	// Open returns a new store on the database, with the row key when
	// keyed (without it, a store writes no mac: the release before
	// migration 12 as far as macs go). The suite does not close it.
	Open func(t *testing.T, keyed bool) IntegrityStore
	// Exec runs one statement directly on the database ('?' placeholders).
	Exec func(t *testing.T, q string, args ...any)
	// Blob reads one binary value directly ('?' placeholders).
	Blob func(t *testing.T, q string, args ...any) []byte
}

// RunIntegrity runs the integrity suite: each test edits the database
// behind the store's back, as someone without the pepper would, and checks
// that the store treats the row as absent (ErrTampered, which is also
// ErrNotFound; lists leave it out), counts it, and never writes a new mac
// for it. newEnv returns a fresh, empty database.
func RunIntegrity(t *testing.T, newEnv func(t *testing.T) IntegrityEnv) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, e IntegrityEnv, s IntegrityStore)
	}{
		{"SessionExtendedAndConfirmed", testTamperSession},
		{"MacsSwappedBetweenRows", testTamperSwap},
		{"WorkerReEnabled", testTamperWorker},
		{"MembershipPlanted", testTamperMembership},
		{"OwnerWrapsAndOrganisationKey", testTamperOwnerOrg},
		{"ConsentExtended", testTamperConsentExpiry},
		{"ConsentWidened", testTamperConsentScope},
		{"DocumentRetyped", testTamperDocument},
		{"DropLinkUses", testTamperDropLink},
		{"RequestsAndWaiting", testTamperRequests},
		{"PasskeyPlanted", testTamperPasskey},
		{"RedoRedirected", testTamperRedo},
		{"StorageAndRotation", testTamperStorageRotation},
		{"SealingAtOpen", testSealingAtOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.fn(t, e, e.Open(t, true))
		})
	}
}

// wantTampered checks that err is ErrTampered (hence ErrNotFound).
func wantTampered(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, meta.ErrTampered) || !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("%s: err = %v, want ErrTampered (and ErrNotFound)", what, err)
	}
}

// wantCounted checks that the store counted at least n failures in table.
func wantCounted(t *testing.T, s IntegrityStore, table string, n int64) {
	t.Helper()
	if got := s.Tampered()[table]; got < n {
		t.Fatalf("Tampered()[%s] = %d, want at least %d (all: %v)", table, got, n, s.Tampered())
	}
}

func testTamperSession(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	sess := meta.Session{TokenHash: uniq("tok"), Kind: meta.RecipientOwner, PrincipalID: o.ID, IdentityWrap: []byte("wrap"),
		Created: at, LastSeen: at, IdleExpires: at.Add(30 * time.Minute), AbsoluteExpires: at.Add(12 * time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmSession(ctx, sess.TokenHash, at.Add(time.Minute)); err != nil {
		t.Fatalf("ConfirmSession (genuine): %v", err)
	}
	if err := s.TouchSession(ctx, sess.TokenHash, at.Add(2*time.Minute), at.Add(32*time.Minute)); err != nil {
		t.Fatalf("TouchSession (genuine): %v", err)
	}
	if got, err := s.Session(ctx, sess.TokenHash); err != nil || !got.IdleExpires.Equal(at.Add(32*time.Minute)) {
		t.Fatalf("genuine session after touch and confirm = %+v, %v", got, err)
	}
	macBefore := e.Blob(t, `SELECT mac FROM sessions WHERE token_hash = ?`, sess.TokenHash)
	// A stolen cookie's session, extended by a year and confirmed now.
	later := at.Add(365 * 24 * time.Hour)
	e.Exec(t, `UPDATE sessions SET idle_expires = ?, absolute_expires = ?, confirmed_at = ? WHERE token_hash = ?`,
		later.UnixMicro(), later.UnixMicro(), later.Add(-time.Minute).UnixMicro(), sess.TokenHash)
	_, err := s.Session(ctx, sess.TokenHash)
	wantTampered(t, "Session after extension", err)
	wantTampered(t, "TouchSession", s.TouchSession(ctx, sess.TokenHash, at.Add(3*time.Minute), at.Add(33*time.Minute)))
	wantTampered(t, "ConfirmSession", s.ConfirmSession(ctx, sess.TokenHash, at.Add(3*time.Minute)))
	if after := e.Blob(t, `SELECT mac FROM sessions WHERE token_hash = ?`, sess.TokenHash); !bytes.Equal(after, macBefore) {
		t.Fatal("the store wrote a new mac for a tampered session")
	}
	// Putting the genuine values back restores it: nothing was rewritten.
	e.Exec(t, `UPDATE sessions SET idle_expires = ?, absolute_expires = ?, confirmed_at = ? WHERE token_hash = ?`,
		at.Add(32*time.Minute).UnixMicro(), at.Add(12*time.Hour).UnixMicro(), at.Add(time.Minute).UnixMicro(), sess.TokenHash)
	if _, err := s.Session(ctx, sess.TokenHash); err != nil {
		t.Fatalf("session put back as it was: %v", err)
	}
	// A session row added without the pepper (no mac, or another's).
	e.Exec(t, `INSERT INTO sessions (token_hash, principal_kind, principal_id, identity_wrap, created_at, last_seen, idle_expires, absolute_expires, confirmed_at)
		VALUES ('forged', 'owner', ?, ?, ?, ?, ?, ?, ?)`, o.ID, []byte("wrap"), at.UnixMicro(), at.UnixMicro(), later.UnixMicro(), later.UnixMicro(), later.UnixMicro())
	_, err = s.Session(ctx, "forged")
	wantTampered(t, "Session without a mac", err)
	e.Exec(t, `UPDATE sessions SET mac = ? WHERE token_hash = 'forged'`, macBefore)
	_, err = s.Session(ctx, "forged")
	wantTampered(t, "Session with another session's mac", err)
	// The mark "change the secret first" cleared (migration 13).
	due := meta.Session{TokenHash: uniq("tok"), Kind: meta.RecipientOwner, PrincipalID: o.ID, IdentityWrap: []byte("wrap"),
		Created: at, LastSeen: at, IdleExpires: at.Add(30 * time.Minute), AbsoluteExpires: at.Add(12 * time.Hour), SecretDue: true}
	if err := s.CreateSession(ctx, due); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, due.TokenHash); err != nil || !got.SecretDue {
		t.Fatalf("session with a secret due = %+v, %v", got, err)
	}
	e.Exec(t, `UPDATE sessions SET secret_due = 0 WHERE token_hash = ?`, due.TokenHash)
	_, err = s.Session(ctx, due.TokenHash)
	wantTampered(t, "Session with its secret-due mark cleared", err)
	e.Exec(t, `UPDATE sessions SET secret_due = 1 WHERE token_hash = ?`, due.TokenHash)
	if err := s.ClearSessionSecretDue(ctx, due.TokenHash); err != nil {
		t.Fatalf("ClearSessionSecretDue: %v", err)
	}
	if got, err := s.Session(ctx, due.TokenHash); err != nil || got.SecretDue {
		t.Fatalf("session after ClearSessionSecretDue = %+v, %v", got, err)
	}
	wantCounted(t, s, "sessions", 6)
}

func testTamperSwap(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	mk := func(idle time.Duration) meta.Session {
		sess := meta.Session{TokenHash: uniq("tok"), Kind: meta.RecipientOwner, PrincipalID: o.ID, IdentityWrap: []byte("wrap"),
			Created: at, LastSeen: at, IdleExpires: at.Add(idle), AbsoluteExpires: at.Add(12 * time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	a, b := mk(time.Minute), mk(12*time.Hour)
	// Every field of a made the same as b's but the key, then the macs
	// swapped: no row may take another's place.
	ma := e.Blob(t, `SELECT mac FROM sessions WHERE token_hash = ?`, a.TokenHash)
	mb := e.Blob(t, `SELECT mac FROM sessions WHERE token_hash = ?`, b.TokenHash)
	e.Exec(t, `UPDATE sessions SET idle_expires = ?, mac = ? WHERE token_hash = ?`, b.IdleExpires.UnixMicro(), mb, a.TokenHash)
	e.Exec(t, `UPDATE sessions SET mac = ? WHERE token_hash = ?`, ma, b.TokenHash)
	for _, h := range []string{a.TokenHash, b.TokenHash} {
		_, err := s.Session(ctx, h)
		wantTampered(t, "Session with a swapped mac", err)
	}
	// The same between two workers.
	as := accountStore(t, s)
	w1, w2 := newWorkerAccount(t, as, ""), newWorkerAccount(t, as, "")
	m1 := e.Blob(t, `SELECT mac FROM workers WHERE id = ?`, w1)
	m2 := e.Blob(t, `SELECT mac FROM workers WHERE id = ?`, w2)
	e.Exec(t, `UPDATE workers SET mac = ? WHERE id = ?`, m2, w1)
	e.Exec(t, `UPDATE workers SET mac = ? WHERE id = ?`, m1, w2)
	for _, id := range []string{w1, w2} {
		_, _, err := s.WorkerAccount(ctx, id)
		wantTampered(t, "WorkerAccount with a swapped mac", err)
	}
	wantCounted(t, s, "workers", 2)
}

// newWorkerAccount creates a worker with an account (in orgID, "" for
// none) and returns its id.
func newWorkerAccount(t *testing.T, s AccountStore, orgID string) string {
	t.Helper()
	w := meta.Worker{ID: uniq("worker"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("w-wrap"), Created: at}
	a := meta.WorkerAccount{EmailHash: uniq("email"), EmailSealed: []byte("e"), NameSealed: []byte("n"), OrgID: orgID,
		TOTPSealed: []byte("totp")}
	if err := s.CreateWorkerAccount(context.Background(), w, a); err != nil {
		t.Fatalf("CreateWorkerAccount: %v", err)
	}
	return w.ID
}

func testTamperWorker(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	id := newWorkerAccount(t, s, "")
	if err := s.UseTOTPStep(ctx, id, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWorkerDisabled(ctx, id, at); err != nil {
		t.Fatal(err)
	}
	if _, a, err := s.WorkerAccount(ctx, id); err != nil || a.Disabled.IsZero() || a.TOTPLastStep != 10 {
		t.Fatalf("disabled worker = %+v, %v", a, err)
	}
	// disabled_at cleared: the worker is not active again, it is gone.
	e.Exec(t, `UPDATE workers SET disabled_at = NULL WHERE id = ?`, id)
	_, _, err := s.WorkerAccount(ctx, id)
	wantTampered(t, "WorkerAccount with disabled_at cleared", err)
	if rows, err := s.WorkerAccounts(ctx, ""); err != nil || slices.ContainsFunc(rows, func(r meta.WorkerRow) bool { return r.ID == id }) {
		t.Fatalf("WorkerAccounts lists the tampered worker: %v", err)
	}
	// Nor can it be disabled (or enabled) again through the store: the
	// row is never resealed.
	wantTampered(t, "SetWorkerDisabled", s.SetWorkerDisabled(ctx, id, at.Add(time.Hour)))
	wantTampered(t, "UseTOTPStep", s.UseTOTPStep(ctx, id, 11))
	// TOTP removed, or its counter moved back (to replay a code).
	id2 := newWorkerAccount(t, s, "")
	e.Exec(t, `UPDATE workers SET totp_sealed = NULL WHERE id = ?`, id2)
	_, _, err = s.WorkerAccount(ctx, id2)
	wantTampered(t, "WorkerAccount without its TOTP", err)
	id3 := newWorkerAccount(t, s, "")
	if err := s.UseTOTPStep(ctx, id3, 50); err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE workers SET totp_last_step = 49 WHERE id = ?`, id3)
	_, _, err = s.WorkerAccount(ctx, id3)
	wantTampered(t, "WorkerAccount with its TOTP step moved back", err)
	wantCounted(t, s, "workers", 5)
}

func testTamperMembership(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	org := newOrg(t, s)
	member := newWorkerAccount(t, s, org.ID)
	outsider := newWorkerAccount(t, s, "")
	// The outsider put into the organisation as a pending member, to be
	// handed its key at the next activate-members.
	e.Exec(t, `UPDATE workers SET org_id = ? WHERE id = ?`, org.ID, outsider)
	pending, err := s.PendingMembers(ctx, org.ID)
	if err != nil || len(pending) != 1 || pending[0].ID != member {
		t.Fatalf("PendingMembers = %+v, %v; want only the genuine member", pending, err)
	}
	wantTampered(t, "SetMemberOrgIdentity", s.SetMemberOrgIdentity(ctx, outsider, org.ID, []byte("org-wrap")))
	// A removed member put back.
	if err := s.SetMemberOrgIdentity(ctx, member, org.ID, []byte("org-wrap")); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, member, org.ID); err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE workers SET org_id = ?, org_identity_wrap = ? WHERE id = ?`, org.ID, []byte("org-wrap"), member)
	_, _, err = s.WorkerAccount(ctx, member)
	wantTampered(t, "a removed member put back", err)
	if rows, err := s.WorkerAccounts(ctx, org.ID); err != nil || len(rows) != 0 {
		t.Fatalf("WorkerAccounts(org) = %+v, %v; want none", rows, err)
	}
	wantCounted(t, s, "workers", 3)
}

func testTamperOwnerOrg(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	victim, thief := newOwner(t, s), newOwner(t, s)
	// The thief's secret wrap (and key) copied into the victim's row: the
	// thief would sign in as her with the thief's own secret.
	e.Exec(t, `UPDATE owners SET identity_by_secret = ?, public_key = ? WHERE id = ?`, thief.IdentityBySecret, uniq("age1thief"), victim.ID)
	_, err := s.Owner(ctx, victim.ID)
	wantTampered(t, "Owner with another's wrap", err)
	_, _, err = s.OwnerAccount(ctx, victim.ID)
	wantTampered(t, "OwnerAccount with another's wrap", err)
	wantTampered(t, "SetOwnerIdentityBySecret", s.SetOwnerIdentityBySecret(ctx, victim.ID, []byte("x")))
	if _, err := s.Owner(ctx, thief.ID); err != nil {
		t.Fatalf("the other owner: %v", err)
	}
	// An organisation given a next key (a rotation nobody started).
	org := newOrg(t, s)
	e.Exec(t, `UPDATE organisations SET next_public_key = 'age1attacker', next_identity_by_recovery = ? WHERE id = ?`, []byte("x"), org.ID)
	_, err = s.Organisation(ctx, org.ID)
	wantTampered(t, "Organisation with a planted rotation", err)
	if orgs, err := s.Organisations(ctx); err != nil || slices.ContainsFunc(orgs, func(o meta.Organisation) bool { return o.ID == org.ID }) {
		t.Fatalf("Organisations lists the tampered one: %v", err)
	}
	wantCounted(t, s, "owners", 3)
	wantCounted(t, s, "organisations", 2)
}

// sharedDoc is an owner, a worker and a committed paper consented to the
// worker for 31 days, with the worker's wrap.
func sharedDoc(t *testing.T, s IntegrityStore) (meta.Owner, meta.Worker, meta.Document, meta.Consent) {
	t.Helper()
	ctx := context.Background()
	o, w := newOwner(t, s), newWorker(t, s)
	d := committedDoc(t, s, o.ID)
	c := newConsent(o.ID, w.ID, []string{d.ID}, nil)
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWrap(ctx, granteeWrap(d.ID, w.ID)); err != nil {
		t.Fatal(err)
	}
	return o, w, d, c
}

func testTamperConsentExpiry(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o, w, d, c := sharedDoc(t, s)
	after := c.Expires.Add(time.Hour)
	if ok, err := s.LiveConsentCovers(ctx, d.ID, meta.RecipientWorker, w.ID, at.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("genuine consent covers = %v, %v", ok, err)
	}
	// Pushed a year later.
	e.Exec(t, `UPDATE consents SET expires_at = ? WHERE id = ?`, c.Expires.Add(365*24*time.Hour).UnixMicro(), c.ID)
	for _, now := range []time.Time{at.Add(time.Hour), after} {
		if ok, err := s.LiveConsentCovers(ctx, d.ID, meta.RecipientWorker, w.ID, now); err != nil || ok {
			t.Fatalf("extended consent covers at %v = %v, %v", now, ok, err)
		}
		if cs, err := s.LiveConsentsFor(ctx, meta.RecipientWorker, w.ID, now); err != nil || len(cs) != 0 {
			t.Fatalf("LiveConsentsFor = %+v, %v", cs, err)
		}
	}
	_, err := s.Consent(ctx, c.ID)
	wantTampered(t, "Consent", err)
	if cs, err := s.LiveConsentsOfOwner(ctx, o.ID, at.Add(time.Hour)); err != nil || len(cs) != 0 {
		t.Fatalf("LiveConsentsOfOwner = %+v, %v", cs, err)
	}
	_, err = s.RevokeConsent(ctx, c.ID, o.ID, at.Add(time.Hour))
	wantTampered(t, "RevokeConsent", err)
	// A revoked consent un-revoked.
	_, w2, d2, c2 := sharedDoc(t, s)
	if _, err := s.RevokeConsent(ctx, c2.ID, c2.OwnerID, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWrap(ctx, granteeWrap(d2.ID, w2.ID)); err != nil { // a wrap put back from a backup
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE consents SET revoked_at = NULL WHERE id = ?`, c2.ID)
	if ok, err := s.LiveConsentCovers(ctx, d2.ID, meta.RecipientWorker, w2.ID, at.Add(time.Hour)); err != nil || ok {
		t.Fatalf("un-revoked consent covers = %v, %v", ok, err)
	}
	wantCounted(t, s, "consents", 4)
}

func testTamperConsentScope(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o, w, d, c := sharedDoc(t, s)
	now := at.Add(time.Hour)
	// Another paper of hers added to the consent, the worker's wrap of it
	// put back from an older consent (or a backup).
	extra := committedDoc(t, s, o.ID)
	if err := s.AddWrap(ctx, granteeWrap(extra.ID, w.ID)); err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `INSERT INTO consent_documents (consent_id, document_id) VALUES (?, ?)`, c.ID, extra.ID)
	if ok, err := s.LiveConsentCovers(ctx, extra.ID, meta.RecipientWorker, w.ID, now); err != nil || ok {
		t.Fatalf("added paper covered = %v, %v", ok, err)
	}
	// With the mac of the genuine paper row copied over: still refused.
	m := e.Blob(t, `SELECT mac FROM consent_documents WHERE consent_id = ? AND document_id = ?`, c.ID, d.ID)
	e.Exec(t, `UPDATE consent_documents SET mac = ? WHERE consent_id = ? AND document_id = ?`, m, c.ID, extra.ID)
	if ok, err := s.LiveConsentCovers(ctx, extra.ID, meta.RecipientWorker, w.ID, now); err != nil || ok {
		t.Fatalf("added paper with a copied mac covered = %v, %v", ok, err)
	}
	got, err := s.Consent(ctx, c.ID)
	if err != nil || !slices.Equal(got.Documents, []string{d.ID}) {
		t.Fatalf("Consent scope = %v, %v; want only the chosen paper", got.Documents, err)
	}
	if ok, err := s.LiveConsentCovers(ctx, d.ID, meta.RecipientWorker, w.ID, now); err != nil || !ok {
		t.Fatalf("the chosen paper stays covered: %v, %v", ok, err)
	}
	// A type added ("all my payslips from now on") and a legacy category.
	e.Exec(t, `INSERT INTO consent_types (consent_id, doc_type) VALUES (?, 'bulletin-paie')`, c.ID)
	e.Exec(t, `INSERT INTO consent_categories (consent_id, category) VALUES (?, 'income')`, c.ID)
	later := newDoc(o.ID, meta.StatePending)
	later.DocType, later.Created = "bulletin-paie", at.Add(time.Hour)
	if err := s.InsertDocument(ctx, later); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitDocument(ctx, later.ID, 1, []meta.Wrap{ownerWrap(later), granteeWrap(later.ID, w.ID)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.LiveConsentCovers(ctx, later.ID, meta.RecipientWorker, w.ID, at.Add(2*time.Hour)); err != nil || ok {
		t.Fatalf("paper of an added type covered = %v, %v", ok, err)
	}
	got, _ = s.Consent(ctx, c.ID)
	if len(got.Types) != 0 || len(got.Categories) != 0 {
		t.Fatalf("Consent scope = types %v categories %v; want none", got.Types, got.Categories)
	}
	wantCounted(t, s, "consent_documents", 3)
	wantCounted(t, s, "consent_types", 1)
	wantCounted(t, s, "consent_categories", 1)
}

func testTamperDocument(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o, w := newOwner(t, s), newWorker(t, s)
	c := newConsent(o.ID, w.ID, nil, nil)
	c.Types = []string{"bulletin-paie"}
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	// Her identity card, older than the consent, made a "payslip added
	// after it": the type scope would cover it.
	card := committedDoc(t, s, o.ID)
	if err := s.AddWrap(ctx, granteeWrap(card.ID, w.ID)); err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE documents SET doc_type = 'bulletin-paie', created_at = ? WHERE id = ?`, at.Add(time.Hour).UnixMicro(), card.ID)
	if ok, err := s.LiveConsentCovers(ctx, card.ID, meta.RecipientWorker, w.ID, at.Add(2*time.Hour)); err != nil || ok {
		t.Fatalf("retyped paper covered = %v, %v", ok, err)
	}
	accs, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID)
	if err != nil || len(accs) != 0 {
		t.Fatalf("ListAccess = %d rows, %v; want none", len(accs), err)
	}
	_, err = s.DocumentAccess(ctx, card.ID, meta.RecipientWorker, w.ID)
	wantTampered(t, "DocumentAccess", err)
	wantCounted(t, s, "documents", 3)
}

func testTamperDropLink(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	l := meta.DropLink{ID: uniq("link"), OwnerID: o.ID, TokenHash: uniq("hash"), PublicSealed: []byte("p"), DetailsSealed: []byte("d"),
		CreatedByKind: meta.RecipientOwner, CreatedByID: o.ID, Created: at, Expires: at.Add(24 * time.Hour), MaxUses: 1}
	if err := s.InsertDropLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemDropLink(ctx, l.TokenHash, at.Add(time.Minute)); err != nil {
		t.Fatalf("genuine redemption: %v", err)
	}
	_, err := s.RedeemDropLink(ctx, l.TokenHash, at.Add(time.Minute))
	wantErr(t, "second redemption of a single-use link", err, meta.ErrNotFound)
	// More uses, a use given back, the expiry pushed later, each then
	// undone (the genuine row reads again: nothing was rewritten).
	r := meta.Request{ID: uniq("req"), OwnerID: o.ID, WorkerID: newWorkerAccount(t, s, ""), DetailsSealed: []byte("d"),
		Types: []string{"avis-impot"}, Days: 31, Created: at}
	if err := s.InsertRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, set := range []string{"max_uses = 100", "uses = 0", "expires_at = expires_at + 86400000000", "request_id = '" + r.ID + "'"} {
		e.Exec(t, `UPDATE drop_links SET `+set+` WHERE id = ?`, l.ID)
		_, err = s.RedeemDropLink(ctx, l.TokenHash, at.Add(time.Minute))
		wantTampered(t, "RedeemDropLink after "+set, err)
		e.Exec(t, `UPDATE drop_links SET max_uses = 1, uses = 1, expires_at = ?, request_id = NULL WHERE id = ?`, l.Expires.UnixMicro(), l.ID)
	}
	if ls, err := s.DropLinksOfOwner(ctx, o.ID); err != nil || len(ls) != 1 {
		t.Fatalf("DropLinksOfOwner = %d, %v (the last edit put the link back as it was)", len(ls), err)
	}
	e.Exec(t, `UPDATE drop_links SET max_uses = 5 WHERE id = ?`, l.ID)
	if ls, err := s.DropLinksOfOwner(ctx, o.ID); err != nil || len(ls) != 0 {
		t.Fatalf("DropLinksOfOwner lists the tampered link: %d, %v", len(ls), err)
	}
	wantTampered(t, "RevokeDropLink", s.RevokeDropLink(ctx, l.ID, at))
	// A worker's link whose consent was extended past its end.
	_, w, _, c := sharedDoc(t, s)
	wl := meta.DropLink{ID: uniq("link"), OwnerID: c.OwnerID, TokenHash: uniq("hash"), PublicSealed: []byte("p"), DetailsSealed: []byte("d"),
		CreatedByKind: meta.RecipientWorker, CreatedByID: w.ID, ConsentID: c.ID, Created: at, Expires: c.Expires.Add(48 * time.Hour), MaxUses: 5}
	if err := s.InsertDropLink(ctx, wl); err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE consents SET expires_at = ? WHERE id = ?`, c.Expires.Add(24*time.Hour).UnixMicro(), c.ID)
	if _, err := s.RedeemDropLink(ctx, wl.TokenHash, c.Expires.Add(time.Hour)); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("worker's link under an extended consent: %v", err)
	}
	if got, err := s.DropLink(ctx, wl.ID); err != nil || got.UsableAt(at.Add(time.Hour)) {
		t.Fatalf("worker's link usable = %v, %v; want not (its consent fails its check)", got.UsableAt(at.Add(time.Hour)), err)
	}
	wantCounted(t, s, "drop_links", 6)
	_ = w
}

func testTamperRequests(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	asker, other := newWorkerAccount(t, s, ""), newWorkerAccount(t, s, "")
	r := meta.Request{ID: uniq("req"), OwnerID: o.ID, WorkerID: asker, DetailsSealed: []byte("d"), Types: []string{"avis-impot"}, Days: 31, Created: at}
	if err := s.InsertRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Her answer would go to another worker, for a year, for more papers.
	e.Exec(t, `UPDATE requests SET worker_id = ?, days = 365, types = 'avis-impot,carte-identite' WHERE id = ?`, other, r.ID)
	_, err := s.Request(ctx, r.ID)
	wantTampered(t, "Request", err)
	if rs, err := s.RequestsOfOwner(ctx, o.ID); err != nil || len(rs) != 0 {
		t.Fatalf("RequestsOfOwner = %+v, %v", rs, err)
	}
	c := newConsent(o.ID, other, nil, nil)
	c.Types = []string{"avis-impot"}
	wantTampered(t, "AcceptRequest", s.AcceptRequest(ctx, r.ID, o.ID, c, at))
	if _, err := s.Consent(ctx, c.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("a consent was made from a tampered request: %v", err)
	}
	// A waiting request planted for an identifier.
	wr := meta.WaitingRequest{ID: uniq("wait"), WorkerID: asker, IdentifierHash: uniq("ident"), DetailsSealed: []byte("d"),
		Types: []string{"avis-impot"}, Days: 31, Created: at, Expires: at.Add(31 * 24 * time.Hour)}
	if err := s.InsertWaitingRequest(ctx, wr); err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE waiting_requests SET worker_id = ? WHERE id = ?`, other, wr.ID)
	if ws, err := s.WaitingRequestsFor(ctx, wr.IdentifierHash, at); err != nil || len(ws) != 0 {
		t.Fatalf("WaitingRequestsFor = %+v, %v", ws, err)
	}
	wr.WorkerID = other
	err = s.DeliverWaitingRequest(ctx, meta.Request{ID: wr.ID, OwnerID: o.ID, WorkerID: other, DetailsSealed: []byte("d"),
		Types: wr.Types, Days: wr.Days, Status: meta.RequestPending, Created: at})
	wantErr(t, "DeliverWaitingRequest", err, meta.ErrNotFound)
	wantCounted(t, s, "requests", 3)
	wantCounted(t, s, "waiting_requests", 2)
}

// RedoStore keeps the redos of issue 17 (migration 18).
type RedoStore interface {
	InsertRedo(ctx context.Context, r meta.Redo) error
	Redo(ctx context.Context, id string) (meta.Redo, error)
	RedosOfOwner(ctx context.Context, ownerID string) ([]meta.Redo, error)
	RedosOfWorker(ctx context.Context, workerID string) ([]meta.Redo, error)
	RedoByLink(ctx context.Context, linkID string) (meta.Redo, error)
	ForwardRedo(ctx context.Context, id, linkID string, now time.Time) error
	CloseRedo(ctx context.Context, id, replacementID string, now time.Time) error
	ReopenRedo(ctx context.Context, id string) error
}

// testTamperRedo: a redo goes open → forwarded → (reopened →) closed, one
// not closed per request and type; a redo edited without the pepper
// (pointed at another link or paper, closed, its reason changed) is
// absent, counted, and never moved on.
func testTamperRedo(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	w := newWorkerAccount(t, s, "")
	r := meta.Request{ID: uniq("req"), OwnerID: o.ID, WorkerID: w, DetailsSealed: []byte("d"), Types: []string{"avis-impot"}, Days: 31, Created: at}
	if err := s.InsertRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	rd := meta.Redo{ID: uniq("redo"), OwnerID: o.ID, RequestID: r.ID, WorkerID: w, DocumentID: uniq("doc"), DocType: "avis-impot",
		Reason: "page_missing", NoteSealed: []byte("n"), Created: at}
	if err := s.InsertRedo(ctx, rd); err != nil {
		t.Fatal(err)
	}
	second := rd
	second.ID = uniq("redo")
	wantErr(t, "a second redo not closed", s.InsertRedo(ctx, second), meta.ErrConflict)
	wantErr(t, "CloseRedo while open", s.CloseRedo(ctx, rd.ID, uniq("doc"), at), meta.ErrConflict)
	link := uniq("link")
	if err := s.ForwardRedo(ctx, rd.ID, link, at); err != nil {
		t.Fatal(err)
	}
	got, err := s.RedoByLink(ctx, link)
	if err != nil || got.ID != rd.ID || got.Status != meta.RedoForwarded || !got.Forwarded.Equal(at) || !bytes.Equal(got.NoteSealed, rd.NoteSealed) {
		t.Fatalf("RedoByLink = %+v, %v", got, err)
	}
	if err := s.ReopenRedo(ctx, rd.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedoByLink(ctx, link); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("a reopened redo still found by its link: %v", err)
	}
	if err := s.ForwardRedo(ctx, rd.ID, link, at); err != nil {
		t.Fatal(err)
	}
	repl := uniq("doc")
	if err := s.CloseRedo(ctx, rd.ID, repl, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Redo(ctx, rd.ID); err != nil || got.Status != meta.RedoClosed || got.ReplacementID != repl {
		t.Fatalf("closed redo = %+v, %v", got, err)
	}
	wantErr(t, "ForwardRedo once closed", s.ForwardRedo(ctx, rd.ID, uniq("link"), at), meta.ErrConflict)
	if err := s.InsertRedo(ctx, second); err != nil {
		t.Fatalf("a new redo once the first is closed: %v", err)
	}
	if rs, err := s.RedosOfWorker(ctx, w); err != nil || len(rs) != 2 {
		t.Fatalf("RedosOfWorker = %+v, %v", rs, err)
	}
	// Pointed at another link (a deposit through it would close it) and
	// shown as closed with another reason: absent.
	e.Exec(t, `UPDATE redos SET link_id = ?, reason = 'wrong_person' WHERE id = ?`, "planted", second.ID)
	_, err = s.Redo(ctx, second.ID)
	wantTampered(t, "Redo", err)
	if rs, err := s.RedosOfOwner(ctx, o.ID); err != nil || len(rs) != 1 || rs[0].ID != rd.ID {
		t.Fatalf("RedosOfOwner = %+v, %v", rs, err)
	}
	if _, err := s.RedoByLink(ctx, "planted"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("RedoByLink found a tampered redo: %v", err)
	}
	wantTampered(t, "ForwardRedo", s.ForwardRedo(ctx, second.ID, uniq("link"), at))
	e.Exec(t, `UPDATE redos SET status = 'forwarded' WHERE id = ?`, rd.ID)
	wantTampered(t, "CloseRedo", s.CloseRedo(ctx, rd.ID, uniq("doc"), at))
	wantCounted(t, s, "redos", 4)
}

func testTamperPasskey(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	victim, thief := newOwner(t, s), newOwner(t, s)
	p := meta.Passkey{ID: uniq("pk"), Kind: meta.RecipientOwner, PrincipalID: thief.ID, CredentialID: []byte(uniq("cred")), PublicKey: []byte("thief-key"),
		NameSealed: []byte("phone"), Created: at}
	if err := s.AddPasskey(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.UsePasskey(ctx, p.ID, 5, at); err != nil {
		t.Fatal(err)
	}
	// The thief's passkey moved to the victim (to confirm her stolen
	// session with the thief's own phone), or its counter moved back.
	e.Exec(t, `UPDATE passkeys SET owner_id = ? WHERE id = ?`, victim.ID, p.ID)
	_, err := s.PasskeyByCredential(ctx, p.CredentialID)
	wantTampered(t, "PasskeyByCredential", err)
	if ps, err := s.Passkeys(ctx, meta.RecipientOwner, victim.ID); err != nil || len(ps) != 0 {
		t.Fatalf("Passkeys(victim) = %+v, %v", ps, err)
	}
	e.Exec(t, `UPDATE passkeys SET owner_id = ?, sign_count = 1 WHERE id = ?`, thief.ID, p.ID)
	wantTampered(t, "UsePasskey with its counter moved back", s.UsePasskey(ctx, p.ID, 2, at))
	wantCounted(t, s, "passkeys", 3)
}

func testTamperStorageRotation(t *testing.T, e IntegrityEnv, s IntegrityStore) {
	ctx := context.Background()
	o, other := newOwner(t, s), newOwner(t, s)
	tg := meta.StorageTarget{ID: uniq("target"), Scope: meta.ScopeOwner, ScopeID: other.ID, ConfigSealed: []byte("sealed"), Created: at}
	if err := s.SetStorageTarget(ctx, tg); err != nil {
		t.Fatal(err)
	}
	// Another owner's bucket made hers.
	e.Exec(t, `UPDATE storage_targets SET scope_id = ? WHERE id = ?`, o.ID, tg.ID)
	_, err := s.ActiveStorageTarget(ctx, meta.ScopeOwner, o.ID)
	wantErr(t, "ActiveStorageTarget", err, meta.ErrNotFound)
	_, err = s.StorageTarget(ctx, tg.ID)
	wantTampered(t, "StorageTarget", err)
	if id, err := s.EffectiveStore(ctx, o.ID, true); err != nil || id != "" {
		t.Fatalf("EffectiveStore = %q, %v; want the default store", id, err)
	}
	// A key rotation planted: her next rotation would hand her papers to
	// the planter's key.
	e.Exec(t, `INSERT INTO owner_key_rotations (owner_id, old_public_key, new_public_key, carried_identity_wrap, phase, started_at)
		VALUES (?, ?, 'age1planted', ?, 'adding', ?)`, o.ID, o.PublicKey, []byte("wrap"), at.UnixMicro())
	_, err = s.KeyRotation(ctx, o.ID)
	wantTampered(t, "KeyRotation", err)
	wantCounted(t, s, "storage_targets", 2)
	wantCounted(t, s, "owner_key_rotations", 1)
}

func testSealingAtOpen(t *testing.T, e IntegrityEnv, keyed IntegrityStore) {
	ctx := context.Background()
	genuine := newOwner(t, keyed) // a database in use holds genuine rows
	// Rows written by a store without the key (as the release before
	// migration 12 wrote them) have no mac...
	plain := e.Open(t, false)
	o := newOwner(t, plain)
	w := newWorker(t, plain)
	d := committedDoc(t, plain, o.ID)
	c := newConsent(o.ID, w.ID, []string{d.ID}, nil)
	if err := plain.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	if m := e.Blob(t, `SELECT mac FROM consents WHERE id = ?`, c.ID); m != nil {
		t.Fatalf("a store without the key wrote a mac: %x", m)
	}
	// ...but the keyed store this env opened first had sealed the empty
	// database: rows without a mac are refused from then on, however many
	// times the store is opened again (no second sealing).
	_, err := keyed.Consent(ctx, c.ID)
	wantTampered(t, "Consent written without the key after the sealing", err)
	again := e.Open(t, true)
	if n := again.SealedAtOpen(); n != 0 || again.SealStatus() != nil {
		t.Fatalf("reopening sealed %d rows (%v); want none", n, again.SealStatus())
	}
	_, err = again.Consent(ctx, c.ID)
	wantTampered(t, "Consent after reopening", err)

	// The record of the sealing removed, to have the next open seal the
	// rows written without the key: refused and reported.
	e.Exec(t, `DELETE FROM row_macs`)
	third := e.Open(t, true)
	if !errors.Is(third.SealStatus(), meta.ErrSealRecord) || third.SealedAtOpen() != 0 {
		t.Fatalf("open after the record was removed: sealed %d, status %v; want ErrSealRecord", third.SealedAtOpen(), third.SealStatus())
	}
	_, err = third.Consent(ctx, c.ID)
	wantTampered(t, "Consent after the record was removed", err)
	if _, err := third.Owner(ctx, genuine.ID); err != nil {
		t.Fatalf("the genuine owner: %v", err)
	}
	wantCounted(t, third, "row_macs", 1)
	// Put back with another start time (its mac no longer matches).
	e.Exec(t, `INSERT INTO row_macs (id, started_at, sealed_at, mac) VALUES (1, 0, NULL, ?)`, []byte("forged"))
	if fourth := e.Open(t, true); !errors.Is(fourth.SealStatus(), meta.ErrSealRecord) || fourth.SealedAtOpen() != 0 {
		t.Fatalf("open with a forged record: sealed %d, status %v", fourth.SealedAtOpen(), fourth.SealStatus())
	}
}

// RunSealing checks the first sealing of a database written before
// migration 12 (newEnv returns an empty database that no keyed store has
// opened yet): every row gets its mac and reads back as it was, and a
// second open seals nothing.
func RunSealing(t *testing.T, newEnv func(t *testing.T) IntegrityEnv) {
	ctx := context.Background()
	e := newEnv(t)
	plain := e.Open(t, false)
	o := newOwner(t, plain)
	w := newWorker(t, plain)
	d := committedDoc(t, plain, o.ID)
	c := newConsent(o.ID, w.ID, []string{d.ID}, []string{"income"})
	c.Types = []string{"bulletin-paie"}
	if err := plain.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	const sessions = 450 // more than two batches
	var last string
	for i := 0; i < sessions; i++ {
		last = uniq("tok")
		if err := plain.CreateSession(ctx, meta.Session{TokenHash: last, Kind: meta.RecipientOwner, PrincipalID: o.ID,
			IdentityWrap: []byte("w"), Created: at, LastSeen: at, IdleExpires: at.Add(time.Hour), AbsoluteExpires: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	first := e.Open(t, true)
	// owner, worker, document, consent and its three scope rows, sessions
	if n := first.SealedAtOpen(); n != sessions+7 || first.SealStatus() != nil {
		t.Fatalf("first open sealed %d rows (%v), want %d", n, first.SealStatus(), sessions+7)
	}
	got, err := first.Consent(ctx, c.ID)
	if err != nil || !slices.Equal(got.Documents, []string{d.ID}) || !slices.Equal(got.Types, c.Types) || !slices.Equal(got.Categories, c.Categories) {
		t.Fatalf("sealed consent = %+v, %v", got, err)
	}
	if ok, err := first.LiveConsentCovers(ctx, d.ID, meta.RecipientWorker, w.ID, at.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("sealed consent covers = %v, %v", ok, err)
	}
	if accs, err := first.ListAccess(ctx, meta.RecipientOwner, o.ID); err != nil || len(accs) != 1 {
		t.Fatalf("sealed document: %d, %v", len(accs), err)
	}
	if _, err := first.Session(ctx, last); err != nil {
		t.Fatalf("last sealed session: %v", err)
	}
	if _, _, err := first.OwnerAccount(ctx, o.ID); err != nil {
		t.Fatalf("sealed owner: %v", err)
	}
	if n := e.Open(t, true).SealedAtOpen(); n != 0 {
		t.Fatalf("second open sealed %d rows", n)
	}
	if tm := first.Tampered(); len(tm) != 0 {
		t.Fatalf("failures counted on a genuine database: %v", tm)
	}
}
