package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMetricsListener: with COFFRE_METRICS_ADDR, `coffre serve` exposes
// Prometheus metrics on that listener only, and they count what happened.
func TestMetricsListener(t *testing.T) {
	start := time.Now()
	c := newCluster(t)
	in := c.start("M", "COFFRE_METRICS_ADDR=127.0.0.1:0")
	if !strings.HasSuffix(in.MetricsURL, "/metrics") {
		t.Fatalf("metrics URL %q", in.MetricsURL)
	}

	cl := newClient()
	for range 3 {
		want(t, cl.get(t, in, "/healthz"), 200, "healthz")
	}
	cl.signUpOwner(t, in, "compteur.metrique", "ortie gravier loutre cymbale")
	img := photo(t, 400, 560, 3)
	var up struct {
		Document struct {
			ID string `json:"id"`
		} `json:"document"`
	}
	want(t, cl.upload(t, in, "/api/v1/documents", field("type", "avis-impot"), page(img)), 201, "upload").json(t, &up)
	orig := want(t, cl.get(t, in, "/api/v1/documents/"+up.Document.ID+"/content"), 200, "download")
	caf := want(t, cl.get(t, in, "/api/v1/documents/"+up.Document.ID+"/content?profile=caf"), 200, "download for the CAF")
	anon := newClient()
	want(t, anon.do(t, in, "POST", "/api/v1/login", map[string]string{"identifier": "compteur.metrique", "secret": "pas le bon"}), 401, "wrong secret")
	// The public listener does not serve metrics.
	if r := anon.get(t, in, "/metrics"); r.status != 404 || bytes.Contains(r.body, []byte("coffre_http")) {
		t.Fatalf("main listener /metrics: %d %.200s", r.status, r.body)
	}

	res, err := http.Get(in.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	got := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", l)
		}
		got[l[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	check := func(series string, want float64) {
		t.Helper()
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	check(`coffre_http_requests_total{method="GET",route="/healthz",status="200"}`, 3)
	check(`coffre_http_requests_total{method="POST",route="/api/v1/signup",status="201"}`, 1)
	check(`coffre_http_requests_total{method="POST",route="/api/v1/documents",status="201"}`, 1)
	check(`coffre_http_requests_total{method="GET",route="/api/v1/documents/:id/content",status="200"}`, 2)
	check(`coffre_http_requests_total{method="GET",route="(unmatched)",status="404"}`, 1)
	check(`coffre_http_request_duration_seconds_count{method="POST",route="/api/v1/documents"}`, 1)
	check(`coffre_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}`, 3)
	check(`coffre_http_errors_total{code="wrong_secret",route="/api/v1/login",status="401"}`, 1)
	check(`coffre_upload_bytes_total{route="/api/v1/documents"}`, float64(len(img)))
	check(`coffre_conversion_duration_seconds_count{kind="upload",result="ok"}`, 1)
	check(`coffre_conversion_output_bytes_sum{kind="upload"}`, float64(len(orig.body)))
	check(`coffre_conversion_duration_seconds_count{kind="download",result="ok"}`, 1)
	check(`coffre_conversion_output_bytes_sum{kind="download"}`, float64(len(caf.body)))
	check(`coffre_upload_slot_wait_seconds_count`, 2) // the upload and the re-fit for the CAF
	check(`coffre_converter_wait_seconds_count`, 2)   // one input each: the page, the stored PDF
	if s := got[`coffre_http_request_duration_seconds_sum{method="POST",route="/api/v1/documents"}`]; s <= 0 || s > 60 {
		t.Errorf("upload duration sum %v s", s)
	}
	for k := range got {
		if strings.Contains(k, up.Document.ID) || strings.Contains(k, "compteur") {
			t.Errorf("a metric label leaks a request detail: %s", k)
		}
	}
	if t.Failed() {
		keys := make([]string, 0, len(got))
		for k, v := range got {
			keys = append(keys, fmt.Sprintf("%s %v", k, v))
		}
		t.Logf("scraped:\n%s", strings.Join(keys, "\n"))
	}
	t.Logf("TestMetricsListener: %s", time.Since(start).Round(time.Millisecond))
}
