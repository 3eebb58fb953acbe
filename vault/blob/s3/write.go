package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/coffre/coffre/vault/blob"
)

// maxParts is S3's limit on parts per multipart upload.
const maxParts = 10000

// conflictRetries bounds the retries of a conditional write that S3
// answered with ConditionalRequestConflict.
const conflictRetries = 4

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.write(ctx, key, r, size, false); err != nil {
		return fmt.Errorf("s3: put %s: %w", key, err)
	}
	return nil
}

// Create implements blob.Store.
func (s *Store) Create(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.write(ctx, key, r, size, true); err != nil {
		return fmt.Errorf("s3: create %s: %w", key, err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, key string, r io.Reader, size int64, create bool) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("%w: negative size %d", blob.ErrSizeMismatch, size)
	}
	if size > s.partSize*maxParts {
		return fmt.Errorf("object of %d bytes exceeds %d parts of %d bytes", size, maxParts, s.partSize)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if create {
		opts.SetMatchETagExcept("*") // If-None-Match: *
	}

	var (
		buf, first []byte
		last       bool
		err        error
	)
	pr := &partReader{ctx: ctx, r: r, size: size}
	switch {
	case size >= 0 && size < s.partSize:
		buf = make([]byte, size) // small object: a buffer of its size
		first, last, err = pr.next(buf)
	case size < 0:
		// Unknown size: the buffer grows with what arrives, so that a
		// slow writer of a small object holds what it sent, not a part.
		first, last, err = pr.grow(int(s.partSize))
		buf = first[:cap(first)]
	default:
		bp := s.bufs.Get().(*[]byte)
		defer s.bufs.Put(bp)
		buf = *bp
		first, last, err = pr.next(buf)
	}
	if err != nil {
		return err
	}
	if last {
		return s.putSingle(ctx, key, first, opts)
	}
	return s.putMultipart(ctx, key, pr, first, buf, opts)
}

// putSingle stores a whole object held in memory with one PUT.
func (s *Store) putSingle(ctx context.Context, key string, data []byte, opts minio.PutObjectOptions) error {
	var err error
	for attempt := 0; ; attempt++ {
		_, err = s.core.PutObject(ctx, s.bucket, s.object(key), bytes.NewReader(data), int64(len(data)), "", "", opts)
		if err == nil || !isConflict(err) || attempt == conflictRetries {
			break
		}
		if err := sleep(ctx, attempt); err != nil {
			return err
		}
	}
	return translate(ctx, err)
}

// putMultipart uploads first (already read into buf) and the rest of pr as a
// multipart upload, completing it only if every part arrived and pr's size
// check passed. Any failure aborts the upload on the server.
func (s *Store) putMultipart(ctx context.Context, key string, pr *partReader, first, buf []byte, opts minio.PutObjectOptions) (err error) {
	obj := s.object(key)
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, obj, opts)
	if err != nil {
		return translate(ctx, err)
	}
	defer func() {
		if err != nil {
			// The caller's ctx may be the reason we stop: abort regardless.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = s.core.AbortMultipartUpload(actx, s.bucket, obj, uploadID)
		}
	}()

	var parts []minio.CompletePart
	data, last := first, false
	for num := 1; ; num++ {
		if num > maxParts {
			return fmt.Errorf("object exceeds %d parts of %d bytes", maxParts, s.partSize)
		}
		part, err := s.core.PutObjectPart(ctx, s.bucket, obj, uploadID, num,
			bytes.NewReader(data), int64(len(data)), minio.PutObjectPartOptions{})
		if err != nil {
			return translate(ctx, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: part.ETag})
		if last {
			break
		}
		if data, last, err = pr.next(buf); err != nil {
			return err
		}
		if len(data) == 0 && last {
			break // the stream ended exactly at a part boundary
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Only the condition goes with the completion request.
	var copts minio.PutObjectOptions
	if opts.Header().Get("If-None-Match") != "" {
		copts.SetMatchETagExcept("*")
	}
	for attempt := 0; ; attempt++ {
		_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, obj, uploadID, parts, copts)
		if err == nil || !isConflict(err) || attempt == conflictRetries {
			break
		}
		if err := sleep(ctx, attempt); err != nil {
			return err
		}
	}
	return translate(ctx, err)
}

func sleep(ctx context.Context, attempt int) error {
	t := time.NewTimer(time.Duration(50<<attempt) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// partReader cuts a stream into parts, checking ctx between reads and the
// announced size (if any).
type partReader struct {
	ctx   context.Context
	r     io.Reader
	size  int64  // announced size, or -1
	n     int64  // bytes read from r so far, carry included
	carry []byte // a byte read ahead to detect the end of the stream
	done  bool
}

// next fills buf with the next part and reports whether it is the last one.
// A stream that ends exactly at a part boundary yields an empty last part
// after the full one. Reading past the announced size, or reaching the end
// before it, is blob.ErrSizeMismatch.
func (p *partReader) next(buf []byte) (part []byte, last bool, err error) {
	if p.done {
		return buf[:0], true, nil
	}
	want := len(buf)
	if p.size >= 0 {
		if rest := p.size - p.n + int64(len(p.carry)); rest < int64(want) {
			want = int(rest)
		}
	}
	off := copy(buf[:want], p.carry)
	p.carry = nil
	m, err := p.readFull(buf[off:want])
	p.n += int64(m)
	got := off + m
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		if err := p.checkEnd(); err != nil {
			return nil, false, err
		}
		p.done = true
		return buf[:got], true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return p.peek(buf[:got])
}

// grow reads the first part of a stream of unknown size into a buffer that
// starts small and doubles as data arrives, up to max bytes (the part
// size); its capacity is then max, for the parts that follow.
func (p *partReader) grow(max int) (part []byte, last bool, err error) {
	buf := make([]byte, 0, min(max, 64<<10))
	for {
		m, err := p.readFull(buf[len(buf):cap(buf)])
		p.n += int64(m)
		buf = buf[:len(buf)+m]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if err := p.checkEnd(); err != nil {
				return nil, false, err
			}
			p.done = true
			return buf, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if cap(buf) >= max {
			return p.peek(buf)
		}
		nb := make([]byte, len(buf), min(max, 2*cap(buf)))
		copy(nb, buf)
		buf = nb
	}
}

// peek is called with a full part: it reads one byte ahead to learn
// whether the stream goes on.
func (p *partReader) peek(part []byte) ([]byte, bool, error) {
	got := len(part)
	buf := part
	var one [1]byte
	k, err := p.readFull(one[:])
	if k == 1 {
		p.n++
		if p.size >= 0 && p.n > p.size {
			return nil, false, fmt.Errorf("%w: reader yields more than %d bytes", blob.ErrSizeMismatch, p.size)
		}
		p.carry = one[:]
		return buf[:got], false, nil
	}
	if err != io.EOF {
		return nil, false, err
	}
	if err := p.checkEnd(); err != nil {
		return nil, false, err
	}
	p.done = true
	return buf[:got], true, nil
}

// checkEnd is called at the end of the stream.
func (p *partReader) checkEnd() error {
	if p.size >= 0 && p.n != p.size {
		return fmt.Errorf("%w: reader yielded %d bytes, announced %d", blob.ErrSizeMismatch, p.n, p.size)
	}
	return nil
}

// readFull is io.ReadFull that stops with ctx.Err() when ctx is done and
// wraps reader errors.
func (p *partReader) readFull(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		if err := p.ctx.Err(); err != nil {
			return n, err
		}
		m, err := p.r.Read(b[n:])
		n += m
		switch {
		case err == io.EOF && n == 0:
			return 0, io.EOF
		case err == io.EOF && n < len(b):
			return n, io.ErrUnexpectedEOF
		case err == io.EOF:
			return n, nil
		case err != nil:
			if cerr := p.ctx.Err(); cerr != nil {
				return n, cerr
			}
			return n, fmt.Errorf("read: %w", err)
		}
	}
	return n, p.ctx.Err()
}
