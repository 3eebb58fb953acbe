// Package metrics is Coffre's set of Prometheus metrics, kept in a
// registry of its own (never the global one) and served in the Prometheus
// exposition formats on the separate metrics listener. It implements
// api.Metrics, so that the HTTP layer depends on a small interface and
// never on the Prometheus library.
//
// It is built on github.com/prometheus/client_golang, the Prometheus
// project's own client: lock-free counters and histograms, content
// negotiation (text and OpenMetrics), and the Go runtime and process
// collectors (goroutines, GC, heap, CPU seconds, resident memory, open
// file descriptors) that a hand-written exposition did not have. Every
// observation is recorded (the hand-written registry silently skipped NaN
// values and series called with the wrong number of labels).
//
// Label values are route templates, status codes, error codes and kinds —
// never paths, tokens or anything a person typed.
package metrics

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
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
	reg         *prometheus.Registry
	handler     http.Handler
	requests    *prometheus.CounterVec
	durations   *prometheus.HistogramVec
	errors      *prometheus.CounterVec
	conversions *prometheus.HistogramVec
	convSizes   *prometheus.HistogramVec
	uploadBytes *prometheus.CounterVec
	uploadWaits prometheus.Histogram
	convWaits   prometheus.Histogram
}

// New returns a registry with Coffre's metric families and the Go runtime
// and process collectors.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffre_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status."}, []string{"method", "route", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coffre_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by method and route template.", Buckets: DurationBuckets}, []string{"method", "route"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffre_http_errors_total",
			Help: "Error answers (status 400 and above), by route template and error code."}, []string{"route", "code", "status"}),
		conversions: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coffre_conversion_duration_seconds",
			Help: "Time to convert pages into one PDF, by kind (upload, download) and result (ok, error).", Buckets: DurationBuckets}, []string{"kind", "result"}),
		convSizes: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coffre_conversion_output_bytes",
			Help: "Size of the PDFs the converter wrote, by kind.", Buckets: SizeBuckets}, []string{"kind"}),
		uploadBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffre_upload_bytes_total",
			Help: "Page bytes received by upload routes, by route template."}, []string{"route"}),
		uploadWaits: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "coffre_upload_slot_wait_seconds",
			Help: "Time an upload waited for one of the slots that bound uploads held in memory and converted at once.", Buckets: WaitBuckets}),
		convWaits: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "coffre_converter_wait_seconds",
			Help: "Time an input (page or PDF) waited for one of the converter's slots and its share of the converter's memory budget.", Buckets: WaitBuckets}),
	}
	r.reg.MustRegister(r.requests, r.durations, r.errors, r.conversions, r.convSizes, r.uploadBytes, r.uploadWaits, r.convWaits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.handler = promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true})
	return r
}

// WatchTampered exposes coffre_row_integrity_failures_total{table}: the
// rows of each table that failed their integrity check (a mac the
// pepper's key did not make) since the process started, as counted by
// tampered (the metadata store's Tampered). Any non-zero value means
// someone changed the database without the pepper. nil: nothing.
func (r *Registry) WatchTampered(tampered func() map[string]int64) {
	if tampered == nil {
		return
	}
	r.reg.MustRegister(tamperedCollector{f: tampered})
}

var tamperedDesc = prometheus.NewDesc("coffre_row_integrity_failures_total",
	"Database rows that failed their integrity check (changed without the pepper), by table.", []string{"table"}, nil)

type tamperedCollector struct{ f func() map[string]int64 }

func (c tamperedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- tamperedDesc }

func (c tamperedCollector) Collect(ch chan<- prometheus.Metric) {
	for table, n := range c.f() {
		ch <- prometheus.MustNewConstMetric(tamperedDesc, prometheus.CounterValue, float64(n), table)
	}
}

// Request records one answered request.
func (r *Registry) Request(method, route string, status int, d time.Duration) {
	r.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	r.durations.WithLabelValues(method, route).Observe(d.Seconds())
}

// Error records one error answer.
func (r *Registry) Error(route, code string, status int) {
	r.errors.WithLabelValues(route, code, strconv.Itoa(status)).Inc()
}

// Conversion records one converter run.
func (r *Registry) Conversion(kind string, d time.Duration, outBytes int64, failed bool) {
	result := "ok"
	if failed {
		result = "error"
	}
	r.conversions.WithLabelValues(kind, result).Observe(d.Seconds())
	if !failed {
		r.convSizes.WithLabelValues(kind).Observe(float64(outBytes))
	}
}

// UploadBytes records page bytes received by an upload route (n ≥ 0; a
// counter only grows).
func (r *Registry) UploadBytes(route string, n int64) {
	r.uploadBytes.WithLabelValues(route).Add(float64(max(n, 0)))
}

// UploadWait records how long an upload waited for a slot.
func (r *Registry) UploadWait(d time.Duration) {
	r.uploadWaits.Observe(d.Seconds())
}

// ConverterWait records how long one converter input waited for a slot
// and memory (converter.Converter.OnWait).
func (r *Registry) ConverterWait(d time.Duration) {
	r.convWaits.Observe(d.Seconds())
}

// WriteTo writes every family in the Prometheus text format (0.0.4).
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	mfs, err := r.reg.Gather()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, mf := range mfs {
		m, err := expfmt.MetricFamilyToText(w, mf)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ServeHTTP serves the metrics (GET or HEAD only), in the format the
// scraper asks for (text by default, OpenMetrics on request).
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	r.handler.ServeHTTP(w, req)
}
