package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// ErrExpired: a consent has expired (reads report ErrNoAccess instead, so
// that nothing leaks; this is for operations on the consent itself).
var ErrExpired = errors.New("vault: expired")

// ConsentDays are the durations (in days) a consent may last.
var ConsentDays = []int{1, 31, 182, 365}

// Limits on consent texts.
const (
	MaxPurposeLen  = 300 // bytes of UTF-8
	MaxShowNameLen = 100
	maxScopeItems  = 200
)

// Scope is what a consent covers: the documents the owner chose, and (a
// separate, explicit choice) the papers of named types she adds while the
// consent lasts. A paper of type "other" or without a type is only ever
// covered by being chosen.
type Scope struct {
	Documents []string
	// Types are catalogue document types: the owner's papers of these types
	// added after the consent is granted, until it ends (never "other").
	Types []string
	// Categories are read-only: consents granted before version 7 may name
	// whole categories, which cover every paper with a type (other than
	// "other") of the category, including those added later. A new consent
	// never names one (ErrInvalid).
	Categories []string
}

// NewConsent describes a consent being granted.
type NewConsent struct {
	Grantee Grantee
	Scope   Scope
	// Purpose says why ("Dossier RSA"); sealed to the owner and the grantee.
	Purpose string
	// Days is 1, 31, 182 or 365.
	Days int
	// ShowName is the name the owner lets the grantee see, sealed to the
	// grantee (and the owner).
	ShowName string
	// Key is the share form's idempotency key ("" for none; the shape of
	// ValidSubmissionKey): the consent's id is derived from the owner and
	// the key, so the same form sent again — Back then Share, a retry after
	// a lost answer — finds the consent it made and grants nothing more.
	Key string
}

// Consent is a grant of read access from an owner to a worker or an
// organisation.
type Consent struct {
	ID      string
	OwnerID string
	// OwnerName is the name the owner chose to show (opened for the grantee
	// and the owner).
	OwnerName string
	// OwnerLang is the owner's language, a catalogue code ("fr", "fa-AF"…),
	// told to a grantee while the consent is live so that the worker can
	// show her a page in it; empty in the owner's own view.
	OwnerLang string
	Grantee   Grantee
	// GranteeName is the worker's name (owner's view, when known).
	GranteeName string
	Scope       Scope
	Purpose     string
	Days        int
	Created     time.Time
	Expires     time.Time
	// Revoked is when the owner revoked it (zero if not).
	Revoked time.Time
	// Live is true while neither revoked nor expired.
	Live bool
}

// ConsentStore keeps consents. Contracts:
//   - InsertConsent is all or nothing; a document of the scope that is not
//     a committed document of the owner is meta.ErrNotFound.
//   - RevokeConsent marks the consent revoked and deletes, in the same
//     transaction, the grantee's wraps no other live consent covers.
//   - LiveConsentCovers is the check made at every grantee read.
//   - MarkConsentSwept is meta.ErrConflict when already marked.
type ConsentStore interface {
	InsertConsent(ctx context.Context, c meta.Consent) error
	Consent(ctx context.Context, id string) (meta.Consent, error)
	ConsentsOfOwner(ctx context.Context, ownerID string) ([]meta.Consent, error)
	LiveConsentsOfOwner(ctx context.Context, ownerID string, now time.Time) ([]meta.Consent, error)
	LiveConsentsFor(ctx context.Context, kind meta.RecipientKind, granteeID string, now time.Time) ([]meta.Consent, error)
	LiveConsentCovers(ctx context.Context, docID string, kind meta.RecipientKind, granteeID string, now time.Time) (bool, error)
	RevokeConsent(ctx context.Context, id, ownerID string, now time.Time) (int64, error)
	DeleteUncoveredWraps(ctx context.Context, now, createdBefore time.Time) (int64, error)
	ExpiredUnswept(ctx context.Context, now time.Time, limit int) ([]meta.Consent, error)
	MarkConsentSwept(ctx context.Context, id string, now time.Time) error
}

// consentDetails is the sealed part of a consent.
type consentDetails struct {
	Purpose  string `json:"p,omitempty"`
	ShowName string `json:"n,omitempty"`
}

func checkText(what, s string, maxLen int) error {
	if len(s) > maxLen || !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s too long or not UTF-8", ErrInvalid, what)
	}
	return nil
}

func (nc *NewConsent) check() error {
	g := nc.Grantee
	switch {
	case g.Kind != KindWorker && g.Kind != KindOrganisation || g.ID == "":
		return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, g.Kind, g.ID)
	case !slices.Contains(ConsentDays, nc.Days):
		return fmt.Errorf("%w: consent duration %d days (1, 31, 182 or 365)", ErrInvalid, nc.Days)
	case len(nc.Scope.Categories) > 0:
		return fmt.Errorf("%w: a consent names papers or types, never a whole category", ErrInvalid)
	case len(nc.Scope.Documents)+len(nc.Scope.Types) == 0:
		return fmt.Errorf("%w: consent covers nothing", ErrInvalid)
	case len(nc.Scope.Documents)+len(nc.Scope.Types) > maxScopeItems:
		return fmt.Errorf("%w: consent scope too large", ErrInvalid)
	}
	if err := checkText("purpose", nc.Purpose, MaxPurposeLen); err != nil {
		return err
	}
	if err := checkText("name", nc.ShowName, MaxShowNameLen); err != nil {
		return err
	}
	for _, t := range nc.Scope.Types {
		if _, ok := DocTypeByID(t); !ok || !meta.Scoped(t) {
			return fmt.Errorf("%w: papers of type %q cannot be shared by type", ErrInvalid, t)
		}
	}
	for _, d := range nc.Scope.Documents {
		if !validID(d) {
			return fmt.Errorf("vault: consent: document: %w", ErrNotFound)
		}
	}
	if nc.Key != "" && !ValidSubmissionKey(nc.Key) {
		return fmt.Errorf("%w: form key", ErrInvalid)
	}
	return nil
}

// GrantConsent grants a worker (or organisation) read access to the
// documents of nc.Scope for nc.Days days, and to the papers of its types
// the owner adds until then. Every chosen document key is wrapped to the
// grantee now; papers of a named type added later are wrapped to the
// grantee when added. It widens who can read the vault, so it needs a
// confirmed owner: a stolen session alone must not hand papers to an
// accomplice (sudo.go). Journaled. Errors: ErrInvalid (not an owner, bad
// scope — a category, or the type "other" — or duration),
// ErrConfirmRequired, ErrNotFound (grantee, or a document not the
// owner's).
func (s *Service) GrantConsent(ctx context.Context, owner *Principal, nc NewConsent) (Consent, error) {
	if err := requireConfirmedOwner(owner); err != nil {
		return Consent{}, err
	}
	c, err := s.newConsent(ctx, owner, nc)
	if err != nil {
		return Consent{}, err
	}
	if nc.Key != "" {
		c.ID = s.consentKeyID(owner.id, nc.Key)
	}
	err = s.meta.InsertConsent(ctx, c)
	if nc.Key != "" && errors.Is(err, meta.ErrConflict) {
		// This form was sent before. When what it granted is live and is
		// what the form asks, it stands: nothing more is granted. Else
		// (stopped since, undone by a failure, or another share sent with
		// the same key) the form is a new share, under a new id.
		prev, perr := s.meta.Consent(ctx, c.ID)
		if perr == nil && prev.OwnerID == owner.id && sameGrant(prev, c, s.now()) {
			return consentView(prev, consentDetails{Purpose: nc.Purpose, ShowName: nc.ShowName}, s.now()), nil
		}
		if c.ID, err = newID(); err != nil {
			return Consent{}, err
		}
		err = s.meta.InsertConsent(ctx, c)
	}
	if err != nil {
		return Consent{}, mapMeta("grant consent", err)
	}
	return s.finishGrant(ctx, owner, c, nc)
}

// sameGrant reports whether prev is live at now and grants what c asks:
// the same grantee, papers and types.
func sameGrant(prev, c meta.Consent, now time.Time) bool {
	set := func(ids []string) string {
		s := slices.Clone(ids)
		slices.Sort(s)
		return strings.Join(slices.Compact(s), "\x00")
	}
	return prev.Revoked.IsZero() && prev.Expires.After(now) &&
		prev.GranteeKind == c.GranteeKind && prev.GranteeID == c.GranteeID &&
		set(prev.Documents) == set(c.Documents) && set(prev.Types) == set(c.Types)
}

// consentKeyID is the consent id of an owner's share form key.
func (s *Service) consentKeyID(ownerID, key string) string {
	return s.keyedID(infoConsentKey, ownerID, key)
}

const infoConsentKey = "coffre/vault/v1/consent-form-id"

// newConsent checks nc and builds the consent row (not stored).
func (s *Service) newConsent(ctx context.Context, owner *Principal, nc NewConsent) (meta.Consent, error) {
	if err := nc.check(); err != nil {
		return meta.Consent{}, err
	}
	rcpt, err := s.granteeRecipient(ctx, nc.Grantee)
	if err != nil {
		return meta.Consent{}, err
	}
	dj, err := json.Marshal(consentDetails{Purpose: nc.Purpose, ShowName: nc.ShowName})
	if err != nil {
		return meta.Consent{}, fmt.Errorf("vault: consent: %w", err)
	}
	details, err := seal.SealString(string(dj), owner.identity.Recipient(), rcpt)
	if err != nil {
		return meta.Consent{}, fmt.Errorf("vault: consent: seal: %w", err)
	}
	id, err := newID()
	if err != nil {
		return meta.Consent{}, err
	}
	now := s.now().UTC()
	return meta.Consent{
		ID: id, OwnerID: owner.id, GranteeKind: nc.Grantee.Kind, GranteeID: nc.Grantee.ID,
		GranteePublicKey: rcpt.String(), DetailsSealed: details, Days: nc.Days,
		Documents: nc.Scope.Documents, Types: nc.Scope.Types,
		Created: now, Expires: now.Add(time.Duration(nc.Days) * 24 * time.Hour),
	}, nil
}

// finishGrant wraps the covered documents to the grantee and journals the
// consent. On failure the consent is revoked again (best effort).
func (s *Service) finishGrant(ctx context.Context, owner *Principal, c meta.Consent, nc NewConsent) (Consent, error) {
	if err := s.wrapCovered(ctx, owner, c); err != nil {
		s.undoConsent(ctx, c)
		return Consent{}, err
	}
	target := s.granteeName(ctx, nc.Grantee)
	err := s.record(ctx, owner.id, Event{
		Kind: EventConsentGranted, ActorKind: ActorOwner, ActorID: owner.id, Target: target, Detail: nc.Purpose,
		Grantee: nc.Grantee, ShownName: nc.ShowName,
	})
	if err != nil {
		s.undoConsent(ctx, c)
		return Consent{}, err
	}
	out := consentView(c, consentDetails{Purpose: nc.Purpose, ShowName: nc.ShowName}, s.now())
	out.GranteeName = target
	return out, nil
}

func (s *Service) undoConsent(ctx context.Context, c meta.Consent) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, _ = s.meta.RevokeConsent(ctx, c.ID, c.OwnerID, s.now().UTC())
}

// wrapCovered wraps every committed document of the owner that c covers to
// the grantee (skipping those already wrapped).
func (s *Service) wrapCovered(ctx context.Context, owner *Principal, c meta.Consent) error {
	return s.wrapCoveredAmong(ctx, owner, c, nil)
}

// wrapCoveredAmong is wrapCovered limited to the papers among only (nil:
// every paper; empty: none).
func (s *Service) wrapCoveredAmong(ctx context.Context, owner *Principal, c meta.Consent, only []string) error {
	if only != nil && len(only) == 0 {
		return nil
	}
	rcpt, err := seal.ParseRecipient(c.GranteePublicKey)
	if err != nil {
		return fmt.Errorf("vault: consent: grantee key: %w: %w", ErrCorrupt, err)
	}
	accs, err := s.meta.ListAccess(ctx, KindOwner, owner.id)
	if err != nil {
		return mapMeta("consent", err)
	}
	for _, acc := range accs {
		if !c.Covers(acc.Document) || only != nil && !slices.Contains(only, acc.Document.ID) {
			continue
		}
		ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
		if err != nil {
			return fmt.Errorf("vault: consent: document key %s: %w: %w", acc.Document.ID, ErrCorrupt, err)
		}
		if err := s.addGranteeWrap(ctx, acc.Document.ID, ident, c.GranteeKind, c.GranteeID, rcpt); err != nil {
			return err
		}
	}
	return nil
}

// addGranteeWrap wraps a document key to a grantee; an existing wrap is fine.
func (s *Service) addGranteeWrap(ctx context.Context, docID string, docIdent *age.X25519Identity, kind RecipientKind, id string, rcpt *age.X25519Recipient) error {
	_, err := s.newGranteeWrap(ctx, docID, docIdent, kind, id, rcpt)
	return err
}

// newGranteeWrap is addGranteeWrap reporting whether the grantee had no
// wrap before (false: it already had one, nothing changed).
func (s *Service) newGranteeWrap(ctx context.Context, docID string, docIdent *age.X25519Identity, kind RecipientKind, id string, rcpt *age.X25519Recipient) (bool, error) {
	w, err := seal.WrapIdentity(docIdent, rcpt)
	if err != nil {
		return false, fmt.Errorf("vault: wrap for grantee: %w", err)
	}
	err = s.meta.AddWrap(ctx, meta.Wrap{DocumentID: docID, RecipientKind: kind, RecipientID: id, WrappedKey: w, Created: s.now().UTC()})
	if errors.Is(err, meta.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, mapMeta("wrap for grantee", err)
	}
	return true, nil
}

// granteeName is the name the owner knows the grantee by ("" if unknown).
func (s *Service) granteeName(ctx context.Context, g Grantee) string {
	if g.Kind == KindOrganisation {
		if org, err := s.organisation(ctx, g.ID); err == nil {
			return org.Name
		}
		return ""
	}
	info, err := s.WorkerInfo(ctx, g.ID)
	if err != nil {
		return ""
	}
	if info.OrgName != "" && info.Name != "" {
		return info.OrgName + " — " + info.Name
	}
	return info.Name + info.OrgName
}

func consentView(c meta.Consent, d consentDetails, now time.Time) Consent {
	return Consent{
		ID: c.ID, OwnerID: c.OwnerID, OwnerName: d.ShowName,
		Grantee: Grantee{Kind: c.GranteeKind, ID: c.GranteeID},
		Scope:   Scope{Documents: c.Documents, Types: c.Types, Categories: c.Categories}, Purpose: d.Purpose, Days: c.Days,
		Created: c.Created, Expires: c.Expires, Revoked: c.Revoked, Live: c.LiveAt(now),
	}
}

// openConsent opens a consent's sealed details with any of ids.
func openConsent(c meta.Consent, ids ...age.Identity) (consentDetails, error) {
	var d consentDetails
	s, err := seal.OpenString(c.DetailsSealed, ids...)
	if err != nil {
		return d, fmt.Errorf("vault: consent %s: %w: %w", c.ID, ErrCorrupt, err)
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("vault: consent %s: %w: %w", c.ID, ErrCorrupt, err)
	}
	return d, nil
}

// RevokeConsent ends a consent now: the grantee's next request fails. Wraps
// not covered by another live consent are deleted in the same transaction.
// Journaled. Errors: ErrInvalid (not an owner), ErrNotFound (no such
// consent of this owner), ErrConflict (already revoked).
func (s *Service) RevokeConsent(ctx context.Context, owner *Principal, consentID string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	if !validID(consentID) {
		return fmt.Errorf("vault: revoke consent: %w", ErrNotFound)
	}
	c, err := s.meta.Consent(ctx, consentID)
	if err != nil || c.OwnerID != owner.id {
		return fmt.Errorf("vault: revoke consent: %w", ErrNotFound)
	}
	if _, err := s.meta.RevokeConsent(ctx, consentID, owner.id, s.now().UTC()); err != nil {
		return mapMeta("revoke consent", err)
	}
	d, _ := openConsent(c, owner.identity)
	return s.record(ctx, owner.id, Event{
		Kind: EventConsentRevoked, ActorKind: ActorOwner, ActorID: owner.id,
		Target: s.granteeName(ctx, Grantee{Kind: c.GranteeKind, ID: c.GranteeID}), Detail: d.Purpose,
		Grantee: Grantee{Kind: c.GranteeKind, ID: c.GranteeID}, ShownName: d.ShowName, ConsentID: c.ID,
	})
}

// Consents lists consents: an owner sees all of theirs (newest first); a
// worker sees the live ones granted to them or to their organisation.
func (s *Service) Consents(ctx context.Context, p *Principal) ([]Consent, error) {
	if !p.valid() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	now := s.now()
	if p.kind == KindOwner {
		cs, err := s.meta.ConsentsOfOwner(ctx, p.id)
		if err != nil {
			return nil, mapMeta("consents", err)
		}
		out := make([]Consent, 0, len(cs))
		for _, c := range cs {
			d, err := openConsent(c, p.identity)
			if err != nil {
				return nil, err
			}
			v := consentView(c, d, now)
			v.GranteeName = s.granteeName(ctx, v.Grantee)
			out = append(out, v)
		}
		return out, nil
	}
	var out []Consent
	langs := ownerLangs{}
	for _, g := range p.granteeSelves() {
		cs, err := s.meta.LiveConsentsFor(ctx, g.kind, g.id, now)
		if err != nil {
			return nil, mapMeta("consents", err)
		}
		for _, c := range cs {
			d, err := openConsent(c, g.ids...)
			if err != nil {
				return nil, err
			}
			v := consentView(c, d, now)
			if v.Live {
				v.OwnerLang = langs.of(ctx, s, c.OwnerID)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// ownerLangs remembers owners' languages within one listing.
type ownerLangs map[string]string

// of is the language of owner's account ("" when it cannot be read).
func (m ownerLangs) of(ctx context.Context, s *Service, owner string) string {
	if l, ok := m[owner]; ok {
		return l
	}
	l := ""
	if _, a, err := s.meta.OwnerAccount(ctx, owner); err == nil {
		l = a.Lang
	}
	m[owner] = l
	return l
}

// granteeSelf is one of the identities a worker reads as: their own, and
// their organisation's.
type granteeSelf struct {
	kind RecipientKind
	id   string
	// ids: the grantee's identity, and the organisation's next one while
	// a key rotation is under way (org_rotate.go).
	ids []age.Identity
}

// granteeSelves lists the grantee identities a principal holds.
func (p *Principal) granteeSelves() []granteeSelf {
	if p.kind == KindOwner {
		return nil
	}
	out := []granteeSelf{{kind: p.kind, id: p.id, ids: []age.Identity{p.identity}}}
	if p.orgID != "" && p.orgIdentity != nil {
		out = append(out, granteeSelf{kind: KindOrganisation, id: p.orgID, ids: p.orgIdentities()})
	}
	return out
}

// sweepGrace spares wraps younger than this from the sweeper: a deposit
// answering a request wraps the document for the worker just before adding
// it to the request's consent.
const sweepGrace = 10 * time.Minute

// ExpireConsents is the sweeper: it removes every grantee wrap no live
// consent covers (expired ones included; wraps younger than sweepGrace
// are left for the next run), journals "consent expired" once
// per expired consent, and returns how many consents it expired. Reads
// never depend on it: expiry is checked at every read.
func (s *Service) ExpireConsents(ctx context.Context) (int, error) {
	now := s.now().UTC()
	if _, err := s.meta.DeleteUncoveredWraps(ctx, now, now.Add(-sweepGrace)); err != nil {
		return 0, mapMeta("expire consents", err)
	}
	n := 0
	for {
		cs, err := s.meta.ExpiredUnswept(ctx, now, 100)
		if err != nil {
			return n, mapMeta("expire consents", err)
		}
		if len(cs) == 0 {
			return n, nil
		}
		for _, c := range cs {
			err := s.meta.MarkConsentSwept(ctx, c.ID, now)
			if errors.Is(err, meta.ErrConflict) {
				continue // another sweeper took it
			}
			if err != nil {
				return n, mapMeta("expire consents", err)
			}
			n++
			err = s.record(ctx, c.OwnerID, Event{
				At: c.Expires, Kind: EventConsentExpired, ActorKind: ActorSystem,
				Target: s.granteeName(ctx, Grantee{Kind: c.GranteeKind, ID: c.GranteeID}),
			})
			if err != nil && !errors.Is(err, ErrNotFound) {
				return n, err
			}
		}
	}
}

// granteeCanRead reports whether a live consent covers docID for g.
func (s *Service) granteeCanRead(ctx context.Context, docID string, g granteeSelf) (bool, error) {
	ok, err := s.meta.LiveConsentCovers(ctx, docID, g.kind, g.id, s.now().UTC())
	if err != nil {
		return false, mapMeta("consent check", err)
	}
	return ok, nil
}

// grantRcpt is a grantee with its public key.
type grantRcpt struct {
	Grantee
	rcpt *age.X25519Recipient
}

// addRecipients resolves the grantees of a document being added (doc, not
// stored yet): the explicit ones, then the grantees of the owner's live
// consents covering it (by type or legacy category) that share reports
// as sharing it now, without duplicates.
func (s *Service) addRecipients(ctx context.Context, doc meta.Document, explicit []Grantee, share func(Grantee) bool) ([]grantRcpt, error) {
	var out []grantRcpt
	has := func(g Grantee) bool {
		return slices.ContainsFunc(out, func(r grantRcpt) bool { return r.Grantee == g })
	}
	for _, g := range explicit {
		if has(g) {
			continue
		}
		rcpt, err := s.granteeRecipient(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, grantRcpt{Grantee: g, rcpt: rcpt})
	}
	cs, err := s.meta.LiveConsentsOfOwner(ctx, doc.OwnerID, s.now().UTC())
	if err != nil {
		return nil, mapMeta("add document: consents", err)
	}
	for _, c := range cs {
		g := Grantee{Kind: c.GranteeKind, ID: c.GranteeID}
		if !c.Covers(doc) || has(g) || !share(g) {
			continue
		}
		rcpt, err := seal.ParseRecipient(c.GranteePublicKey)
		if err != nil {
			return nil, fmt.Errorf("vault: add document: consent %s: grantee key: %w: %w", c.ID, ErrCorrupt, err)
		}
		out = append(out, grantRcpt{Grantee: g, rcpt: rcpt})
	}
	return out, nil
}

// wrapLateConsents wraps a just-committed document to the grantees of live
// consents covering it that were granted after addRecipients ran (those
// share reports as sharing it now), or, from MarkOpened, that were left
// until the owner opened it. Best effort: the document is committed
// whatever happens here. It returns the grantees it wrapped the document
// to (not those who could already read it).
func (s *Service) wrapLateConsents(ctx context.Context, row meta.Document, docIdent *age.X25519Identity, have []grantRcpt, share func(Grantee) bool) []Grantee {
	cs, err := s.meta.LiveConsentsOfOwner(ctx, row.OwnerID, s.now().UTC())
	if err != nil {
		return nil
	}
	var added []Grantee
	for _, c := range cs {
		g := Grantee{Kind: c.GranteeKind, ID: c.GranteeID}
		if !c.Covers(row) || slices.ContainsFunc(have, func(r grantRcpt) bool { return r.Grantee == g }) || !share(g) {
			continue
		}
		rcpt, err := seal.ParseRecipient(c.GranteePublicKey)
		if err != nil {
			continue
		}
		if fresh, err := s.newGranteeWrap(ctx, row.ID, docIdent, g.Kind, g.ID, rcpt); err == nil {
			have = append(have, grantRcpt{Grantee: g, rcpt: rcpt})
			if fresh {
				added = append(added, g)
			}
		}
	}
	return added
}

// recordRead journals a grantee's read of a document in its owner's journal.
func (s *Service) recordRead(ctx context.Context, p *Principal, d Document, kind string) error {
	e := Event{
		Kind: kind, ActorKind: ActorWorker, ActorID: p.id,
		DocumentID: d.ID, DocumentType: d.Type, DocumentTitle: d.Title,
	}
	if info, err := s.WorkerInfo(ctx, p.id); err == nil {
		e.ActorName, e.OrgName = info.Name, info.OrgName
	}
	return s.record(ctx, d.OwnerID, e)
}

// ownedView opens the owner's view of a document from its access row.
func (s *Service) ownedView(owner *Principal, acc meta.Access) (Document, error) {
	ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
	if err != nil {
		return Document{}, fmt.Errorf("vault: document key: %w: %w", ErrCorrupt, err)
	}
	return view(acc.Document, ident)
}
