package vault_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coffre/coffre/vault"
)

var (
	workerSeq atomic.Int64
	// orgKeys holds the recovery key of each organisation the tests create.
	orgKeys sync.Map
)

// orgWorker creates an organisation (if org is "") and a named worker in
// it, logged in. It returns the worker and the organisation id.
func (in *instance) orgWorker(t testing.TB, org, orgName, name string) (*vault.Principal, string) {
	t.Helper()
	ctx := testCtx(t)
	if org == "" {
		o, key, err := in.svc.CreateOrganisation(ctx, orgName)
		if err != nil {
			t.Fatalf("CreateOrganisation: %v", err)
		}
		org = o.ID
		orgKeys.Store(org, key)
	}
	email := fmt.Sprintf("worker%d@example.org", workerSeq.Add(1))
	if _, _, err := in.svc.AddWorker(ctx, org, email, name, []byte(goodSecret), false); err != nil {
		t.Fatalf("AddWorker: %v", err)
	}
	if key, ok := orgKeys.Load(org); ok {
		if _, err := in.svc.ActivateMembers(ctx, org, key.(string)); err != nil {
			t.Fatalf("ActivateMembers: %v", err)
		}
	}
	w, err := in.svc.LoginWorker(ctx, email, []byte(goodSecret), "", "192.0.2.9")
	if err != nil {
		t.Fatalf("LoginWorker: %v", err)
	}
	return w, org
}

// addTyped adds a document of a catalogue type to an owner's vault.
func (in *instance) addTyped(t testing.TB, ownerID, typ, title, content string) vault.Document {
	t.Helper()
	d, err := in.svc.AddDocument(testCtx(t), ownerID, vault.NewDocument{Type: typ, Title: title, Pages: 1}, bytes.NewReader([]byte(content)))
	if err != nil {
		t.Fatalf("AddDocument(%s): %v", typ, err)
	}
	return d
}

// mustRead reads a document and checks its content.
func (in *instance) mustRead(t *testing.T, p *vault.Principal, d vault.Document, want string) {
	t.Helper()
	got, err := readDoc(t, in.svc, p, d.ID)
	if err != nil || string(got) != want {
		t.Fatalf("read %s (%s) = %q, %v; want %q", d.ID, d.Title, got, err, want)
	}
}

// mustNotRead checks a read is refused with ErrNoAccess.
func (in *instance) mustNotRead(t *testing.T, p *vault.Principal, d vault.Document) {
	t.Helper()
	if _, err := readDoc(t, in.svc, p, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("read %s (%s): %v, want ErrNoAccess", d.ID, d.Title, err)
	}
	if _, err := in.svc.Document(testCtx(t), p, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("metadata of %s: %v, want ErrNoAccess", d.ID, err)
	}
}

// listIDs lists what p may read.
func (in *instance) listIDs(t testing.TB, p *vault.Principal) []string {
	t.Helper()
	ds, err := in.svc.List(testCtx(t), p)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func workerGrantee(w *vault.Principal) vault.Grantee {
	return vault.Grantee{Kind: vault.KindWorker, ID: w.ID()}
}
