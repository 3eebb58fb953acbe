package vault_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

var weakScrypt = seal.ScryptParams{LogN: 10, AllowWeak: true}

// suite is run on every blob backend.
var suite = []struct {
	name string
	fn   func(t *testing.T, mk backend)
}{
	{"RoundTrip", testRoundTrip},
	{"GrantRevoke", testGrantRevoke},
	{"ConsentScope", testConsentScopeMatrix},
	{"Delete", testDelete},
	{"Crash", testCrash},
	{"NoPlaintextAtRest", testMarker},
	{"ExportPDF", testExportPDF},
	{"ExportAge", testExportAge},
}

func runSuite(t *testing.T, mk backend) {
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, mk) })
	}
}

func TestLocalBackend(t *testing.T) { runSuite(t, localBackend) }

// TestS3Backend runs the same suite with payloads on a real MinIO server.
func TestS3Backend(t *testing.T) {
	srv := testenv.MinIO(t)
	t.Logf("S3 backend: MinIO at %s, data dir %s", srv.Endpoint, srv.DataDir)
	runSuite(t, s3Backend(srv))
}

func testRoundTrip(t *testing.T, mk backend) {
	e := newEnv(t, mk, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	cases := []struct {
		name    string
		size    int
		declare bool
	}{
		{"empty", 0, false},
		{"one byte", 1, true},
		{"one chunk", 64 << 10, true},
		{"chunk plus one", 64<<10 + 1, true},
		{"1 MiB declared", 1 << 20, true},
		{"1 MiB undeclared", 1 << 20, false},
		{"3 MiB plus odd", 3<<20 + 17, true},
	}
	var ids []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			content := randomBytes(t, c.size)
			nd := vault.NewDocument{Category: "tax", Title: "Avis d'impôt " + c.name, Pages: 2, Profile: "impots", Expires: time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC)}
			if c.declare {
				nd.Size = int64(c.size)
			}
			d, err := e.svc.AddDocument(ctx, owner.ID(), nd, bytes.NewReader(content))
			if err != nil {
				t.Fatalf("AddDocument: %v", err)
			}
			if d.Size != int64(c.size) || d.Title != nd.Title || d.MediaType != "application/pdf" {
				t.Fatalf("AddDocument = %+v", d)
			}
			rc, got, err := e.svc.OpenDocument(ctx, owner, d.ID)
			if err != nil {
				t.Fatalf("OpenDocument: %v", err)
			}
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(rc); err != nil {
				t.Fatalf("read: %v", err)
			}
			_ = rc.Close()
			if !bytes.Equal(buf.Bytes(), content) {
				t.Fatalf("plaintext differs: got %d bytes, want %d", buf.Len(), len(content))
			}
			if got.Title != nd.Title || got.Category != "tax" || got.Pages != 2 || got.Profile != "impots" ||
				!got.Expires.Equal(nd.Expires) || got.Size != int64(c.size) {
				t.Fatalf("OpenDocument metadata = %+v", got)
			}
			ids = append(ids, d.ID)
		})
	}
	list, err := e.svc.List(ctx, owner)
	if err != nil || len(list) != len(ids) {
		t.Fatalf("List = %d docs, %v; want %d", len(list), err, len(ids))
	}
	for i, d := range list {
		if d.ID != ids[i] || !strings.HasPrefix(d.Title, "Avis d'impôt ") {
			t.Fatalf("List[%d] = %+v", i, d)
		}
	}
	// A wrong declared size stores nothing.
	before := len(blobKeys(t, e.blobs))
	_, err = e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "tax", Title: "x", Size: 100}, bytes.NewReader(make([]byte, 99)))
	if !errors.Is(err, blob.ErrSizeMismatch) {
		t.Fatalf("short plaintext: %v, want ErrSizeMismatch", err)
	}
	if after := len(blobKeys(t, e.blobs)); after != before {
		t.Fatalf("payloads %d -> %d after a failed add", before, after)
	}
	if list, _ := e.svc.List(ctx, owner); len(list) != len(ids) {
		t.Fatalf("a failed add is listed")
	}
	// Another owner can neither read nor list it.
	other := e.owner(t)
	if _, err := readDoc(t, e.svc, other, ids[1]); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("other owner read: %v, want ErrNoAccess", err)
	}
	if l, err := e.svc.List(ctx, other); err != nil || len(l) != 0 {
		t.Fatalf("other owner List = %v, %v", l, err)
	}
	if err := e.svc.Delete(ctx, other, ids[1]); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("other owner Delete: %v, want ErrNotFound", err)
	}
}

func testGrantRevoke(t *testing.T, mk backend) {
	e := newEnv(t, mk, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	w1, w2 := e.worker(t), e.worker(t)
	content := randomBytes(t, 200<<10)
	d := e.add(t, owner.ID(), "Bulletin de paie", content)
	other := e.add(t, owner.ID(), "RIB", []byte("%PDF-1.7 rib"))

	if _, err := readDoc(t, e.svc, w1, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("read before grant: %v", err)
	}
	g1 := vault.Grantee{Kind: vault.KindWorker, ID: w1.ID()}
	if err := e.svc.Grant(ctx, owner, d.ID, g1); err != nil {
		t.Fatalf("Grant: %v", err)
	}
	if err := e.svc.Grant(ctx, owner, d.ID, g1); !errors.Is(err, vault.ErrConflict) {
		t.Fatalf("second Grant: %v, want ErrConflict", err)
	}
	for _, c := range []struct {
		name  string
		p     *vault.Principal
		docID string
		to    vault.Grantee
		want  error
	}{
		{"unknown worker", owner, d.ID, vault.Grantee{Kind: vault.KindWorker, ID: "nobody"}, vault.ErrNotFound},
		{"owner kind", owner, d.ID, vault.Grantee{Kind: vault.KindOwner, ID: owner.ID()}, vault.ErrInvalid},
		{"worker grants", w1, d.ID, vault.Grantee{Kind: vault.KindWorker, ID: w2.ID()}, vault.ErrInvalid},
		{"missing document", owner, "aaaaaaaaaaaaaaaaaaaaaaaaaa", g1, vault.ErrNotFound},
		{"malformed id", owner, "../x", g1, vault.ErrNotFound},
	} {
		if err := e.svc.Grant(ctx, c.p, c.docID, c.to); !errors.Is(err, c.want) {
			t.Errorf("Grant(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	got, err := readDoc(t, e.svc, w1, d.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("grantee read: %d bytes, %v", len(got), err)
	}
	if _, err := readDoc(t, e.svc, w2, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("ungranted worker read: %v", err)
	}
	if _, err := readDoc(t, e.svc, w1, other.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("grantee read of another document: %v", err)
	}
	l, err := e.svc.List(ctx, w1)
	if err != nil || len(l) != 1 || l[0].ID != d.ID || l[0].Title != "Bulletin de paie" {
		t.Fatalf("grantee List = %+v, %v", l, err)
	}
	// A read in progress when revocation happens, then the next read.
	rc, _, err := e.svc.OpenDocument(ctx, w1, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Revoke(ctx, owner, d.ID, g1); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	_ = rc.Close()
	if _, err := readDoc(t, e.svc, w1, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("read after revoke: %v, want ErrNoAccess", err)
	}
	if _, err := e.svc.Document(ctx, w1, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("metadata after revoke: %v, want ErrNoAccess", err)
	}
	if l, _ := e.svc.List(ctx, w1); len(l) != 0 {
		t.Fatalf("List after revoke = %+v", l)
	}
	if err := e.svc.Revoke(ctx, owner, d.ID, g1); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("second Revoke: %v, want ErrNotFound", err)
	}
	if got, err := readDoc(t, e.svc, owner, d.ID); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("owner read after revoke: %v", err)
	}
	ws, err := e.meta.Wraps(ctx, d.ID)
	if err != nil || len(ws) != 1 || ws[0].RecipientKind != meta.RecipientOwner {
		t.Fatalf("wraps after revoke = %+v, %v", ws, err)
	}

	// A document added for a requesting worker gets their wrap at once, but
	// they read it only while a live consent covers it.
	d2, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "housing", Title: "Quittance", Grantees: []vault.Grantee{{Kind: vault.KindWorker, ID: w2.ID()}}}, strings.NewReader("quittance"))
	if err != nil {
		t.Fatalf("AddDocument with grantee: %v", err)
	}
	if _, err := readDoc(t, e.svc, w2, d2.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("grantee-at-add read without consent: %v, want ErrNoAccess", err)
	}
	if _, err := e.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: vault.Grantee{Kind: vault.KindWorker, ID: w2.ID()}, Scope: vault.Scope{Documents: []string{d2.ID}}, Days: 31}); err != nil {
		t.Fatal(err)
	}
	if got, err := readDoc(t, e.svc, w2, d2.ID); err != nil || string(got) != "quittance" {
		t.Fatalf("grantee-at-add read = %q, %v", got, err)
	}
}

func testDelete(t *testing.T, mk backend) {
	e := newEnv(t, mk, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	w := e.worker(t)
	keep := e.add(t, owner.ID(), "Carte d'identité", []byte("keep me"))
	d := e.add(t, owner.ID(), "Titre de séjour", randomBytes(t, 300<<10))
	if err := e.svc.Grant(ctx, owner, d.ID, vault.Grantee{Kind: vault.KindWorker, ID: w.ID()}); err != nil {
		t.Fatal(err)
	}
	row, err := e.meta.Document(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, w, d.ID); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("worker Delete: %v, want ErrInvalid", err)
	}
	if err := e.svc.Delete(ctx, owner, d.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := e.blobs.Stat(ctx, row.BlobKey); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("payload after Delete: %v", err)
	}
	keys := blobKeys(t, e.blobs)
	if len(keys) != 1 || keys[0] != "doc/"+keep.ID {
		t.Fatalf("blob keys after Delete = %v", keys)
	}
	if ws, err := e.meta.Wraps(ctx, d.ID); err != nil || len(ws) != 0 {
		t.Fatalf("wraps after Delete = %+v, %v", ws, err)
	}
	if _, err := e.meta.Document(ctx, d.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("row after Delete: %v", err)
	}
	for _, p := range []*vault.Principal{owner, w} {
		if _, err := readDoc(t, e.svc, p, d.ID); !errors.Is(err, vault.ErrNoAccess) {
			t.Fatalf("read after Delete: %v", err)
		}
	}
	if err := e.svc.Delete(ctx, owner, d.ID); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if got, err := readDoc(t, e.svc, owner, keep.ID); err != nil || string(got) != "keep me" {
		t.Fatalf("other document after Delete: %q, %v", got, err)
	}
	o, err := e.svc.FindOrphans(ctx, 0)
	if err != nil || len(o.Blobs) != 0 || len(o.Stale) != 0 {
		t.Fatalf("FindOrphans after clean delete = %+v, %v", o, err)
	}
}

// testCrash interrupts AddDocument and Delete at every step and checks that
// nothing half-done is visible, and that fsck finds and removes the rest.
func testCrash(t *testing.T, mk backend) {
	cases := []struct {
		name string
		// blobs and meta configure the faults.
		blobs func(*faultyBlobs)
		meta  func(*faultyMeta)
		// leftRow/leftBlob: what the crash leaves for fsck.
		leftRow, leftBlob bool
		deleteCase        bool
	}{
		{name: "after pending row", meta: func(m *faultyMeta) { m.crashAfterInsert = true }, leftRow: true},
		{name: "midway through payload", blobs: func(b *faultyBlobs) { b.createAfter = 100 << 10 }, leftRow: true},
		{name: "after payload before commit", blobs: func(b *faultyBlobs) { b.crashAfterCreate = true }, leftRow: true, leftBlob: true},
		{name: "commit fails, clean-up runs", meta: func(m *faultyMeta) { m.failCommit = true }},
		{name: "delete: after wraps removed", meta: func(m *faultyMeta) { m.crashAfterBeginDelete = true }, leftRow: true, leftBlob: true, deleteCase: true},
		{name: "delete: payload removal fails", blobs: func(b *faultyBlobs) { b.failDelete = true }, leftRow: true, leftBlob: true, deleteCase: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			crash := &crashSwitch{}
			fb := &faultyBlobs{crash: crash, createAfter: -1}
			fm := &faultyMeta{crash: crash}
			e := newEnv(t, mk,
				func(b blob.Store) blob.Store { fb.Store = b; return fb },
				func(m vault.MetaStore) vault.MetaStore { fm.MetaStore = m; return fm })
			ctx := testCtx(t)
			owner := e.owner(t)
			w := e.worker(t)
			var docID string
			if c.deleteCase {
				d := e.add(t, owner.ID(), "à supprimer", randomBytes(t, 150<<10))
				docID = d.ID
				if err := e.svc.Grant(ctx, owner, d.ID, vault.Grantee{Kind: vault.KindWorker, ID: w.ID()}); err != nil {
					t.Fatal(err)
				}
			}
			if c.blobs != nil {
				c.blobs(fb)
			}
			if c.meta != nil {
				c.meta(fm)
			}
			if c.deleteCase {
				if err := e.svc.Delete(ctx, owner, docID); err == nil {
					t.Fatal("Delete succeeded despite the fault")
				}
			} else {
				_, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "crash"}, bytes.NewReader(randomBytes(t, 300<<10)))
				if err == nil {
					t.Fatal("AddDocument succeeded despite the fault")
				}
			}
			// "Restart": a fresh service on the same stores, no faults.
			svc, err := vault.New(vault.Config{Meta: e.meta, Blobs: e.blobs, Pepper: testPepper, Scrypt: weakScrypt})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []*vault.Principal{owner, w} {
				if l, err := svc.List(ctx, p); err != nil || len(l) != 0 {
					t.Fatalf("visible after crash: %+v, %v", l, err)
				}
			}
			if docID != "" {
				for _, p := range []*vault.Principal{owner, w} {
					if _, err := readDoc(t, svc, p, docID); !errors.Is(err, vault.ErrNoAccess) {
						t.Fatalf("half-deleted document readable: %v", err)
					}
				}
			}
			// A generous grace period hides everything young.
			if o, err := svc.FindOrphans(ctx, time.Hour); err != nil || len(o.Blobs)+len(o.Stale) != 0 {
				t.Fatalf("FindOrphans(1h) = %+v, %v", o, err)
			}
			time.Sleep(5 * time.Millisecond)
			o, err := svc.FindOrphans(ctx, 0)
			if err != nil {
				t.Fatalf("FindOrphans: %v", err)
			}
			if got := len(o.Stale) == 1; got != c.leftRow {
				t.Fatalf("stale rows = %+v, want leftRow=%v", o.Stale, c.leftRow)
			}
			nBlobs := len(blobKeys(t, e.blobs))
			if (nBlobs == 1) != c.leftBlob || nBlobs > 1 {
				t.Fatalf("%d payloads left, want leftBlob=%v", nBlobs, c.leftBlob)
			}
			if _, _, err := svc.RemoveOrphans(ctx, o); err != nil {
				t.Fatalf("RemoveOrphans: %v", err)
			}
			if keys := blobKeys(t, e.blobs); len(keys) != 0 {
				t.Fatalf("payloads after fsck: %v", keys)
			}
			if st, err := e.meta.StaleDocuments(ctx, time.Now().Add(time.Hour)); err != nil || len(st) != 0 {
				t.Fatalf("rows after fsck: %+v, %v", st, err)
			}
			// The vault works normally afterwards.
			d, err := svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "after"}, strings.NewReader("fine"))
			if err != nil {
				t.Fatalf("AddDocument after fsck: %v", err)
			}
			if got, err := readDoc(t, svc, owner, d.ID); err != nil || string(got) != "fine" {
				t.Fatalf("after fsck: %q, %v", got, err)
			}
		})
	}
}

// An orphan payload with no row at all (left by a crash in the clean-up of
// an add whose row was already removed) is found and removed, and fsck never
// touches an upload in progress.
func TestFindOrphansRowlessBlobAndUploadInProgress(t *testing.T) {
	e := newEnv(t, localBackend, nil, nil)
	ctx := testCtx(t)
	owner := e.owner(t)
	if err := e.blobs.Put(ctx, "doc/aaaaaaaaaaaaaaaaaaaaaaaaaa", strings.NewReader("age-ciphertext"), -1); err != nil {
		t.Fatal(err)
	}
	// An upload blocked halfway: its pending row must not be removed as
	// long as it is younger than the grace period.
	pr := &blockingReader{release: make(chan struct{}), start: make(chan struct{}), data: randomBytes(t, 256<<10)}
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "slow"}, pr)
		done <- err
	}()
	<-pr.start
	time.Sleep(5 * time.Millisecond)
	o, err := e.svc.FindOrphans(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Blobs) != 1 || o.Blobs[0].Key != "doc/aaaaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Fatalf("orphan blobs = %+v", o.Blobs)
	}
	// With grace 0 the in-progress row counts as stale: RemoveOrphans takes
	// it, and the upload then fails cleanly instead of committing.
	if len(o.Stale) != 1 {
		t.Fatalf("stale = %+v", o.Stale)
	}
	if _, _, err := e.svc.RemoveOrphans(ctx, o); err != nil {
		t.Fatal(err)
	}
	close(pr.release)
	if err := <-done; !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("upload whose row fsck removed: %v, want ErrNotFound", err)
	}
	if keys := blobKeys(t, e.blobs); len(keys) != 0 {
		t.Fatalf("payloads left: %v", keys)
	}
	if l, _ := e.svc.List(ctx, owner); len(l) != 0 {
		t.Fatalf("listed: %+v", l)
	}
}

// blockingReader yields half its data, then blocks until released.
type blockingReader struct {
	data    []byte
	off     int
	release chan struct{}
	start   chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if b.off >= len(b.data)/2 {
		select {
		case <-b.start:
		default:
			close(b.start)
		}
		<-b.release
	}
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}
