package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"golang.org/x/sync/semaphore"
)

// Reading request bodies. A body must arrive at a minimum average rate
// (after a grace period): the connection's read deadline moves forward
// with every byte received (http.ResponseController.SetReadDeadline), so a
// client that trickles a byte every few seconds is cut off instead of
// holding a goroutine, memory or a slot for ever. Upload bodies count
// against a memory budget as their bytes arrive, so that a slow client
// holds only what it sent, and a conversion slot is taken only once the
// whole body is in.

// errSlowBody answers a body that arrives slower than the minimum rate.
var errSlowBody = newErr(http.StatusRequestTimeout, "too_slow", "api.too_slow.connection_too_slow")

// pacedBody reads a request body under a read deadline that grows with
// the bytes received: grace + received/minRate after the first read.
type pacedBody struct {
	r       io.ReadCloser
	w       http.ResponseWriter
	rc      *http.ResponseController
	start   time.Time
	grace   time.Duration
	minRate float64 // bytes per second
	n       int64
	noDL    bool // the connection takes no deadline (HTTP/2 over a test transport…)
	eof     bool // the whole body was read
	slow    atomic.Bool
}

// ctxBody holds the request's *pacedBody.
const ctxBody = "coffre.body"

// slowBodyErr is errSlowBody when the request's body fell behind the
// minimum rate (net/http then cancels the request, so a handler that
// streams the body elsewhere sees only "context canceled"), else err.
func slowBodyErr(c *gin.Context, err error) error {
	if v, ok := c.Get(ctxBody); ok {
		if pb, ok := v.(*pacedBody); ok && pb.slow.Load() {
			return errSlowBody
		}
	}
	return err
}

func newPacedBody(w http.ResponseWriter, r io.ReadCloser, grace time.Duration, minRate int64) *pacedBody {
	return &pacedBody{r: r, w: w, rc: http.NewResponseController(w), grace: grace, minRate: float64(minRate)}
}

func (p *pacedBody) Read(b []byte) (int, error) {
	// The allowance starts when the server first asks for the body: time
	// the request spent before (a loaded machine checking the session,
	// a wait for an upload slot) is the server's, not the client's (a
	// normal upload beside 50 slow ones was told "too slow" on a loaded
	// machine).
	if p.start.IsZero() {
		p.start = time.Now()
	}
	dl := p.start.Add(p.grace + time.Duration(float64(p.n)/p.minRate*float64(time.Second)))
	if !time.Now().Before(dl) {
		p.fellBehind()
		return 0, errSlowBody
	}
	if !p.noDL {
		if err := p.rc.SetReadDeadline(dl); errors.Is(err, http.ErrNotSupported) {
			p.noDL = true
		}
	}
	k, err := p.r.Read(b)
	p.n += int64(k)
	if errors.Is(err, io.EOF) {
		// The body is in: lift the deadline before net/http's background
		// read (which watches for the client going away) could hit it and
		// cancel the request.
		p.eof = true
		p.done()
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		p.fellBehind()
		return k, errSlowBody
	}
	return k, err
}

// fellBehind marks the body too slow and the connection to be closed
// after the answer: otherwise net/http, before answering, would wait for
// the rest of the body the client never sends (with no deadline once the
// handler is through), and the client would get no answer at all.
func (p *pacedBody) fellBehind() {
	p.slow.Store(true)
	p.w.Header().Set("Connection", "close")
}

func (p *pacedBody) Close() error { return p.r.Close() }

// done lifts the deadline once the handler is through with the body (the
// response may take longer than the body's allowance). A body the handler
// left unread (it needed none, or refused it early) gets a short deadline
// instead: before answering, net/http reads what is left of it, and a
// client that never sends it would otherwise get no answer at all.
func (p *pacedBody) done() {
	switch {
	case p.noDL || p.slow.Load():
	case p.eof:
		_ = p.rc.SetReadDeadline(time.Time{})
	default:
		_ = p.rc.SetReadDeadline(time.Now().Add(unreadBodyWait))
	}
}

// unreadBodyWait is how long net/http may read the rest of a body the
// handler did not read before answering (then it answers and closes).
const unreadBodyWait = 2 * time.Second

// budgetChunk is how much of the memory budget a read takes at a time.
const budgetChunk = 64 << 10

// budgetBody counts the bytes of an upload body against the server's
// memory budget as they arrive; release gives them back when the request
// is over (the upload's pages live in memory until then).
type budgetBody struct {
	r    io.ReadCloser
	ctx  context.Context
	sem  *semaphore.Weighted
	wait time.Duration
	held int64
	// released: the request is over; what the server still drains is not
	// kept, so not counted.
	released bool
}

func (b *budgetBody) Read(p []byte) (int, error) {
	if b.released {
		return b.r.Read(p)
	}
	if len(p) > budgetChunk {
		p = p[:budgetChunk]
	}
	want := int64(len(p))
	if !b.sem.TryAcquire(want) {
		ctx, cancel := context.WithTimeout(b.ctx, b.wait)
		err := b.sem.Acquire(ctx, want)
		cancel()
		if err != nil {
			if b.ctx.Err() != nil {
				return 0, b.ctx.Err()
			}
			return 0, errBusy()
		}
	}
	n, err := b.r.Read(p)
	b.held += int64(n)
	if int64(n) < want {
		b.sem.Release(want - int64(n))
	}
	return n, err
}

func (b *budgetBody) Close() error { return b.r.Close() }

func (b *budgetBody) release() {
	b.released = true
	if b.held > 0 {
		b.sem.Release(b.held)
		b.held = 0
	}
}
