// Package s3 is the blob.Store backend for S3-compatible object storage
// (MinIO, distributed or not, or any S3 provider), built on minio-go v7. It
// is what several stateless Coffre instances share.
//
// Writes: an object of at most PartSize bytes goes up in one PUT; a larger
// one, or one of unknown size that turns out larger, as a multipart upload
// driven part by part. Each part is read whole into a buffer before it is
// sent, so a size mismatch or a cancelled ctx is detected before the object
// is committed, and an aborted multipart upload is aborted on the server.
// Memory: one buffer of min(size, PartSize) bytes per write in progress
// (PartSize defaults to 16 MiB); buffers of PartSize are pooled.
//
// Create is a conditional write (If-None-Match: *) on the single PUT, and on
// both the initiation and the completion of a multipart upload, so the
// server decides atomically which of several concurrent Creates wins. (The
// high-level minio-go PutObject drops the condition on completion, which is
// why multipart uploads are driven here through minio.Core.)
//
// Limits of a remote store: a ctx cancelled while the final request (PUT or
// CompleteMultipartUpload) is in flight can return an error although the
// server committed the object. Delete of a missing key reports
// blob.ErrNotExist after a Stat; two concurrent Deletes of one key may
// therefore both succeed.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/coffre/coffre/vault/blob"
)

const (
	// DefaultPartSize is the multipart part size when Config.PartSize is 0.
	DefaultPartSize = 16 << 20
	// MinPartSize is the smallest part size S3 accepts (except the last part).
	MinPartSize = 5 << 20
	// MaxPartSize bounds Config.PartSize (and thus the per-write buffer).
	MaxPartSize = 512 << 20
)

// ErrNoBucket: the configured bucket does not exist (and Config.CreateBucket
// is false).
var ErrNoBucket = errors.New("s3: bucket does not exist")

var _ blob.Store = (*Store)(nil)

// Config locates the bucket and sets the upload parameters.
type Config struct {
	// Endpoint is host[:port], without scheme.
	Endpoint  string
	AccessKey string
	SecretKey string
	Bucket    string
	// UseTLS selects https. Only tests against a loopback MinIO leave it off.
	UseTLS bool
	// Region of the bucket; empty lets the client discover it.
	Region string
	// Prefix is prepended to every key in the bucket, so that one bucket can
	// serve several stores. Empty, or key characters; a missing trailing '/'
	// is added.
	Prefix string
	// PartSize is the multipart part size in bytes and the size of the
	// per-write buffer: 0 means DefaultPartSize, otherwise between
	// MinPartSize and MaxPartSize. It bounds objects at 10,000 parts.
	PartSize int64
	// CreateBucket makes New create the bucket (in Region) when missing.
	CreateBucket bool
	// Transport replaces minio-go's default HTTP transport when non-nil.
	Transport http.RoundTripper
}

// Store is a blob.Store over one bucket (and prefix). It is safe for
// concurrent use.
type Store struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	prefix   string
	partSize int64
	bufs     sync.Pool // *[]byte of partSize
}

// New connects to the service and checks that the bucket exists, creating
// it if cfg.CreateBucket is set; a missing bucket is ErrNoBucket.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("s3: endpoint and bucket are required")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("s3: endpoint %q must be host[:port], without scheme (see UseTLS)", cfg.Endpoint)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize || partSize > MaxPartSize {
		return nil, fmt.Errorf("s3: part size %d outside [%d, %d]", partSize, MinPartSize, MaxPartSize)
	}
	prefix := cfg.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if err := blob.ValidPrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3: prefix %q: %w", cfg.Prefix, err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.UseTLS,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: client: %w", err)
	}
	s := &Store{
		client:   client,
		core:     minio.Core{Client: client},
		bucket:   cfg.Bucket,
		prefix:   prefix,
		partSize: partSize,
	}
	s.bufs.New = func() any { b := make([]byte, partSize); return &b }

	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %s: %w", cfg.Bucket, translate(ctx, err))
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("s3: %w: %s", ErrNoBucket, cfg.Bucket)
		}
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil {
			if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("s3: create bucket %s: %w", cfg.Bucket, translate(ctx, err))
			}
		}
	}
	return s, nil
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Prefix returns the normalised key prefix inside the bucket ("" or ending in '/').
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) object(key string) string { return s.prefix + key }

// translate maps minio-go errors to blob sentinels, keeping the original
// error in the chain. A done ctx takes precedence: the error then wraps
// ctx.Err() whatever the transport reported.
func translate(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return err
	}
	switch {
	case resp.Code == "NoSuchKey", resp.Code == "NoSuchVersion",
		resp.Code == "" && resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", blob.ErrNotExist, err)
	case resp.Code == "PreconditionFailed", resp.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %w", blob.ErrExist, err)
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("%w: %w", ErrNoBucket, err)
	}
	return err
}

// isConflict reports S3's "a concurrent conditional write is in progress,
// retry" answer (AWS returns it; MinIO serialises instead).
func isConflict(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code == "ConditionalRequestConflict"
}
