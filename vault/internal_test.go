package vault

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coffre/coffre/vault/seal"
)

// The predicted ciphertext size must match what age writes, or the blob
// store rejects the upload with ErrSizeMismatch.
func TestCiphertextSize(t *testing.T) {
	id, err := seal.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, ageChunk - 1, ageChunk, ageChunk + 1, 3 * ageChunk, 5*ageChunk + 123} {
		er, err := newEncryptingReader(context.Background(), bytes.NewReader(make([]byte, n)), id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(er)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(out)) != er.size(int64(n)) || er.n != int64(n) {
			t.Fatalf("n=%d: wrote %d, predicted %d (counted %d)", n, len(out), er.size(int64(n)), er.n)
		}
		r, err := seal.Decrypt(context.Background(), bytes.NewReader(out), id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(r); err != nil || len(got) != n {
			t.Fatalf("n=%d: decrypted %d, %v", n, len(got), err)
		}
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, err := newID()
		if err != nil || !validID(id) || seen[id] {
			t.Fatalf("newID = %q, %v", id, err)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAAAAAAAA", "aaaaaaaaaaaaaaaaaaaaaaaaa/", "aaaaaaaaaaaaaaaaaaaaaaaaa1"} {
		if validID(bad) {
			t.Errorf("validID(%q) = true", bad)
		}
	}
}

func TestSafeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Avis d'impôt 2025", "Avis d'impôt 2025"},
		{"../../etc/passwd", "etc_passwd"},
		{"a/b\\c:d", "a_b_c_d"},
		{"", "document"},
		{"...", "document"},
		{"\x00\x01", "document"},
		{strings.Repeat("x", 100), strings.Repeat("x", 60)},
	}
	for _, c := range cases {
		if got := safeName(c.in); got != c.want {
			t.Errorf("safeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzSafeName: titles come from users; the names built from them must stay
// one plain path segment.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"Avis d'impôt", "../x", "a/b", "\xff\xfe", ".", "C:\\x", "名前"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := safeName(title)
		if got == "" || !utf8.ValidString(got) || strings.ContainsAny(got, "/\\:\x00") ||
			got == "." || got == ".." || strings.HasPrefix(got, ".") || utf8.RuneCountInString(got) > 60 {
			t.Fatalf("safeName(%q) = %q", title, got)
		}
	})
}
