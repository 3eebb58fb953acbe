package vault

// Bring your own bucket: an organisation, or an owner where the operator
// allows it (Config.OwnerBuckets), points its documents at its own S3
// bucket, a storage target. Which store a document goes to (its owner's
// effective store):
//
//  1. the owner's own active target, if the operator allows owner buckets;
//  2. else the active target of the organisation the owner entrusted with
//     assisted recovery (SetAssistedRecovery; a vault a worker creates is
//     entrusted to the worker's organisation only if the person opts in);
//  3. else the server's default store (Config.Blobs).
//
// New documents go straight to the effective store; existing ones move when
// the setting changes (storage_move.go). Each document row names the store
// its payload lives in, and every payload operation goes there.
//
// A target's configuration, credentials included, is sealed to the server
// key (pepper-derived): the database alone opens nothing. Inside the bucket
// a target keeps its payloads under <prefix>/<target id>/, so that two
// targets on one bucket (credentials rotated) never share an object.

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
)

// Errors of storage targets.
var (
	// ErrStorageDisabled: owners' own buckets are not enabled by the
	// operator, or no store opener is configured.
	ErrStorageDisabled = errors.New("vault: own storage not enabled on this server")
	// ErrStorageUnreachable: the target failed the probe (write, read
	// back, delete); nothing was saved.
	ErrStorageUnreachable = errors.New("vault: storage target failed the probe")
	// ErrEndpointRefused: the endpoint is not allowed for this scope (a
	// loopback or private address, or a host off the operator's list).
	// Store openers wrap it.
	ErrEndpointRefused = errors.New("vault: storage endpoint not allowed")
)

// StorageFieldError is an invalid storage setting; it wraps ErrInvalid.
type StorageFieldError struct{ Field string }

func (e *StorageFieldError) Error() string { return "vault: storage setting " + e.Field + " invalid" }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *StorageFieldError) Unwrap() error { return ErrInvalid }

// Storage scopes.
const (
	ScopeOrganisation = meta.ScopeOrganisation
	ScopeOwner        = meta.ScopeOwner
)

// StorageSettings locate an S3 bucket and the keys to use it.
type StorageSettings struct {
	// Endpoint is host[:port], without scheme.
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	// Region is optional; Prefix is an optional key prefix in the bucket.
	Region string `json:"region,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	UseTLS bool   `json:"tls"`
	// AccessKey and SecretKey are stored only sealed and never returned.
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// StorageTarget is what a StoreOpener opens: the settings of one target,
// with Prefix already extended by the target's own segment.
type StorageTarget struct {
	ID, Scope, ScopeID string
	StorageSettings
}

// StoreOpener opens the blob store of a target (Config.OpenStore). It
// refuses endpoints its policy forbids with an error wrapping
// ErrEndpointRefused; it must not create buckets.
type StoreOpener func(ctx context.Context, t StorageTarget) (blob.Store, error)

// StorageProgress says how far a move is: Placed of Total documents (and
// bytes of plaintext) are settled in their effective store.
type StorageProgress struct {
	Total       int64 `json:"total"`
	Placed      int64 `json:"placed"`
	TotalBytes  int64 `json:"total_bytes"`
	PlacedBytes int64 `json:"placed_bytes"`
	Done        bool  `json:"done"`
}

// StorageInfo is a scope's storage as shown to its owner or the operator:
// never the keys.
type StorageInfo struct {
	// Target is the active target ("" fields when the scope uses the
	// default store).
	TargetID string
	Endpoint string
	Bucket   string
	Region   string
	Prefix   string
	UseTLS   bool
	Created  time.Time
	Progress StorageProgress
}

// StorageStore keeps storage targets and document moves (migration 6).
type StorageStore interface {
	SetStorageTarget(ctx context.Context, t meta.StorageTarget) error
	StorageTarget(ctx context.Context, id string) (meta.StorageTarget, error)
	ActiveStorageTarget(ctx context.Context, scope, scopeID string) (meta.StorageTarget, error)
	StorageTargets(ctx context.Context) ([]meta.StorageTarget, error)
	RetireStorageTarget(ctx context.Context, scope, scopeID string) error
	PurgeStorageTargets(ctx context.Context) (int, error)
	EffectiveStore(ctx context.Context, ownerID string, ownerBuckets bool) (string, error)
	DocumentsToMove(ctx context.Context, scope meta.MoveScope, limit int) ([]meta.ToMove, error)
	StorageProgress(ctx context.Context, scope meta.MoveScope) (meta.StorageProgress, error)
	ClaimMove(ctx context.Context, docID, from, to string, now, staleBefore time.Time) error
	SwitchStore(ctx context.Context, docID, from, to string, since, now time.Time) error
	ReleaseMove(ctx context.Context, docID, to string, since time.Time) error
	FinishMove(ctx context.Context, docID, old string) error
}

// Limits on storage settings.
const (
	maxEndpointLen = 255
	maxPrefixLen   = 200
	maxKeyLen      = 256
	// storeOpenTimeout bounds opening and probing a target.
	storeOpenTimeout = 30 * time.Second
)

// check validates and normalises the settings.
func (st *StorageSettings) check() error {
	st.Endpoint = strings.TrimSpace(st.Endpoint)
	st.Bucket = strings.TrimSpace(st.Bucket)
	st.Region = strings.TrimSpace(st.Region)
	st.Prefix = strings.Trim(strings.TrimSpace(st.Prefix), "/")
	if !validEndpoint(st.Endpoint) {
		return &StorageFieldError{Field: "endpoint"}
	}
	if !validBucket(st.Bucket) {
		return &StorageFieldError{Field: "bucket"}
	}
	if len(st.Region) > 64 || st.Region != "" && !validCode(st.Region, 64, false) {
		return &StorageFieldError{Field: "region"}
	}
	if len(st.Prefix) > maxPrefixLen || st.Prefix != "" && blob.ValidPrefix(st.Prefix) != nil {
		return &StorageFieldError{Field: "prefix"}
	}
	if !validKeyText(st.AccessKey) {
		return &StorageFieldError{Field: "access_key"}
	}
	if !validKeyText(st.SecretKey) {
		return &StorageFieldError{Field: "secret_key"}
	}
	return nil
}

// validEndpoint accepts host[:port]: a DNS name or an IP literal (IPv6 in
// brackets), nothing else (no scheme, path, user or space).
func validEndpoint(ep string) bool {
	if ep == "" || len(ep) > maxEndpointLen {
		return false
	}
	host := ep
	if h, p, err := net.SplitHostPort(ep); err == nil {
		host = h
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return false
		}
	} else if strings.Contains(ep, ":") {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	if len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validBucket follows the S3 bucket naming rules (3 to 63 of [a-z0-9.-],
// starting and ending with a letter or digit).
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || strings.Contains(b, "..") {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(b)-1 || c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// validKeyText accepts 1 to maxKeyLen printable ASCII bytes without space.
func validKeyText(k string) bool {
	if k == "" || len(k) > maxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// storeCache keeps opened target stores by target id.
type storeCache struct {
	mu     sync.Mutex
	stores map[string]blob.Store
}

// storeFor returns the store of a target id ("" is the default store),
// opening and caching it.
func (s *Service) storeFor(ctx context.Context, id string) (blob.Store, error) {
	if id == "" {
		return s.blobs, nil
	}
	s.targets.mu.Lock()
	st, ok := s.targets.stores[id]
	s.targets.mu.Unlock()
	if ok {
		return st, nil
	}
	if s.openStore == nil {
		return nil, fmt.Errorf("vault: store %s: %w", id, ErrStorageDisabled)
	}
	row, err := s.meta.StorageTarget(ctx, id)
	if err != nil {
		return nil, mapMeta("storage target", err)
	}
	t, err := s.openTarget(row)
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
	defer cancel()
	st, err = s.openStore(octx, t)
	if err != nil {
		return nil, fmt.Errorf("vault: open store %s: %w", id, err)
	}
	s.targets.mu.Lock()
	defer s.targets.mu.Unlock()
	if prev, ok := s.targets.stores[id]; ok {
		return prev, nil
	}
	s.targets.stores[id] = st
	return st, nil
}

// openTarget opens a target row's sealed configuration.
func (s *Service) openTarget(row meta.StorageTarget) (StorageTarget, error) {
	js, err := s.openServer(row.ConfigSealed)
	if err != nil {
		return StorageTarget{}, fmt.Errorf("vault: storage target %s: %w", row.ID, err)
	}
	t := StorageTarget{ID: row.ID, Scope: row.Scope, ScopeID: row.ScopeID}
	if err := json.Unmarshal([]byte(js), &t.StorageSettings); err != nil {
		return StorageTarget{}, fmt.Errorf("vault: storage target %s: %w: %v", row.ID, ErrCorrupt, err)
	}
	// The target's own segment keeps targets on one bucket apart.
	if t.Prefix == "" {
		t.Prefix = row.ID
	} else {
		t.Prefix += "/" + row.ID
	}
	return t, nil
}

// probe writes, reads back and deletes a small object in st.
func probe(ctx context.Context, st blob.Store) error {
	id, err := newID()
	if err != nil {
		return err
	}
	key := "probe/" + id
	want := []byte("coffre storage probe " + id)
	if err := st.Put(ctx, key, bytes.NewReader(want), int64(len(want))); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	rc, err := st.Get(ctx, key)
	if err != nil {
		_ = st.Delete(ctx, key)
		return fmt.Errorf("read back: %w", err)
	}
	got, err := io.ReadAll(io.LimitReader(rc, int64(len(want))+1))
	_ = rc.Close()
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		_ = st.Delete(ctx, key)
		return fmt.Errorf("read back: content differs or unreadable (%v)", err)
	}
	if err := st.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// setTarget validates, probes and saves the active target of a scope.
func (s *Service) setTarget(ctx context.Context, scope, scopeID string, st StorageSettings) (StorageInfo, error) {
	if s.openStore == nil {
		return StorageInfo{}, fmt.Errorf("vault: set storage: %w", ErrStorageDisabled)
	}
	if err := st.check(); err != nil {
		return StorageInfo{}, err
	}
	id, err := newID()
	if err != nil {
		return StorageInfo{}, err
	}
	// #nosec G117 -- the keys are sealed to the server key at once, never stored or shown in clear.
	js, err := json.Marshal(st)
	if err != nil {
		return StorageInfo{}, fmt.Errorf("vault: set storage: %w", err)
	}
	sealed, err := s.sealServer(string(js))
	if err != nil {
		return StorageInfo{}, fmt.Errorf("vault: set storage: %w", err)
	}
	row := meta.StorageTarget{ID: id, Scope: scope, ScopeID: scopeID, ConfigSealed: sealed, Created: s.now().UTC()}
	t, err := s.openTarget(row)
	if err != nil {
		return StorageInfo{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
	defer cancel()
	store, err := s.openStore(pctx, t)
	if err == nil {
		err = probe(pctx, store)
	}
	if err != nil {
		if errors.Is(err, ErrEndpointRefused) {
			return StorageInfo{}, fmt.Errorf("vault: set storage: %w", ErrEndpointRefused)
		}
		if ctx.Err() != nil {
			return StorageInfo{}, fmt.Errorf("vault: set storage: %w", ctx.Err())
		}
		// The cause may name the endpoint or bucket, never a key.
		return StorageInfo{}, fmt.Errorf("vault: set storage: %w: %s", ErrStorageUnreachable, redact(err.Error(), st))
	}
	if err := s.meta.SetStorageTarget(ctx, row); err != nil {
		return StorageInfo{}, mapMeta("set storage", err)
	}
	s.targets.mu.Lock()
	s.targets.stores[id] = store
	s.targets.mu.Unlock()
	return StorageInfo{TargetID: id, Endpoint: st.Endpoint, Bucket: st.Bucket, Region: st.Region, Prefix: st.Prefix,
		UseTLS: st.UseTLS, Created: row.Created}, nil
}

// redact removes the keys from a message.
func redact(m string, st StorageSettings) string {
	for _, k := range []string{st.SecretKey, st.AccessKey} {
		if k != "" {
			m = strings.ReplaceAll(m, k, "[redacted]")
		}
	}
	return m
}

// storageInfo describes a scope's active target (if any) and progress.
func (s *Service) storageInfo(ctx context.Context, scope, scopeID string, ms meta.MoveScope) (StorageInfo, error) {
	var info StorageInfo
	row, err := s.meta.ActiveStorageTarget(ctx, scope, scopeID)
	switch {
	case err == nil:
		t, err := s.openTarget(row)
		if err != nil {
			return StorageInfo{}, err
		}
		info = StorageInfo{TargetID: row.ID, Endpoint: t.Endpoint, Bucket: t.Bucket, Region: t.Region,
			Prefix: strings.TrimSuffix(strings.TrimSuffix(t.Prefix, row.ID), "/"), UseTLS: t.UseTLS, Created: row.Created}
	case !errors.Is(err, meta.ErrNotFound):
		return StorageInfo{}, mapMeta("storage", err)
	}
	p, err := s.meta.StorageProgress(ctx, ms)
	if err != nil {
		return StorageInfo{}, mapMeta("storage progress", err)
	}
	info.Progress = StorageProgress{Total: p.Total, Placed: p.Placed, TotalBytes: p.TotalBytes, PlacedBytes: p.PlacedBytes,
		Done: p.Placed == p.Total}
	return info, nil
}

// SetOrganisationStorage points the documents of the owners who entrusted
// organisation orgID at a bucket (operator, `coffre admin storage set`).
// The target is probed first; nothing is saved if the probe fails. The
// documents move at the next MoveDocuments or sweep. Errors: ErrNotFound
// (organisation), ErrInvalid (a *StorageFieldError), ErrStorageDisabled,
// ErrStorageUnreachable.
func (s *Service) SetOrganisationStorage(ctx context.Context, orgID string, st StorageSettings) (StorageInfo, error) {
	if _, err := s.meta.Organisation(ctx, orgID); err != nil {
		return StorageInfo{}, mapMeta("set storage", err)
	}
	return s.setTarget(ctx, ScopeOrganisation, orgID, st)
}

// ClearOrganisationStorage retires the organisation's target: its
// documents move back to the default store. ErrNotFound when it has none.
func (s *Service) ClearOrganisationStorage(ctx context.Context, orgID string) error {
	if err := s.meta.RetireStorageTarget(ctx, ScopeOrganisation, orgID); err != nil {
		return mapMeta("clear storage", err)
	}
	return nil
}

// OrganisationStorage returns the organisation's target and the progress
// of its entrusting owners' documents. ErrNotFound (organisation).
func (s *Service) OrganisationStorage(ctx context.Context, orgID string) (StorageInfo, error) {
	if _, err := s.meta.Organisation(ctx, orgID); err != nil {
		return StorageInfo{}, mapMeta("storage", err)
	}
	return s.storageInfo(ctx, ScopeOrganisation, orgID, meta.MoveScope{OrgID: orgID, OwnerBuckets: s.ownerBuckets})
}

// OwnerBucketsEnabled reports whether owners may use their own bucket.
func (s *Service) OwnerBucketsEnabled() bool { return s.ownerBuckets && s.openStore != nil }

// SetOwnerStorage points the owner's documents at the owner's own bucket,
// where the operator allows it. Probed first; journaled. Errors:
// ErrStorageDisabled, ErrConfirmRequired, ErrInvalid, ErrEndpointRefused,
// ErrStorageUnreachable.
func (s *Service) SetOwnerStorage(ctx context.Context, owner *Principal, st StorageSettings) (StorageInfo, error) {
	if err := requireConfirmedOwner(owner); err != nil {
		return StorageInfo{}, err
	}
	if !s.OwnerBucketsEnabled() {
		return StorageInfo{}, fmt.Errorf("vault: set storage: %w", ErrStorageDisabled)
	}
	info, err := s.setTarget(ctx, ScopeOwner, owner.id, st)
	if err != nil {
		return StorageInfo{}, err
	}
	if err := s.recordOrErr(ctx, owner.id, Event{Kind: EventStorageSet, ActorKind: ActorOwner, ActorID: owner.id, Target: st.Bucket}); err != nil {
		return StorageInfo{}, err
	}
	return info, nil
}

// ClearOwnerStorage retires the owner's own target: documents move back.
// Journaled. Errors: ErrStorageDisabled, ErrConfirmRequired, ErrNotFound
// (none set).
func (s *Service) ClearOwnerStorage(ctx context.Context, owner *Principal) error {
	if err := requireConfirmedOwner(owner); err != nil {
		return err
	}
	if !s.OwnerBucketsEnabled() {
		return fmt.Errorf("vault: clear storage: %w", ErrStorageDisabled)
	}
	if err := s.meta.RetireStorageTarget(ctx, ScopeOwner, owner.id); err != nil {
		return mapMeta("clear storage", err)
	}
	return s.recordOrErr(ctx, owner.id, Event{Kind: EventStorageCleared, ActorKind: ActorOwner, ActorID: owner.id})
}

// OwnerStorage returns the owner's own target (if any) and the progress of
// the owner's documents towards their effective store.
func (s *Service) OwnerStorage(ctx context.Context, owner *Principal) (StorageInfo, error) {
	if err := requireOwner(owner); err != nil {
		return StorageInfo{}, err
	}
	return s.storageInfo(ctx, ScopeOwner, owner.id, meta.MoveScope{OwnerID: owner.id, OwnerBuckets: s.ownerBuckets})
}

// Journal event kinds of storage changes.
const (
	EventStorageSet     = "storage-set"
	EventStorageCleared = "storage-cleared"
)
