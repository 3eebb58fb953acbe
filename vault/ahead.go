package vault

import (
	"errors"
	"io"
	"sync"
)

// Read-ahead geometry: at most aheadBufs buffers of aheadSize bytes are in
// flight, so a stream costs at most 1 MiB whatever its size.
const (
	aheadSize = 256 << 10
	aheadBufs = 4
)

// aheadReader reads src in a goroutine, a few buffers ahead of its consumer,
// so that producing the bytes (network fetch, encryption) overlaps with
// consuming them (decryption, upload).
//
// Close stops the goroutine. If src is an io.Closer (a blob reader: file or
// HTTP body, both safe to close during a Read), Close closes it and waits
// for the goroutine to exit. Otherwise (a plaintext source that may block,
// such as a slow client's upload) Close does not wait: the goroutine exits
// as soon as its pending Read returns, touching nothing the caller owns.
type aheadReader struct {
	src  io.Reader
	full chan []byte
	free chan []byte
	quit chan struct{}
	exit chan struct{}
	err  error // set by the goroutine before it closes full

	cur, curBuf []byte
	// eof: the consumer received io.EOF, so the goroutine finished src
	// (everything it wrote happens-before).
	eof      bool
	once     sync.Once
	closeErr error
}

var errAheadClosed = errors.New("vault: read after close")

func newAheadReader(src io.Reader) *aheadReader {
	a := &aheadReader{
		src:  src,
		full: make(chan []byte, aheadBufs),
		free: make(chan []byte, aheadBufs),
		quit: make(chan struct{}),
		exit: make(chan struct{}),
	}
	for range aheadBufs {
		a.free <- make([]byte, aheadSize)
	}
	go a.run()
	return a
}

func (a *aheadReader) run() {
	defer close(a.exit)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.quit:
			return
		}
		n, err := io.ReadFull(a.src, b[:cap(b)])
		if n > 0 {
			select {
			case a.full <- b[:n]:
			case <-a.quit:
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			a.err = err
			close(a.full)
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.curBuf != nil {
			a.free <- a.curBuf[:cap(a.curBuf)] // never blocks: one slot per buffer
			a.curBuf = nil
		}
		select {
		case <-a.quit:
			return 0, errAheadClosed
		default:
		}
		b, ok := <-a.full
		if !ok {
			a.eof = a.err == io.EOF
			return 0, a.err
		}
		a.cur, a.curBuf = b, b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops reading ahead and closes src if it is an io.Closer.
func (a *aheadReader) Close() error {
	a.once.Do(func() {
		close(a.quit)
		if c, ok := a.src.(io.Closer); ok {
			a.closeErr = c.Close() // unblocks a pending network read
			<-a.exit
		}
	})
	return a.closeErr
}
