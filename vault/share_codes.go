package vault

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// Share codes: an owner shares of her own accord with a worker she has in
// front of her. The worker shows a short code (and its QR code, the same
// code in an address of this server); the owner scans or types it, sees the
// worker's name and organisation, ticks papers (or, as an explicit choice,
// types whose later papers she shares) and confirms with her secret.
//
// A code is 8 characters of Crockford's base 32 (no I, L, O or U; typed in
// any case, with or without its dash, O read as 0, I and L as 1): 40 bits,
// for ShareCodeTTL, one share, one live code per worker. Guessing is
// hopeless: each lookup is counted per owner and per client address before
// anything is looked up (the login throttle's policy: a few free, then
// growing delays, then locked for an hour), a valid code takes its own
// attempt back (and any wait it would have started), and an unknown, expired, used or disabled worker's code all
// get the one answer ErrNoShareCode. The database holds only pepper-keyed
// HMACs of the code: 2^40 codes are quickly tried against a plain hash, not
// against a key the database does not hold. Someone who writes the database
// without the pepper cannot make a code, nor point one at another worker,
// key, organisation or expiry (the row's bind MAC covers them), nor redirect
// a share to a key swapped in the workers table (a share goes to the key the
// worker's own session held when the code was made).

// ShareCodeTTL is how long a share code works.
const ShareCodeTTL = 15 * time.Minute

const (
	shareCodeLen = 8
	// shareCodeAlphabet is Crockford's base 32.
	shareCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	// maxShareCodeInput bounds what is parsed of a typed code.
	maxShareCodeInput = 64
	scopeShareCode    = "share-code"
	infoShareCode     = "coffre/vault/v1/share-code-hmac"
	// shareCodeKeep is how long a code's row stays after it expired.
	shareCodeKeep = time.Hour
)

var (
	// ErrNoShareCode: the code is unknown, expired, already used, or its
	// worker can no longer receive papers; which of these is never said.
	ErrNoShareCode = errors.New("vault: no such share code")
	// ErrShareCodeMalformed: what was typed cannot be a share code (also
	// ErrInvalid); nothing was looked up or counted.
	ErrShareCodeMalformed = fmt.Errorf("vault: not a share code: %w", ErrInvalid)
	// ErrShareCodeUsed: the owner herself already shared with this code (a
	// second tap, a reload of the form): her share is made.
	ErrShareCodeUsed = errors.New("vault: you already shared with this code")
	// ErrNoOrganisation: a share with the worker's organisation, but the
	// worker has none that can receive papers (also ErrInvalid).
	ErrNoOrganisation = fmt.Errorf("vault: the worker's organisation cannot receive papers: %w", ErrInvalid)
)

// ShareCodeStore keeps share codes. Contracts: InsertShareCode removes the
// worker's other unused codes in the same transaction; ShareCodeByHash is
// meta.ErrNotFound for none; UseShareCode is meta.ErrNotFound unless the
// code is unused and unexpired at now (one of two racing owners wins);
// ReleaseShareCode is meta.ErrNotFound unless usedBy used it.
type ShareCodeStore interface {
	InsertShareCode(ctx context.Context, sc meta.ShareCode) error
	ShareCodeByHash(ctx context.Context, hash string) (meta.ShareCode, error)
	UseShareCode(ctx context.Context, hash, usedBy string, now time.Time) error
	ReleaseShareCode(ctx context.Context, hash, usedBy string) error
	DeleteExpiredShareCodes(ctx context.Context, before time.Time) (int, error)
	// ForgiveAttemptAt takes back one attempt counted at at and lifts the
	// block it set.
	ForgiveAttemptAt(ctx context.Context, key string, at time.Time) error
}

// ShareCode is a worker's code as shown to them.
type ShareCode struct {
	// Code is the canonical form ("K7QM2XPD"), for addresses.
	Code    string
	Expires time.Time
}

// Display is the code as read aloud and typed: "K7QM-2XPD".
func (c ShareCode) Display() string { return FormatShareCode(c.Code) }

// FormatShareCode groups a canonical code by four ("K7QM-2XPD").
func FormatShareCode(code string) string {
	if len(code) != shareCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeShareCode turns what a person typed or scanned into the
// canonical code: case, spaces, dashes and dots do not matter; O is read as
// 0, I and L as 1. ErrShareCodeMalformed when it cannot be a code.
func NormalizeShareCode(s string) (string, error) {
	if len(s) > maxShareCodeInput {
		return "", ErrShareCodeMalformed
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '\t' || r == '\u00a0' || r == '\u202f':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 0x7f || !strings.ContainsRune(shareCodeAlphabet, r) {
			return "", ErrShareCodeMalformed
		}
		b.WriteRune(r)
		if b.Len() > shareCodeLen {
			return "", ErrShareCodeMalformed
		}
	}
	if b.Len() != shareCodeLen {
		return "", ErrShareCodeMalformed
	}
	return b.String(), nil
}

// newShareCode draws a code: 40 random bits, 5 per character.
func newShareCode() (string, error) {
	var raw [5]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("vault: share code: %w", err)
	}
	v := uint64(raw[0])<<32 | uint64(raw[1])<<24 | uint64(raw[2])<<16 | uint64(raw[3])<<8 | uint64(raw[4])
	out := make([]byte, shareCodeLen)
	for i := shareCodeLen - 1; i >= 0; i-- {
		out[i] = shareCodeAlphabet[v&31]
		v >>= 5
	}
	return string(out), nil
}

// shareCodeHash is where a code's row is found.
func (s *Service) shareCodeHash(code string) string {
	return s.keyedHash(infoShareCode, "share-code", code)
}

// shareCodeBind is the MAC binding a code to its row's worker, keys,
// organisation and expiry.
func (s *Service) shareCodeBind(code string, r meta.ShareCode) string {
	return s.keyedHash(infoShareCode, "share-code-bind", strings.Join([]string{
		code, r.WorkerID, r.WorkerKey, r.OrgID, r.OrgKey, strconv.FormatInt(r.Expires.UnixMicro(), 10),
	}, "\x00"))
}

// shareCodeUser names, in a row, the owner who used a code.
func (s *Service) shareCodeUser(ownerID string) string {
	return s.keyedHash(infoShareCode, "share-code-owner", ownerID)
}

// NewShareCode gives a worker a fresh code for ShareCodeTTL; the worker's
// earlier unused code stops working. The code binds the worker's own key
// and, when their membership is active, their organisation's, as their
// session holds them. Errors: ErrInvalid (not a worker).
func (s *Service) NewShareCode(ctx context.Context, worker *Principal) (ShareCode, error) {
	if !worker.valid() || worker.kind != KindWorker {
		return ShareCode{}, fmt.Errorf("%w: worker required", ErrInvalid)
	}
	code, err := newShareCode()
	if err != nil {
		return ShareCode{}, err
	}
	now := s.now().UTC()
	row := meta.ShareCode{
		Hash: s.shareCodeHash(code), WorkerID: worker.id, WorkerKey: worker.identity.Recipient().String(),
		Created: now, Expires: time.UnixMicro(now.Add(ShareCodeTTL).UnixMicro()).UTC(),
	}
	if worker.orgID != "" && worker.orgIdentity != nil {
		row.OrgID, row.OrgKey = worker.orgID, worker.orgIdentity.Recipient().String()
		if worker.orgNext != nil { // a key rotation is under way: new grants go to the new key
			row.OrgKey = worker.orgNext.Recipient().String()
		}
	}
	row.Bind = s.shareCodeBind(code, row)
	if err := s.meta.InsertShareCode(ctx, row); err != nil {
		return ShareCode{}, mapMeta("share code", err)
	}
	return ShareCode{Code: code, Expires: row.Expires}, nil
}

// ShareCodeLive reports whether a code the worker was given still works
// (for their page to show it again); false for a code not theirs, used,
// expired, malformed or unknown.
func (s *Service) ShareCodeLive(ctx context.Context, worker *Principal, code string) (ShareCode, bool) {
	if !worker.valid() || worker.kind != KindWorker {
		return ShareCode{}, false
	}
	code, err := NormalizeShareCode(code)
	if err != nil {
		return ShareCode{}, false
	}
	row, err := s.meta.ShareCodeByHash(ctx, s.shareCodeHash(code))
	if err != nil || row.WorkerID != worker.id || !row.Used.IsZero() || !s.now().Before(row.Expires) ||
		!hmac.Equal([]byte(row.Bind), []byte(s.shareCodeBind(code, row))) {
		return ShareCode{}, false
	}
	return ShareCode{Code: code, Expires: row.Expires}, true
}

// ShareTarget is who a code designates, as the owner sees them before
// sharing.
type ShareTarget struct {
	WorkerID, WorkerName string
	// OrgID and OrgName: the worker's organisation, when it can receive
	// papers ("" otherwise).
	OrgID, OrgName string
	Expires        time.Time
}

// LookupShareCode tells an owner who a code designates. Every lookup is
// counted against the owner and the client address before anything is
// looked up; a code that works takes its attempt back. Errors: ErrInvalid
// (not an owner), ErrShareCodeMalformed (nothing counted), a
// *ThrottledError (ErrThrottled), ErrNoShareCode, ErrShareCodeUsed (she
// already shared with it).
func (s *Service) LookupShareCode(ctx context.Context, owner *Principal, code, clientIP string) (ShareTarget, error) {
	if err := requireOwner(owner); err != nil {
		return ShareTarget{}, err
	}
	code, err := NormalizeShareCode(code)
	if err != nil {
		return ShareTarget{}, err
	}
	_, t, err := s.resolveShareCode(ctx, owner, code, clientIP)
	return t, err
}

// resolveShareCode counts the lookup, then finds and checks code's row.
func (s *Service) resolveShareCode(ctx context.Context, owner *Principal, code, clientIP string) (meta.ShareCode, ShareTarget, error) {
	a, err := s.countCodeLookup(ctx, owner.id, clientIP)
	if err != nil {
		return meta.ShareCode{}, ShareTarget{}, err
	}
	row, t, err := s.checkShareCode(ctx, owner, code)
	if err != nil {
		return meta.ShareCode{}, ShareTarget{}, err
	}
	if err := a.forgive(ctx); err != nil {
		return meta.ShareCode{}, ShareTarget{}, err
	}
	return row, t, nil
}

// checkShareCode finds code's row and checks it: its MAC, expiry, use, and
// that its worker may still receive papers with the key bound.
func (s *Service) checkShareCode(ctx context.Context, owner *Principal, code string) (meta.ShareCode, ShareTarget, error) {
	none := fmt.Errorf("vault: share code: %w", ErrNoShareCode)
	row, err := s.meta.ShareCodeByHash(ctx, s.shareCodeHash(code))
	if errors.Is(err, meta.ErrNotFound) {
		return meta.ShareCode{}, ShareTarget{}, none
	}
	if err != nil {
		return meta.ShareCode{}, ShareTarget{}, mapMeta("share code", err)
	}
	if !hmac.Equal([]byte(row.Bind), []byte(s.shareCodeBind(code, row))) || !s.now().Before(row.Expires) {
		return meta.ShareCode{}, ShareTarget{}, none
	}
	if !row.Used.IsZero() {
		if hmac.Equal([]byte(row.UsedBy), []byte(s.shareCodeUser(owner.id))) {
			return meta.ShareCode{}, ShareTarget{}, fmt.Errorf("vault: share code: %w", ErrShareCodeUsed)
		}
		return meta.ShareCode{}, ShareTarget{}, none
	}
	w, a, err := s.meta.WorkerAccount(ctx, row.WorkerID)
	if err != nil || !a.Disabled.IsZero() || w.PublicKey != row.WorkerKey {
		return meta.ShareCode{}, ShareTarget{}, none
	}
	info, err := s.WorkerInfo(ctx, row.WorkerID)
	if err != nil {
		return meta.ShareCode{}, ShareTarget{}, none
	}
	t := ShareTarget{WorkerID: row.WorkerID, WorkerName: info.Name, Expires: row.Expires}
	// The organisation, while the worker is still an active member and its
	// key is the one bound.
	if row.OrgID != "" && a.OrgID == row.OrgID && len(a.OrgIdentityWrap) > 0 {
		if rcpt, err := s.granteeRecipient(ctx, Grantee{Kind: KindOrganisation, ID: row.OrgID}); err == nil && rcpt.String() == row.OrgKey {
			t.OrgID, t.OrgName = row.OrgID, info.OrgName
		}
	}
	return row, t, nil
}

// codeAttempt is one counted code lookup.
type codeAttempt struct {
	s          *Service
	ownerKey   string
	addressKey string
	at         time.Time
}

// countCodeLookup counts a code lookup against the owner and the client
// address (counters of their own, with the login throttle's policy), or
// fails with a *ThrottledError without counting.
func (s *Service) countCodeLookup(ctx context.Context, ownerID, clientIP string) (*codeAttempt, error) {
	a := &codeAttempt{s: s, ownerKey: "c:" + s.keyedHash(infoThrottle, scopeShareCode, ownerID)}
	rules := []meta.ThrottleRule{{Key: a.ownerKey, Window: throttleWindow, Block: accountBlock}}
	if ip := clientNet(clientIP); ip != "" {
		a.addressKey = "cn:" + s.keyedHash(infoThrottle, scopeShareCode+"/client", ip)
		rules = append(rules, meta.ThrottleRule{Key: a.addressKey, Window: throttleWindow, Block: ipBlock})
	}
	now := s.now()
	ok, until, err := s.meta.BeginAttempt(ctx, now, rules...)
	if err != nil {
		return nil, fmt.Errorf("vault: throttle: %w", err)
	}
	if !ok {
		wait := max(until.Sub(now), time.Second)
		return nil, &ThrottledError{RetryAfter: wait.Round(time.Second)}
	}
	a.at = now
	return a, nil
}

// forgive takes a lookup of a working code back from both counters, with
// any block it set: only failures add up and slow the owner down (her
// typos then her code: the share goes through at once).
func (a *codeAttempt) forgive(ctx context.Context) error {
	for _, k := range []string{a.ownerKey, a.addressKey} {
		if k == "" {
			continue
		}
		if err := a.s.meta.ForgiveAttemptAt(ctx, k, a.at); err != nil {
			return fmt.Errorf("vault: throttle: %w", err)
		}
	}
	return nil
}

// CodeShare is what the owner chose on the page a code opened.
type CodeShare struct {
	// Code is the code as typed or scanned.
	Code string
	// ClientIP is the owner's address (for the lookup counter).
	ClientIP string
	// Organisation shares with the worker's whole organisation; false
	// shares with the worker alone.
	Organisation bool
	// Scope, Purpose, Days and ShowName are as in NewConsent.
	Scope    Scope
	Purpose  string
	Days     int
	ShowName string
}

// ShareWithCode grants, on the owner's own initiative, a consent to the
// worker a code designates (or to their organisation): exactly the papers
// of cs.Scope and, when chosen, the papers of its types she adds until it
// ends. It needs a confirmed owner, like GrantConsent: a stolen session
// alone cannot hand papers to whoever shows it a code. The code is used up
// by the share (one share per code); a share that fails gives it back.
// Journaled with the name the worker sees; the worker is told (through the
// event sink, naming no one). Errors: ErrInvalid (not an owner, bad scope or duration,
// ErrNoOrganisation), ErrConfirmRequired, ErrShareCodeMalformed, a
// *ThrottledError, ErrNoShareCode, ErrShareCodeUsed (she already shared
// with it: her share is made), ErrNotFound (a paper not hers).
func (s *Service) ShareWithCode(ctx context.Context, owner *Principal, cs CodeShare) (Consent, error) {
	if err := requireConfirmedOwner(owner); err != nil {
		return Consent{}, err
	}
	code, err := NormalizeShareCode(cs.Code)
	if err != nil {
		return Consent{}, err
	}
	row, t, err := s.resolveShareCode(ctx, owner, code, cs.ClientIP)
	if err != nil {
		return Consent{}, err
	}
	g, bound := Grantee{Kind: KindWorker, ID: row.WorkerID}, row.WorkerKey
	if cs.Organisation {
		if t.OrgID == "" {
			return Consent{}, ErrNoOrganisation
		}
		g, bound = Grantee{Kind: KindOrganisation, ID: t.OrgID}, row.OrgKey
	}
	nc := NewConsent{Grantee: g, Scope: cs.Scope, Purpose: cs.Purpose, Days: cs.Days, ShowName: cs.ShowName}
	c, err := s.newConsent(ctx, owner, nc)
	if err != nil {
		return Consent{}, err
	}
	if c.GranteePublicKey != bound { // the key changed since the checks: share nothing
		return Consent{}, fmt.Errorf("vault: share code: %w", ErrNoShareCode)
	}
	user := s.shareCodeUser(owner.id)
	if err := s.meta.UseShareCode(ctx, row.Hash, user, s.now().UTC()); err != nil {
		if errors.Is(err, meta.ErrNotFound) { // another tap, or another owner, was first
			if _, _, err := s.checkShareCode(ctx, owner, code); errors.Is(err, ErrShareCodeUsed) {
				return Consent{}, err
			}
			return Consent{}, fmt.Errorf("vault: share code: %w", ErrNoShareCode)
		}
		return Consent{}, mapMeta("share code", err)
	}
	if err := s.meta.InsertConsent(ctx, c); err != nil {
		s.releaseShareCode(ctx, row.Hash, user)
		return Consent{}, mapMeta("share with code", err)
	}
	out, err := s.finishGrant(ctx, owner, c, nc)
	if err != nil {
		s.releaseShareCode(ctx, row.Hash, user)
		return Consent{}, err
	}
	return out, nil
}

// releaseShareCode gives a code back after a failed share (best effort).
func (s *Service) releaseShareCode(ctx context.Context, hash, user string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.meta.ReleaseShareCode(ctx, hash, user)
}
