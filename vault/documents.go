package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// Category code: 1 to 32 of [a-z0-9_-] (identity, income, tax, …).
	Category string
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
	// Grantees also receive a wrap at once (a worker whose request the
	// upload answers).
	Grantees []Grantee
}

// Document is a document's metadata as its readers see it.
type Document struct {
	ID        string
	OwnerID   string
	Category  string
	Title     string
	MediaType string
	Pages     int
	// Size is the plaintext size in bytes.
	Size    int64
	Profile string
	Created time.Time
	Expires time.Time
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
	switch {
	case !validCode(nd.Category, maxCategoryLen, false):
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
	for _, g := range nd.Grantees {
		if g.Kind == KindOwner || !g.Kind.Valid() || g.ID == "" {
			return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, g.Kind, g.ID)
		}
	}
	return nil
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
	granteeRcpts := make([]*age.X25519Recipient, len(nd.Grantees))
	for i, g := range nd.Grantees {
		if granteeRcpts[i], err = s.granteeRecipient(ctx, g); err != nil {
			return Document{}, err
		}
	}

	id, err := newID()
	if err != nil {
		return Document{}, err
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
	now := s.now().UTC()
	wraps := make([]meta.Wrap, 0, 1+len(nd.Grantees))
	w, err := seal.WrapIdentity(docIdent, ownerRcpt)
	if err != nil {
		return Document{}, fmt.Errorf("vault: add document: wrap for owner: %w", err)
	}
	wraps = append(wraps, meta.Wrap{DocumentID: id, RecipientKind: KindOwner, RecipientID: o.ID, WrappedKey: w, Created: now})
	for i, g := range nd.Grantees {
		w, err := seal.WrapIdentity(docIdent, granteeRcpts[i])
		if err != nil {
			return Document{}, fmt.Errorf("vault: add document: wrap for grantee: %w", err)
		}
		wraps = append(wraps, meta.Wrap{DocumentID: id, RecipientKind: g.Kind, RecipientID: g.ID, WrappedKey: w, Created: now})
	}

	row := meta.Document{
		ID: id, OwnerID: o.ID, Category: nd.Category, TitleSealed: title, MediaType: nd.MediaType,
		Pages: nd.Pages, Profile: nd.Profile, BlobKey: blobKey(id), State: meta.StatePending,
		Created: now, Expires: nd.Expires.UTC(),
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
	err = s.blobs.Create(ctx, row.BlobKey, ahead, size)
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
	return Document{
		ID: id, OwnerID: o.ID, Category: nd.Category, Title: nd.Title, MediaType: nd.MediaType,
		Pages: nd.Pages, Size: er.n, Profile: nd.Profile, Created: now, Expires: row.Expires,
	}, nil
}

// abandon removes what a failed add left: the payload (if it may exist) and
// the row. Failures are left to FindOrphans.
func (s *Service) abandon(ctx context.Context, row meta.Document, payload bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if payload {
		if err := s.blobs.Delete(ctx, row.BlobKey); err != nil && !errors.Is(err, blob.ErrNotExist) {
			return // keep the row: it marks the payload for fsck
		}
	}
	_ = s.meta.DeleteDocument(ctx, row.ID)
}

// access finds the principal's wrap of a document and opens it.
func (s *Service) access(ctx context.Context, p *Principal, docID string) (meta.Access, *age.X25519Identity, error) {
	if !p.valid() {
		return meta.Access{}, nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	if !validID(docID) {
		return meta.Access{}, nil, fmt.Errorf("vault: document: %w", ErrNoAccess)
	}
	acc, err := s.meta.DocumentAccess(ctx, docID, p.kind, p.id)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Access{}, nil, fmt.Errorf("vault: document: %w", ErrNoAccess)
	}
	if err != nil {
		return meta.Access{}, nil, mapMeta("document", err)
	}
	ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, p.identity)
	if err != nil {
		return meta.Access{}, nil, fmt.Errorf("vault: document key: %w: %w", ErrCorrupt, err)
	}
	return acc, ident, nil
}

// view builds the reader's view of a row, opening the title.
func view(d meta.Document, docIdent *age.X25519Identity) (Document, error) {
	title, err := seal.OpenString(d.TitleSealed, docIdent)
	if err != nil {
		return Document{}, fmt.Errorf("vault: title: %w: %w", ErrCorrupt, err)
	}
	return Document{
		ID: d.ID, OwnerID: d.OwnerID, Category: d.Category, Title: title, MediaType: d.MediaType,
		Pages: d.Pages, Size: d.Size, Profile: d.Profile, Created: d.Created, Expires: d.Expires,
	}, nil
}

// Document returns a document's metadata for a principal holding its key.
// ErrNoAccess otherwise.
func (s *Service) Document(ctx context.Context, p *Principal, docID string) (Document, error) {
	acc, ident, err := s.access(ctx, p, docID)
	if err != nil {
		return Document{}, err
	}
	return view(acc.Document, ident)
}

// OpenDocument streams a document's plaintext to a principal holding its key
// (the owner or a grantee). The caller closes the reader. Errors at open:
// ErrNoAccess, ErrCorrupt (payload missing or key wrap damaged). Errors from
// Read: seal.ErrPayload (damaged or truncated payload; everything read so far
// is then untrusted), or ctx's error once ctx is done.
func (s *Service) OpenDocument(ctx context.Context, p *Principal, docID string) (io.ReadCloser, Document, error) {
	acc, ident, err := s.access(ctx, p, docID)
	if err != nil {
		return nil, Document{}, err
	}
	d, err := view(acc.Document, ident)
	if err != nil {
		return nil, Document{}, err
	}
	rc, err := s.blobs.Get(ctx, acc.Document.BlobKey)
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

// List returns the documents the principal holds a key for, oldest first:
// all of an owner's documents, or what was granted to a worker.
func (s *Service) List(ctx context.Context, p *Principal) ([]Document, error) {
	if !p.valid() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	accs, err := s.meta.ListAccess(ctx, p.kind, p.id)
	if err != nil {
		return nil, mapMeta("list", err)
	}
	out := make([]Document, 0, len(accs))
	for _, acc := range accs {
		ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, p.identity)
		if err != nil {
			return nil, fmt.Errorf("vault: list: document key %s: %w: %w", acc.Document.ID, ErrCorrupt, err)
		}
		d, err := view(acc.Document, ident)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
