package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/coffre/coffre/vault/blob"
)

const mib = 1 << 20

// testSizeMismatch checks that a reader yielding more or fewer bytes than
// announced fails with ErrSizeMismatch and stores nothing, or leaves the
// previous object in place. The large cases cross S3 part boundaries.
func testSizeMismatch(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	orig := payload(7, 777)
	put(t, ctx, s, "sz/existing", orig)
	cases := []struct {
		name      string
		announced int64
		actual    int64
	}{
		{"short", 100, 50},
		{"long", 50, 100},
		{"announced one, empty", 1, 0},
		{"announced empty, one", 0, 1},
		{"one byte long", 4096, 4097},
		{"short across parts", 20 * mib, 18 * mib},
		{"long across parts", 18 * mib, 20 * mib},
		{"one byte long across parts", 17 * mib, 17*mib + 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ops := []struct {
				name, key string
				fn        func(context.Context, string, io.Reader, int64) error
			}{
				{"Put", "sz/put", s.Put},
				{"Create", "sz/create", s.Create},
				{"Put over existing", "sz/existing", s.Put},
			}
			for _, op := range ops {
				err := op.fn(ctx, op.key, newGenReader(i, tc.actual), tc.announced)
				if !errors.Is(err, blob.ErrSizeMismatch) {
					t.Fatalf("%s: announced %d, gave %d: err = %v, want ErrSizeMismatch",
						op.name, tc.announced, tc.actual, err)
				}
			}
			wantAbsent(t, ctx, s, "sz/put")
			wantAbsent(t, ctx, s, "sz/create")
			wantContent(t, ctx, s, "sz/existing", orig)
		})
	}
}

// testCancelBefore checks that every method fails with an error wrapping
// context.Canceled when ctx is already done, and changes nothing.
func testCancelBefore(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	orig := payload(1, 1000)
	put(t, ctx, s, "cx/existing", orig)
	done, cancel := context.WithCancel(ctx)
	cancel()

	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled ctx = %v, want an error wrapping context.Canceled", op, err)
		}
	}
	check("Put", s.Put(done, "cx/new", bytes.NewReader(orig), int64(len(orig))))
	check("Put unknown size", s.Put(done, "cx/new", bytes.NewReader(orig), -1))
	check("Create", s.Create(done, "cx/new", bytes.NewReader(orig), int64(len(orig))))
	check("Put over existing", s.Put(done, "cx/existing", bytes.NewReader(payload(2, 10)), 10))
	rc, err := s.Get(done, "cx/existing")
	if err == nil {
		// Failing at the first Read is allowed too.
		_, err = drain(rc)
		rc.Close()
	}
	check("Get", err)
	_, err = s.Stat(done, "cx/existing")
	check("Stat", err)
	check("Delete", s.Delete(done, "cx/existing"))
	check("List", s.List(done, "", func(blob.Info) error { return nil }))

	wantAbsent(t, ctx, s, "cx/new")
	wantContent(t, ctx, s, "cx/existing", orig)
}

// cancellingReader yields its source but cancels ctx once after bytes have
// been read, and then keeps yielding: the store must notice ctx by itself.
type cancellingReader struct {
	r      io.Reader
	after  int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if len(p) > 32<<10 {
		p = p[:32<<10] // small reads, so that there is a "during"
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func testCancelDuringWrite(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	orig := payload(1, 1000)
	put(t, ctx, s, "cw/existing", orig)
	cases := []struct {
		name         string
		after, total int64
		unknown      bool
	}{
		{"early", 64 << 10, mib, false},
		{"early unknown size", 64 << 10, mib, true},
		{"after a part", 20 * mib, 40 * mib, false},
		{"after a part unknown size", 20 * mib, 40 * mib, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ops := []struct {
				name, key string
				fn        func(context.Context, string, io.Reader, int64) error
			}{
				{"Put", "cw/put", s.Put},
				{"Create", "cw/create", s.Create},
				{"Put over existing", "cw/existing", s.Put},
			}
			for _, op := range ops {
				wctx, cancel := context.WithCancel(ctx)
				r := &cancellingReader{r: newGenReader(i, tc.total), after: tc.after, cancel: cancel}
				size := tc.total
				if tc.unknown {
					size = -1
				}
				err := op.fn(wctx, op.key, r, size)
				cancel()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s cancelled after %d bytes = %v, want an error wrapping context.Canceled", op.name, tc.after, err)
				}
				if r.n >= tc.total {
					t.Errorf("%s: the store read the whole input (%d bytes) although ctx was cancelled after %d", op.name, r.n, tc.after)
				}
			}
			wantAbsent(t, ctx, s, "cw/put")
			wantAbsent(t, ctx, s, "cw/create")
			wantContent(t, ctx, s, "cw/existing", orig)
		})
	}
}

func testCancelDuringRead(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	data := payload(3, 4*mib)
	put(t, ctx, s, "cr/x", data)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := s.Get(rctx, "cr/x")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	first := make([]byte, 1024)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatalf("first read: %v", err)
	}
	if !bytes.Equal(first, data[:1024]) {
		t.Fatalf("first read: wrong bytes")
	}
	cancel()
	n, err := drain(rc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("reading after cancel: %d more bytes, err %v; want an error wrapping context.Canceled", n, err)
	}

	// The object itself is unharmed.
	wantContent(t, ctx, s, "cr/x", data)
}

// drain reads r to its end, returning how many bytes it held.
func drain(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }
