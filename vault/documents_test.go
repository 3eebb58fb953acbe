package vault_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/seal"
)

func TestAddDocumentInvalid(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	ok := vault.NewDocument{Category: "income", Title: "ok"}
	with := func(f func(*vault.NewDocument)) vault.NewDocument { nd := ok; f(&nd); return nd }
	cases := []struct {
		name  string
		owner string
		nd    vault.NewDocument
		want  error
	}{
		{"unknown owner", "nobody", ok, vault.ErrNotFound},
		{"empty category", owner.ID(), with(func(n *vault.NewDocument) { n.Category = "" }), vault.ErrInvalid},
		{"category with slash", owner.ID(), with(func(n *vault.NewDocument) { n.Category = "a/b" }), vault.ErrInvalid},
		{"category upper case", owner.ID(), with(func(n *vault.NewDocument) { n.Category = "Income" }), vault.ErrInvalid},
		{"bad profile", owner.ID(), with(func(n *vault.NewDocument) { n.Profile = "../x" }), vault.ErrInvalid},
		{"media type", owner.ID(), with(func(n *vault.NewDocument) { n.MediaType = "text/html" }), vault.ErrInvalid},
		{"title too long", owner.ID(), with(func(n *vault.NewDocument) { n.Title = strings.Repeat("é", vault.MaxTitleLen) }), vault.ErrInvalid},
		{"title not UTF-8", owner.ID(), with(func(n *vault.NewDocument) { n.Title = "\xff" }), vault.ErrInvalid},
		{"negative pages", owner.ID(), with(func(n *vault.NewDocument) { n.Pages = -1 }), vault.ErrInvalid},
		{"grantee owner kind", owner.ID(), with(func(n *vault.NewDocument) { n.Grantees = []vault.Grantee{{Kind: vault.KindOwner, ID: "x"}} }), vault.ErrInvalid},
		{"check of page 0", owner.ID(), with(func(n *vault.NewDocument) {
			n.Pages, n.Checks = 2, []vault.PageCheck{{Page: 0, Codes: []string{"blurry"}}}
		}), vault.ErrInvalid},
		{"check past the last page", owner.ID(), with(func(n *vault.NewDocument) {
			n.Pages, n.Checks = 2, []vault.PageCheck{{Page: 3, Codes: []string{"blurry"}}}
		}), vault.ErrInvalid},
		{"page checked twice", owner.ID(), with(func(n *vault.NewDocument) {
			n.Pages, n.Checks = 2, []vault.PageCheck{{Page: 1, Codes: []string{"dark"}}, {Page: 1, Codes: []string{"blurry"}}}
		}), vault.ErrInvalid},
		{"check without codes", owner.ID(), with(func(n *vault.NewDocument) { n.Pages, n.Checks = 2, []vault.PageCheck{{Page: 1}} }), vault.ErrInvalid},
		{"check code with separator", owner.ID(), with(func(n *vault.NewDocument) {
			n.Pages, n.Checks = 2, []vault.PageCheck{{Page: 1, Codes: []string{"dark|2:x"}}}
		}), vault.ErrInvalid},
		{"too many check codes", owner.ID(), with(func(n *vault.NewDocument) {
			n.Pages, n.Checks = 2, []vault.PageCheck{{Page: 1, Codes: strings.Fields("a b c d e f g h i")}}
		}), vault.ErrInvalid},
		{"unknown grantee", owner.ID(), with(func(n *vault.NewDocument) { n.Grantees = []vault.Grantee{{Kind: vault.KindWorker, ID: "x"}} }), vault.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := e.svc.AddDocument(ctx, c.owner, c.nd, strings.NewReader("x")); !errors.Is(err, c.want) {
				t.Fatalf("AddDocument = %v, want %v", err, c.want)
			}
		})
	}
	if keys := blobKeys(t, e.blobs); len(keys) != 0 {
		t.Fatalf("payloads after rejected adds: %v", keys)
	}
}

type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	n := min(len(p), f.n)
	clear(p[:n])
	f.n -= n
	return n, nil
}

// A failing source or a cancelled ctx stores nothing and says why.
func TestAddDocumentAborted(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	owner := e.owner(t)
	boom := errors.New("camera unplugged")
	ctx, cancel := context.WithCancel(testCtx(t))
	cases := []struct {
		name string
		ctx  context.Context
		r    io.Reader
		want error
	}{
		{"source error", testCtx(t), &failingReader{n: 200 << 10, err: boom}, boom},
		{"cancelled", ctx, &cancelAfter{n: 100 << 10, cancel: cancel}, context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.AddDocument(c.ctx, owner.ID(), vault.NewDocument{Category: "other", Title: "x"}, c.r)
			if !errors.Is(err, c.want) {
				t.Fatalf("AddDocument = %v, want %v", err, c.want)
			}
			if keys := blobKeys(t, e.blobs); len(keys) != 0 {
				t.Fatalf("payloads left: %v", keys)
			}
			if st, _ := e.svc.FindOrphans(testCtx(t), 0); len(st.Stale) != 0 {
				t.Fatalf("rows left: %+v", st.Stale)
			}
		})
	}
}

// cancelAfter yields n zero bytes, cancels, then keeps yielding.
type cancelAfter struct {
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n := len(p)
	if c.n > 0 {
		n = min(n, c.n)
	}
	clear(p[:n])
	c.n -= n
	return n, nil
}

// A damaged or missing payload is reported, never returned as a document.
func TestOpenDamagedPayload(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	content := randomBytes(t, 200<<10)
	d := e.add(t, owner.ID(), "t", content)
	key := "doc/" + d.ID
	rc, err := e.blobs.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	_ = rc.Close()

	flipped := bytes.Clone(stored)
	flipped[len(flipped)-100] ^= 1
	if err := e.blobs.Put(ctx, key, bytes.NewReader(flipped), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := readDoc(t, e.svc, owner, d.ID); !errors.Is(err, seal.ErrPayload) {
		t.Fatalf("flipped byte: %v, want seal.ErrPayload", err)
	}
	var buf bytes.Buffer
	if err := e.svc.Export(ctx, owner, &buf, vault.ExportPDF, "README"); !errors.Is(err, vault.ErrCorrupt) {
		t.Fatalf("export of damaged payload: %v, want ErrCorrupt", err)
	}
	if err := e.blobs.Put(ctx, key, bytes.NewReader(stored[:len(stored)-70000]), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := readDoc(t, e.svc, owner, d.ID); !errors.Is(err, seal.ErrPayload) {
		t.Fatalf("truncated: %v, want seal.ErrPayload", err)
	}
	if err := e.blobs.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := readDoc(t, e.svc, owner, d.ID); !errors.Is(err, vault.ErrCorrupt) || !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("missing payload: %v, want ErrCorrupt", err)
	}
	if err := e.svc.Export(ctx, owner, io.Discard, vault.ExportAge, "README"); !errors.Is(err, vault.ErrCorrupt) {
		t.Fatalf("export with missing payload: %v", err)
	}
}

func TestExportInvalid(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	owner, w := e.owner(t), e.worker(t)
	if err := e.svc.Export(ctx, owner, io.Discard, "tar", "README"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("bad format: %v", err)
	}
	if err := e.svc.Export(ctx, w, io.Discard, vault.ExportPDF, "README"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("worker export: %v", err)
	}
	if err := e.svc.Export(ctx, nil, io.Discard, vault.ExportPDF, "README"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("nil principal: %v", err)
	}
	if _, err := e.svc.List(ctx, nil); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("List(nil): %v", err)
	}
}

// Many concurrent adds and reads on one vault (run with -race).
func TestConcurrentAddOpen(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 8 {
		wg.Go(func() {
			for j := range 4 {
				content := bytes.Repeat([]byte{byte(i), byte(j)}, 40<<10)
				d, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "other", Title: "c"}, bytes.NewReader(content))
				if err != nil {
					errs <- err
					return
				}
				rc, _, err := e.svc.OpenDocument(ctx, owner, d.ID)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil || !bytes.Equal(got, content) {
					errs <- errors.New("content differs")
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if l, err := e.svc.List(ctx, owner); err != nil || len(l) != 32 {
		t.Fatalf("List = %d, %v", len(l), err)
	}
}
