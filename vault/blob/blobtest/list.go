package blobtest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault/blob"
)

// listKeys are chosen so that a per-directory walk gets the order wrong:
// '-' (0x2d) sorts before '/' (0x2f), which sorts before digits, '_' and
// letters, so "a-/x" < "a-b" < "a/b/c" < "a0". No key is a whole-segment
// prefix of another (see the blob package documentation).
var listKeys = []string{"z", "a/c", "ab", "a-/x", "a/b/c", "a-b", "a/d/e", "b/x", "a0", "a_b"}

func testList(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	sizes := map[string]int{}
	for i, k := range listKeys {
		sizes[k] = 10 + i
		put(t, ctx, s, k, payload(i, sizes[k]))
	}
	cases := []struct {
		name, prefix string
	}{
		{"everything", ""},
		{"segment start", "a"},
		{"dash before slash", "a-"},
		{"children", "a/"},
		{"nested", "a/b"},
		{"nested children", "a/b/"},
		{"exact leaf", "a/b/c"},
		{"past a leaf", "a/b/c/"},
		{"other directory", "b/"},
		{"partial segment", "b"},
		{"nothing", "c"},
		{"nothing under a leaf", "z/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, k := range listKeys {
				if strings.HasPrefix(k, tc.prefix) {
					want = append(want, k)
				}
			}
			slices.Sort(want) // byte-wise order
			var got []string
			err := s.List(ctx, tc.prefix, func(i blob.Info) error {
				got = append(got, i.Key)
				if want := int64(sizes[i.Key]); i.Size != want {
					t.Errorf("List(%q): %s has Size %d, want %d", tc.prefix, i.Key, i.Size, want)
				}
				if i.ModTime.IsZero() {
					t.Errorf("List(%q): %s has no ModTime", tc.prefix, i.Key)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("List(%q): %v", tc.prefix, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("List(%q) = %q, want %q", tc.prefix, got, want)
			}
		})
	}
}

func testListStop(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	for i, k := range listKeys {
		put(t, ctx, s, k, payload(i, 3))
	}
	errStop := errors.New("stop here")
	var got []string
	err := s.List(ctx, "", func(i blob.Info) error {
		got = append(got, i.Key)
		if len(got) == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("List with fn failing = %v, want an error wrapping fn's", err)
	}
	want := slices.Sorted(slices.Values(listKeys))[:3]
	if !slices.Equal(got, want) {
		t.Fatalf("List stopped after %q, want %q", got, want)
	}
}
