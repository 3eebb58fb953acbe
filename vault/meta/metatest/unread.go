package metatest

import (
	"bytes"
	"context"
	"testing"

	"github.com/coffre/coffre/vault/meta"
)

// testUnreadAndFiling: a paper inserted as new stays new through its
// commit, is counted until the owner opens it, and only committed papers
// of that owner count; filing changes category and type (and the sealed
// title only when one is given), for the owner alone.
func testUnreadAndFiling(t *testing.T, s SharingStore) {
	ctx := context.Background()
	o, other := newOwner(t, s), newOwner(t, s)
	old := committedDoc(t, s, o.ID) // an ordinary paper: not new
	arrived := newDoc(o.ID, meta.StatePending)
	arrived.Category, arrived.Unread, arrived.HintsSealed = "other", true, []byte("sealed-hints")
	arrived.ChecksSealed = []byte("sealed-checks")
	if err := s.InsertDocument(ctx, arrived); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountUnread(ctx, o.ID); err != nil || n != 0 {
		t.Fatalf("a pending new paper counts: %d, %v", n, err)
	}
	wantErr(t, "mark a pending paper read", s.SetDocumentUnread(ctx, arrived.ID, o.ID, false), meta.ErrNotFound)
	if err := s.CommitDocument(ctx, arrived.ID, 10, []meta.Wrap{ownerWrap(arrived)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountUnread(ctx, o.ID); err != nil || n != 1 {
		t.Fatalf("CountUnread = %d, %v; want 1", n, err)
	}
	if n, err := s.CountUnread(ctx, other.ID); err != nil || n != 0 {
		t.Fatalf("another owner's CountUnread = %d, %v", n, err)
	}
	got, err := s.Document(ctx, arrived.ID)
	if err != nil || !got.Unread || string(got.HintsSealed) != "sealed-hints" || string(got.ChecksSealed) != "sealed-checks" {
		t.Fatalf("the arrived paper reads back %+v, %v; want unread, with its hints and checks", got, err)
	}
	if got, _ := s.Document(ctx, old.ID); got.Unread || got.HintsSealed != nil || got.ChecksSealed != nil {
		t.Fatal("an ordinary paper reads back unread or with hints or checks")
	}
	accs, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID)
	if err != nil || len(accs) != 2 || accs[0].Document.Unread || !accs[1].Document.Unread {
		t.Fatalf("ListAccess unread flags: %+v, %v", accs, err)
	}
	acc, err := s.DocumentAccess(ctx, arrived.ID, meta.RecipientOwner, o.ID)
	if err != nil || !acc.Document.Unread {
		t.Fatalf("DocumentAccess: %+v, %v", acc, err)
	}

	// Filing: another owner cannot, an empty category is refused, a nil
	// title keeps the title.
	wantErr(t, "file another owner's paper", s.SetDocumentType(ctx, arrived.ID, other.ID, "tax", "avis-impot", nil), meta.ErrNotFound)
	if err := s.SetDocumentType(ctx, arrived.ID, o.ID, "", "x", nil); err == nil {
		t.Fatal("an empty category was accepted")
	}
	if err := s.SetDocumentType(ctx, arrived.ID, o.ID, "tax", "avis-impot", nil); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Document(ctx, arrived.ID)
	if got.Category != "tax" || got.DocType != "avis-impot" || !bytes.Equal(got.TitleSealed, arrived.TitleSealed) || !got.Unread {
		t.Fatalf("after filing without a title: %+v", got)
	}
	if err := s.SetDocumentType(ctx, arrived.ID, o.ID, "other", "", []byte("sealed-new-title")); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Document(ctx, arrived.ID)
	if got.Category != "other" || got.DocType != "" || string(got.TitleSealed) != "sealed-new-title" {
		t.Fatalf("after filing back with a title: %+v", got)
	}

	// Opening: only the owner's, and idempotent.
	wantErr(t, "another owner opens it", s.SetDocumentUnread(ctx, arrived.ID, other.ID, false), meta.ErrNotFound)
	for range 2 {
		if err := s.SetDocumentUnread(ctx, arrived.ID, o.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.CountUnread(ctx, o.ID); n != 0 {
		t.Fatalf("after opening, CountUnread = %d", n)
	}
	if err := s.SetDocumentUnread(ctx, old.ID, o.ID, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountUnread(ctx, o.ID); n != 1 {
		t.Fatalf("marked new again: CountUnread = %d", n)
	}
	// A paper being deleted no longer counts.
	if _, err := s.BeginDeleteDocument(ctx, old.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountUnread(ctx, o.ID); n != 0 {
		t.Fatalf("a paper being deleted counts: %d", n)
	}
}
