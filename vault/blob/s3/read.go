package s3

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/coffre/coffre/vault/blob"
)

// Get implements blob.Store. The object is requested at once, so a missing
// key fails here rather than on the first Read; the body is streamed.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, fmt.Errorf("s3: get %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3: get %s: %w", key, err)
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3: get %s: %w", key, translate(ctx, err))
	}
	return &ctxBody{ctx: ctx, rc: body}, nil
}

// ctxBody reports reads after ctx is done as errors wrapping ctx.Err(),
// whatever the HTTP transport says.
type ctxBody struct {
	ctx context.Context
	rc  io.ReadCloser
}

func (b *ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, fmt.Errorf("s3: read: %w", err)
	}
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("s3: read: %w", translate(b.ctx, err))
	}
	return n, err
}

func (b *ctxBody) Close() error { return b.rc.Close() }

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("s3: stat %s: %w", key, err)
	}
	info, err := s.stat(ctx, key)
	if err != nil {
		return blob.Info{}, fmt.Errorf("s3: stat %s: %w", key, err)
	}
	return info, nil
}

func (s *Store) stat(ctx context.Context, key string) (blob.Info, error) {
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, translate(ctx, err)
	}
	return blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified}, nil
}

// Delete implements blob.Store. S3 deletes of missing objects succeed, so a
// Stat comes first to report blob.ErrNotExist.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("s3: delete %s: %w", key, err)
	}
	if _, err := s.stat(ctx, key); err != nil {
		return fmt.Errorf("s3: delete %s: %w", key, err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3: delete %s: %w", key, translate(ctx, err))
	}
	return nil
}

// List implements blob.Store. S3 lists keys in byte-wise order, which is the
// contract's order. Objects under the store's prefix whose names are not
// valid keys (written by something else) are skipped.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := blob.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("s3: list %s: %w", prefix, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: list %s: %w", prefix, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn ends the walk early
	objects := s.client.ListObjectsIter(lctx, s.bucket, minio.ListObjectsOptions{
		Prefix:    s.object(prefix),
		Recursive: true,
	})
	for oi := range objects {
		if oi.Err != nil {
			return fmt.Errorf("s3: list %s: %w", prefix, translate(ctx, oi.Err))
		}
		key, ok := strings.CutPrefix(oi.Key, s.prefix)
		if !ok || blob.ValidKey(key) != nil {
			continue
		}
		if err := fn(blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return fmt.Errorf("s3: list %s: %w", prefix, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: list %s: %w", prefix, err)
	}
	return nil
}
