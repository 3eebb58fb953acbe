package vault_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

type exportFixture struct {
	e       *env
	owner   *vault.Principal
	docs    map[string][]byte // id -> plaintext
	titles  map[string]string
	archive *zip.Reader
	files   map[string]*zip.File
	m       vault.Manifest
}

func exportFor(t *testing.T, mk backend, format vault.ExportFormat) *exportFixture {
	t.Helper()
	e := newEnv(t, mk, nil, nil)
	ctx := testCtx(t)
	f := &exportFixture{e: e, owner: e.owner(t), docs: map[string][]byte{}, titles: map[string]string{}}
	for i, c := range []struct {
		title, mt string
		size      int
	}{
		{"Avis d'impôt 2025", "application/pdf", 120 << 10},
		{"Avis d'impôt 2025", "application/pdf", 10}, // same title: names stay unique
		{"Photo / carte vitale?*", "image/jpeg", 64 << 10},
		{"", "application/pdf", 0},
	} {
		content := randomBytes(t, c.size)
		nd := vault.NewDocument{Category: "tax", Title: c.title, MediaType: c.mt, Pages: i + 1}
		if i == 0 {
			nd.Expires = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		d, err := e.svc.AddDocument(ctx, f.owner.ID(), nd, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		f.docs[d.ID], f.titles[d.ID] = content, c.title
	}
	// Another owner's document never appears.
	e.add(t, e.owner(t).ID(), "not mine", []byte("other"))

	var buf bytes.Buffer
	if err := e.svc.Export(ctx, f.owner, &buf, format, "README"); err != nil {
		t.Fatalf("Export: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	f.archive, f.files = zr, map[string]*zip.File{}
	for _, zf := range zr.File {
		if f.files[zf.Name] != nil {
			t.Fatalf("duplicate entry %s", zf.Name)
		}
		f.files[zf.Name] = zf
	}
	mf := f.files["manifest.json"]
	if mf == nil {
		t.Fatal("no manifest.json")
	}
	if err := json.Unmarshal(readZip(t, mf), &f.m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if f.m.Format != vault.ManifestFormat || f.m.Kind != format || f.m.Owner != f.owner.ID() || len(f.m.Documents) != len(f.docs) {
		t.Fatalf("manifest header = %+v", f.m)
	}
	for _, me := range f.m.Documents {
		want, ok := f.docs[me.ID]
		if !ok {
			t.Fatalf("manifest lists unknown document %s", me.ID)
		}
		sum := sha256.Sum256(want)
		if me.SHA256 != hex.EncodeToString(sum[:]) || me.Size != int64(len(want)) || me.Title != f.titles[me.ID] || me.Category != "tax" {
			t.Fatalf("manifest entry = %+v", me)
		}
		if f.files[me.File] == nil || !strings.HasPrefix(me.File, "documents/tax/") {
			t.Fatalf("manifest file %q not in archive", me.File)
		}
	}
	return f
}

func readZip(t *testing.T, zf *zip.File) []byte {
	t.Helper()
	rc, err := zf.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", zf.Name, err)
	}
	return b
}

func testExportPDF(t *testing.T, mk backend) {
	f := exportFor(t, mk, vault.ExportPDF)
	if len(f.archive.File) != len(f.docs)+1 {
		t.Fatalf("%d entries, want %d documents + manifest", len(f.archive.File), len(f.docs))
	}
	for _, me := range f.m.Documents {
		if got := readZip(t, f.files[me.File]); !bytes.Equal(got, f.docs[me.ID]) {
			t.Fatalf("%s differs from the original", me.File)
		}
		wantExt := ".pdf"
		if me.MediaType == "image/jpeg" {
			wantExt = ".jpg"
		}
		if filepath.Ext(me.File) != wantExt || strings.ContainsAny(strings.TrimPrefix(me.File, "documents/tax/"), "/?*\\") {
			t.Fatalf("file name %q", me.File)
		}
	}
	if f.m.Documents[0].Expires == nil || f.m.Documents[1].Expires != nil {
		t.Fatalf("expires in manifest: %v, %v", f.m.Documents[0].Expires, f.m.Documents[1].Expires)
	}
}

func testExportAge(t *testing.T, mk backend) {
	f := exportFor(t, mk, vault.ExportAge)
	idf := f.files["identity.txt"]
	if idf == nil || f.files["README.txt"] == nil {
		t.Fatal("identity.txt or README.txt missing")
	}
	idText := readZip(t, idf)
	ids, err := age.ParseIdentities(bytes.NewReader(idText))
	if err != nil {
		t.Fatalf("identity.txt: %v", err)
	}
	if len(ids) != 1+len(f.docs) || !bytes.Contains(idText, []byte(f.owner.PublicKey()[:0]+"AGE-SECRET-KEY-1")) {
		t.Fatalf("identity.txt holds %d keys, want %d", len(ids), 1+len(f.docs))
	}
	// The owner's key is in the file: it matches the owner's public key.
	if x, ok := ids[0].(*age.X25519Identity); !ok || x.Recipient().String() != f.owner.PublicKey() {
		t.Fatal("first identity is not the owner's")
	}
	dir := t.TempDir()
	idPath := filepath.Join(dir, "identity.txt")
	if err := os.WriteFile(idPath, idText, 0o600); err != nil {
		t.Fatal(err)
	}
	ageBin := testenv.LookTool("age")
	for _, me := range f.m.Documents {
		stored := readZip(t, f.files[me.File])
		sum := sha256.Sum256(stored)
		if me.AgeSHA256 != hex.EncodeToString(sum[:]) || !strings.HasSuffix(me.File, ".age") {
			t.Fatalf("age entry %+v", me)
		}
		// Through seal.
		r, err := seal.Decrypt(testCtx(t), bytes.NewReader(stored), ids...)
		if err != nil {
			t.Fatalf("seal.Decrypt %s: %v", me.File, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, f.docs[me.ID]) {
			t.Fatalf("seal decrypt of %s differs: %v", me.File, err)
		}
		// Through the stock age CLI.
		if ageBin == "" {
			continue
		}
		in := filepath.Join(dir, "doc.age")
		if err := os.WriteFile(in, stored, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(testCtx(t), ageBin, "-d", "-i", idPath, in).Output()
		if err != nil {
			t.Fatalf("age -d %s: %v", me.File, err)
		}
		if !bytes.Equal(out, f.docs[me.ID]) {
			t.Fatalf("age CLI output for %s differs", me.File)
		}
	}
	if ageBin == "" {
		testenv.Tool(t, "age") // reports Missing (fails in CI)
	}
}
