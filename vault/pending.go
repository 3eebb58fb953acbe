package vault

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Pending uploads: a helper on a weak connection sends the pages of one
// document one request at a time, and then asks for them to be deposited as
// one document. Until then each page is held in the blob store, age-encrypted
// to an identity derived (HKDF-SHA256) from a 32-byte key the helper's
// browser generated and keeps; the server forgets the key after each
// request. The database holds only an id derived from the same key, page
// numbers and sizes: neither it nor the bucket opens a page, and any
// instance sharing them serves the next request.
//
// A page is stored once per (upload, page number): a page re-sent after a
// dropped connection is recognised and not stored twice, and SendPending
// deposits the pages once, answering a retried send with the same receipt.

// PendingKeySize is the size of the browser's upload key.
const PendingKeySize = 32

// Pending upload limits.
const (
	// PendingTTL bounds how long pages wait for their send (never past the
	// link's own expiry).
	PendingTTL = 24 * time.Hour
	// MaxPendingPages bounds the pages of one upload; MaxPendingPerLink the
	// pending pages of all uploads through one link.
	MaxPendingPages   = 30
	MaxPendingPerLink = 120
	// MaxPendingPage bounds a page's plaintext (the API caps it lower).
	MaxPendingPage = 25 << 20
	// pendingClaimStale is after how long an unfinished send (its instance
	// died) may be taken over.
	pendingClaimStale = 10 * time.Minute
	// pendingBlobGrace is how old a pending blob without its row must be
	// before the sweeper removes it (a page being stored writes its blob
	// just before its row).
	pendingBlobGrace = 30 * time.Minute
	pendingPrefix    = "pending/"
)

const (
	infoPendingIdentity = "coffre/vault/v1/pending-identity"
	infoPendingID       = "coffre/vault/v1/pending-id"
)

// Errors of pending uploads.
var (
	// ErrPendingFull: the upload, or the link, already holds as many
	// pending pages as allowed.
	ErrPendingFull = errors.New("vault: too many pending pages")
	// ErrSendInProgress: another request is depositing this upload; ask
	// again shortly (it then answers with the receipt).
	ErrSendInProgress = errors.New("vault: send in progress")
	// ErrDepositRefused is wrapped by a DepositFunc whose refusal is final
	// (the pages can never be deposited, e.g. the converter rejects them):
	// SendPending then deletes the pending pages at once instead of
	// keeping them for a retry until they expire.
	ErrDepositRefused = errors.New("vault: deposit refused")
)

// PendingStore keeps pending uploads (*meta.SQLite provides it).
// Contracts:
//   - EnsurePendingUpload inserts unless the id exists; ErrNotFound for a
//     missing link.
//   - AddPendingPage returns false without error for a page already
//     recorded; ErrNotFound (upload missing or expired), ErrConflict (being
//     sent or sent), meta.ErrPendingFull (limits).
//   - ClaimPendingUpload takes the send for one caller only (ErrNotFound
//     otherwise); FinishPendingUpload marks it sent and removes its page rows
//     in one transaction.
//   - DeletePendingPage removes one page's row and returns it (false, no
//     error, when there is none); ErrNotFound (upload missing), ErrConflict
//     (being sent or sent).
type PendingStore interface {
	EnsurePendingUpload(ctx context.Context, u meta.PendingUpload) error
	PendingUpload(ctx context.Context, id string) (meta.PendingUpload, error)
	AddPendingPage(ctx context.Context, p meta.PendingPage, now time.Time, maxPerUpload, maxPerLink int) (bool, error)
	PendingPages(ctx context.Context, uploadID string) ([]meta.PendingPage, error)
	PendingPageByBlobKey(ctx context.Context, key string) (meta.PendingPage, error)
	DeletePendingPage(ctx context.Context, uploadID string, page int) (meta.PendingPage, bool, error)
	ClaimPendingUpload(ctx context.Context, id string, now, staleBefore time.Time) error
	ReleasePendingUpload(ctx context.Context, id string) error
	FinishPendingUpload(ctx context.Context, id string, receiptSealed []byte, now time.Time) error
	ExpiredPendingUploads(ctx context.Context, now time.Time, limit int) ([]meta.PendingUpload, error)
	DeletePendingUpload(ctx context.Context, id string) error
}

// PendingStatus is what the helper's browser learns when it resumes.
type PendingStatus struct {
	// Pages are the page numbers already stored, ascending.
	Pages []int
	// Sent is set once the pages were deposited, with its receipt.
	Sent    bool
	Receipt Receipt
}

// pendingKeys derives the upload's id and identity from the browser's key,
// bound to the link's token.
func pendingKeys(linkRaw, key []byte) (string, *age.X25519Identity, error) {
	if len(key) != PendingKeySize {
		return "", nil, fmt.Errorf("vault: pending upload key: %w", ErrInvalid)
	}
	idBytes, err := hkdf.Key(sha256.New, key, linkRaw, infoPendingID, 32)
	if err != nil {
		return "", nil, fmt.Errorf("vault: pending upload key: %w", err)
	}
	seed, err := hkdf.Key(sha256.New, key, linkRaw, infoPendingIdentity, 32)
	if err != nil {
		return "", nil, fmt.Errorf("vault: pending upload key: %w", err)
	}
	id, err := identityFromSeed(seed)
	if err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(idBytes), id, nil
}

func pendingBlobKey(uploadID string, page int) string {
	return fmt.Sprintf("%s%s/%04d", pendingPrefix, uploadID, page)
}

// pageKey is the blob key of a pending page's row: derived from its upload
// id and page number, never the key the row holds. A database writer
// without the pepper could point a row's key at any paper's payload, which
// the sweeper or a helper's delete would then erase (attacker's review,
// 12-08). ok is false for a row whose upload id or page number has a shape
// no upload makes (nothing is read or removed for it).
func pageKey(p meta.PendingPage) (key string, ok bool) {
	if !validUploadID(p.UploadID) || p.Page <= 0 || p.Page > 9999 {
		return "", false
	}
	return pendingBlobKey(p.UploadID, p.Page), true
}

// validUploadID reports whether id has the shape pendingKeys gives: 64
// lower-case hexadecimal digits.
func validUploadID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// pendingLink checks the token and returns its live link.
func (s *Service) pendingLink(ctx context.Context, token string) (meta.DropLink, []byte, error) {
	raw, hash, err := parseLinkToken(token)
	if err != nil {
		return meta.DropLink{}, nil, err
	}
	l, err := s.meta.DropLinkByTokenHash(ctx, hash)
	if errors.Is(err, meta.ErrNotFound) || err == nil && !linkLive(l, s.now()) {
		return meta.DropLink{}, nil, fmt.Errorf("vault: pending upload: %w", ErrNoLink)
	}
	if err != nil {
		return meta.DropLink{}, nil, mapMeta("pending upload", err)
	}
	return l, raw, nil
}

// PutPendingPage stores page number page (1, 2, …; numbers need not be
// contiguous) of the upload identified by key through the live link token,
// encrypting it as it streams to the blob store. It reports stored=false
// when that page was already stored (a retry): the first copy is kept.
// Errors: ErrNoLink, ErrInvalid (key, page number, empty page),
// ErrPendingFull, ErrConflict (the upload is being sent or was sent),
// ErrNotFound (the upload expired).
func (s *Service) PutPendingPage(ctx context.Context, token string, key []byte, page int, r io.Reader) (stored bool, err error) {
	l, uploadID, id, err := s.pendingPageKeys(ctx, token, key, page)
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	exp := now.Add(PendingTTL)
	if l.Expires.Before(exp) {
		exp = l.Expires
	}
	if err := s.meta.EnsurePendingUpload(ctx, meta.PendingUpload{ID: uploadID, LinkID: l.ID, Created: now, Expires: exp}); err != nil {
		return false, mapMeta("pending upload", err)
	}
	u, err := s.meta.PendingUpload(ctx, uploadID)
	if err != nil {
		return false, mapMeta("pending upload", err)
	}
	if u.LinkID != l.ID {
		return false, fmt.Errorf("vault: pending upload of another link: %w", ErrInvalid)
	}
	if !u.Sent.IsZero() {
		return false, fmt.Errorf("vault: pending upload already sent: %w", ErrConflict)
	}
	bkey := pendingBlobKey(uploadID, page)
	size, err := s.putPendingBlob(ctx, bkey, id, r)
	if errors.Is(err, blob.ErrExist) {
		// A previous attempt stored it (perhaps without its row).
		info, serr := s.blobs.Stat(ctx, bkey)
		if serr != nil {
			return false, fmt.Errorf("vault: pending page: %w", serr)
		}
		size, err = info.Size, nil
	}
	if err != nil {
		return false, err
	}
	added, err := s.meta.AddPendingPage(ctx, meta.PendingPage{
		UploadID: uploadID, Page: page, BlobKey: bkey, Size: size, Created: now,
	}, now, MaxPendingPages, MaxPendingPerLink)
	switch {
	case errors.Is(err, meta.ErrPendingFull):
		s.dropBlob(ctx, bkey)
		return false, fmt.Errorf("vault: pending page: %w", ErrPendingFull)
	case errors.Is(err, meta.ErrConflict):
		// Being sent or sent: the page is not part of it.
		if _, perr := s.meta.PendingPageByBlobKey(ctx, bkey); errors.Is(perr, meta.ErrNotFound) {
			s.dropBlob(ctx, bkey)
		}
		return false, mapMeta("pending page", err)
	case err != nil:
		return false, mapMeta("pending page", err)
	}
	return added, nil
}

// putPendingBlob encrypts r to id's recipient into a new blob under key
// and returns the stored size. blob.ErrExist when the page is already there.
func (s *Service) putPendingBlob(ctx context.Context, key string, id *age.X25519Identity, r io.Reader) (int64, error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := seal.Encrypt(ctx, pw, id.Recipient())
		if err == nil {
			var m int64
			m, err = io.Copy(w, io.LimitReader(r, MaxPendingPage+1))
			switch {
			case err == nil && m > MaxPendingPage:
				err = fmt.Errorf("vault: pending page too large: %w", ErrInvalid)
			case err == nil && m == 0:
				err = fmt.Errorf("vault: empty pending page: %w", ErrInvalid)
			case err == nil:
				err = w.Close()
			}
		}
		_ = pw.CloseWithError(err)
	}()
	cr := &countReader{r: pr}
	err := s.blobs.Create(ctx, key, cr, -1)
	_ = pr.CloseWithError(errors.New("vault: pending blob store stopped"))
	<-done // the writer no longer reads r
	switch {
	case err == nil:
		return cr.n, nil
	case errors.Is(err, blob.ErrExist), errors.Is(err, ErrInvalid):
		return 0, err
	}
	return 0, fmt.Errorf("vault: store pending page: %w", err)
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// dropBlob removes a blob, best effort, even if ctx was cancelled.
func (s *Service) dropBlob(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.blobs.Delete(ctx, key)
}

// PendingUploadStatus tells the helper's browser which pages of its upload
// are stored, or that it was sent (with the receipt), so that it resumes
// without re-sending anything. An upload never seen is empty, not an error.
// Errors: ErrNoLink, ErrInvalid (key).
func (s *Service) PendingUploadStatus(ctx context.Context, token string, key []byte) (PendingStatus, error) {
	raw, hash, err := parseLinkToken(token)
	if err != nil {
		return PendingStatus{}, err
	}
	uploadID, id, err := pendingKeys(raw, key)
	if err != nil {
		return PendingStatus{}, err
	}
	u, err := s.meta.PendingUpload(ctx, uploadID)
	if errors.Is(err, meta.ErrNotFound) {
		if _, _, err := s.pendingLink(ctx, token); err != nil {
			return PendingStatus{}, err
		}
		return PendingStatus{Pages: []int{}}, nil
	}
	if err != nil {
		return PendingStatus{}, mapMeta("pending upload", err)
	}
	l, err := s.meta.DropLinkByTokenHash(ctx, hash)
	if err != nil || l.ID != u.LinkID {
		return PendingStatus{}, fmt.Errorf("vault: pending upload: %w", ErrNoLink)
	}
	if !u.Sent.IsZero() {
		rc, err := openReceipt(u.ReceiptSealed, id)
		if err != nil {
			return PendingStatus{}, err
		}
		return PendingStatus{Pages: []int{}, Sent: true, Receipt: rc}, nil
	}
	if !linkLive(l, s.now()) {
		return PendingStatus{}, fmt.Errorf("vault: pending upload: %w", ErrNoLink)
	}
	if !u.Expires.After(s.now()) {
		// Expired, not yet swept: its pages are gone for the helper.
		return PendingStatus{Pages: []int{}}, nil
	}
	pages, err := s.meta.PendingPages(ctx, uploadID)
	if err != nil {
		return PendingStatus{}, mapMeta("pending pages", err)
	}
	st := PendingStatus{Pages: make([]int, 0, len(pages))}
	for _, p := range pages {
		st.Pages = append(st.Pages, p.Page)
	}
	return st, nil
}

// OpenPendingPage opens page number page of the upload, decrypted, so
// that the helper's browser can have it checked again after a reload (its
// check was lost with the page) or in another language. Only the holder
// of the upload's key opens it, through a live link, before it is sent.
// Errors: ErrNoLink, ErrInvalid (key, page number), ErrNotFound (no such
// page), ErrConflict (sent), ErrCorrupt.
func (s *Service) OpenPendingPage(ctx context.Context, token string, key []byte, page int) (io.ReadCloser, error) {
	l, uploadID, id, err := s.pendingPageKeys(ctx, token, key, page)
	if err != nil {
		return nil, err
	}
	u, err := s.meta.PendingUpload(ctx, uploadID)
	if err != nil {
		return nil, mapMeta("pending upload", err)
	}
	if u.LinkID != l.ID {
		return nil, fmt.Errorf("vault: pending upload of another link: %w", ErrNoLink)
	}
	if !u.Sent.IsZero() {
		return nil, fmt.Errorf("vault: pending upload already sent: %w", ErrConflict)
	}
	if !u.Expires.After(s.now()) {
		return nil, fmt.Errorf("vault: pending upload expired: %w", ErrNotFound)
	}
	bkey := pendingBlobKey(uploadID, page)
	if _, err := s.meta.PendingPageByBlobKey(ctx, bkey); err != nil {
		return nil, mapMeta(fmt.Sprintf("pending page %d", page), err)
	}
	rc, err := s.blobs.Get(ctx, bkey)
	if err != nil {
		if errors.Is(err, blob.ErrNotExist) {
			return nil, fmt.Errorf("vault: pending page %d missing: %w", page, ErrCorrupt)
		}
		return nil, fmt.Errorf("vault: pending page %d: %w", page, err)
	}
	pr, err := seal.Decrypt(ctx, rc, id)
	if err != nil {
		_ = rc.Close()
		return nil, fmt.Errorf("vault: pending page %d: %w: %w", page, ErrCorrupt, err)
	}
	return readCloser{Reader: pr, Closer: rc}, nil
}

// DeletePendingPage takes back page number page of the upload before it
// is sent: the helper removed it (or retook it) on her page, and it leaves
// the server now rather than at send or expiry. Deleting a page that is
// not there is not an error (a retried delete). Only the holder of the
// upload's key deletes, through a live link.
// Errors: ErrNoLink, ErrInvalid (key, page number), ErrNotFound (no such
// upload), ErrConflict (being sent or sent).
func (s *Service) DeletePendingPage(ctx context.Context, token string, key []byte, page int) error {
	l, uploadID, _, err := s.pendingPageKeys(ctx, token, key, page)
	if err != nil {
		return err
	}
	u, err := s.meta.PendingUpload(ctx, uploadID)
	if err != nil {
		return mapMeta("pending upload", err)
	}
	if u.LinkID != l.ID {
		return fmt.Errorf("vault: pending upload of another link: %w", ErrNoLink)
	}
	_, deleted, err := s.meta.DeletePendingPage(ctx, uploadID, page)
	if err != nil {
		return mapMeta(fmt.Sprintf("delete pending page %d", page), err)
	}
	if deleted {
		// A blob a failed delete leaves has no row: ExpirePending removes it.
		s.dropBlob(ctx, pendingBlobKey(uploadID, page))
	}
	return nil
}

// pendingPageKeys checks a page number and opens the upload's keys
// through a live link: the link, the upload's id and its identity.
// Errors: ErrInvalid (page number, key), ErrNoLink.
func (s *Service) pendingPageKeys(ctx context.Context, token string, key []byte, page int) (meta.DropLink, string, *age.X25519Identity, error) {
	if page <= 0 || page > 9999 {
		return meta.DropLink{}, "", nil, fmt.Errorf("vault: pending page number: %w", ErrInvalid)
	}
	l, raw, err := s.pendingLink(ctx, token)
	if err != nil {
		return meta.DropLink{}, "", nil, err
	}
	uploadID, id, err := pendingKeys(raw, key)
	if err != nil {
		return meta.DropLink{}, "", nil, err
	}
	return l, uploadID, id, nil
}

// DepositFunc receives the plaintext pages of a pending upload, in the
// order asked, and deposits them as one document (typically: convert, then
// Deposit with the same token). A non-zero Receipt.Received means the
// document was added, even if an error follows.
type DepositFunc func(ctx context.Context, pages []io.Reader) (Receipt, error)

// SendPending deposits the pages of the upload, in the given order (every
// number must be a stored page; pages left out are discarded), through
// deposit, then removes the pending pages. It runs once per upload: a
// concurrent send gets ErrSendInProgress, and a send retried after success
// gets the same receipt without depositing again. Errors: ErrNoLink,
// ErrInvalid (key, empty or unknown page numbers), ErrSendInProgress,
// ErrNotFound (no such upload, or expired, or refused for good: see
// ErrDepositRefused), ErrCorrupt (a page does not open), and deposit's.
func (s *Service) SendPending(ctx context.Context, token string, key []byte, order []int, deposit DepositFunc) (Receipt, error) {
	raw, hash, err := parseLinkToken(token)
	if err != nil {
		return Receipt{}, err
	}
	uploadID, id, err := pendingKeys(raw, key)
	if err != nil {
		return Receipt{}, err
	}
	u, err := s.meta.PendingUpload(ctx, uploadID)
	if err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			if _, _, lerr := s.pendingLink(ctx, token); lerr != nil {
				return Receipt{}, lerr
			}
		}
		return Receipt{}, mapMeta("pending upload", err)
	}
	l, err := s.meta.DropLinkByTokenHash(ctx, hash)
	if err != nil || l.ID != u.LinkID {
		return Receipt{}, fmt.Errorf("vault: pending upload: %w", ErrNoLink)
	}
	if !u.Sent.IsZero() {
		return openReceipt(u.ReceiptSealed, id)
	}
	if len(order) == 0 || len(order) > MaxPendingPages {
		return Receipt{}, fmt.Errorf("vault: pending send: page list: %w", ErrInvalid)
	}
	pages, err := s.meta.PendingPages(ctx, uploadID)
	if err != nil {
		return Receipt{}, mapMeta("pending pages", err)
	}
	byNum := make(map[int]meta.PendingPage, len(pages))
	for _, p := range pages {
		byNum[p.Page] = p
	}
	seen := make(map[int]bool, len(order))
	for _, n := range order {
		if _, ok := byNum[n]; !ok || seen[n] {
			return Receipt{}, fmt.Errorf("vault: pending send: page %d not stored or repeated: %w", n, ErrInvalid)
		}
		seen[n] = true
	}
	now := s.now().UTC()
	if err := s.meta.ClaimPendingUpload(ctx, uploadID, now, now.Add(-pendingClaimStale)); err != nil {
		if !errors.Is(err, meta.ErrNotFound) {
			return Receipt{}, mapMeta("pending send", err)
		}
		u, err := s.meta.PendingUpload(ctx, uploadID)
		switch {
		case err != nil:
			return Receipt{}, mapMeta("pending send", err)
		case !u.Sent.IsZero():
			return openReceipt(u.ReceiptSealed, id)
		case !u.Expires.After(now):
			return Receipt{}, fmt.Errorf("vault: pending upload expired: %w", ErrNotFound)
		}
		return Receipt{}, ErrSendInProgress
	}
	rc, err := s.depositPending(ctx, id, order, byNum, deposit)
	if err != nil && rc.Received.IsZero() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		if !errors.Is(err, ErrDepositRefused) || s.discardPending(rctx, uploadID, pages) != nil {
			_ = s.meta.ReleasePendingUpload(rctx, uploadID)
		}
		cancel()
		return Receipt{}, err
	}
	// The document is in the vault: record it even if ctx is done, so that
	// a retry gets the receipt instead of depositing twice.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	sealed, serr := sealReceipt(rc, id)
	if serr == nil {
		serr = s.meta.FinishPendingUpload(fctx, uploadID, sealed, s.now().UTC())
	}
	if serr == nil {
		for _, p := range pages {
			if k, ok := pageKey(p); ok {
				_ = s.blobs.Delete(fctx, k)
			}
		}
	}
	return rc, errors.Join(err, serr)
}

// discardPending deletes a refused upload's pages and rows at once. A page
// blob left behind by a failed delete has no row: ExpirePending removes it.
func (s *Service) discardPending(ctx context.Context, uploadID string, pages []meta.PendingPage) error {
	for _, p := range pages {
		k, ok := pageKey(p)
		if !ok {
			continue
		}
		if err := s.blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotExist) {
			return fmt.Errorf("vault: discard pending page: %w", err)
		}
	}
	return mapMetaNil("discard pending", s.meta.DeletePendingUpload(ctx, uploadID))
}

// depositPending opens the pages in order and hands them to deposit.
func (s *Service) depositPending(ctx context.Context, id *age.X25519Identity, order []int, byNum map[int]meta.PendingPage, deposit DepositFunc) (Receipt, error) {
	readers := make([]io.Reader, 0, len(order))
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}()
	for _, n := range order {
		k, ok := pageKey(byNum[n])
		if !ok {
			return Receipt{}, fmt.Errorf("vault: pending page %d: %w", n, ErrCorrupt)
		}
		rc, err := s.blobs.Get(ctx, k)
		if err != nil {
			if errors.Is(err, blob.ErrNotExist) {
				return Receipt{}, fmt.Errorf("vault: pending page %d missing: %w", n, ErrCorrupt)
			}
			return Receipt{}, fmt.Errorf("vault: pending page %d: %w", n, err)
		}
		closers = append(closers, rc)
		pr, err := seal.Decrypt(ctx, rc, id)
		if err != nil {
			return Receipt{}, fmt.Errorf("vault: pending page %d: %w: %w", n, ErrCorrupt, err)
		}
		readers = append(readers, pr)
	}
	return deposit(ctx, readers)
}

type receiptJSON struct {
	Label    string    `json:"label"`
	Received time.Time `json:"received"`
	Pages    int       `json:"pages"`
	Size     int64     `json:"size"`
}

func sealReceipt(rc Receipt, id *age.X25519Identity) ([]byte, error) {
	b, err := json.Marshal(receiptJSON(rc))
	if err != nil {
		return nil, fmt.Errorf("vault: receipt: %w", err)
	}
	out, err := seal.SealString(string(b), id.Recipient())
	if err != nil {
		return nil, fmt.Errorf("vault: receipt: %w", err)
	}
	return out, nil
}

func openReceipt(sealed []byte, id *age.X25519Identity) (Receipt, error) {
	s, err := seal.OpenString(sealed, id)
	if err != nil {
		return Receipt{}, fmt.Errorf("vault: receipt: %w: %w", ErrCorrupt, err)
	}
	var rj receiptJSON
	if err := json.NewDecoder(bytes.NewReader([]byte(s))).Decode(&rj); err != nil {
		return Receipt{}, fmt.Errorf("vault: receipt: %w: %v", ErrCorrupt, err)
	}
	return Receipt(rj), nil
}

// ExpirePending is the pending uploads' sweeper: it removes uploads past
// their expiry (sent or not) with their pages, and pending blobs left
// without a row (a crash between storing a page and recording it, or a
// link deleted with its owner). It returns how many uploads and stray
// blobs it removed. Run it now and then (with SweepAccounts).
func (s *Service) ExpirePending(ctx context.Context) (uploads, strays int, err error) {
	now := s.now().UTC()
	for {
		expired, err := s.meta.ExpiredPendingUploads(ctx, now, 100)
		if err != nil {
			return uploads, strays, mapMeta("expire pending", err)
		}
		for _, u := range expired {
			pages, err := s.meta.PendingPages(ctx, u.ID)
			if err != nil {
				return uploads, strays, mapMeta("expire pending", err)
			}
			for _, p := range pages {
				k, ok := pageKey(p)
				if !ok {
					continue
				}
				if err := s.blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotExist) {
					return uploads, strays, fmt.Errorf("vault: expire pending: %w", err)
				}
			}
			if err := s.meta.DeletePendingUpload(ctx, u.ID); err != nil {
				return uploads, strays, mapMeta("expire pending", err)
			}
			uploads++
		}
		if len(expired) < 100 {
			break
		}
	}
	cutoff := now.Add(-pendingBlobGrace)
	var stale []string
	err = s.blobs.List(ctx, pendingPrefix, func(info blob.Info) error {
		if !info.ModTime.Before(cutoff) {
			return nil
		}
		_, err := s.meta.PendingPageByBlobKey(ctx, info.Key)
		if errors.Is(err, meta.ErrNotFound) {
			stale = append(stale, info.Key)
			return nil
		}
		return err
	})
	if err != nil {
		return uploads, strays, fmt.Errorf("vault: expire pending: %w", err)
	}
	for _, k := range stale {
		if err := s.blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotExist) {
			return uploads, strays, fmt.Errorf("vault: expire pending: %w", err)
		}
		strays++
	}
	return uploads, strays, nil
}
