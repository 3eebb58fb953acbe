package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// exportFixture stores two documents in a fresh vault, exports them in the
// age format and unpacks the archive into dir. It returns the identity file
// and, per age file, the plaintext it must decrypt to.
func exportFixture(t *testing.T, dir string) (string, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	pepper := make([]byte, seal.PepperSize)
	rand.Read(pepper)
	db, err := meta.OpenSQLite(ctx, filepath.Join(t.TempDir(), "coffre.db"), vault.RowKeyOption(pepper))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := local.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(vault.Config{Meta: db, Blobs: blobs, Pepper: pepper, Scrypt: seal.ScryptParams{LogN: 10, AllowWeak: true}})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("correct horse battery staple")
	owner, _, err := v.CreateOwner(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{
		"Avis d'impôt 2026": []byte("%PDF-1.7 avis d'impot " + strings.Repeat("x", 200_000)),
		"Bulletin de paie":  []byte("%PDF-1.7 bulletin de paie"),
	}
	for title, body := range docs {
		if _, err := v.AddDocument(ctx, owner, vault.NewDocument{Category: "tax", Title: title, Size: int64(len(body))}, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := v.Unlock(ctx, owner, secret)
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	if err := v.Export(ctx, p, &zbuf, vault.ExportAge, "README"); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var man vault.Manifest
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if f.Name == "manifest.json" {
			if err := json.Unmarshal(b, &man); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string][]byte{}
	for _, e := range man.Documents {
		body, ok := docs[e.Title]
		if !ok {
			t.Fatalf("manifest lists unknown title %q", e.Title)
		}
		want[filepath.Join(dir, filepath.FromSlash(e.File))] = body
	}
	if len(want) != len(docs) {
		t.Fatalf("manifest lists %d documents, want %d", len(want), len(docs))
	}
	return filepath.Join(dir, "identity.txt"), want
}

func TestDecryptExport(t *testing.T) {
	dir := t.TempDir()
	idFile, want := exportFixture(t, dir)
	for file, body := range want {
		out := filepath.Join(dir, "out.pdf")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"decrypt", "-i", idFile, "-o", out, file}, nil, &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("decrypt %s: exit %d, stderr %s", file, code, stderr.String())
		}
		got, err := os.ReadFile(out)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("decrypt %s: got %d bytes (err %v), want %d bytes", file, len(got), err, len(body))
		}
		// stdin → stdout.
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		stdout.Reset()
		code = run(context.Background(), []string{"decrypt", "-i", idFile, "-"}, f, &stdout, &stderr)
		f.Close()
		if code != exitOK || !bytes.Equal(stdout.Bytes(), body) {
			t.Fatalf("decrypt from stdin: exit %d, %d bytes", code, stdout.Len())
		}
	}
}

func TestDecryptArmored(t *testing.T) {
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	idFile := filepath.Join(dir, "key.txt")
	os.WriteFile(idFile, []byte("# a comment\n"+id.String()+"\n"), 0o600)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, _ := age.Encrypt(aw, id.Recipient())
	io.WriteString(w, "attestation CAF")
	w.Close()
	aw.Close()
	in := filepath.Join(dir, "doc.age")
	os.WriteFile(in, buf.Bytes(), 0o600)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"decrypt", "-i", idFile, in}, nil, &stdout, &stderr); code != exitOK || stdout.String() != "attestation CAF" {
		t.Fatalf("exit %d, out %q, stderr %s", code, stdout.String(), stderr.String())
	}
}

func TestDecryptBadInput(t *testing.T) {
	dir := t.TempDir()
	idFile, want := exportFixture(t, dir)
	var file string
	var body []byte
	for f, b := range want {
		if len(b) > 100_000 {
			file, body = f, b
		}
	}
	ct, _ := os.ReadFile(file)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := bytes.Clone(ct)
	flipped[len(flipped)-100] ^= 1
	other, _ := age.GenerateX25519Identity()
	otherID := write("other.txt", []byte(other.String()+"\n"))
	scryptID := write("scrypt.txt", []byte("-----BEGIN AGE ENCRYPTED FILE-----\n"))
	huge := write("huge.txt", bytes.Repeat([]byte("#"), maxIdentityFile+10))

	cases := []struct {
		name string
		args []string
		code int
		en   string
	}{
		{"no identity flag", []string{file}, exitUsage, "-i identity file is required"},
		{"no file", []string{"-i", idFile}, exitUsage, "exactly one file"},
		{"two files", []string{"-i", idFile, file, file}, exitUsage, "exactly one file"},
		{"bad lang", []string{"-lang", "de", "-i", idFile, file}, exitUsage, "want en or fr"},
		{"missing identity file", []string{"-i", filepath.Join(dir, "nope.txt"), file}, exitUsage, "identity file"},
		{"garbage identity", []string{"-i", scryptID, file}, exitUsage, "no valid age identity"},
		{"huge identity", []string{"-i", huge, file}, exitUsage, "larger than 1 MiB"},
		{"missing input", []string{"-i", idFile, filepath.Join(dir, "nope.age")}, exitFailure, "no such file"},
		{"wrong key en", []string{"-lang", "en", "-i", otherID, file}, exitWrongKey, "none of the keys"},
		{"wrong key fr", []string{"-lang", "fr", "-i", otherID, file}, exitWrongKey, "aucune clé"},
		{"not age", []string{"-lang", "en", "-i", idFile, write("text.age", []byte("hello, this is not age\n"))}, exitDamaged, "not an age document"},
		{"empty", []string{"-lang", "fr", "-i", idFile, write("empty.age", nil)}, exitDamaged, "abîmé"},
		{"flipped byte", []string{"-lang", "en", "-i", idFile, write("flipped.age", flipped)}, exitDamaged, "damaged"},
		{"truncated", []string{"-lang", "en", "-i", idFile, write("trunc.age", ct[:len(ct)-1000])}, exitDamaged, "incomplete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-")+".pdf")
			var stdout, stderr bytes.Buffer
			args := append([]string{"decrypt", "-o", out}, tc.args...)
			code := run(context.Background(), args, nil, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.en) {
				t.Fatalf("stderr %q does not say %q", stderr.String(), tc.en)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("a failed decrypt left %s behind (err %v)", out, err)
			}
			matches, _ := filepath.Glob(filepath.Join(dir, ".out-*"))
			if len(matches) > 0 {
				t.Fatalf("temporary output left behind: %v", matches)
			}
			if bytes.Contains(stdout.Bytes(), body[:40]) {
				t.Fatal("plaintext reached stdout on failure")
			}
		})
	}
}
