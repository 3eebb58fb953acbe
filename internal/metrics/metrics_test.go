package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Request("GET", "/api/v1/documents/:id", 200, 30*time.Millisecond)
		}()
	}
	wg.Wait()
	r.Request("POST", `/odd"route\`+"\n", 404, 2*time.Second)
	r.Error("/api/v1/login", "wrong_secret", 401)
	r.Conversion("upload", 1500*time.Millisecond, 200<<10, false)
	r.Conversion("upload", 100*time.Millisecond, 0, true)
	r.UploadBytes("/api/v1/documents", 1000)
	r.UploadBytes("/api/v1/documents", 234)
	r.UploadWait(0)

	srv := httptest.NewServer(r)
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type %q", ct)
	}
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, line := range []string{
		"# TYPE coffre_http_requests_total counter",
		`coffre_http_requests_total{method="GET",route="/api/v1/documents/:id",status="200"} 50`,
		`coffre_http_requests_total{method="POST",route="/odd\"route\\\n",status="404"} 1`,
		"# TYPE coffre_http_request_duration_seconds histogram",
		`coffre_http_request_duration_seconds_bucket{method="GET",route="/api/v1/documents/:id",le="0.025"} 0`,
		`coffre_http_request_duration_seconds_bucket{method="GET",route="/api/v1/documents/:id",le="0.05"} 50`,
		`coffre_http_request_duration_seconds_bucket{method="GET",route="/api/v1/documents/:id",le="+Inf"} 50`,
		`coffre_http_request_duration_seconds_count{method="GET",route="/api/v1/documents/:id"} 50`,
		`coffre_http_errors_total{code="wrong_secret",route="/api/v1/login",status="401"} 1`,
		`coffre_conversion_duration_seconds_count{kind="upload",result="ok"} 1`,
		`coffre_conversion_duration_seconds_count{kind="upload",result="error"} 1`,
		`coffre_conversion_duration_seconds_sum{kind="upload",result="ok"} 1.5`,
		`coffre_conversion_output_bytes_bucket{kind="upload",le="262144"} 1`,
		`coffre_conversion_output_bytes_bucket{kind="upload",le="65536"} 0`,
		`coffre_conversion_output_bytes_count{kind="upload"} 1`,
		`coffre_upload_bytes_total{route="/api/v1/documents"} 1234`,
		`coffre_upload_slot_wait_seconds_bucket{le="0.001"} 1`,
		`coffre_upload_slot_wait_seconds_count 1`,
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("missing %s", line)
		}
	}
	if n := strings.Count(out, "# HELP coffre_"); n != 8 {
		t.Errorf("%d coffre families, want 8", n)
	}
	if t.Failed() {
		t.Log(out)
	}
	req := httptest.NewRequest("POST", "/metrics", nil)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

// TestRuntimeAndProcessMetrics: a scrape also shows the Go runtime and the
// process (goroutines, heap, GC, CPU seconds, resident memory, open file
// descriptors), and a scraper asking for OpenMetrics gets it.
func TestRuntimeAndProcessMetrics(t *testing.T) {
	r := New()
	r.Request("GET", "/healthz", 200, time.Millisecond)
	srv := httptest.NewServer(r)
	defer srv.Close()
	get := func(accept string) (string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("scrape: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
		}
		return res.Header.Get("Content-Type"), string(b)
	}
	_, out := get("")
	for _, family := range []string{
		"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds", "go_info",
		"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
	} {
		if !strings.Contains(out, "\n# TYPE "+family+" ") {
			t.Errorf("no %s in the scrape", family)
		}
	}
	ct, out := get("application/openmetrics-text; version=1.0.0")
	if !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(out, "# EOF\n") ||
		!strings.Contains(out, `coffre_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Errorf("OpenMetrics scrape: %q\n%.400s", ct, out)
	}
}
