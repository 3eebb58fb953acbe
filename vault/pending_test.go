package vault_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
)

// pendingEnv is a service with a movable clock, an owner and a live link.
type pendingEnv struct {
	*env
	owner *vault.Principal
	token string
	link  vault.DropLink
	now   atomic.Int64 // unix micro
}

func newPendingEnv(t *testing.T, uses int) *pendingEnv {
	t.Helper()
	pe := &pendingEnv{}
	pe.now.Store(time.Now().UnixMicro())
	clock := func() time.Time { return time.UnixMicro(pe.now.Load()) }
	dataDir := t.TempDir()
	ms, err := meta.OpenSQLite(testCtx(t), filepath.Join(dataDir, "coffre.db"), vault.RowKeyOption(testPepper))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	bs, _ := localBackend(t, dataDir)
	svc, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: clock})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	pe.env = &env{svc: svc, meta: ms.DB, blobs: bs, dirs: []string{dataDir}}
	pe.owner = pe.env.owner(t)
	pe.token, pe.link, err = svc.CreateDropLink(testCtx(t), pe.owner, pe.owner.ID(), vault.NewDropLink{
		Label: "Papiers CAF", Requested: []string{"avis-impot"}, MaxUses: uses,
	})
	if err != nil {
		t.Fatalf("CreateDropLink: %v", err)
	}
	return pe
}

func (pe *pendingEnv) advance(d time.Duration) { pe.now.Add(d.Microseconds()) }

// collect is a DepositFunc that records the pages it is given and deposits
// their concatenation as one document.
type collect struct {
	mu    sync.Mutex
	calls int
	pages [][]byte
	svc   *vault.Service
	token string
}

func (c *collect) deposit(ctx context.Context, pages []io.Reader) (vault.Receipt, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	var all bytes.Buffer
	var got [][]byte
	for _, r := range pages {
		b, err := io.ReadAll(r)
		if err != nil {
			return vault.Receipt{}, err
		}
		got = append(got, b)
		all.Write(b)
	}
	c.mu.Lock()
	c.pages = got
	c.mu.Unlock()
	return c.svc.Deposit(ctx, c.token, vault.NewDocument{Category: "tax", Type: "avis-impot", Title: "Avis", Pages: len(pages)}, &all)
}

func pendingBlobs(t *testing.T, bs blob.Store) []string {
	t.Helper()
	var keys []string
	if err := bs.List(testCtx(t), "pending/", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestPendingUploadResumesAndSendsOnce(t *testing.T) {
	pe := newPendingEnv(t, 1)
	ctx := testCtx(t)
	key := randomBytes(t, vault.PendingKeySize)
	marker := "PLAINTEXT-PAGE-MARKER-"
	page := func(n int) io.Reader { return strings.NewReader(marker + strings.Repeat(string(rune('a'+n)), 5000)) }

	for _, n := range []int{1, 2, 3} {
		stored, err := pe.svc.PutPendingPage(ctx, pe.token, key, n, page(n))
		if err != nil || !stored {
			t.Fatalf("PutPendingPage(%d) = %v, %v; want stored", n, stored, err)
		}
	}
	// A page re-sent after a dropped connection is stored once.
	stored, err := pe.svc.PutPendingPage(ctx, pe.token, key, 2, strings.NewReader("another body"))
	if err != nil || stored {
		t.Fatalf("retried page 2 = %v, %v; want already stored", stored, err)
	}
	st, err := pe.svc.PendingUploadStatus(ctx, pe.token, key)
	if err != nil || len(st.Pages) != 3 || st.Sent {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if keys := pendingBlobs(t, pe.blobs); len(keys) != 3 {
		t.Fatalf("pending blobs = %v, want 3", keys)
	}
	// Nothing in clear at rest: not in the blobs, not in the database.
	if files, hits := scan(t, pe.dirs, markerForms(marker)); files == 0 || len(hits) > 0 {
		t.Fatalf("pending pages in clear at rest (%d files scanned): %v", files, hits)
	}

	// Another key sees nothing of it.
	other, err := pe.svc.PendingUploadStatus(ctx, pe.token, randomBytes(t, vault.PendingKeySize))
	if err != nil || len(other.Pages) != 0 {
		t.Fatalf("other key status = %+v, %v", other, err)
	}

	c := &collect{svc: pe.svc, token: pe.token}
	var wg sync.WaitGroup
	results := make([]error, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = pe.svc.SendPending(ctx, pe.token, key, []int{3, 1, 2}, c.deposit)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, vault.ErrSendInProgress):
		default:
			t.Fatalf("SendPending: %v", err)
		}
	}
	if c.calls != 1 || ok == 0 {
		t.Fatalf("deposits = %d, successes = %d; want exactly one deposit", c.calls, ok)
	}
	if len(c.pages) != 3 || !bytes.HasSuffix(c.pages[0], []byte("ddddd")) || !bytes.HasSuffix(c.pages[1], []byte("bbbbb")) {
		t.Fatalf("pages not in the asked order")
	}
	// A retried send answers with the receipt, without depositing again.
	rc, err := pe.svc.SendPending(ctx, pe.token, key, []int{3, 1, 2}, c.deposit)
	if err != nil || c.calls != 1 || rc.Label != "Papiers CAF" || rc.Pages != 3 {
		t.Fatalf("retried send = %+v, %v (deposits %d)", rc, err, c.calls)
	}
	st, err = pe.svc.PendingUploadStatus(ctx, pe.token, key)
	if err != nil || !st.Sent || st.Receipt.Label != "Papiers CAF" {
		t.Fatalf("status after send = %+v, %v", st, err)
	}
	if keys := pendingBlobs(t, pe.blobs); len(keys) != 0 {
		t.Fatalf("pending blobs left after send: %v", keys)
	}
	docs, err := pe.svc.List(ctx, pe.owner)
	if err != nil || len(docs) != 1 || docs[0].Type != "avis-impot" {
		t.Fatalf("owner's documents = %+v, %v", docs, err)
	}
	// The single-use link is spent: no more pages.
	if _, err := pe.svc.PutPendingPage(ctx, pe.token, randomBytes(t, vault.PendingKeySize), 1, page(1)); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("page after the link is used up: %v, want ErrNoLink", err)
	}
}

func TestPendingUploadErrors(t *testing.T) {
	pe := newPendingEnv(t, 2)
	ctx := testCtx(t)
	key := randomBytes(t, vault.PendingKeySize)
	cases := []struct {
		name  string
		token string
		key   []byte
		page  int
		body  string
		want  error
	}{
		{"short key", pe.token, key[:16], 1, "x", vault.ErrInvalid},
		{"page zero", pe.token, key, 0, "x", vault.ErrInvalid},
		{"empty page", pe.token, key, 1, "", vault.ErrInvalid},
		{"malformed token", "nope", key, 1, "x", vault.ErrNoLink},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pe.svc.PutPendingPage(ctx, tc.token, tc.key, tc.page, strings.NewReader(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("PutPendingPage = %v, want %v", err, tc.want)
			}
		})
	}
	if keys := pendingBlobs(t, pe.blobs); len(keys) != 0 {
		t.Fatalf("refused pages left blobs: %v", keys)
	}
	if _, err := pe.svc.PutPendingPage(ctx, pe.token, key, 1, strings.NewReader("page")); err != nil {
		t.Fatal(err)
	}
	c := &collect{svc: pe.svc, token: pe.token}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2}, c.deposit); !errors.Is(err, vault.ErrInvalid) || c.calls != 0 {
		t.Fatalf("send with a missing page = %v (deposits %d), want ErrInvalid", err, c.calls)
	}
	// A deposit that fails leaves the pages for a retry.
	failing := func(ctx context.Context, pages []io.Reader) (vault.Receipt, error) {
		return vault.Receipt{}, errors.New("converter failed")
	}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1}, failing); err == nil {
		t.Fatal("failing deposit: no error")
	}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1}, c.deposit); err != nil || c.calls != 1 {
		t.Fatalf("send after a failed one = %v (deposits %d)", err, c.calls)
	}
	// Revoked link: nothing more.
	if err := pe.svc.RevokeDropLink(ctx, pe.owner, pe.link.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pe.svc.PutPendingPage(ctx, pe.token, randomBytes(t, vault.PendingKeySize), 1, strings.NewReader("x")); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("page through a revoked link: %v", err)
	}
}

func TestPendingUploadsExpire(t *testing.T) {
	pe := newPendingEnv(t, 1)
	ctx := testCtx(t)
	key := randomBytes(t, vault.PendingKeySize)
	for _, n := range []int{1, 2} {
		if _, err := pe.svc.PutPendingPage(ctx, pe.token, key, n, strings.NewReader("page")); err != nil {
			t.Fatal(err)
		}
	}
	// A stray blob (a crash between the blob and its row) is swept too.
	stray := "pending/" + strings.Repeat("0", 64) + "/0001"
	if err := pe.blobs.Put(ctx, stray, strings.NewReader("age"), 3); err != nil {
		t.Fatal(err)
	}
	if up, strays, err := pe.svc.ExpirePending(ctx); err != nil || up != 0 || strays != 0 {
		t.Fatalf("ExpirePending before expiry = %d, %d, %v", up, strays, err)
	}
	pe.advance(vault.PendingTTL + time.Hour) // the link (24 h) expired too
	up, strays, err := pe.svc.ExpirePending(ctx)
	if err != nil || up != 1 || strays != 1 {
		t.Fatalf("ExpirePending = %d uploads, %d strays, %v; want 1 and 1", up, strays, err)
	}
	if keys := pendingBlobs(t, pe.blobs); len(keys) != 0 {
		t.Fatalf("pending blobs after expiry = %v, want none", keys)
	}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2}, (&collect{}).deposit); !errors.Is(err, vault.ErrNoLink) && !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("send after expiry = %v", err)
	}
}

// Pages of one upload may reach different instances (same database, same
// bucket): each stores what it gets, and any one of them sends.
func TestPendingUploadAcrossInstances(t *testing.T) {
	pe := newPendingEnv(t, 1)
	ctx := testCtx(t)
	ms2, err := meta.OpenSQLite(ctx, filepath.Join(pe.dirs[0], "coffre.db"), vault.RowKeyOption(testPepper))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ms2.Close() })
	other, err := vault.New(vault.Config{Meta: ms2, Blobs: pe.blobs, Pepper: testPepper, Scrypt: weakScrypt})
	if err != nil {
		t.Fatal(err)
	}
	key := randomBytes(t, vault.PendingKeySize)
	instances := []*vault.Service{pe.svc, other, pe.svc, other}
	for n, svc := range instances {
		if _, err := svc.PutPendingPage(ctx, pe.token, key, n+1, strings.NewReader(strings.Repeat("p", 100+n))); err != nil {
			t.Fatalf("page %d: %v", n+1, err)
		}
	}
	st, err := pe.svc.PendingUploadStatus(ctx, pe.token, key)
	if err != nil || len(st.Pages) != 4 {
		t.Fatalf("status = %+v, %v", st, err)
	}
	c := &collect{svc: other, token: pe.token}
	rc, err := other.SendPending(ctx, pe.token, key, []int{1, 2, 3, 4}, c.deposit)
	if err != nil || rc.Pages != 4 {
		t.Fatalf("send through the other instance = %+v, %v", rc, err)
	}
	if rc2, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2, 3, 4}, c.deposit); err != nil || rc2 != rc || c.calls != 1 {
		t.Fatalf("retried send on the first instance = %+v, %v (deposits %d)", rc2, err, c.calls)
	}
}

// TestOpenPendingPage: the holder of the upload's key reads a stored page
// back (to have it checked again after a reload); another key, an unknown
// page, a bad number, a sent upload and a dead link read nothing.
func TestOpenPendingPage(t *testing.T) {
	pe := newPendingEnv(t, 1)
	ctx := testCtx(t)
	key := randomBytes(t, vault.PendingKeySize)
	body := "PAGE-TWO-" + strings.Repeat("x", 4000)
	if _, err := pe.svc.PutPendingPage(ctx, pe.token, key, 2, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	rc, err := pe.svc.OpenPendingPage(ctx, pe.token, key, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if cerr := rc.Close(); err != nil || cerr != nil || string(got) != body {
		t.Fatalf("page 2 read back: %d bytes, %v, %v; want the %d bytes stored", len(got), err, cerr, len(body))
	}
	for _, tc := range []struct {
		name  string
		token string
		key   []byte
		page  int
		want  error
	}{
		{"another key", pe.token, randomBytes(t, vault.PendingKeySize), 2, vault.ErrNotFound},
		{"unknown page", pe.token, key, 3, vault.ErrNotFound},
		{"bad number", pe.token, key, 0, vault.ErrInvalid},
		{"short key", pe.token, key[:5], 2, vault.ErrInvalid},
		{"bad token", "nonsense", key, 2, vault.ErrNoLink},
	} {
		if rc, err := pe.svc.OpenPendingPage(ctx, tc.token, tc.key, tc.page); !errors.Is(err, tc.want) {
			if rc != nil {
				_ = rc.Close()
			}
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	c := &collect{svc: pe.svc, token: pe.token}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{2}, c.deposit); err != nil {
		t.Fatal(err)
	}
	if _, err := pe.svc.OpenPendingPage(ctx, pe.token, key, 2); err == nil {
		t.Error("a sent page still opens")
	}
}

// TestOpenPendingPageExpired: once its upload expired, a page no longer
// opens, and the upload's status lists no page, even before the sweep.
func TestOpenPendingPageExpired(t *testing.T) {
	pe := newPendingEnv(t, 2)
	ctx := testCtx(t)
	// A link that outlives the upload: the upload's own expiry decides.
	token, _, err := pe.svc.CreateDropLink(ctx, pe.owner, pe.owner.ID(), vault.NewDropLink{Label: "Papiers", MaxUses: 2, TTL: 3 * vault.PendingTTL})
	if err != nil {
		t.Fatal(err)
	}
	key := randomBytes(t, vault.PendingKeySize)
	if _, err := pe.svc.PutPendingPage(ctx, token, key, 1, strings.NewReader("page one")); err != nil {
		t.Fatal(err)
	}
	pe.advance(vault.PendingTTL + time.Minute)
	if rc, err := pe.svc.OpenPendingPage(ctx, token, key, 1); !errors.Is(err, vault.ErrNotFound) {
		if rc != nil {
			_ = rc.Close()
		}
		t.Errorf("expired page opens: %v", err)
	}
	if st, err := pe.svc.PendingUploadStatus(ctx, token, key); err != nil || len(st.Pages) != 0 {
		t.Errorf("expired upload's status: %v, %v", st.Pages, err)
	}
}

// TestDeletePendingPage: a page the helper removes leaves the server at
// once (its row and its encrypted blob), the upload sends without it, a
// retried delete is harmless, only the upload's key deletes, and a sent
// upload's pages cannot be taken back.
func TestDeletePendingPage(t *testing.T) {
	pe := newPendingEnv(t, 2) // the link lives on after the send
	ctx := testCtx(t)
	key := randomBytes(t, vault.PendingKeySize)
	for n, body := range map[int]string{1: "WRONG-PAPER", 2: "PAGE-TWO", 3: "PAGE-THREE"} {
		if _, err := pe.svc.PutPendingPage(ctx, pe.token, key, n, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(pendingBlobs(t, pe.blobs)); n != 3 {
		t.Fatalf("%d pending blobs, want 3", n)
	}
	for _, tc := range []struct {
		name  string
		token string
		key   []byte
		page  int
		want  error
	}{
		{"another key", pe.token, randomBytes(t, vault.PendingKeySize), 1, vault.ErrNotFound},
		{"bad number", pe.token, key, 0, vault.ErrInvalid},
		{"number too large", pe.token, key, 10000, vault.ErrInvalid},
		{"short key", pe.token, key[:5], 1, vault.ErrInvalid},
		{"bad token", "nonsense", key, 1, vault.ErrNoLink},
	} {
		if err := pe.svc.DeletePendingPage(ctx, tc.token, tc.key, tc.page); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := len(pendingBlobs(t, pe.blobs)); n != 3 {
		t.Fatalf("refused deletes removed blobs: %d left, want 3", n)
	}
	for range 2 { // the second is a retried delete
		if err := pe.svc.DeletePendingPage(ctx, pe.token, key, 1); err != nil {
			t.Fatalf("delete page 1: %v", err)
		}
	}
	st, err := pe.svc.PendingUploadStatus(ctx, pe.token, key)
	if err != nil || len(st.Pages) != 2 || st.Pages[0] != 2 || st.Pages[1] != 3 {
		t.Fatalf("after the delete: pages %v, %v; want [2 3]", st.Pages, err)
	}
	if b := pendingBlobs(t, pe.blobs); len(b) != 2 || strings.HasSuffix(b[0], "/0001") || strings.HasSuffix(b[1], "/0001") {
		t.Fatalf("after the delete, blobs %v: want pages 2 and 3 only", b)
	}
	if rc, err := pe.svc.OpenPendingPage(ctx, pe.token, key, 1); !errors.Is(err, vault.ErrNotFound) {
		if rc != nil {
			_ = rc.Close()
		}
		t.Errorf("a deleted page opens: %v", err)
	}
	c := &collect{svc: pe.svc, token: pe.token}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2}, c.deposit); !errors.Is(err, vault.ErrInvalid) {
		t.Errorf("sending a deleted page: %v, want ErrInvalid", err)
	}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{3, 2}, c.deposit); err != nil {
		t.Fatal(err)
	}
	if len(c.pages) != 2 || string(c.pages[0]) != "PAGE-THREE" || string(c.pages[1]) != "PAGE-TWO" {
		t.Errorf("sent pages %q", c.pages)
	}
	if err := pe.svc.DeletePendingPage(ctx, pe.token, key, 2); !errors.Is(err, vault.ErrConflict) {
		t.Errorf("taking back a sent page: %v, want ErrConflict", err)
	}
}
