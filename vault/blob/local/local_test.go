package local

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/blobtest"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestLocalConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s := newStore(t)
		t.Cleanup(func() { checkNoTemp(t, s.Root()) })
		return s
	})
}

// checkNoTemp fails if a temporary file survived, whatever the test did.
func checkNoTemp(t *testing.T, root string) {
	t.Helper()
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), tempPrefix) {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// TestInvalidKeysTouchNothing checks that traversal keys reach nothing
// outside (or inside) the root.
func TestInvalidKeysTouchNothing(t *testing.T) {
	parent := t.TempDir()
	s, err := New(filepath.Join(parent, "root"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	victim := filepath.Join(parent, "victim.blob")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../victim", "../x", "a/../../x", "/etc/passwd", `..\x`} {
		if err := s.Put(ctx, key, strings.NewReader("evil"), 4); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	ents, _ := os.ReadDir(parent)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"root", "victim.blob"}) {
		t.Errorf("parent holds %q, want [root victim.blob]", names)
	}
	if ents, _ := os.ReadDir(s.Root()); len(ents) != 0 {
		t.Errorf("root holds %d entries, want none", len(ents))
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("victim changed: %q", b)
	}
}

func TestLayoutAndModes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Put(ctx, "owner/doc", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "owner", strings.NewReader("y"), 1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		mode fs.FileMode
	}{
		{s.Root(), fs.ModeDir | 0o700},
		{filepath.Join(s.Root(), "owner"), fs.ModeDir | 0o700},
		{filepath.Join(s.Root(), "owner", "doc.blob"), 0o600},
		{filepath.Join(s.Root(), "owner.blob"), 0o600},
	} {
		st, err := os.Stat(tc.path)
		if err != nil {
			t.Errorf("stat %s: %v", tc.path, err)
			continue
		}
		if st.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.path, st.Mode(), tc.mode)
		}
	}
	// Deleting the last object of a directory prunes it.
	if err := s.Delete(ctx, "owner/doc"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "owner")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory not pruned: %v", err)
	}
}

// TestCrashLeftovers plays a crash: temporary files and strangers in the
// tree are invisible to List and Stat, and CleanTemp removes only old temps.
func TestCrashLeftovers(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Put(ctx, "d/real", strings.NewReader("real"), 4); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(s.Root(), "d", tempPrefix+"123")
	fresh := filepath.Join(s.Root(), tempPrefix+"456")
	stranger := filepath.Join(s.Root(), "d", "notes.txt")
	for _, p := range []string{old, fresh, stranger} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.List(ctx, "", func(i blob.Info) error { got = append(got, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"d/real"}) {
		t.Fatalf("List = %q, want [d/real]", got)
	}
	n, err := s.CleanTemp(ctx, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old temp survived CleanTemp")
	}
	for _, p := range []string{fresh, stranger} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed by CleanTemp: %v", p, err)
		}
	}
	os.Remove(fresh)
	if n, err := s.CleanTemp(ctx, 0); err != nil || n != 0 {
		t.Fatalf("second CleanTemp = %d, %v; want 0, nil", n, err)
	}
}

// TestConcurrentPutDelete hammers one directory with writers and deleters:
// directory pruning must never make a write fail.
func TestConcurrentPutDelete(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	errs := make(chan error, 400)
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 50 {
				key := "a/b/c/k" + string(rune('a'+w))
				if err := s.Put(ctx, key, bytes.NewReader([]byte{byte(i)}), 1); err != nil {
					errs <- err
					return
				}
				if err := s.Delete(ctx, key); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNewOnFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f); err == nil {
		t.Fatal("New on a regular file succeeded")
	}
}
