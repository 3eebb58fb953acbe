package vault

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// ErrNoLink: the drop link is unknown, expired, used up, revoked or
// malformed. One error for all, so that no detail leaks to the holder.
var ErrNoLink = errors.New("vault: no such drop link")

// ErrLinkUsedUp: the link served all its uses (and is otherwise live): the
// helper's papers arrived. It is also ErrNoLink.
var ErrLinkUsedUp = fmt.Errorf("%w: used up", ErrNoLink)

// Drop link limits.
const (
	DefaultLinkTTL  = 24 * time.Hour
	MinLinkTTL      = time.Minute
	MaxLinkTTL      = 30 * 24 * time.Hour
	DefaultLinkUses = 1
	MaxLinkUses     = 50
	MaxLabelLen     = 200            // characters (see ValidLinkText)
	MaxFromLen      = MaxDisplayName // characters: a display name fits
	maxRequested    = 30
)

// NewDropLink describes a drop link being created.
type NewDropLink struct {
	// Label is what the helper sees ("Papiers pour la CAF").
	Label string
	// From is the name the owner chose to show the helper ("Awa D."), so
	// that a careful helper can tell a real link from a lure; "" for none.
	From string
	// Requested lists catalogue document type ids.
	Requested []string
	// TTL defaults to DefaultLinkTTL, at most MaxLinkTTL.
	TTL time.Duration
	// MaxUses defaults to DefaultLinkUses, at most MaxLinkUses. A link
	// that asks for several papers takes at least one sending each (one
	// sending is one paper): fewer is raised to len(Requested) (the
	// default of one sending on a link asking for a payslip and a tax
	// notice told the helper she was done after the first).
	MaxUses int
	// RequestID, if set, is the request (to this owner) the link answers.
	// A deposit is readable by the requesting worker only when the owner
	// chose to share the papers of its type she adds (the consent's types).
	RequestID string
	// Key, if set, is the idempotency key of the form that asks for the
	// link (ValidSubmissionKey's shape): the same creator asking for a
	// link into the same vault with the same key gets the link the first
	// request made, with the same token (a double tap, a form sent again
	// after a lost answer), and nothing new is journaled. The token and
	// the id are then derived from the key under the pepper, so only the
	// server can tell them from it.
	Key string
}

// DropLink is a drop link as its owner (or the worker who created it) sees it.
type DropLink struct {
	ID, OwnerID, Label string
	// From is the name shown to the helper (NewDropLink.From).
	From             string
	Requested        []string
	Created, Expires time.Time
	MaxUses, Uses    int
	Revoked          bool
	// CreatedBy is the owner (Kind KindOwner) or the worker who created it.
	CreatedBy Grantee
	RequestID string
}

// DropLinkPublic is all a token holder learns about a link.
type DropLinkPublic struct {
	Label string
	// Lang is the vault owner's language ("fr", "ar", "fa-AF"…): what the server
	// writes into her vault (a paper's title) speaks it. Never shown to
	// the helper.
	Lang string
	// From is the name the owner chose to show the helper ("" if none).
	From      string
	Requested []string
	Expires   time.Time
	UsesLeft  int
}

// Receipt is what the helper gets after a deposit: no content, no id.
type Receipt struct {
	Label    string
	Received time.Time
	Pages    int
	Size     int64
}

// DropLinkStore keeps drop links. Contracts:
//   - RedeemDropLink takes one use atomically, only from a live link (not
//     revoked, unexpired, uses left): meta.ErrNotFound otherwise. Of N
//     concurrent redemptions of a single-use link exactly one succeeds.
//   - ReleaseDropLinkUse gives one back.
type DropLinkStore interface {
	InsertDropLink(ctx context.Context, l meta.DropLink) error
	DropLink(ctx context.Context, id string) (meta.DropLink, error)
	DropLinkByTokenHash(ctx context.Context, tokenHash string) (meta.DropLink, error)
	DropLinksOfOwner(ctx context.Context, ownerID string) ([]meta.DropLink, error)
	RedeemDropLink(ctx context.Context, tokenHash string, now time.Time) (meta.DropLink, error)
	ReleaseDropLinkUse(ctx context.Context, id string) error
	RevokeDropLink(ctx context.Context, id string, now time.Time) error
}

// linkDetails is the sealed part of a link (both copies).
type linkDetails struct {
	Label     string   `json:"l,omitempty"`
	From      string   `json:"f,omitempty"`
	Requested []string `json:"r,omitempty"`
}

// ValidLinkText reports whether s may be a link's label or sender's name
// (NewDropLink.Label, From): UTF-8, at most maxLen characters (as a form
// field's maxlength counts them), no control characters (line breaks,
// escapes, the bidirectional overrides that would show "Awa\u202Egnp.exe"
// as "Awaexe.png" on the helper's page).
func ValidLinkText(s string, maxLen int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= maxLen && !strings.ContainsFunc(s, isControl)
}

func (nl *NewDropLink) check() error {
	switch {
	case nl.TTL == 0:
		nl.TTL = DefaultLinkTTL
	case nl.TTL < MinLinkTTL || nl.TTL > MaxLinkTTL:
		return fmt.Errorf("%w: drop link lifetime %v (at most 30 days)", ErrInvalid, nl.TTL)
	}
	switch {
	case nl.MaxUses == 0:
		nl.MaxUses = DefaultLinkUses
	case nl.MaxUses < 0 || nl.MaxUses > MaxLinkUses:
		return fmt.Errorf("%w: drop link uses %d (1 to %d)", ErrInvalid, nl.MaxUses, MaxLinkUses)
	}
	if !ValidLinkText(nl.Label, MaxLabelLen) {
		return fmt.Errorf("%w: drop link label: at most %d characters, no control characters", ErrInvalid, MaxLabelLen)
	}
	if !ValidLinkText(nl.From, MaxFromLen) {
		return fmt.Errorf("%w: drop link sender: at most %d characters, no control characters", ErrInvalid, MaxFromLen)
	}
	if len(nl.Requested) > maxRequested {
		return fmt.Errorf("%w: too many requested types", ErrInvalid)
	}
	var req []string
	for _, t := range nl.Requested {
		if _, ok := DocTypeByID(t); !ok {
			return fmt.Errorf("%w: document type %q", ErrInvalid, t)
		}
		if !slices.Contains(req, t) {
			req = append(req, t)
		}
	}
	nl.Requested = req
	nl.MaxUses = max(nl.MaxUses, len(req)) // len(req) ≤ maxRequested < MaxLinkUses
	if nl.RequestID != "" && !validID(nl.RequestID) {
		return fmt.Errorf("vault: drop link: request: %w", ErrNotFound)
	}
	if nl.Key != "" && !ValidSubmissionKey(nl.Key) {
		return fmt.Errorf("%w: drop link key", ErrInvalid)
	}
	return nil
}

// keyedLink returns the token (its text, hash and bytes) and the id of the
// link creator asks for into ownerID's vault with nl (checked) under its
// form key: the same form sent again gives the same; the same form key
// with anything changed (a label edited after going back) another.
//
// gen numbers the links one form key makes in turn: once the link of
// generation g served or was stopped, the form sent again makes g+1 (so a
// double tap then still makes one).
func (s *Service) keyedLink(creator *Principal, ownerID string, nl NewDropLink, gen int) (token, hash string, raw []byte, id string) {
	form, _ := json.Marshal([]any{string(creator.kind), creator.id, ownerID, nl.Label, nl.From, nl.Requested,
		int64(nl.TTL), nl.MaxUses, nl.RequestID, gen}) // plain values: never fails
	m := hmac.New(sha256.New, s.pepperKey(infoKeyedLink))
	m.Write(form)
	m.Write([]byte{0})
	m.Write([]byte(nl.Key))
	raw = m.Sum(nil)[:linkTokenSize]
	return base64.RawURLEncoding.EncodeToString(raw), linkTokenHash(raw), raw, s.keyedID(infoKeyedLinkID, string(form), nl.Key)
}

// maxKeyedLinks bounds the generations of one form key: beyond, the form
// is refused (ErrFormSpent).
const maxKeyedLinks = 16

// ErrFormSpent: a link form's key has made maxKeyedLinks links, each since
// used or stopped; the page is to be loaded again (a new key).
var ErrFormSpent = fmt.Errorf("%w: this link form made %d links: load the page again", ErrInvalid, maxKeyedLinks)

// sameLink returns the link a keyed request already made (id, hash), when
// its row is creator's into ownerID's vault and it still takes papers (a
// form sent again once its link served or was stopped makes a new one).
func (s *Service) sameLink(ctx context.Context, creator *Principal, ownerID, id, hash string) (DropLink, bool) {
	l, err := s.meta.DropLink(ctx, id)
	if err != nil {
		return DropLink{}, false
	}
	return s.sameRow(l, creator, ownerID, hash)
}

// sameRow is sameLink on a row already read.
func (s *Service) sameRow(l meta.DropLink, creator *Principal, ownerID, hash string) (DropLink, bool) {
	if l.TokenHash != hash || l.OwnerID != ownerID || l.CreatedByKind != creator.kind || l.CreatedByID != creator.id ||
		!linkLive(l, s.now()) {
		return DropLink{}, false
	}
	d, err := openLink(l.DetailsSealed, creator.identity)
	if err != nil {
		return DropLink{}, false
	}
	return linkView(l, d), true
}

// CreateDropLink creates a drop link into ownerID's vault. creator is the
// owner, or a worker holding a live consent from that owner (to them or
// their organisation): a worker's link works only while that consent (the
// request's when the link answers one, else the longest-lasting) is live;
// it stops at the consent's expiry or revocation. It returns the token, shown once (only its SHA-256
// is stored), and the link. Journaled in the owner's journal. Errors:
// ErrInvalid, ErrNotFound (owner, request), ErrNoAccess (another owner, or
// a worker without a live consent).
func (s *Service) CreateDropLink(ctx context.Context, creator *Principal, ownerID string, nl NewDropLink) (string, DropLink, error) {
	if !creator.valid() {
		return "", DropLink{}, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	if err := nl.check(); err != nil {
		return "", DropLink{}, err
	}
	now := s.now().UTC()
	var under meta.Consent // the consent a worker's link is made under
	if creator.kind == KindOwner {
		if creator.id != ownerID {
			return "", DropLink{}, fmt.Errorf("vault: drop link: %w", ErrNoAccess)
		}
	} else if c, ok, err := s.consentFrom(ctx, creator, ownerID, now); err != nil {
		return "", DropLink{}, err
	} else if !ok {
		return "", DropLink{}, fmt.Errorf("vault: drop link: %w", ErrNoAccess)
	} else {
		under = c
	}
	o, err := s.meta.Owner(ctx, ownerID)
	if err != nil {
		return "", DropLink{}, mapMeta("drop link", err)
	}
	if nl.RequestID != "" {
		r, err := s.meta.Request(ctx, nl.RequestID)
		if err != nil || r.OwnerID != ownerID || creator.kind == KindWorker && r.WorkerID != creator.id {
			return "", DropLink{}, fmt.Errorf("vault: drop link: request: %w", ErrNotFound)
		}
		if creator.kind == KindWorker && r.ConsentID != "" {
			if c, err := s.meta.Consent(ctx, r.ConsentID); err == nil && c.LiveAt(now) {
				under = c
			}
		}
	}
	ownerRcpt, err := seal.ParseRecipient(o.PublicKey)
	if err != nil {
		return "", DropLink{}, fmt.Errorf("vault: drop link: owner key: %w: %w", ErrCorrupt, err)
	}
	var (
		token, hash, id string
		raw             []byte
	)
	keyed := false
	for gen := 0; nl.Key != "" && gen < maxKeyedLinks; gen++ {
		token, hash, raw, id = s.keyedLink(creator, ownerID, nl, gen)
		// No row: this generation is the one to make. A live row: the
		// link it made. A row whose link served or was stopped: the next
		// generation is new. (One read, so that a row another send
		// inserts meanwhile is seen as live, not as a reason to go on.)
		l, err := s.meta.DropLink(ctx, id)
		if errors.Is(err, meta.ErrNotFound) {
			keyed = true
			break
		}
		if err != nil {
			return "", DropLink{}, mapMeta("drop link", err)
		}
		if v, ok := s.sameRow(l, creator, ownerID, hash); ok {
			return token, v, nil
		}
	}
	if nl.Key != "" && !keyed {
		// Every generation made its link: a link without the key would
		// let a double tap make two. The page, loaded again, has a new key.
		return "", DropLink{}, ErrFormSpent
	}
	if !keyed {
		if token, hash, raw, err = newLinkToken(); err != nil {
			return "", DropLink{}, err
		}
		if id, err = newID(); err != nil {
			return "", DropLink{}, err
		}
	}
	linkID, err := linkIdentity(raw)
	if err != nil {
		return "", DropLink{}, err
	}
	dj, err := json.Marshal(linkDetails{Label: nl.Label, From: nl.From, Requested: nl.Requested})
	if err != nil {
		return "", DropLink{}, fmt.Errorf("vault: drop link: %w", err)
	}
	public, err := seal.SealString(string(dj), linkID.Recipient())
	if err != nil {
		return "", DropLink{}, fmt.Errorf("vault: drop link: seal: %w", err)
	}
	readers := []age.Recipient{ownerRcpt}
	if creator.kind != KindOwner {
		readers = append(readers, creator.identity.Recipient())
	}
	details, err := seal.SealString(string(dj), readers...)
	if err != nil {
		return "", DropLink{}, fmt.Errorf("vault: drop link: seal: %w", err)
	}
	row := meta.DropLink{
		ID: id, OwnerID: ownerID, TokenHash: hash, PublicSealed: public, DetailsSealed: details,
		CreatedByKind: creator.kind, CreatedByID: creator.id, RequestID: nl.RequestID, ConsentID: under.ID,
		Created: now, Expires: now.Add(nl.TTL), MaxUses: nl.MaxUses,
	}
	if err := s.meta.InsertDropLink(ctx, row); err != nil {
		if keyed && errors.Is(err, meta.ErrConflict) {
			// The same form, sent twice at once: the other made it.
			if l, ok := s.sameLink(ctx, creator, ownerID, id, hash); ok {
				return token, l, nil
			}
		}
		return "", DropLink{}, mapMeta("drop link", err)
	}
	if err := s.record(ctx, ownerID, s.actorEvent(ctx, creator, Event{Kind: EventLinkCreated, Detail: nl.Label})); err != nil {
		_ = s.meta.RevokeDropLink(context.WithoutCancel(ctx), id, now)
		return "", DropLink{}, err
	}
	return token, linkView(row, linkDetails{Label: nl.Label, From: nl.From, Requested: nl.Requested}), nil
}

// consentFrom returns the longest-lasting live consent from the owner to a
// worker (or their organisation), if any.
func (s *Service) consentFrom(ctx context.Context, p *Principal, ownerID string, now time.Time) (meta.Consent, bool, error) {
	var best meta.Consent
	found := false
	for _, g := range p.granteeSelves() {
		cs, err := s.meta.LiveConsentsFor(ctx, g.kind, g.id, now)
		if err != nil {
			return meta.Consent{}, false, mapMeta("consents", err)
		}
		for _, c := range cs {
			if c.OwnerID == ownerID && (!found || c.Expires.After(best.Expires)) {
				best, found = c, true
			}
		}
	}
	return best, found, nil
}

// actorEvent fills e's actor from a principal (names from WorkerInfo).
func (s *Service) actorEvent(ctx context.Context, p *Principal, e Event) Event {
	e.ActorID = p.id
	if p.kind == KindOwner {
		e.ActorKind = ActorOwner
		return e
	}
	e.ActorKind = ActorWorker
	if info, err := s.WorkerInfo(ctx, p.id); err == nil {
		e.ActorName, e.OrgName = info.Name, info.OrgName
	}
	return e
}

func linkView(l meta.DropLink, d linkDetails) DropLink {
	return DropLink{
		ID: l.ID, OwnerID: l.OwnerID, Label: d.Label, From: d.From, Requested: d.Requested, Created: l.Created,
		Expires: l.Expires, MaxUses: l.MaxUses, Uses: l.Uses, Revoked: !l.Revoked.IsZero(),
		CreatedBy: Grantee{Kind: l.CreatedByKind, ID: l.CreatedByID}, RequestID: l.RequestID,
	}
}

func openLink(sealed []byte, ids ...age.Identity) (linkDetails, error) {
	var d linkDetails
	s, err := seal.OpenString(sealed, ids...)
	if err != nil {
		return d, fmt.Errorf("vault: drop link: %w: %w", ErrCorrupt, err)
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("vault: drop link: %w: %w", ErrCorrupt, err)
	}
	return d, nil
}

// linkLive reports whether a link takes deposits: unrevoked, unexpired,
// uses left, and a worker's link only while its consent is live.
func linkLive(l meta.DropLink, now time.Time) bool { return l.UsableAt(now) }

// DropLinkInfo tells a token holder what the link is for. ErrNoLink for
// anything but a live link (ErrLinkUsedUp, which is also ErrNoLink, when
// only its uses are over).
func (s *Service) DropLinkInfo(ctx context.Context, token string) (DropLinkPublic, error) {
	raw, hash, err := parseLinkToken(token)
	if err != nil {
		return DropLinkPublic{}, err
	}
	l, err := s.meta.DropLinkByTokenHash(ctx, hash)
	if err == nil && l.MaxUses > 0 && l.Uses >= l.MaxUses {
		more := l
		more.Uses = 0
		if linkLive(more, s.now()) {
			// Only its uses are over: what the helper sent arrived (a
			// reload of the thank-you page says so, not "broken link").
			return DropLinkPublic{}, fmt.Errorf("vault: drop link: %w", ErrLinkUsedUp)
		}
	}
	if errors.Is(err, meta.ErrNotFound) || err == nil && !linkLive(l, s.now()) {
		return DropLinkPublic{}, fmt.Errorf("vault: drop link: %w", ErrNoLink)
	}
	if err != nil {
		return DropLinkPublic{}, mapMeta("drop link", err)
	}
	d, err := openPublic(l, raw)
	if err != nil {
		return DropLinkPublic{}, err
	}
	lang := "fr"
	if _, a, err := s.meta.OwnerAccount(ctx, l.OwnerID); err == nil && a.Lang != "" {
		lang = a.Lang
	} else if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return DropLinkPublic{}, mapMeta("drop link", err)
	}
	return DropLinkPublic{Label: d.Label, From: d.From, Requested: d.Requested, Expires: l.Expires,
		UsesLeft: l.MaxUses - l.Uses, Lang: lang}, nil
}

func openPublic(l meta.DropLink, raw []byte) (linkDetails, error) {
	id, err := linkIdentity(raw)
	if err != nil {
		return linkDetails{}, err
	}
	return openLink(l.PublicSealed, id)
}

// Deposit redeems one use of the link and adds the document to the owner's
// vault, encrypted to the owner's public key — and to the grantees of her
// live consents that cover it (a type she chose to share as she adds
// papers). A worker's link takes nothing once the consent it was made
// under has ended. Exactly one of N concurrent redemptions of a single-use link
// wins; a failed add gives the use back. Journaled ("upload via link",
// with the label). The receipt holds no content and no id. Errors:
// ErrNoLink, ErrInvalid (document), and AddDocument's.
func (s *Service) Deposit(ctx context.Context, token string, nd NewDocument, plaintext io.Reader) (Receipt, error) {
	raw, hash, err := parseLinkToken(token)
	if err != nil {
		return Receipt{}, err
	}
	// A bad document must not burn a use.
	if err := nd.check(); err != nil {
		return Receipt{}, err
	}
	now := s.now().UTC()
	l, err := s.meta.RedeemDropLink(ctx, hash, now)
	if errors.Is(err, meta.ErrNotFound) {
		return Receipt{}, fmt.Errorf("vault: deposit: %w", ErrNoLink)
	}
	if err != nil {
		return Receipt{}, mapMeta("deposit", err)
	}
	release := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		_ = s.meta.ReleaseDropLinkUse(ctx, l.ID)
	}
	d, err := openPublic(l, raw)
	if err != nil {
		release()
		return Receipt{}, err
	}
	nd.arrived = true // new until the owner opens it
	nd.askedBy = s.linkGrantee(ctx, l)
	if nd.Type == "" {
		nd.hints = d.Requested
	}
	doc, err := s.AddDocument(ctx, l.OwnerID, nd, plaintext)
	if err != nil {
		release()
		return Receipt{}, err
	}
	rc := Receipt{Label: d.Label, Received: now, Pages: doc.Pages, Size: doc.Size}
	err = s.record(ctx, l.OwnerID, Event{
		Kind: EventUploadViaLink, ActorKind: ActorHelper, DocumentID: doc.ID,
		DocumentType: doc.Type, DocumentTitle: doc.Title, Detail: d.Label,
	})
	// A link forwarded for a redo closes it (redos.go).
	return rc, errors.Join(err, s.redoArrived(ctx, l.ID, doc, len(nd.Checks) > 0))
}

// linkGrantee is the grantee of the consent a worker's link was made
// under, or of the request's consent the link answers: who asked for what
// arrives through it, and may see it at once (Deposit). nil for the
// owner's own links, or when that consent is gone.
func (s *Service) linkGrantee(ctx context.Context, l meta.DropLink) *Grantee {
	id := l.ConsentID
	if id == "" && l.RequestID != "" {
		if r, err := s.meta.Request(ctx, l.RequestID); err == nil && r.OwnerID == l.OwnerID {
			id = r.ConsentID
		}
	}
	if id == "" {
		return nil
	}
	c, err := s.meta.Consent(ctx, id)
	if err != nil || c.OwnerID != l.OwnerID {
		return nil
	}
	return &Grantee{Kind: c.GranteeKind, ID: c.GranteeID}
}

// DropLinks lists ownerID's drop links, newest first: all of them for the
// owner, those they created for a worker. Errors: ErrInvalid, ErrNoAccess
// (another owner).
func (s *Service) DropLinks(ctx context.Context, p *Principal, ownerID string) ([]DropLink, error) {
	if !p.valid() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	if p.kind == KindOwner && p.id != ownerID {
		return nil, fmt.Errorf("vault: drop links: %w", ErrNoAccess)
	}
	ls, err := s.meta.DropLinksOfOwner(ctx, ownerID)
	if err != nil {
		return nil, mapMeta("drop links", err)
	}
	out := []DropLink{}
	for _, l := range ls {
		if p.kind != KindOwner && (l.CreatedByKind != p.kind || l.CreatedByID != p.id) {
			continue
		}
		d, err := openLink(l.DetailsSealed, p.identity)
		if err != nil {
			return nil, err
		}
		out = append(out, linkView(l, d))
	}
	return out, nil
}

// RevokeDropLink makes a link unusable at once; the owner, or the worker
// who created it, may. Journaled. Errors: ErrInvalid, ErrNotFound (no such
// link that p may revoke).
func (s *Service) RevokeDropLink(ctx context.Context, p *Principal, id string) error {
	if !p.valid() {
		return fmt.Errorf("%w: no principal", ErrInvalid)
	}
	if !validID(id) {
		return fmt.Errorf("vault: revoke drop link: %w", ErrNotFound)
	}
	l, err := s.meta.DropLink(ctx, id)
	if err != nil {
		return mapMeta("revoke drop link", err)
	}
	mine := p.kind == KindOwner && l.OwnerID == p.id || p.kind != KindOwner && l.CreatedByKind == p.kind && l.CreatedByID == p.id
	if !mine {
		return fmt.Errorf("vault: revoke drop link: %w", ErrNotFound)
	}
	if !l.Revoked.IsZero() {
		return nil
	}
	if err := s.meta.RevokeDropLink(ctx, id, s.now().UTC()); err != nil {
		return mapMeta("revoke drop link", err)
	}
	d, err := openLink(l.DetailsSealed, p.identity)
	if err != nil {
		return err
	}
	return s.record(ctx, l.OwnerID, s.actorEvent(ctx, p, Event{Kind: EventLinkRevoked, Detail: d.Label}))
}
