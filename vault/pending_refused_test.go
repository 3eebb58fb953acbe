package vault_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// A final refusal (ErrDepositRefused) deletes the pending pages at once; a
// transient failure keeps them for a retry.
func TestPendingSendRefusedDiscardsPages(t *testing.T) {
	pe := newPendingEnv(t, 3)
	ctx := testCtx(t)
	errBusy := errors.New("busy, try again")
	transient := func(context.Context, []io.Reader) (vault.Receipt, error) { return vault.Receipt{}, errBusy }
	refused := func(_ context.Context, pages []io.Reader) (vault.Receipt, error) {
		for _, r := range pages { // the converter reads the pages, then refuses them
			if _, err := io.Copy(io.Discard, r); err != nil {
				return vault.Receipt{}, err
			}
		}
		return vault.Receipt{}, fmt.Errorf("%w: not an image", vault.ErrDepositRefused)
	}

	key := randomBytes(t, vault.PendingKeySize)
	for n := 1; n <= 2; n++ {
		if _, err := pe.svc.PutPendingPage(ctx, pe.token, key, n, strings.NewReader(fmt.Sprintf("page %d", n))); err != nil {
			t.Fatal(err)
		}
	}
	if got := pendingBlobs(t, pe.blobs); len(got) != 2 {
		t.Fatalf("pending blobs = %v, want 2", got)
	}
	// Transient: the pages stay, the status still lists them.
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2}, transient); !errors.Is(err, errBusy) {
		t.Fatalf("transient failure = %v", err)
	}
	if got := pendingBlobs(t, pe.blobs); len(got) != 2 {
		t.Fatalf("after a transient failure, pending blobs = %v, want 2", got)
	}
	if st, err := pe.svc.PendingUploadStatus(ctx, pe.token, key); err != nil || len(st.Pages) != 2 {
		t.Fatalf("status after a transient failure = %+v, %v", st, err)
	}
	// Final refusal: pages and rows go at once.
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2}, refused); !errors.Is(err, vault.ErrDepositRefused) {
		t.Fatalf("refused send = %v", err)
	}
	if got := pendingBlobs(t, pe.blobs); len(got) != 0 {
		t.Fatalf("after a final refusal, pending blobs = %v, want none", got)
	}
	if st, err := pe.svc.PendingUploadStatus(ctx, pe.token, key); err == nil && len(st.Pages) != 0 {
		t.Fatalf("status after a final refusal = %+v", st)
	}
	// A retried send finds nothing to deposit; the link is still usable.
	c := &collect{svc: pe.svc, token: pe.token}
	if _, err := pe.svc.SendPending(ctx, pe.token, key, []int{1, 2}, c.deposit); err == nil || c.calls != 0 {
		t.Fatalf("retry after a refusal = %v (deposits %d), want an error and no deposit", err, c.calls)
	}
	key2 := randomBytes(t, vault.PendingKeySize)
	if _, err := pe.svc.PutPendingPage(ctx, pe.token, key2, 1, strings.NewReader("good page")); err != nil {
		t.Fatal(err)
	}
	if _, err := pe.svc.SendPending(ctx, pe.token, key2, []int{1}, c.deposit); err != nil || c.calls != 1 {
		t.Fatalf("a new upload after a refusal = %v (deposits %d)", err, c.calls)
	}
	if uploads, strays, err := pe.svc.ExpirePending(ctx); err != nil || strays != 0 {
		t.Fatalf("ExpirePending = %d, %d, %v", uploads, strays, err)
	}
}
