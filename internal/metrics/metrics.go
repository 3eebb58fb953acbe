// Package metrics keeps Coffre's Prometheus metrics in memory and serves
// them in the Prometheus text exposition format (version 0.0.4): counters
// and histograms with labels, nothing else. It implements api.Metrics, so
// that the HTTP layer depends on a small interface and never on a global
// registry. Label values are route templates, status codes, error codes and
// kinds — never paths, tokens or anything a person typed.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default bucket bounds.
var (
	// DurationBuckets (seconds) fit HTTP requests and conversions.
	DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	// SizeBuckets (bytes) fit converted PDFs.
	SizeBuckets = []float64{16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20}
	// WaitBuckets (seconds) fit semaphore waits.
	WaitBuckets = []float64{0.001, 0.01, 0.1, 0.5, 1, 5, 30}
)

// Registry holds every metric Coffre exposes. The zero value is not usable;
// call New. A Registry is safe for concurrent use.
type Registry struct {
	requests    *counterVec
	durations   *histogramVec
	errors      *counterVec
	conversions *histogramVec
	convSizes   *histogramVec
	uploadBytes *counterVec
	uploadWaits *histogramVec
	convWaits   *histogramVec
	families    []family
}

// New returns an empty registry with Coffre's metric families.
func New() *Registry {
	r := &Registry{
		requests: newCounterVec("coffre_http_requests_total",
			"HTTP requests answered, by method, route template and status.", "method", "route", "status"),
		durations: newHistogramVec("coffre_http_request_duration_seconds",
			"Time to answer an HTTP request, by method and route template.", DurationBuckets, "method", "route"),
		errors: newCounterVec("coffre_http_errors_total",
			"Error answers (status 400 and above), by route template and error code.", "route", "code", "status"),
		conversions: newHistogramVec("coffre_conversion_duration_seconds",
			"Time to convert pages into one PDF, by kind (upload, download) and result (ok, error).", DurationBuckets, "kind", "result"),
		convSizes: newHistogramVec("coffre_conversion_output_bytes",
			"Size of the PDFs the converter wrote, by kind.", SizeBuckets, "kind"),
		uploadBytes: newCounterVec("coffre_upload_bytes_total",
			"Page bytes received by upload routes, by route template.", "route"),
		uploadWaits: newHistogramVec("coffre_upload_slot_wait_seconds",
			"Time an upload waited for one of the slots that bound uploads held in memory and converted at once.", WaitBuckets),
		convWaits: newHistogramVec("coffre_converter_wait_seconds",
			"Time an input (page or PDF) waited for one of the converter's slots and its share of the converter's memory budget.", WaitBuckets),
	}
	r.families = []family{r.requests, r.durations, r.errors, r.conversions, r.convSizes, r.uploadBytes, r.uploadWaits, r.convWaits}
	return r
}

// Request records one answered request.
func (r *Registry) Request(method, route string, status int, d time.Duration) {
	st := strconv.Itoa(status)
	r.requests.add(1, method, route, st)
	r.durations.observe(d.Seconds(), method, route)
}

// Error records one error answer.
func (r *Registry) Error(route, code string, status int) {
	r.errors.add(1, route, code, strconv.Itoa(status))
}

// Conversion records one converter run.
func (r *Registry) Conversion(kind string, d time.Duration, outBytes int64, failed bool) {
	result := "ok"
	if failed {
		result = "error"
	}
	r.conversions.observe(d.Seconds(), kind, result)
	if !failed {
		r.convSizes.observe(float64(outBytes), kind)
	}
}

// UploadBytes records page bytes received by an upload route.
func (r *Registry) UploadBytes(route string, n int64) {
	r.uploadBytes.add(float64(n), route)
}

// UploadWait records how long an upload waited for a slot.
func (r *Registry) UploadWait(d time.Duration) {
	r.uploadWaits.observe(d.Seconds())
}

// ConverterWait records how long one converter input waited for a slot
// and memory (converter.Converter.OnWait).
func (r *Registry) ConverterWait(d time.Duration) {
	r.convWaits.observe(d.Seconds())
}

// WriteTo writes every family in the text exposition format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriter(w)}
	for _, f := range r.families {
		f.write(cw)
	}
	if err := cw.w.Flush(); err != nil && cw.err == nil {
		cw.err = err
	}
	return cw.n, cw.err
}

// ServeHTTP serves the metrics (GET or HEAD only).
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if req.Method == http.MethodHead {
		return
	}
	_, _ = r.WriteTo(w)
}

type countingWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countingWriter) printf(format string, args ...any) {
	if c.err != nil {
		return
	}
	n, err := fmt.Fprintf(c.w, format, args...)
	c.n += int64(n)
	c.err = err
}

type family interface {
	write(w *countingWriter)
}

// labelKey joins label values with a separator no value can hold after
// escaping.
func labelKey(values []string) string { return strings.Join(values, "\xff") }

// labelString renders {a="x",b="y"} (empty without labels), with extra
// appended (the histogram's le).
func labelString(names, values []string, extra ...string) string {
	if len(names) == 0 && len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escape(values[i]))
		b.WriteByte('"')
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(extra[i])
		b.WriteString(`="`)
		b.WriteString(extra[i+1])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escape(s string) string { return escaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// counterVec is a counter family.
type counterVec struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	series     map[string]*counterSeries
}

type counterSeries struct {
	values []string
	v      float64
}

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{name: name, help: help, labels: labels, series: map[string]*counterSeries{}}
}

func (c *counterVec) add(v float64, values ...string) {
	if v < 0 || len(values) != len(c.labels) {
		return
	}
	k := labelKey(values)
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.series[k]
	if !ok {
		s = &counterSeries{values: values}
		c.series[k] = s
	}
	s.v += v
}

func (c *counterVec) write(w *countingWriter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.printf("# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	for _, k := range sortedKeys(c.series) {
		s := c.series[k]
		w.printf("%s%s %s\n", c.name, labelString(c.labels, s.values), formatFloat(s.v))
	}
}

// histogramVec is a histogram family with fixed bucket upper bounds.
type histogramVec struct {
	name, help string
	labels     []string
	bounds     []float64
	mu         sync.Mutex
	series     map[string]*histogramSeries
}

type histogramSeries struct {
	values []string
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func newHistogramVec(name, help string, bounds []float64, labels ...string) *histogramVec {
	return &histogramVec{name: name, help: help, labels: labels, bounds: bounds, series: map[string]*histogramSeries{}}
}

func (h *histogramVec) observe(v float64, values ...string) {
	if len(values) != len(h.labels) || math.IsNaN(v) {
		return
	}
	k := labelKey(values)
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.series[k]
	if !ok {
		s = &histogramSeries{values: values, counts: make([]uint64, len(h.bounds)+1)}
		h.series[k] = s
	}
	s.counts[i]++
	s.sum += v
	s.count++
}

func (h *histogramVec) write(w *countingWriter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.printf("# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	for _, k := range sortedKeys(h.series) {
		s := h.series[k]
		var cum uint64
		for i, b := range h.bounds {
			cum += s.counts[i]
			w.printf("%s_bucket%s %d\n", h.name, labelString(h.labels, s.values, "le", formatFloat(b)), cum)
		}
		w.printf("%s_bucket%s %d\n", h.name, labelString(h.labels, s.values, "le", "+Inf"), s.count)
		w.printf("%s_sum%s %s\n", h.name, labelString(h.labels, s.values), formatFloat(s.sum))
		w.printf("%s_count%s %d\n", h.name, labelString(h.labels, s.values), s.count)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
