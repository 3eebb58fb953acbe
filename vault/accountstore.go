package vault

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// AccountStore keeps the login side of owners and workers, organisations,
// sessions and login throttling (*meta.SQLite provides it). Errors:
// meta.ErrNotFound for a missing row, meta.ErrConflict for a duplicate
// (identifier, e-mail, key) or a replayed TOTP step; ctx cancellation aborts
// with an error wrapping ctx.Err().
type AccountStore interface {
	CreateOwnerAccount(ctx context.Context, o meta.Owner, a meta.OwnerAccount) error
	OwnerAccount(ctx context.Context, id string) (meta.Owner, meta.OwnerAccount, error)
	OwnerAccountByIdentifier(ctx context.Context, identifierHash string) (meta.Owner, meta.OwnerAccount, error)
	SetOwnerIdentityByRecovery(ctx context.Context, id string, wrapped []byte) error
	// ReplaceOwnerRecovery sets both the secret and the recovery-code wraps
	// only if the recovery-code wrap is still oldRecovery: ErrConflict
	// otherwise (a concurrent recovery won), ErrNotFound for a missing owner.
	ReplaceOwnerRecovery(ctx context.Context, id string, oldRecovery, bySecret, byRecovery []byte) error
	// LastJournalKind is the kind of the owner's latest journal entry among
	// kinds ("" for none).
	LastJournalKind(ctx context.Context, ownerID string, kinds ...string) (string, error)
	// SetOwnerAssistedRecovery: ErrNotFound for a missing owner or organisation.
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
	// SetMemberOrgIdentity: ErrNotFound unless the worker is a pending
	// member of orgID.
	SetMemberOrgIdentity(ctx context.Context, workerID, orgID string, wrapped []byte) error
	// UseTOTPStep: ErrConflict unless step is newer than the last accepted.
	UseTOTPStep(ctx context.Context, workerID string, step int64) error

	SessionStore
	ThrottleStore
}

// SessionStore keeps server-side sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s meta.Session) error
	Session(ctx context.Context, tokenHash string) (meta.Session, error)
	// TouchSession only ever moves times forward.
	TouchSession(ctx context.Context, tokenHash string, lastSeen, idleExpires time.Time) error
	DeleteSession(ctx context.Context, tokenHash string) (bool, error)
	DeleteSessions(ctx context.Context, kind meta.RecipientKind, principalID string) (int, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// ConfirmSession records a fresh proof of the secret (sudo.go);
	// meta.ErrNotFound for a missing session.
	ConfirmSession(ctx context.Context, tokenHash string, at time.Time) error
	// ClearSessionSecretDue: the session's owner changed her secret;
	// meta.ErrNotFound for a missing session.
	ClearSessionSecretDue(ctx context.Context, tokenHash string) error
	// DeleteOtherSessions ends every session of a principal but keep.
	DeleteOtherSessions(ctx context.Context, kind meta.RecipientKind, principalID, keep string) (int, error)
}

// ThrottleStore keeps failed-login counters. BeginAttempt counts an attempt
// against every rule atomically (across instances) or, if one is blocked,
// changes nothing and reports until when.
type ThrottleStore interface {
	BeginAttempt(ctx context.Context, now time.Time, rules ...meta.ThrottleRule) (ok bool, until time.Time, err error)
	ResetThrottle(ctx context.Context, key string) error
	ForgiveAttempt(ctx context.Context, key string) error
	Throttle(ctx context.Context, key string) (meta.ThrottleState, error)
	DeleteStaleThrottles(ctx context.Context, before time.Time) (int, error)
}

// Default session timeouts.
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
)

// accountState is the Service's account-related state.
type accountState struct {
	sessionIdle, sessionMax time.Duration
	// decoyOnce/decoy: a secret wrap with the service's scrypt cost, opened
	// (and failed) for unknown identifiers so that they cost the same work.
	decoyOnce sync.Once
	decoy     []byte
	decoyErr  error
	// recoveryDecoy: the same for recovery codes.
	recoveryDecoyOnce sync.Once
	recoveryDecoy     []byte
	// kdfEvals counts secret derivations started (tests observe it).
	kdfEvals atomic.Int64
}

func newAccountState(cfg Config) *accountState {
	st := &accountState{sessionIdle: cfg.SessionIdle, sessionMax: cfg.SessionMax}
	if st.sessionIdle <= 0 {
		st.sessionIdle = DefaultSessionIdle
	}
	if st.sessionMax <= 0 {
		st.sessionMax = DefaultSessionMax
	}
	if st.sessionIdle > st.sessionMax {
		st.sessionIdle = st.sessionMax
	}
	return st
}
