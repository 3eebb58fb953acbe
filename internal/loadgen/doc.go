// Package loadgen drives a running `coffre serve` the way a busy day would:
// helpers uploading pages through drop links while owners list and download
// their documents, all at once. Run returns throughput, latency
// percentiles, the error count (429/503 with Retry-After are counted apart:
// they are the server turning excess work away, as designed) and checks
// that every accepted upload is readable afterwards.
//
// Its tests start the real binary on 127.0.0.1 with SQLite and a real MinIO:
// TestLoad (a short run; -load.full for 50 helpers × 3 pages + 200 owners)
// and the SIGKILL crash tests (sigkill_test.go). TestLoadInstances runs the
// same scenario on PostgreSQL + MinIO against one instance, then two
// (Config.URLs), in one run (-load.instances for the full size).
package loadgen
