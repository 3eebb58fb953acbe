package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/coffre/coffre/vault/blob"
)

// Get implements blob.Store. The returned reader fails with an error wrapping
// ctx.Err() once ctx is done.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, fmt.Errorf("local: get %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local: get %s: %w", key, err)
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, fmt.Errorf("local: get %s: %w", key, mapNotExist(err))
	}
	return &ctxFile{ctx: ctx, f: f}, nil
}

// ctxFile is an open object whose reads stop when ctx is done.
type ctxFile struct {
	ctx context.Context
	f   *os.File
}

func (c *ctxFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("local: read: %w", err)
	}
	return c.f.Read(p)
}

func (c *ctxFile) Close() error { return c.f.Close() }

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("local: stat %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("local: stat %s: %w", key, err)
	}
	st, err := os.Stat(s.path(key))
	if err != nil {
		return blob.Info{}, fmt.Errorf("local: stat %s: %w", key, mapNotExist(err))
	}
	if !st.Mode().IsRegular() {
		return blob.Info{}, fmt.Errorf("local: stat %s: not a regular file", key)
	}
	return blob.Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete implements blob.Store. It also removes the directories the object
// leaves empty, up to (excluding) the root.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("local: delete %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: delete %s: %w", key, err)
	}
	p := s.path(key)
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("local: delete %s: %w", key, mapNotExist(err))
	}
	dir := filepath.Dir(p)
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("local: delete %s: %w", key, err)
	}
	// Prune empty directories; Remove fails harmlessly on a non-empty one.
	// Writers retry if we prune a directory under them (see createTemp).
	for dir != s.root && strings.HasPrefix(dir, s.root) {
		if os.Remove(dir) != nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	return nil
}

// List implements blob.Store. Keys come in byte-wise lexicographic order,
// the order of S3 listings.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := blob.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("local: list %s: %w", prefix, err)
	}
	if err := s.walk(ctx, s.root, "", prefix, fn); err != nil {
		return fmt.Errorf("local: list %s: %w", prefix, err)
	}
	return nil
}

// listEntry is a directory entry with the key (file) or key prefix
// (directory, ending in '/') it stands for.
type listEntry struct {
	sortKey string
	entry   fs.DirEntry
}

// walk lists dir, whose objects have keys starting with keyPrefix ("" or
// ending in '/'). Entries are visited in the order of their key strings, a
// directory d standing for the range of keys starting with "d/": this yields
// global byte-wise key order, e.g. "a-b" (0x2d) before "a/x" (0x2f).
func (s *Store) walk(ctx context.Context, dir, keyPrefix, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && dir != s.root {
			return nil // pruned by a concurrent Delete
		}
		return fmt.Errorf("read dir: %w", err)
	}
	entries := make([]listEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		switch {
		case de.IsDir():
			if blob.ValidKey(name) != nil || strings.Contains(name, "/") {
				continue
			}
			k := keyPrefix + name + "/"
			// Descend only where keys can match the prefix.
			if strings.HasPrefix(k, prefix) || strings.HasPrefix(prefix, k) {
				entries = append(entries, listEntry{k, de})
			}
		case de.Type().IsRegular():
			stem, ok := strings.CutSuffix(name, objSuffix)
			if !ok || blob.ValidKey(stem) != nil || strings.Contains(stem, "/") {
				continue // temporary files and strangers
			}
			if k := keyPrefix + stem; strings.HasPrefix(k, prefix) {
				entries = append(entries, listEntry{k, de})
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].sortKey < entries[j].sortKey })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.entry.IsDir() {
			if err := s.walk(ctx, filepath.Join(dir, e.entry.Name()), e.sortKey, prefix, fn); err != nil {
				return err
			}
			continue
		}
		st, err := e.entry.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted meanwhile
			}
			return fmt.Errorf("stat: %w", err)
		}
		if err := fn(blob.Info{Key: e.sortKey, Size: st.Size(), ModTime: st.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// mapNotExist turns "no such file" into blob.ErrNotExist, keeping other
// errors as they are.
func mapNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return blob.ErrNotExist
	}
	return err
}
