package api

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// TestCoachSize: the live camera coach (issue 17) stays small: at most
// 30 KB gzipped, as a phone on a weak connection downloads it.
func TestCoachSize(t *testing.T) {
	b, err := staticFS.ReadFile("static/coach.js")
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("coach.js: %d bytes, %d gzipped", len(b), z.Len())
	if z.Len() > 30*1024 {
		t.Errorf("coach.js is %d bytes gzipped, more than 30 KB", z.Len())
	}
}
