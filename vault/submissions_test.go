package vault_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/coffre/coffre/vault"
)

// TestSubmissionKey: a submission sent twice with the same key stores one
// paper; the second attempt is refused with ErrConflict and Submission
// finds the first; another owner's key is another paper.
func TestSubmissionKey(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	owner, other := e.owner(t), e.owner(t)
	const key = "k3y-0f-the-f0rm-submission"
	if _, st, err := e.svc.Submission(ctx, owner, key); err != nil || st != vault.SubmissionNone {
		t.Fatalf("before: %v, %v", st, err)
	}
	nd := vault.NewDocument{Category: "income", Title: "Fiche de paie", Pages: 1, Key: key}
	first, err := e.svc.AddDocument(ctx, owner.ID(), nd, bytes.NewReader([]byte("%PDF-1")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddDocument(ctx, owner.ID(), nd, bytes.NewReader([]byte("%PDF-2"))); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("second submission: %v, want ErrConflict", err)
	}
	d, st, err := e.svc.Submission(ctx, owner, key)
	if err != nil || st != vault.SubmissionDone || d.ID != first.ID || d.Title != "Fiche de paie" {
		t.Fatalf("after: %+v, %v, %v", d, st, err)
	}
	if docs, err := e.svc.List(ctx, owner); err != nil || len(docs) != 1 {
		t.Fatalf("owner has %d papers (%v), want 1", len(docs), err)
	}
	if _, err := e.svc.AddDocument(ctx, other.ID(), nd, bytes.NewReader([]byte("%PDF-3"))); err != nil {
		t.Fatalf("the same key for another owner: %v", err)
	}
	if _, _, err := e.svc.Submission(ctx, owner, "short"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("malformed key: %v", err)
	}
	nd.Key = "bad key with spaces and more"
	if _, err := e.svc.AddDocument(ctx, owner.ID(), nd, bytes.NewReader([]byte("x"))); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("malformed key on add: %v", err)
	}
}

// TestSealOnce: what is sealed for a session opens only with that
// session's token, untampered.
func TestSealOnce(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	sealed, err := e.svc.SealOnce("token-a", []byte("ABCD-EFGH"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("ABCD")) {
		t.Fatal("sealed value holds the secret in clear")
	}
	if got, err := e.svc.OpenOnce("token-a", sealed); err != nil || string(got) != "ABCD-EFGH" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := e.svc.OpenOnce("token-b", sealed); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("another session opened it: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := e.svc.OpenOnce("token-a", sealed); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("tampered value opened: %v", err)
	}
	if _, err := e.svc.SealOnce("", []byte("x")); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("no session: %v", err)
	}
}
