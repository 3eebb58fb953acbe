// Package blobtest is the conformance suite for blob.Store backends. Every
// backend's tests call Run with a constructor of fresh, empty stores:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store { return newEmptyStore(t) })
//	}
//
// The suite checks the contracts written on blob.Store: round trips,
// replace-vs-create semantics (including racing Creates), the sentinel
// errors, key validation before any storage is touched, List order and
// early stop, size mismatches, ctx cancellation before and during writes
// and reads, and a large streamed object with bounded memory. It always runs
// in full, including under -short: the large object is generated and hashed
// on the fly, so it costs time, not memory.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/blob"
)

// testTimeout bounds each subtest's I/O so that a hung backend fails instead
// of stalling the run.
const testTimeout = 5 * time.Minute

// Run runs the conformance suite. newStore must return an empty store that
// no other test uses; it is called once per subtest, from that subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"PutReplaces", testPutReplaces},
		{"CreateExisting", testCreateExisting},
		{"CreateRace", testCreateRace},
		{"Missing", testMissing},
		{"InvalidKeys", testInvalidKeys},
		{"List", testList},
		{"ListStop", testListStop},
		{"SizeMismatch", testSizeMismatch},
		{"CancelBefore", testCancelBefore},
		{"CancelDuringWrite", testCancelDuringWrite},
		{"CancelDuringRead", testCancelDuringRead},
		{"Large", testLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// payload returns n deterministic bytes that differ with seed.
func payload(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// put stores data under key with the exact size, failing the test on error.
func put(t *testing.T, ctx context.Context, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

// mustGet reads the object under key, failing the test on error.
func mustGet(t *testing.T, ctx context.Context, s blob.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return got
}

// wantContent checks that key holds exactly want, through Get and Stat.
func wantContent(t *testing.T, ctx context.Context, s blob.Store, key string, want []byte) {
	t.Helper()
	if got := mustGet(t, ctx, s, key); !bytes.Equal(got, want) {
		t.Fatalf("Get(%q): got %d bytes (%s), want %d bytes (%s)", key, len(got), head(got), len(want), head(want))
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if info.Key != key || info.Size != int64(len(want)) {
		t.Fatalf("Stat(%q) = {Key %q, Size %d}, want {Key %q, Size %d}", key, info.Key, info.Size, key, len(want))
	}
}

// wantAbsent checks that nothing is stored under key.
func wantAbsent(t *testing.T, ctx context.Context, s blob.Store, key string) {
	t.Helper()
	if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Stat(%q) = %v, want ErrNotExist", key, err)
	}
	rc, err := s.Get(ctx, key)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Get(%q) = %v, want ErrNotExist", key, err)
	}
}

// keys lists the keys under prefix.
func keys(t *testing.T, ctx context.Context, s blob.Store, prefix string) []string {
	t.Helper()
	var ks []string
	err := s.List(ctx, prefix, func(i blob.Info) error {
		ks = append(ks, i.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return ks
}

func head(b []byte) string {
	if len(b) > 8 {
		b = b[:8]
	}
	return fmt.Sprintf("%x…", b)
}

// untouchable is a reader that must never be read.
type untouchable struct{ t *testing.T }

func (u untouchable) Read([]byte) (int, error) {
	u.t.Error("reader was read although the call had to fail before touching it")
	return 0, io.EOF
}
