package api

import (
	"context"
	"io"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
)

// Metrics receives the HTTP layer's measurements (Config.Metrics; nil drops
// them). Implementations must be safe for concurrent use and must not block:
// they are called on every request. Label values passed are route templates,
// methods, status and error codes, and fixed kinds — never a raw path, a
// token or anything a person typed. internal/metrics implements it.
type Metrics interface {
	// Request records one answered request: its method, route template
	// ("(unmatched)" when no route matched), final status and duration.
	Request(method, route string, status int, d time.Duration)
	// Error records one error answer (status 400 and above) with the error
	// code of the JSON body ("" for HTML pages and bare statuses).
	Error(route, code string, status int)
	// Conversion records one converter run: kind is "upload" (pages into
	// a stored PDF) or "download" (a stored PDF re-fitted to a portal);
	// outBytes is the PDF size written; failed when the converter returned
	// an error.
	Conversion(kind string, d time.Duration, outBytes int64, failed bool)
	// UploadBytes records page bytes received by an upload route.
	UploadBytes(route string, n int64)
	// UploadWait records how long an upload waited for one of the slots
	// that bound the uploads held in memory and converted at once.
	UploadWait(d time.Duration)
}

// noMetrics drops every measurement.
type noMetrics struct{}

func (noMetrics) Request(string, string, int, time.Duration)    {}
func (noMetrics) Error(string, string, int)                     {}
func (noMetrics) Conversion(string, time.Duration, int64, bool) {}
func (noMetrics) UploadBytes(string, int64)                     {}
func (noMetrics) UploadWait(time.Duration)                      {}

// ctxErrorCode is the gin context key under which writeError leaves the
// error code it answered with, for the metrics middleware.
const ctxErrorCode = "coffre.error-code"

// measure records every request's route, status and duration, and error
// answers with their code.
func measure(m Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route, status := routeOf(c), c.Writer.Status()
		m.Request(c.Request.Method, route, status, time.Since(start))
		if status >= 400 {
			m.Error(route, c.GetString(ctxErrorCode), status)
		}
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// convert runs the converter and records its duration and output size
// under kind ("upload" or "download").
func (s *server) convert(ctx context.Context, kind string, inputs []converter.Input, opts converter.Options, w io.Writer) (converter.Result, error) {
	start := time.Now()
	cw := &countingWriter{w: w}
	res, err := s.conv.Convert(ctx, inputs, opts, cw)
	s.metrics.Conversion(kind, time.Since(start), cw.n, err != nil)
	return res, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	return n, err
}
