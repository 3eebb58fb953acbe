package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/blob/s3"
	"github.com/coffre/coffre/vault/seal"
)

// wired is the vault and what it runs on, as opened from a serveConfig by
// serve and the admin verbs alike.
type wired struct {
	Vault *vault.Service
	Meta  metaStore
	Blobs blob.Store
	// Ready lists the dependencies /readyz checks.
	Ready map[string]api.Checker
	// PepperCreated is true when this start created the pepper file.
	PepperCreated bool
}

// Close releases the metadata store.
func (w *wired) Close() error { return w.Meta.Close() }

// checkFunc adapts a function to api.Checker.
type checkFunc func(ctx context.Context) error

func (f checkFunc) Check(ctx context.Context) error { return f(ctx) }

// openVault opens (creating on first start) the data directory, the pepper,
// the metadata database and the blob store described by cfg.
func openVault(ctx context.Context, cfg *serveConfig) (*wired, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	pepper, created, err := loadOrCreatePepper(cfg.PepperFile)
	if err != nil {
		return nil, err
	}
	db, err := openMeta(ctx, cfg.DatabaseURL, vault.RowKeyOption(pepper))
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	policy, err := newEndpointPolicy(cfg.OwnerBucketHosts)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w: --owner-bucket-hosts: %v", errUsage, err)
	}
	v, err := vault.New(vault.Config{
		Meta: db, Blobs: blobs, Pepper: pepper,
		Scrypt:    seal.ScryptParams{LogN: cfg.ScryptLogN},
		OpenStore: storageOpener(policy), OwnerBuckets: cfg.OwnerBuckets,
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &wired{
		Vault: v, Meta: db, Blobs: blobs, PepperCreated: created,
		Ready: map[string]api.Checker{
			"database": checkFunc(db.Ping),
			"blobs":    checkFunc(func(ctx context.Context) error { return blobReachable(ctx, blobs) }),
		},
	}, nil
}

// openBlobs returns the S3 store when an endpoint is configured, otherwise
// the local directory <data-dir>/blobs.
func openBlobs(ctx context.Context, cfg *serveConfig) (blob.Store, error) {
	if cfg.S3Endpoint == "" {
		st, err := local.New(filepath.Join(cfg.DataDir, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("blob directory: %w", err)
		}
		return st, nil
	}
	secret, err := readSecretFile(cfg.S3SecretKeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: --s3-secret-key-file: %v", errUsage, err)
	}
	st, err := s3.New(ctx, s3.Config{
		Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: secret,
		Bucket: cfg.S3Bucket, UseTLS: cfg.S3TLS, Region: cfg.S3Region, CreateBucket: true,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 bucket %q at %s: %w", cfg.S3Bucket, cfg.S3Endpoint, err)
	}
	return st, nil
}

// blobReachable lists at most one key: it proves the store answers without
// reading any payload.
func blobReachable(ctx context.Context, st blob.Store) error {
	err := st.List(ctx, "doc/", func(blob.Info) error { return errStopList })
	if errors.Is(err, errStopList) {
		return nil
	}
	return err
}

var errStopList = errors.New("stop")

// readSecretFile reads a one-line secret (an S3 key, a Kubernetes secret
// mount), refusing an empty one.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("file is empty")
	}
	return s, nil
}
