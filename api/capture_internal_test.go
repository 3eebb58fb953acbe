package api

import (
	"context"
	"testing"
	"time"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/internal/photogen"
)

// TestCheckPageBusy: with every upload slot taken, the check of a page
// gives up after checkSlotWait and the page goes unchecked (nil, no
// error); once a slot is free it is checked; a PDF is never checked, and
// bytes of no known type are the converter's error.
func TestCheckPageBusy(t *testing.T) {
	img, err := photogen.Photo(photogen.Documents()[0], photogen.Options{Width: 800, Height: 1100, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{conv: &converter.Converter{}, uploads: make(chan struct{}, 1)}
	l := locFor("fr")
	s.uploads <- struct{}{} // someone else's conversion
	start := time.Now()
	chk, err := s.checkPage(context.Background(), l, img, nil)
	if err != nil || chk != nil {
		t.Fatalf("busy: %+v, %v; want unchecked", chk, err)
	}
	if d := time.Since(start); d < checkSlotWait || d > checkSlotWait+5*time.Second {
		t.Errorf("busy: gave up after %v, want about %v", d, checkSlotWait)
	}
	<-s.uploads
	chk, err = s.checkPage(context.Background(), l, img, nil)
	if err != nil || chk == nil || chk.Verdict == "" || chk.Thumbnail == "" {
		t.Fatalf("free: %+v, %v", chk, err)
	}
	if len(s.uploads) != 0 {
		t.Error("the check kept its slot")
	}
	if chk, err := s.checkPage(context.Background(), l, []byte("%PDF-1.4\n%%EOF\n"), nil); err != nil || chk != nil {
		t.Errorf("a PDF: %+v, %v", chk, err)
	}
	if _, err := s.checkPage(context.Background(), l, []byte("pas une image du tout, vraiment pas"), nil); err == nil {
		t.Error("bytes of no known type were checked")
	}
}
