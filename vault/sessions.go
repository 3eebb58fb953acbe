package vault

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// ErrNoSession: the session token is malformed, unknown, expired or ended
// (indistinguishable on purpose).
var ErrNoSession = errors.New("vault: no such session")

// Sessions. The cookie token is 256 random bits (base64url, 43
// characters), shown once to the browser and never stored: the sessions
// table keeps its SHA-256 (the lookup key) and the principal's identity
// age-wrapped to an X25519 identity derived with HKDF-SHA256 from the token
// (secret) and the pepper (salt). A copy of the table, even with the
// pepper, opens nothing without a live token; any instance sharing the
// database and the pepper resumes the session.
const (
	sessionTokenBytes = 32
	sessionTokenLen   = 43 // base64url without padding of 32 bytes
	// sessionTouchEvery bounds the writes that keep a session alive.
	sessionTouchEvery = time.Minute
)

// Session is a server-side session as the API sees it.
type Session struct {
	Kind        RecipientKind
	PrincipalID string
	// CSRF is the session's anti-CSRF token: base64url of a key derived
	// from the cookie token and the pepper, so it is stable for the
	// session's life and never stored. Compare it with
	// subtle.ConstantTimeCompare.
	CSRF            string
	Created         time.Time
	LastSeen        time.Time
	IdleExpires     time.Time
	AbsoluteExpires time.Time
	// ConfirmedAt is when the owner last proved the secret or recovery
	// code in this session (zero: never); see Confirmed.
	ConfirmedAt time.Time
	// SecretChangeDue: the owner must change her secret before anything
	// else in this session (Principal.SecretChangeDue).
	SecretChangeDue bool
}

// sessionKeys derives what a token gives: the lookup hash, the identity
// the principal is wrapped to, and the CSRF token.
type sessionKeys struct {
	hash     string
	identity *age.X25519Identity
	csrf     string
}

func (s *Service) sessionKeys(token []byte) (sessionKeys, error) {
	h := sha256.Sum256(token)
	seed, err := hkdf.Key(sha256.New, token, s.pepper, infoSessionKey, 32)
	if err != nil {
		return sessionKeys{}, fmt.Errorf("vault: session key: %w", err)
	}
	id, err := identityFromSeed(seed)
	if err != nil {
		return sessionKeys{}, fmt.Errorf("vault: session key: %w", err)
	}
	c, err := hkdf.Key(sha256.New, token, s.pepper, infoSessionCSRF, 32)
	if err != nil {
		return sessionKeys{}, fmt.Errorf("vault: session csrf: %w", err)
	}
	return sessionKeys{hash: hex.EncodeToString(h[:]), identity: id, csrf: base64.RawURLEncoding.EncodeToString(c)}, nil
}

// parseToken decodes a cookie token; ok=false for anything malformed.
func parseToken(token string) ([]byte, bool) {
	if len(token) != sessionTokenLen {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != sessionTokenBytes {
		return nil, false
	}
	return b, true
}

// StartSession opens a session for an unlocked owner or worker and returns
// the cookie token (shown once, never stored) with the session. It lasts
// SessionIdle without use and SessionMax at most. Errors: ErrInvalid.
func (s *Service) StartSession(ctx context.Context, p *Principal) (string, Session, error) {
	if !p.valid() || p.kind != KindOwner && p.kind != KindWorker {
		return "", Session{}, fmt.Errorf("%w: session needs a logged-in owner or worker", ErrInvalid)
	}
	raw := make([]byte, sessionTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, fmt.Errorf("vault: session token: %w", err)
	}
	keys, err := s.sessionKeys(raw)
	if err != nil {
		return "", Session{}, err
	}
	row := meta.Session{TokenHash: keys.hash, Kind: p.kind, PrincipalID: p.id}
	if row.IdentityWrap, err = seal.WrapIdentity(p.identity, keys.identity.Recipient()); err != nil {
		return "", Session{}, fmt.Errorf("vault: start session: %w", err)
	}
	// No copy of the organisation identity goes into the session: it is
	// opened from the member's row at every request (ResumeSession), so
	// that removing a member or rotating the key holds at once.
	if p.kind == KindOwner {
		due, err := s.secretChangeDue(ctx, p.id)
		if err != nil {
			return "", Session{}, err
		}
		p.secretDue = due
	}
	row.SecretDue = p.secretDue
	now := s.now().UTC().Truncate(time.Microsecond)
	row.Created, row.LastSeen = now, now
	row.AbsoluteExpires = now.Add(s.acct.sessionMax)
	row.IdleExpires = minTime(now.Add(s.acct.sessionIdle), row.AbsoluteExpires)
	if err := s.meta.CreateSession(ctx, row); err != nil {
		return "", Session{}, mapMeta("start session", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), sessionOf(row, keys.csrf), nil
}

func sessionOf(row meta.Session, csrf string) Session {
	return Session{
		Kind: row.Kind, PrincipalID: row.PrincipalID, CSRF: csrf,
		Created: row.Created, LastSeen: row.LastSeen, IdleExpires: row.IdleExpires, AbsoluteExpires: row.AbsoluteExpires,
		ConfirmedAt: row.ConfirmedAt, SecretChangeDue: row.SecretDue,
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ResumeSession returns the principal of a live session and pushes its
// idle expiry forward (writing at most once a minute). ErrNoSession for a
// malformed, unknown, expired or ended token, or whose owner or worker no
// longer exists; an expired session is removed.
func (s *Service) ResumeSession(ctx context.Context, token string) (*Principal, Session, error) {
	raw, ok := parseToken(token)
	if !ok {
		return nil, Session{}, fmt.Errorf("vault: resume session: malformed token: %w", ErrNoSession)
	}
	keys, err := s.sessionKeys(raw)
	if err != nil {
		return nil, Session{}, err
	}
	row, err := s.meta.Session(ctx, keys.hash)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, Session{}, fmt.Errorf("vault: resume session: %w", ErrNoSession)
	}
	if err != nil {
		return nil, Session{}, mapMeta("resume session", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if !now.Before(row.IdleExpires) || !now.Before(row.AbsoluteExpires) {
		if _, err := s.meta.DeleteSession(ctx, keys.hash); err != nil {
			return nil, Session{}, mapMeta("resume session", err)
		}
		return nil, Session{}, fmt.Errorf("vault: resume session: expired: %w", ErrNoSession)
	}
	identity, err := seal.UnwrapIdentity(row.IdentityWrap, keys.identity)
	if err != nil {
		return nil, Session{}, fmt.Errorf("vault: resume session: identity: %w (%w)", ErrNoSession, err)
	}
	p := &Principal{kind: row.Kind, id: row.PrincipalID, identity: identity, session: keys.hash, sessionKey: keys.identity.Recipient(),
		secretDue: row.SecretDue}
	var publicKey string
	switch row.Kind {
	case KindOwner:
		o, err := s.meta.Owner(ctx, row.PrincipalID)
		if err != nil {
			return nil, Session{}, s.goneSession(ctx, keys.hash, err)
		}
		publicKey, p.retired = o.PublicKey, o.RetiredIdentities
	case KindWorker:
		w, a, err := s.meta.WorkerAccount(ctx, row.PrincipalID)
		if err != nil {
			return nil, Session{}, s.goneSession(ctx, keys.hash, err)
		}
		if !a.Disabled.IsZero() { // disabled by an administrator: refused from this request on
			return nil, Session{}, s.goneSession(ctx, keys.hash, meta.ErrNotFound)
		}
		publicKey = w.PublicKey
		if identity.Recipient().String() == publicKey {
			if err := s.loadOrgIdentities(ctx, p, a, identity); err != nil {
				return nil, Session{}, fmt.Errorf("vault: resume session: %w", err)
			}
		}
	default:
		return nil, Session{}, fmt.Errorf("vault: resume session: kind %q: %w", row.Kind, ErrNoSession)
	}
	if identity.Recipient().String() != publicKey {
		return nil, Session{}, fmt.Errorf("vault: resume session: identity does not match public key: %w", ErrCorrupt)
	}
	if now.Sub(row.LastSeen) >= sessionTouchEvery {
		idle := minTime(now.Add(s.acct.sessionIdle), row.AbsoluteExpires)
		if err := s.meta.TouchSession(ctx, keys.hash, now, idle); err != nil {
			if errors.Is(err, meta.ErrNotFound) { // ended meanwhile
				return nil, Session{}, fmt.Errorf("vault: resume session: %w", ErrNoSession)
			}
			return nil, Session{}, mapMeta("resume session", err)
		}
		row.LastSeen, row.IdleExpires = now, idle
	}
	sess := sessionOf(row, keys.csrf)
	if p.confirmed = s.Confirmed(sess); p.confirmed {
		p.confirmedUntil, p.clock = sess.ConfirmedAt.Add(ConfirmWindow), s.now
	}
	return p, sess, nil
}

// goneSession ends a session whose principal vanished (ErrNoSession) or
// reports a store failure.
func (s *Service) goneSession(ctx context.Context, hash string, err error) error {
	if !errors.Is(err, meta.ErrNotFound) {
		return mapMeta("resume session", err)
	}
	if _, derr := s.meta.DeleteSession(ctx, hash); derr != nil {
		return mapMeta("resume session", derr)
	}
	return fmt.Errorf("vault: resume session: principal gone: %w", ErrNoSession)
}

// EndSession ends one session (logout). Ending an unknown, expired or
// malformed session is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	raw, ok := parseToken(token)
	if !ok {
		return nil
	}
	h := sha256.Sum256(raw)
	if _, err := s.meta.DeleteSession(ctx, hex.EncodeToString(h[:])); err != nil {
		return mapMeta("end session", err)
	}
	return nil
}

// EndAllSessions ends every session of the principal, on every instance
// (logout everywhere). Journaled for owners.
func (s *Service) EndAllSessions(ctx context.Context, p *Principal) error {
	if !p.valid() {
		return fmt.Errorf("%w: not logged in", ErrInvalid)
	}
	if _, err := s.meta.DeleteSessions(ctx, p.kind, p.id); err != nil {
		return mapMeta("end all sessions", err)
	}
	if p.kind == KindOwner {
		return s.recordOrErr(ctx, p.id, Event{Kind: EventLogoutEverywhere, ActorKind: ActorOwner, ActorID: p.id})
	}
	return nil
}
