package vault_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// TestPendingRowsCannotPointAtPapers (attacker's review, 12-08): pending
// pages carry no MAC, and their blob key was read back from the row, so a
// database writer without the pepper pointed a page (or a planted,
// abandoned upload) at a paper's payload, and the sweeper or the helper's
// delete erased the paper. Keys are now derived from the upload and the
// page number: the paper stays whole. The same for fsck, which took a
// payload for an orphan when its row's blob_key was moved.
func TestPendingRowsCannotPointAtPapers(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "pending.tamper")
	token, link, err := in.svc.CreateDropLink(ctx, owner, owner.ID(), vault.NewDropLink{Label: "Papiers", MaxUses: 3})
	if err != nil {
		t.Fatal(err)
	}
	const paper = "%PDF-1.7 la fiche de paie"
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "bulletin-paie", Title: "Fiche", Pages: 1}, strings.NewReader(paper)); err != nil {
		t.Fatal(err)
	}
	ds, err := in.svc.List(ctx, owner)
	if err != nil || len(ds) != 1 {
		t.Fatalf("List = %+v, %v", ds, err)
	}
	docID := ds[0].ID
	docKey := "doc/" + docID
	// A helper's real pending page.
	key := make([]byte, vault.PendingKeySize)
	for i := range key {
		key[i] = byte(i + 7)
	}
	if _, err := in.svc.PutPendingPage(ctx, token, key, 1, strings.NewReader("page")); err != nil {
		t.Fatal(err)
	}
	db := journalDB(t, dir)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	intact := func(what string) {
		t.Helper()
		body, _, err := in.svc.OpenDocument(ctx, owner, docID)
		if err != nil {
			t.Fatalf("%s: the paper no longer opens: %v", what, err)
		}
		defer func() { _ = body.Close() }()
		if b, err := io.ReadAll(body); err != nil || string(b) != paper {
			t.Fatalf("%s: the paper reads %q, %v", what, b, err)
		}
	}
	// The real page pointed at the paper, then taken back by the helper.
	exec(`UPDATE pending_pages SET blob_key = ?`, docKey)
	if err := in.svc.DeletePendingPage(ctx, token, key, 1); err != nil {
		t.Fatalf("the helper's delete: %v", err)
	}
	intact("the helper's delete of a page pointed at it")
	// A planted, abandoned upload whose page points at the paper, and one
	// whose upload id climbs out of the pending prefix.
	past := time.Now().Add(-48 * time.Hour).UnixMicro()
	for i, up := range []string{strings.Repeat("ab", 32), "../doc/" + docID} {
		exec(`INSERT INTO pending_uploads (id, link_id, created_at, expires_at) VALUES (?, ?, ?, ?)`, up, link.ID, past, past+1)
		exec(`INSERT INTO pending_pages (upload_id, page, blob_key, size, created_at) VALUES (?, 1, ?, 1, ?)`, up, []string{docKey, docKey + "x"}[i], past)
	}
	dir.clock.Add(vault.PendingTTL + time.Hour)
	if _, _, err := in.svc.ExpirePending(ctx); err != nil {
		t.Fatalf("ExpirePending: %v", err)
	}
	intact("the sweeper")
	// fsck: the paper's row moved off its payload's key.
	exec(`UPDATE documents SET blob_key = 'doc/elsewhere' WHERE id = ?`, docID)
	o, err := in.svc.FindOrphans(ctx, -time.Hour)
	if err != nil && !errors.Is(err, vault.ErrCorrupt) {
		t.Fatalf("FindOrphans: %v", err)
	}
	for _, b := range o.Blobs {
		if b.Key == docKey {
			t.Fatalf("fsck takes the paper's payload for an orphan: %+v", o.Blobs)
		}
	}
}
