package blobtest

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/blob"
)

func testRoundTrip(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	cases := []struct {
		name    string
		key     string
		n       int
		unknown bool // announce size -1
	}{
		{"empty", "rt/empty", 0, false},
		{"empty unknown size", "rt/empty-unknown", 0, true},
		{"one byte", "rt/one", 1, false},
		{"small", "rt/small", 1000, false},
		{"small unknown size", "rt/small-unknown", 1000, true},
		{"one MiB and some", "rt/mib", 1<<20 + 3, false},
		{"one MiB and some unknown size", "rt/mib-unknown", 1<<20 + 3, true},
		{"deep key", "rt/a/b/c/d/e/f", 10, false},
		{"all key characters", "rt/0123456789-_abcdefghijklmnopqrstuvwxyz", 10, false},
		{"longest segment", "rt/" + strings.Repeat("s", blob.MaxSegmentLen), 10, false},
		{"longest key", longestKey(), 10, false},
	}
	before := time.Now().Add(-5 * time.Minute)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := payload(i, tc.n)
			size := int64(tc.n)
			if tc.unknown {
				size = -1
			}
			if err := s.Put(ctx, tc.key, bytes.NewReader(data), size); err != nil {
				t.Fatalf("Put: %v", err)
			}
			wantContent(t, ctx, s, tc.key, data)
			info, err := s.Stat(ctx, tc.key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(5*time.Minute)) {
				t.Errorf("Stat ModTime %v, want about now", info.ModTime)
			}
		})
	}
}

func testPutReplaces(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	first, second := payload(1, 5000), payload(2, 300)
	put(t, ctx, s, "doc/x", first)
	put(t, ctx, s, "doc/x", second)
	wantContent(t, ctx, s, "doc/x", second)
	if ks := keys(t, ctx, s, ""); len(ks) != 1 || ks[0] != "doc/x" {
		t.Fatalf("List after two Puts of one key = %q, want [doc/x]", ks)
	}
}

func testCreateExisting(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	orig := payload(1, 4096)
	if err := s.Create(ctx, "doc/c", bytes.NewReader(orig), int64(len(orig))); err != nil {
		t.Fatalf("Create on a new key: %v", err)
	}
	for _, size := range []int64{100, -1} {
		other := payload(2, 100)
		err := s.Create(ctx, "doc/c", bytes.NewReader(other), size)
		if !errors.Is(err, blob.ErrExist) {
			t.Fatalf("Create (size %d) on an existing key = %v, want ErrExist", size, err)
		}
	}
	wantContent(t, ctx, s, "doc/c", orig)

	// After Delete the key can be created again.
	if err := s.Delete(ctx, "doc/c"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	again := payload(3, 10)
	if err := s.Create(ctx, "doc/c", bytes.NewReader(again), int64(len(again))); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	wantContent(t, ctx, s, "doc/c", again)
}

// testCreateRace starts racers Creates of one key at once: exactly one must
// succeed, the others fail with ErrExist, and the object must be the
// winner's whole payload.
func testCreateRace(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	const racers = 16
	const key = "race/k"
	datas := make([][]byte, racers)
	for i := range datas {
		datas[i] = payload(100+i, 64<<10+i*1000)
	}
	var (
		start sync.WaitGroup
		done  sync.WaitGroup
		errs  = make([]error, racers)
	)
	start.Add(1)
	for i := range racers {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			size := int64(len(datas[i]))
			if i%2 == 1 {
				size = -1
			}
			errs[i] = s.Create(ctx, key, bytes.NewReader(datas[i]), size)
		}()
	}
	start.Done()
	done.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blob.ErrExist):
			t.Errorf("racer %d: %v, want nil or ErrExist", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no racer succeeded")
	}
	wantContent(t, ctx, s, key, datas[winner])
	if ks := keys(t, ctx, s, ""); len(ks) != 1 || ks[0] != key {
		t.Fatalf("List after the race = %q, want [%s]", ks, key)
	}
}

func testMissing(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	wantAbsent(t, ctx, s, "no/such")
	if err := s.Delete(ctx, "no/such"); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Delete of a missing key = %v, want ErrNotExist", err)
	}

	// A deleted object is gone for every method.
	put(t, ctx, s, "gone/x", payload(1, 10))
	put(t, ctx, s, "gone/y", payload(2, 10))
	if err := s.Delete(ctx, "gone/x"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, ctx, s, "gone/x")
	if err := s.Delete(ctx, "gone/x"); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("second Delete = %v, want ErrNotExist", err)
	}
	if ks := keys(t, ctx, s, ""); len(ks) != 1 || ks[0] != "gone/y" {
		t.Fatalf("List after Delete = %q, want [gone/y]", ks)
	}
	// A prefix of an existing key is not an object.
	wantAbsent(t, ctx, s, "gone")
}

var invalidKeys = []struct{ name, key string }{
	{"empty", ""},
	{"parent traversal", "../x"},
	{"nested traversal", "a/../../x"},
	{"dot segment", "a/./b"},
	{"dot", "."},
	{"upper case", "Doc/x"},
	{"empty segment", "a//b"},
	{"leading slash", "/a"},
	{"trailing slash", "a/"},
	{"backslash", `a\b`},
	{"space", "a b"},
	{"dot in name", "a.blob"},
	{"NUL", "a\x00b"},
	{"non-ASCII", "pièce"},
	{"too long", longestKey() + "k"},
	{"segment too long", strings.Repeat("k", blob.MaxSegmentLen+1)},
	{"inner segment too long", "a/" + strings.Repeat("k", blob.MaxSegmentLen+1) + "/b"},
}

// testInvalidKeys checks that every method rejects bad keys with
// ErrInvalidKey before touching the reader or the storage.
func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	for _, tc := range invalidKeys {
		t.Run(tc.name, func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, blob.ErrInvalidKey) {
					t.Errorf("%s(%q) = %v, want ErrInvalidKey", op, tc.key, err)
				}
			}
			check("Put", s.Put(ctx, tc.key, untouchable{t}, 10))
			check("Put unknown size", s.Put(ctx, tc.key, untouchable{t}, -1))
			check("Create", s.Create(ctx, tc.key, untouchable{t}, 10))
			rc, err := s.Get(ctx, tc.key)
			if err == nil {
				rc.Close()
			}
			check("Get", err)
			_, err = s.Stat(ctx, tc.key)
			check("Stat", err)
			check("Delete", s.Delete(ctx, tc.key))
		})
	}
	for _, prefix := range []string{"A", "../", "a//", "/", "a/../b", "a b"} {
		err := s.List(ctx, prefix, func(blob.Info) error {
			t.Errorf("List(%q) called fn", prefix)
			return nil
		})
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("List(%q) = %v, want ErrInvalidKey", prefix, err)
		}
	}
	if ks := keys(t, ctx, s, ""); len(ks) != 0 {
		t.Fatalf("store holds %q after invalid calls, want nothing", ks)
	}
}

// longestKey is a valid key of blob.MaxKeyLen bytes made of the longest
// segments allowed.
func longestKey() string {
	var b strings.Builder
	for b.Len() < blob.MaxKeyLen {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		n := min(blob.MaxSegmentLen, blob.MaxKeyLen-b.Len())
		b.WriteString(strings.Repeat("l", n))
	}
	return b.String()
}
