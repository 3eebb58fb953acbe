package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// privateEnough reports whether a secret file is readable by its owner only,
// or also by a group this process belongs to (Kubernetes mounts secrets
// root-owned and group-readable by the pod's fsGroup). Anything writable by
// others than the owner, or readable by other users, is refused.
func privateEnough(st fs.FileInfo) bool {
	perm := st.Mode().Perm()
	if perm&0o037 != 0 {
		return false
	}
	if perm&0o040 == 0 {
		return true
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	gids, _ := os.Getgroups()
	gids = append(gids, os.Getgid())
	for _, g := range gids {
		if g >= 0 && uint32(g) == sys.Gid {
			return true
		}
	}
	return false
}

// pepperSize is the server pepper's length in bytes.
const pepperSize = 32

// loadOrCreatePepper returns the server pepper kept in path, creating it
// (32 random bytes, hex, mode 0600) when the file does not exist. An existing
// file readable by group or others, or of the wrong length, is refused: the
// pepper is what keeps a stolen database from being brute-forced offline.
func loadOrCreatePepper(path string) (pepper []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		p := make([]byte, pepperSize)
		if _, err := rand.Read(p); err != nil {
			return nil, false, fmt.Errorf("pepper: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("pepper: create %s: %w", path, err)
		}
		_, werr := f.WriteString(hex.EncodeToString(p) + "\n")
		if werr == nil {
			werr = f.Sync()
		}
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return nil, false, fmt.Errorf("pepper: write %s: %w", path, werr)
		}
		return p, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pepper: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("pepper: %w", err)
	}
	if !privateEnough(st) {
		return nil, false, fmt.Errorf("pepper: %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	p, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(p) != pepperSize {
		return nil, false, fmt.Errorf("pepper: %s must hold %d bytes in hex", path, pepperSize)
	}
	return p, false, nil
}

// pepperInsideDataDir reports whether a several-instance setup (S3 or
// PostgreSQL configured) keeps the pepper inside its data directory, where
// it would travel with backups of the data. The embedded default (SQLite
// and local blobs in one directory) keeps it there on purpose: one
// directory, nothing to configure.
func pepperInsideDataDir(cfg *serveConfig) bool {
	if cfg.S3Endpoint == "" && strings.HasPrefix(cfg.DatabaseURL, "sqlite:") {
		return false
	}
	dir, err1 := filepath.Abs(cfg.DataDir)
	file, err2 := filepath.Abs(cfg.PepperFile)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(dir, file)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
