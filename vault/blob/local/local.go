// Package local is the blob.Store backend that keeps payloads as files under
// one directory on a local filesystem; it is Coffre's embedded default.
//
// Layout: the object with key "a/b/c" is the file <root>/a/b/c.blob. The
// ".blob" suffix cannot occur in a key segment (keys have no '.'), so "a" and
// "a/b" can both exist: the file a.blob sits beside the directory a.
// Directories are 0700 and files 0600.
//
// Writes go to a temporary file ".tmp-*" in the object's directory, which is
// fsynced, then renamed (Put) or hard-linked (Create) to its final name, and
// the directory is fsynced. Readers therefore see an object whole or not at
// all, and exactly one of several concurrent Creates of a key wins: link(2)
// fails with EEXIST for the others. The filesystem must support hard links.
// A crash can leave ".tmp-*" files behind; List never shows them and
// CleanTemp removes them.
//
// Memory use is one 256 KiB copy buffer per write in progress.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/coffre/coffre/vault/blob"
)

const (
	objSuffix  = ".blob"
	tempPrefix = ".tmp-"
	dirMode    = 0o700
	copyBufLen = 256 << 10
)

var _ blob.Store = (*Store)(nil)

// Store is a blob.Store over a directory. It is safe for concurrent use,
// including by several processes sharing the directory.
type Store struct {
	root string
}

// New returns a Store rooted at dir, creating dir (mode 0700) if needed.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local: root %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, dirMode); err != nil {
		return nil, fmt.Errorf("local: create root: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local: root: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("local: root %q is not a directory", abs)
	}
	return &Store{root: abs}, nil
}

// Root returns the store's absolute root directory.
func (s *Store) Root() string { return s.root }

// path maps a valid key to its file. ValidKey guarantees that the segments
// are plain names (no "..", no separators other than '/'), so the result
// always lies under root.
func (s *Store) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key)+objSuffix)
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.write(ctx, key, r, size, false); err != nil {
		return fmt.Errorf("local: put %s: %w", key, err)
	}
	return nil
}

// Create implements blob.Store.
func (s *Store) Create(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.write(ctx, key, r, size, true); err != nil {
		return fmt.Errorf("local: create %s: %w", key, err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, key string, r io.Reader, size int64, create bool) (err error) {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("%w: negative size %d", blob.ErrSizeMismatch, size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	final := s.path(key)
	if create {
		// Fast path: do not consume the reader for a key that is taken. The
		// link below is what makes Create race-free.
		if _, err := os.Lstat(final); err == nil {
			return blob.ErrExist
		}
	}
	dir := filepath.Dir(final)
	f, err := s.createTemp(dir)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if tmp != "" {
			os.Remove(tmp)
		}
	}()

	if err := copyExact(ctx, f, r, size); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	cerr := f.Close()
	f = nil
	if cerr != nil {
		return fmt.Errorf("close: %w", cerr)
	}
	// Last chance to honour cancellation: after this the object is visible.
	if err := ctx.Err(); err != nil {
		return err
	}
	if create {
		if err := os.Link(tmp, final); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return blob.ErrExist
			}
			return fmt.Errorf("link: %w", err)
		}
		// tmp is removed by the deferred function; the object lives on
		// through its final name.
	} else {
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("rename: %w", err)
		}
		tmp = ""
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return nil
}

// createTemp creates an empty temporary file in dir, creating dir first. A
// concurrent Delete may prune a directory it found empty between our mkdir
// and our create; retry in that case.
func (s *Store) createTemp(dir string) (*os.File, error) {
	var err error
	for attempt := 0; attempt < 16; attempt++ {
		if err = s.mkdirAll(dir); err != nil {
			continue
		}
		var f *os.File
		f, err = os.CreateTemp(dir, tempPrefix+"*")
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return nil, fmt.Errorf("temp file: %w", err)
}

// mkdirAll creates dir and its missing parents below root with mode 0700,
// fsyncing the parent of each directory it creates so the new entries are
// durable before an object is linked into them.
func (s *Store) mkdirAll(dir string) error {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nil
	}
	rel, err := filepath.Rel(s.root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("mkdir: %q is not below the root", dir)
	}
	cur := s.root
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		parent := cur
		cur = filepath.Join(cur, seg)
		err := os.Mkdir(cur, dirMode)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	return nil
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash. Filesystems that cannot fsync directories are
// tolerated, and so is a directory that a concurrent Delete has just pruned
// (its entries are gone then, there is nothing left to make durable).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open dir for fsync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("fsync dir: %w", err)
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufLen); return &b }}

// copyExact copies r to w, checking ctx between reads. With size ≥ 0 it
// fails with blob.ErrSizeMismatch unless r yields exactly size bytes.
func copyExact(ctx context.Context, w io.Writer, r io.Reader, size int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := buf
		if size >= 0 {
			// Read at most one byte past the announced size: enough to detect
			// a reader that is too long without consuming much of it.
			if rem := size - n + 1; rem < int64(len(p)) {
				p = p[:rem]
			}
		}
		m, rerr := r.Read(p)
		if m > 0 {
			n += int64(m)
			if size >= 0 && n > size {
				return fmt.Errorf("%w: reader yields more than %d bytes", blob.ErrSizeMismatch, size)
			}
			if _, err := w.Write(p[:m]); err != nil {
				return fmt.Errorf("write: %w", err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("read: %w", rerr)
		}
	}
	if size >= 0 && n != size {
		return fmt.Errorf("%w: reader yielded %d bytes, announced %d", blob.ErrSizeMismatch, n, size)
	}
	return ctx.Err()
}
