package blob

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestValidKey(t *testing.T) {
	seg := strings.Repeat("s", MaxSegmentLen)
	cases := []struct {
		name, key string
		ok        bool
	}{
		{"simple", "doc", true},
		{"nested", "owners/01hx/docs/7f3a", true},
		{"all characters", "abcdefghijklmnopqrstuvwxyz0123456789-_", true},
		{"longest segment", seg, true},
		{"longest key", seg + "/" + seg + "/" + seg + "/" + strings.Repeat("s", MaxKeyLen-3*MaxSegmentLen-3), true},
		{"empty", "", false},
		{"too long", seg + "/" + seg + "/" + seg + "/" + strings.Repeat("s", MaxKeyLen-3*MaxSegmentLen-2), false},
		{"segment too long", seg + "s", false},
		{"dot", ".", false},
		{"dot dot", "..", false},
		{"traversal", "../etc/passwd", false},
		{"inner traversal", "a/../b", false},
		{"leading slash", "/a", false},
		{"trailing slash", "a/", false},
		{"double slash", "a//b", false},
		{"upper case", "A", false},
		{"dot in name", "a.b", false},
		{"backslash", `a\b`, false},
		{"space", "a b", false},
		{"NUL", "a\x00", false},
		{"UTF-8", "é", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidKey(tc.key)
			if tc.ok && err != nil {
				t.Fatalf("ValidKey(%q) = %v, want nil", tc.key, err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ValidKey(%q) = %v, want ErrInvalidKey", tc.key, err)
			}
		})
	}
}

func TestValidPrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true}, {"a", true}, {"a/", true}, {"a/b", true},
		{"/", false}, {"a//", false}, {"../", false}, {"A", false},
	} {
		if err := ValidPrefix(tc.prefix); (err == nil) != tc.ok {
			t.Errorf("ValidPrefix(%q) = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
	}
}

// FuzzValidKey checks that every accepted key is safe to use as a relative
// path: clean, relative, without traversal, each segment a short plain name.
func FuzzValidKey(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../a", "a/./b", "a//b", "/a", "a/", "A", "a.b", strings.Repeat("k", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidKey(key) != nil {
			return
		}
		if path.Clean(key) != key || path.IsAbs(key) || strings.HasPrefix(key, "..") {
			t.Fatalf("accepted key %q is not a clean relative path", key)
		}
		if len(key) > MaxKeyLen {
			t.Fatalf("accepted key of %d bytes", len(key))
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == "" || seg == "." || seg == ".." || len(seg) > MaxSegmentLen || strings.ContainsAny(seg, ".\\\x00") {
				t.Fatalf("accepted key %q has segment %q", key, seg)
			}
		}
	})
}
