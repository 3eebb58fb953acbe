package metatest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// PendingStore is the part of the store that keeps pending uploads.
type PendingStore interface {
	SharingStore
	EnsurePendingUpload(ctx context.Context, u meta.PendingUpload) error
	PendingUpload(ctx context.Context, id string) (meta.PendingUpload, error)
	AddPendingPage(ctx context.Context, p meta.PendingPage, now time.Time, maxPerUpload, maxPerLink int) (bool, error)
	PendingPages(ctx context.Context, uploadID string) ([]meta.PendingPage, error)
	PendingPageByBlobKey(ctx context.Context, key string) (meta.PendingPage, error)
	ClaimPendingUpload(ctx context.Context, id string, now, staleBefore time.Time) error
	ReleasePendingUpload(ctx context.Context, id string) error
	FinishPendingUpload(ctx context.Context, id string, receiptSealed []byte, now time.Time) error
	ExpiredPendingUploads(ctx context.Context, now time.Time, limit int) ([]meta.PendingUpload, error)
	DeletePendingUpload(ctx context.Context, id string) error
}

func pending(fn func(t *testing.T, s PendingStore)) func(t *testing.T, s Store) {
	return func(t *testing.T, s Store) {
		ps, ok := s.(PendingStore)
		if !ok {
			t.Skip("store has no pending-upload methods")
		}
		fn(t, ps)
	}
}

func pendingPage(upload string, n int) meta.PendingPage {
	return meta.PendingPage{UploadID: upload, Page: n, BlobKey: "pending/" + upload + "/" + uniq("p"), Size: 100, Created: at}
}

// testPendingUploads: pages are recorded once per number, also when the
// same page arrives twice at once; limits hold; a send is claimed by one
// caller only; finishing removes the pages; expiry and cascades clean up.
func testPendingUploads(t *testing.T, s PendingStore) {
	ctx := context.Background()
	o := newOwner(t, s)
	l := newLink(o.ID, 1)
	if err := s.InsertDropLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "upload of a missing link", s.EnsurePendingUpload(ctx, meta.PendingUpload{ID: uniq("u"), LinkID: "nolink", Created: at, Expires: at.Add(time.Hour)}), meta.ErrNotFound)
	u := meta.PendingUpload{ID: uniq("up"), LinkID: l.ID, Created: at, Expires: at.Add(time.Hour)}
	for range 2 { // the second is a retried first page: no error, no change
		if err := s.EnsurePendingUpload(ctx, u); err != nil {
			t.Fatalf("EnsurePendingUpload: %v", err)
		}
	}
	_, err := s.AddPendingPage(ctx, pendingPage("nope", 1), at, 10, 10)
	wantErr(t, "page of a missing upload", err, meta.ErrNotFound)

	// The same page sent twice at once is recorded once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.AddPendingPage(ctx, pendingPage(u.ID, 1), at, 10, 10)
			if err != nil {
				t.Errorf("AddPendingPage: %v", err)
			}
			if ok {
				mu.Lock()
				added++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if added != 1 {
		t.Fatalf("page 1 recorded %d times, want once", added)
	}
	if ok, err := s.AddPendingPage(ctx, pendingPage(u.ID, 2), at, 2, 10); err != nil || !ok {
		t.Fatalf("page 2 = %v, %v", ok, err)
	}
	_, err = s.AddPendingPage(ctx, pendingPage(u.ID, 3), at, 2, 10)
	wantErr(t, "page over the upload limit", err, meta.ErrPendingFull)
	_, err = s.AddPendingPage(ctx, pendingPage(u.ID, 3), at, 10, 2)
	wantErr(t, "page over the link limit", err, meta.ErrPendingFull)
	_, err = s.AddPendingPage(ctx, pendingPage(u.ID, 3), u.Expires, 10, 10)
	wantErr(t, "page after expiry", err, meta.ErrNotFound)
	pages, err := s.PendingPages(ctx, u.ID)
	if err != nil || len(pages) != 2 || pages[0].Page != 1 || pages[1].Page != 2 {
		t.Fatalf("PendingPages = %+v, %v", pages, err)
	}
	if p, err := s.PendingPageByBlobKey(ctx, pages[1].BlobKey); err != nil || p.Page != 2 {
		t.Fatalf("PendingPageByBlobKey = %+v, %v", p, err)
	}

	// One claim at a time; a stale claim may be taken over.
	claims := 0
	for range 3 {
		err := s.ClaimPendingUpload(ctx, u.ID, at, at.Add(-time.Minute))
		switch {
		case err == nil:
			claims++
		case !errors.Is(err, meta.ErrNotFound):
			t.Fatalf("ClaimPendingUpload: %v", err)
		}
	}
	if claims != 1 {
		t.Fatalf("%d claims succeeded, want 1", claims)
	}
	_, err = s.AddPendingPage(ctx, pendingPage(u.ID, 3), at, 10, 10)
	wantErr(t, "page while sending", err, meta.ErrConflict)
	if err := s.ClaimPendingUpload(ctx, u.ID, at.Add(20*time.Minute), at.Add(10*time.Minute)); err != nil {
		t.Fatalf("take over a stale claim: %v", err)
	}
	if err := s.ReleasePendingUpload(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimPendingUpload(ctx, u.ID, at, at.Add(-time.Minute)); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	if err := s.FinishPendingUpload(ctx, u.ID, []byte("receipt"), at); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "finish twice", s.FinishPendingUpload(ctx, u.ID, []byte("again"), at), meta.ErrNotFound)
	got, err := s.PendingUpload(ctx, u.ID)
	if err != nil || got.Sent.IsZero() || string(got.ReceiptSealed) != "receipt" || !got.Claimed.IsZero() {
		t.Fatalf("after finish = %+v, %v", got, err)
	}
	if pages, _ := s.PendingPages(ctx, u.ID); len(pages) != 0 {
		t.Fatalf("pages left after finish: %+v", pages)
	}
	wantErr(t, "claim a sent upload", s.ClaimPendingUpload(ctx, u.ID, at, at), meta.ErrNotFound)

	// Expiry, deletion, and the cascade from the link.
	ex, err := s.ExpiredPendingUploads(ctx, u.Expires, 10)
	if err != nil || len(ex) != 1 || ex[0].ID != u.ID {
		t.Fatalf("ExpiredPendingUploads = %+v, %v", ex, err)
	}
	if err := s.DeletePendingUpload(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.PendingUpload(ctx, u.ID)
	wantErr(t, "deleted upload", err, meta.ErrNotFound)
	u2 := meta.PendingUpload{ID: uniq("up"), LinkID: l.ID, Created: at, Expires: at.Add(time.Hour)}
	if err := s.EnsurePendingUpload(ctx, u2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPendingPage(ctx, pendingPage(u2.ID, 1), at, 10, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOwnerData(ctx, o.ID); err != nil {
		t.Fatalf("DeleteOwnerData with a pending upload: %v", err)
	}
	_, err = s.PendingUpload(ctx, u2.ID)
	wantErr(t, "upload after its link went", err, meta.ErrNotFound)
}
