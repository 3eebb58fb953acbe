package loadgen

import (
	"context"
	"flag"
	"testing"
	"time"
)

var full = flag.Bool("load.full", false, "run the full load: 50 helpers × 3 pages and 200 owners")

// memLimit is the GOMEMLIMIT the server runs under, and rssBound the peak
// RSS (VmHWM) the test accepts.
const (
	memLimit = "512MiB"
	rssBound = 768 << 20
)

// TestLoad runs `coffre serve` (SQLite + MinIO) under GOMEMLIMIT and drives
// it with Run: 5 helpers × 3 pages and 20 owners (-load.full: 50 and 200).
// Only deliberate 429/503 are allowed as failures, every accepted upload
// must read back, and the server's peak RSS must stay under rssBound.
func TestLoad(t *testing.T) {
	helpers, owners := 5, 20
	if *full {
		helpers, owners = 50, 200
	}
	s := newStack(t)
	srv := s.serve("GOMEMLIMIT=" + memLimit)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{URL: srv.URL, Helpers: helpers, PagesPerHelper: 3, Owners: owners,
		Page: pagePhoto(1200, 1600, 1), Secret: "citron bougie marmotte flocon"})
	if err != nil {
		t.Fatal(err)
	}
	rss := srv.peakRSS(t)
	t.Logf("helpers %d × 3 pages, owners %d, GOMEMLIMIT=%s: %s; peak RSS %d MiB; by status %v; by kind %v",
		helpers, owners, memLimit, rep, rss>>20, rep.ByStatus, rep.Latency)
	if rep.Errors != 0 {
		t.Errorf("%d errors: %v", rep.Errors, rep.ErrSamples)
	}
	if rep.Accepted != helpers*3 {
		t.Errorf("accepted %d uploads, want %d", rep.Accepted, helpers*3)
	}
	if rep.Verified != rep.Accepted {
		t.Errorf("%d accepted uploads, %d read back: lost uploads", rep.Accepted, rep.Verified)
	}
	if rss > rssBound {
		t.Errorf("peak RSS %d MiB over %d MiB", rss>>20, rssBound>>20)
	}
}
