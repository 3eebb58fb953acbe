package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Limits on document metadata.
const (
	MaxTitleLen    = 200 // bytes of UTF-8
	maxCategoryLen = 32
	maxProfileLen  = 64
)

// cleanupTimeout bounds the best-effort removal after a failed add.
const cleanupTimeout = 30 * time.Second

// NewDocument describes a document being added.
type NewDocument struct {
	// Category is a catalogue category id (identity, income, tax, …); it may
	// be left empty when Type is set.
	Category string
	// Type is a catalogue document type id (avis-impot, …), optional; it
	// must belong to Category.
	Type string
	// Title shown to the owner; stored only sealed. At most MaxTitleLen bytes.
	Title string
	// MediaType of the plaintext; "" means "application/pdf".
	MediaType string
	Pages     int
	// Profile is the portal profile the payload was converted under.
	Profile string
	// Expires is the validity end of the paper, zero for none.
	Expires time.Time
	// Size is the exact plaintext size when known (lets the blob store send
	// one request), 0 when unknown. A plaintext of another size fails.
	Size int64
	// Grantees also receive a wrap at once; like every grantee they read it
	// only while a live consent covers it. Grantees of live consents
	// covering the paper (by type, or a legacy category) are added
	// automatically.
	Grantees []Grantee
	// Key is the submission's idempotency key ("" for none; see
	// ValidSubmissionKey): the same key never stores a second paper, the
	// second attempt fails with ErrConflict (Submission then tells what
	// became of the first).
	Key string
	// Checks are the pages sent although the readability check asked for
	// them again (the person kept them anyway), each with the check's
	// finding codes: sealed to the document key, the owner is shown them
	// (Document.Checks). At most MaxPageChecks, pages within 1..Pages. A
	// paper sent for a redo closes it only without any (redos.go).
	Checks []PageCheck

	// arrived: sent by someone else (a helper's link); the paper is new
	// until the owner opens it. hints: the types the link asked for, when
	// the helper could not name the paper (sealed like the title).
	arrived bool
	hints   []string
	// askedBy, for a paper that arrived: the worker who made the link or
	// whose request it answers, the only grantee of a live consent it is
	// shared with at once. The other consents covering it by type ("the
	// papers of this type you add") share it once the owner opened it
	// (MarkOpened): a paper anyone holding a link sent is not hers until
	// she has seen it (attacker's review: a forwarded link put a made-up
	// RIB straight into a worker's hands).
	askedBy *Grantee
}

// shareNow reports whether a live consent to g shares the paper nd at once.
func (nd *NewDocument) shareNow(g Grantee) bool {
	return !nd.arrived || nd.askedBy != nil && *nd.askedBy == g
}

// Document is a document's metadata as its readers see it.
type Document struct {
	ID       string
	OwnerID  string
	Category string
	// Type is the catalogue document type id, "" if none.
	Type      string
	Title     string
	MediaType string
	Pages     int
	// Size is the plaintext size in bytes.
	Size    int64
	Profile string
	Created time.Time
	Expires time.Time
	// New: the paper arrived from someone else and the owner has not
	// opened it yet. Only the owner is told (false for every grantee).
	New bool
	// Hints are the types the link asked for when the helper could not
	// name the paper (owner only; nil otherwise): likely types to file it.
	Hints []string
	// Checks are the pages sent although the readability check asked for
	// them again, in page order (owner only; nil otherwise).
	Checks []PageCheck
}

// PageCheck is one page kept although the readability check asked for it
// again: its number in the paper (from 1) and the check's finding codes
// (the converter's: blurry, dark, small_text, ...), as the person was told.
type PageCheck struct {
	Page  int
	Codes []string
}

// Limits of NewDocument.Checks: pages listed, codes per page, code length.
const (
	MaxPageChecks   = 200
	MaxCheckCodes   = 8
	maxCheckCodeLen = 32
	// checksSealFormat labels the sealed value (sealed fields share the
	// document key: a title moved into checks_sealed does not read as
	// checks).
	checksSealFormat = "coffre-checks/1"
)

// encodeChecks encodes checks as "coffre-checks/1|2:blurry,dark|5:small_text",
// the form sealed into the row; decodeChecks reads it back (pages within
// 1..pages), dropping what does not parse (a later version's extra fields).
func encodeChecks(cs []PageCheck) string {
	var b strings.Builder
	b.WriteString(checksSealFormat)
	for _, c := range cs {
		b.WriteString("|")
		b.WriteString(strconv.Itoa(c.Page))
		b.WriteString(":")
		b.WriteString(strings.Join(c.Codes, ","))
	}
	return b.String()
}

func decodeChecks(s string, pages int) []PageCheck {
	parts := strings.Split(s, "|")
	if len(parts) < 2 || parts[0] != checksSealFormat {
		return nil
	}
	var out []PageCheck
	for _, p := range parts[1:] {
		n, codes, ok := strings.Cut(p, ":")
		page, err := strconv.Atoi(n)
		if !ok || err != nil || page < 1 || page > pages {
			continue
		}
		c := PageCheck{Page: page}
		for _, code := range strings.Split(codes, ",") {
			if validCode(code, maxCheckCodeLen, false) && !slices.Contains(c.Codes, code) {
				c.Codes = append(c.Codes, code)
			}
		}
		if len(c.Codes) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// checkChecks validates NewDocument.Checks and sorts them by page.
func (nd *NewDocument) checkChecks() error {
	if len(nd.Checks) > MaxPageChecks {
		return fmt.Errorf("%w: %d page checks", ErrInvalid, len(nd.Checks))
	}
	seen := map[int]bool{}
	for _, c := range nd.Checks {
		if c.Page < 1 || c.Page > nd.Pages || seen[c.Page] || len(c.Codes) == 0 || len(c.Codes) > MaxCheckCodes {
			return fmt.Errorf("%w: page check for page %d", ErrInvalid, c.Page)
		}
		seen[c.Page] = true
		for _, code := range c.Codes {
			if !validCode(code, maxCheckCodeLen, false) {
				return fmt.Errorf("%w: check code %q", ErrInvalid, code)
			}
		}
	}
	nd.Checks = slices.Clone(nd.Checks) // sorted without touching the caller's
	slices.SortFunc(nd.Checks, func(a, b PageCheck) int { return a.Page - b.Page })
	return nil
}

// validCode reports whether s is 1..maxLen of [a-z0-9_-], plus '.' if dot.
func validCode(s string, maxLen int, dot bool) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || dot && c == '.') {
			return false
		}
	}
	return true
}

func validMediaType(mt string) bool {
	switch mt {
	case "application/pdf", "image/jpeg", "image/png":
		return true
	}
	return false
}

func (nd *NewDocument) check() error {
	if nd.MediaType == "" {
		nd.MediaType = "application/pdf"
	}
	if nd.Type != "" {
		t, ok := DocTypeByID(nd.Type)
		switch {
		case !ok:
			return fmt.Errorf("%w: document type %q", ErrInvalid, nd.Type)
		case nd.Category == "":
			nd.Category = t.Category
		case nd.Category != t.Category:
			return fmt.Errorf("%w: document type %q is not in category %q", ErrInvalid, nd.Type, nd.Category)
		}
	}
	_, knownCategory := CategoryByID(nd.Category)
	switch {
	case !validCode(nd.Category, maxCategoryLen, false) || !knownCategory:
		return fmt.Errorf("%w: category %q", ErrInvalid, nd.Category)
	case nd.Profile != "" && !validCode(nd.Profile, maxProfileLen, true):
		return fmt.Errorf("%w: profile %q", ErrInvalid, nd.Profile)
	case !validMediaType(nd.MediaType):
		return fmt.Errorf("%w: media type %q", ErrInvalid, nd.MediaType)
	case len(nd.Title) > MaxTitleLen || !utf8.ValidString(nd.Title):
		return fmt.Errorf("%w: title too long or not UTF-8", ErrInvalid)
	case nd.Pages < 0 || nd.Size < 0:
		return fmt.Errorf("%w: negative pages or size", ErrInvalid)
	}
	if err := nd.checkChecks(); err != nil {
		return err
	}
	for _, g := range nd.Grantees {
		if g.Kind == KindOwner || !g.Kind.Valid() || g.ID == "" {
			return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, g.Kind, g.ID)
		}
	}
	return nil
}

// AddOwnDocument is AddDocument for the owner adding a document to their
// own vault: the addition is journaled ("you added …"). If the journal
// cannot be written the document stays and the error says so.
func (s *Service) AddOwnDocument(ctx context.Context, owner *Principal, nd NewDocument, plaintext io.Reader) (Document, error) {
	if err := requireOwner(owner); err != nil {
		return Document{}, err
	}
	d, err := s.AddDocument(ctx, owner.id, nd, plaintext)
	if err != nil {
		return Document{}, err
	}
	err = s.record(ctx, owner.id, Event{
		Kind: EventDocumentAdded, ActorKind: ActorOwner, ActorID: owner.id,
		DocumentID: d.ID, DocumentType: d.Type, DocumentTitle: d.Title,
	})
	return d, err
}

// AddDocument stores a document in an owner's vault. It needs only the
// owner's public key (no secret): the helper relay path. The plaintext is
// streamed through age into the blob store, never buffered whole and never
// written to disk unencrypted. The title is sealed to the document key.
//
// Consistency: a pending row, then the payload, then one transaction that
// commits the row with its wraps. On failure the partial state is removed
// (best effort; what a crash leaves is found by FindOrphans). A cancelled ctx
// aborts with an error wrapping ctx.Err(). Errors: ErrNotFound (owner or a
// grantee), ErrInvalid, blob.ErrSizeMismatch when nd.Size was wrong.
func (s *Service) AddDocument(ctx context.Context, ownerID string, nd NewDocument, plaintext io.Reader) (Document, error) {
	if err := nd.check(); err != nil {
		return Document{}, err
	}
	o, err := s.meta.Owner(ctx, ownerID)
	if err != nil {
		return Document{}, mapMeta("add document", err)
	}
	ownerRcpt, err := seal.ParseRecipient(o.PublicKey)
	if err != nil {
		return Document{}, fmt.Errorf("vault: add document: owner key: %w: %w", ErrCorrupt, err)
	}
	now := s.now().UTC()
	// Explicit grantees, and the grantees of live consents covering the
	// new paper (by its type, or a legacy category).
	grantees, err := s.addRecipients(ctx, meta.Document{OwnerID: o.ID, Category: nd.Category, DocType: nd.Type, Created: now}, nd.Grantees, nd.shareNow)
	if err != nil {
		return Document{}, err
	}

	id, err := newID()
	if err != nil {
		return Document{}, err
	}
	if nd.Key != "" {
		if !ValidSubmissionKey(nd.Key) {
			return Document{}, fmt.Errorf("%w: submission key", ErrInvalid)
		}
		id = s.submissionID(o.ID, nd.Key)
	}
	docIdent, err := seal.NewIdentity()
	if err != nil {
		return Document{}, fmt.Errorf("vault: add document: %w", err)
	}
	docRcpt := docIdent.Recipient()
	title, err := seal.SealString(nd.Title, docRcpt)
	if err != nil {
		return Document{}, fmt.Errorf("vault: add document: seal title: %w", err)
	}
	var hints []byte
	if len(nd.hints) > 0 {
		if hints, err = seal.SealString(strings.Join(nd.hints, ","), docRcpt); err != nil {
			return Document{}, fmt.Errorf("vault: add document: seal hints: %w", err)
		}
	}
	var checks []byte
	if len(nd.Checks) > 0 {
		if checks, err = seal.SealString(encodeChecks(nd.Checks), docRcpt); err != nil {
			return Document{}, fmt.Errorf("vault: add document: seal checks: %w", err)
		}
	}
	wraps := make([]meta.Wrap, 0, 1+len(grantees))
	w, err := seal.WrapIdentity(docIdent, ownerRcpt)
	if err != nil {
		return Document{}, fmt.Errorf("vault: add document: wrap for owner: %w", err)
	}
	wraps = append(wraps, meta.Wrap{DocumentID: id, RecipientKind: KindOwner, RecipientID: o.ID, WrappedKey: w, Created: now})
	for _, g := range grantees {
		w, err := seal.WrapIdentity(docIdent, g.rcpt)
		if err != nil {
			return Document{}, fmt.Errorf("vault: add document: wrap for grantee: %w", err)
		}
		wraps = append(wraps, meta.Wrap{DocumentID: id, RecipientKind: g.Kind, RecipientID: g.ID, WrappedKey: w, Created: now})
	}

	row := meta.Document{
		ID: id, OwnerID: o.ID, Category: nd.Category, DocType: nd.Type, TitleSealed: title, MediaType: nd.MediaType,
		Pages: nd.Pages, Profile: nd.Profile, BlobKey: blobKey(id), State: meta.StatePending,
		Created: now, Expires: nd.Expires.UTC(), Unread: nd.arrived, HintsSealed: hints, ChecksSealed: checks,
	}
	// The payload goes straight to the owner's effective store (storage.go).
	store, err := s.newDocumentStore(ctx, &row)
	if err != nil {
		return Document{}, err
	}
	// 1. The pending row: invisible, but it claims the blob key so that
	// FindOrphans can tell an upload in progress from an orphan.
	if err := s.meta.InsertDocument(ctx, row); err != nil {
		return Document{}, mapMeta("add document", err)
	}
	// 2. The payload.
	er, err := newEncryptingReader(ctx, plaintext, docRcpt)
	if err != nil {
		s.abandon(ctx, row, false)
		return Document{}, fmt.Errorf("vault: add document: %w", err)
	}
	size := int64(-1)
	if nd.Size > 0 {
		size = er.size(nd.Size)
	}
	// Encryption runs a few chunks ahead of the upload.
	ahead := newAheadReader(er)
	err = store.Create(ctx, row.BlobKey, ahead, size)
	finished := ahead.eof // er's fields are safe to read only then
	_ = ahead.Close()
	if err != nil {
		// A failed Create leaves no object, unless the failure hid a success
		// (lost response); ErrExist means the key is someone else's.
		s.abandon(ctx, row, !errors.Is(err, blob.ErrExist))
		return Document{}, fmt.Errorf("vault: add document: store payload: %w", err)
	}
	if !finished || !er.done {
		// The store finished without reading to the end: never commit that.
		s.abandon(ctx, row, true)
		return Document{}, fmt.Errorf("vault: add document: payload store stopped early: %w", blob.ErrSizeMismatch)
	}
	// 3. Commit row and wraps together.
	if err := s.meta.CommitDocument(ctx, id, er.n, wraps); err != nil {
		s.abandon(ctx, row, true)
		return Document{}, mapMeta("add document: commit", err)
	}
	// 4. A consent granted while the payload was stored did not see the
	// pending document: wrap for it now (the document is committed, so any
	// consent granted from here on sees it).
	s.wrapLateConsents(ctx, row, docIdent, grantees, nd.shareNow)
	return Document{
		ID: id, OwnerID: o.ID, Category: nd.Category, Type: nd.Type, Title: nd.Title, MediaType: nd.MediaType,
		Pages: nd.Pages, Size: er.n, Profile: nd.Profile, Created: now, Expires: row.Expires, New: nd.arrived,
		Hints: slices.Clone(nd.hints), Checks: cloneChecks(nd.Checks),
	}, nil
}

// abandon removes what a failed add left: the payload (if it may exist) and
// the row. Failures are left to FindOrphans.
func (s *Service) abandon(ctx context.Context, row meta.Document, payload bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if payload {
		if _, err := s.deletePayloads(ctx, row); err != nil {
			return // keep the row: it marks the payload for fsck
		}
	}
	_ = s.meta.DeleteDocument(ctx, row.ID)
}

// access finds the principal's wrap of a document and opens it. A grantee
// (worker, or worker reading through their organisation) must also hold a
// live consent covering the document, checked now: expiry and revocation
// take effect at the next call, whatever wraps remain.
func (s *Service) access(ctx context.Context, p *Principal, docID string) (meta.Access, *age.X25519Identity, error) {
	if !p.valid() {
		return meta.Access{}, nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	if !validID(docID) {
		return meta.Access{}, nil, fmt.Errorf("vault: document: %w", ErrNoAccess)
	}
	selves := []granteeSelf{{kind: p.kind, id: p.id, ids: []age.Identity{p.identity}}}
	if p.kind != KindOwner {
		selves = p.granteeSelves()
	}
	for _, g := range selves {
		acc, err := s.meta.DocumentAccess(ctx, docID, g.kind, g.id)
		if errors.Is(err, meta.ErrNotFound) {
			continue
		}
		if err != nil {
			return meta.Access{}, nil, mapMeta("document", err)
		}
		if g.kind != KindOwner {
			ok, err := s.granteeCanRead(ctx, docID, g)
			if err != nil {
				return meta.Access{}, nil, err
			}
			if !ok {
				continue
			}
		}
		ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, g.ids...)
		if err != nil {
			return meta.Access{}, nil, fmt.Errorf("vault: document key: %w: %w", ErrCorrupt, err)
		}
		return acc, ident, nil
	}
	return meta.Access{}, nil, fmt.Errorf("vault: document: %w", ErrNoAccess)
}

// view builds the reader's view of a row, opening the title.
func view(d meta.Document, docIdent *age.X25519Identity) (Document, error) {
	title, err := seal.OpenString(d.TitleSealed, docIdent)
	if err != nil {
		return Document{}, fmt.Errorf("vault: title: %w: %w", ErrCorrupt, err)
	}
	out := Document{
		ID: d.ID, OwnerID: d.OwnerID, Category: d.Category, Type: d.DocType, Title: title, MediaType: d.MediaType,
		Pages: d.Pages, Size: d.Size, Profile: d.Profile, Created: d.Created, Expires: d.Expires,
		New: d.Unread,
	}
	if len(d.HintsSealed) > 0 {
		h, err := seal.OpenString(d.HintsSealed, docIdent)
		if err != nil {
			return Document{}, fmt.Errorf("vault: hints: %w: %w", ErrCorrupt, err)
		}
		for _, id := range strings.Split(h, ",") {
			if _, ok := DocTypeByID(id); ok && !slices.Contains(out.Hints, id) {
				out.Hints = append(out.Hints, id)
			}
		}
	}
	if len(d.ChecksSealed) > 0 {
		// Only a warning: a value that does not open (damaged, or moved
		// from another paper) is no warning, not an unreadable paper.
		if c, err := seal.OpenString(d.ChecksSealed, docIdent); err == nil {
			out.Checks = decodeChecks(c, d.Pages)
		}
	}
	return out, nil
}

func cloneChecks(cs []PageCheck) []PageCheck {
	if len(cs) == 0 {
		return nil
	}
	out := make([]PageCheck, len(cs))
	for i, c := range cs {
		out[i] = PageCheck{Page: c.Page, Codes: slices.Clone(c.Codes)}
	}
	return out
}

// ownerOnly clears what only the owner is told of her paper.
func ownerOnly(d *Document, p *Principal) {
	if p.kind != KindOwner {
		d.New, d.Hints, d.Checks = false, nil, nil
	}
}

// Document returns a document's metadata for the owner, or for a grantee
// holding its key under a live consent (checked now). ErrNoAccess otherwise.
func (s *Service) Document(ctx context.Context, p *Principal, docID string) (Document, error) {
	acc, ident, err := s.access(ctx, p, docID)
	if err != nil {
		return Document{}, err
	}
	d, err := view(acc.Document, ident)
	ownerOnly(&d, p)
	return d, err
}

// OpenDocument streams a document's plaintext to the owner, or to a grantee
// holding its key under a live consent (checked at this call: revocation
// and expiry take effect at once). Every read, the owner's included, is
// journaled in the owner's journal ("document viewed", by whom) before any
// byte is returned; if it cannot be, the read is refused. The caller closes the
// reader. Errors at open: ErrNoAccess, ErrCorrupt (payload missing or key
// wrap damaged). Errors from
// Read: seal.ErrPayload (damaged or truncated payload; everything read so far
// is then untrusted), or ctx's error once ctx is done.
func (s *Service) OpenDocument(ctx context.Context, p *Principal, docID string) (io.ReadCloser, Document, error) {
	return s.openDocument(ctx, p, docID, EventDocumentViewed)
}

// Download is OpenDocument for a download (journaled as such for grantees).
func (s *Service) Download(ctx context.Context, p *Principal, docID string) (io.ReadCloser, Document, error) {
	return s.openDocument(ctx, p, docID, EventDocumentDownload)
}

// openDocument opens a document; every access is journaled (as kind)
// in the owner's journal before any byte is returned, and refused if it
// cannot be.
func (s *Service) openDocument(ctx context.Context, p *Principal, docID, kind string) (io.ReadCloser, Document, error) {
	acc, ident, err := s.access(ctx, p, docID)
	if err != nil {
		return nil, Document{}, err
	}
	d, err := view(acc.Document, ident)
	if err != nil {
		return nil, Document{}, err
	}
	ownerOnly(&d, p)
	if p.kind != KindOwner {
		if err := s.recordRead(ctx, p, d, kind); err != nil {
			return nil, Document{}, err
		}
	} else if key := p.session + "|" + d.ID; kind == EventDocumentViewed && p.session != "" && s.views.seen(key, s.now()) {
		// Her own view, already journaled in this session moments ago
		// (another page of the same paper's preview): views.go.
	} else if err := s.record(ctx, d.OwnerID, Event{
		Kind: kind, ActorKind: ActorOwner, ActorID: p.id,
		DocumentID: d.ID, DocumentType: d.Type, DocumentTitle: d.Title,
	}); err != nil {
		s.views.forget(key)
		return nil, Document{}, err // every read is journaled, the owner's too
	}
	rc, err := s.getPayload(ctx, acc.Document)
	if errors.Is(err, blob.ErrNotExist) {
		return nil, Document{}, fmt.Errorf("vault: open document: payload missing: %w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return nil, Document{}, fmt.Errorf("vault: open document: %w", err)
	}
	// Fetching runs a few buffers ahead of decryption.
	ahead := newAheadReader(rc)
	r, err := seal.Decrypt(ctx, ahead, ident)
	if err != nil {
		_ = ahead.Close()
		if seal.Classify(err) != seal.KindUnknown {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return nil, Document{}, fmt.Errorf("vault: open document: %w", err)
	}
	return readCloser{Reader: r, Closer: ahead}, d, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// List returns the documents the principal may read, oldest first: all of
// an owner's documents, or, for a worker, those a live consent (to them or
// their organisation) covers.
func (s *Service) List(ctx context.Context, p *Principal) ([]Document, error) {
	if !p.valid() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	if p.kind == KindOwner {
		accs, err := s.meta.ListAccess(ctx, p.kind, p.id)
		if err != nil {
			return nil, mapMeta("list", err)
		}
		return viewAll(accs, []age.Identity{p.identity}, nil)
	}
	var out []Document
	seen := map[string]bool{}
	now := s.now().UTC()
	for _, g := range p.granteeSelves() {
		cs, err := s.meta.LiveConsentsFor(ctx, g.kind, g.id, now)
		if err != nil {
			return nil, mapMeta("list", err)
		}
		if len(cs) == 0 {
			continue
		}
		accs, err := s.meta.ListAccess(ctx, g.kind, g.id)
		if err != nil {
			return nil, mapMeta("list", err)
		}
		ds, err := viewAll(accs, g.ids, func(d meta.Document) bool {
			if seen[d.ID] {
				return false
			}
			for _, c := range cs {
				if c.Covers(d) {
					seen[d.ID] = true
					return true
				}
			}
			return false
		})
		if err != nil {
			return nil, err
		}
		for i := range ds {
			ownerOnly(&ds[i], p)
		}
		out = append(out, ds...)
	}
	slices.SortStableFunc(out, func(a, b Document) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// viewAll opens the documents of accs that keep (nil: all) accepts.
func viewAll(accs []meta.Access, ids []age.Identity, keep func(meta.Document) bool) ([]Document, error) {
	out := make([]Document, 0, len(accs))
	for _, acc := range accs {
		if keep != nil && !keep(acc.Document) {
			continue
		}
		docIdent, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, ids...)
		if err != nil {
			return nil, fmt.Errorf("vault: list: document key %s: %w: %w", acc.Document.ID, ErrCorrupt, err)
		}
		d, err := view(acc.Document, docIdent)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Rename changes the title of one of the owner's documents (sealed to the
// document key like the original). Journaled as a rename, and only when the
// title changes: the same title again changes and journals nothing (a form
// that sends the title with a new date is not a rename). Errors:
// ErrInvalid (not an owner, title too long), ErrNotFound.
func (s *Service) Rename(ctx context.Context, owner *Principal, docID, title string) error {
	if len(title) > MaxTitleLen || !utf8.ValidString(title) {
		return fmt.Errorf("%w: title too long or not UTF-8", ErrInvalid)
	}
	acc, err := s.ownedAccess(ctx, owner, docID)
	if err != nil {
		return err
	}
	if cur, err := s.ownedView(owner, acc); err != nil {
		return err
	} else if cur.Title == title {
		return nil
	}
	ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
	if err != nil {
		return fmt.Errorf("vault: rename: document key: %w: %w", ErrCorrupt, err)
	}
	sealed, err := seal.SealString(title, ident.Recipient())
	if err != nil {
		return fmt.Errorf("vault: rename: seal title: %w", err)
	}
	if err := s.meta.SetDocumentTitle(ctx, docID, owner.id, sealed); err != nil {
		return mapMeta("rename", err)
	}
	return s.record(ctx, owner.id, Event{
		Kind: EventDocumentRenamed, ActorKind: ActorOwner, ActorID: owner.id,
		DocumentID: docID, DocumentType: acc.Document.DocType, DocumentTitle: title,
	})
}

// SetExpiry sets the validity end of one of the owner's papers (an ID
// card's expiry date); the zero time clears it. Journaled as a date change
// (the new date, YYYY-MM-DD, in the event's Detail; "" when cleared), and
// only when the date changes. Errors: ErrInvalid (not an owner),
// ErrNotFound.
func (s *Service) SetExpiry(ctx context.Context, owner *Principal, docID string, expires time.Time) error {
	acc, err := s.ownedAccess(ctx, owner, docID)
	if err != nil {
		return err
	}
	if !expires.IsZero() {
		expires = expires.UTC()
	}
	if acc.Document.Expires.Equal(expires) {
		return nil
	}
	if err := s.meta.SetDocumentExpiry(ctx, docID, owner.id, expires); err != nil {
		return mapMeta("set expiry", err)
	}
	d, err := s.ownedView(owner, acc)
	if err != nil {
		return err
	}
	day := ""
	if !expires.IsZero() {
		day = expires.Format("2006-01-02")
	}
	return s.record(ctx, owner.id, Event{
		Kind: EventDocumentExpiry, ActorKind: ActorOwner, ActorID: owner.id,
		DocumentID: docID, DocumentType: d.Type, DocumentTitle: d.Title, Detail: day,
	})
}
