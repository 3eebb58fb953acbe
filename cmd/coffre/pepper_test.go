package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPepperCreatedOnceWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pepper.key")
	p1, created, err := loadOrCreatePepper(path)
	if err != nil || !created || len(p1) != pepperSize {
		t.Fatalf("create: %v created=%v len=%d", err, created, len(p1))
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", st.Mode().Perm())
	}
	p2, created, err := loadOrCreatePepper(path)
	if err != nil || created || !bytes.Equal(p1, p2) {
		t.Fatalf("reload: %v created=%v same=%v", err, created, bytes.Equal(p1, p2))
	}
}

func TestPepperRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr string
	}{
		{"world readable", strings.Repeat("ab", 32), 0o644, "readable by others"},
		{"world readable only", strings.Repeat("ab", 32), 0o604, "readable by others"},
		{"group writable", strings.Repeat("ab", 32), 0o620, "readable by others"},
		{"too short", "abcd", 0o600, "must hold 32 bytes"},
		{"not hex", strings.Repeat("zz", 32), 0o600, "must hold 32 bytes"},
		{"empty", "", 0o600, "must hold 32 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pepper.key")
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := loadOrCreatePepper(path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			after, _ := os.ReadFile(path)
			if string(after) != tc.content {
				t.Fatal("a refused pepper file was modified")
			}
		})
	}
}

// A secret mounted by Kubernetes is root-owned and readable by the pod's
// fsGroup: a group-readable pepper is accepted when this process is in the
// file's group, and refused when it is not.
func TestPepperGroupReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pepper.key")
	want := strings.Repeat("ab", 32)
	if err := os.WriteFile(path, []byte(want+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o440); err != nil {
		t.Fatal(err)
	}
	p, created, err := loadOrCreatePepper(path)
	if err != nil || created || len(p) != pepperSize || p[0] != 0xab {
		t.Fatalf("own group, mode 0440: pepper %x, created %v, err %v", p, created, err)
	}
	if os.Getuid() != 0 {
		return // only root can give the file a group this process is not in
	}
	if err := os.Chown(path, 0, 4242); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadOrCreatePepper(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("foreign group, mode 0440: err = %v, want a refusal", err)
	}
}
