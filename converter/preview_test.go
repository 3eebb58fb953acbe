package converter

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"
)

// TestPageImage takes back each cleaned page of a converted paper as the
// image it is, and refuses a page that is not one image.
func TestPageImage(t *testing.T) {
	ctx := context.Background()
	photo := samplePhoto(t, "rib")
	var out bytes.Buffer
	if _, err := (&Converter{}).Convert(ctx, []Input{{Data: photo}, {Data: photo}}, Options{}, &out); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		img, mt, err := PageImage(ctx, out.Bytes(), n)
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(img))
		if mt != "image/jpeg" || err != nil || cfg.Width < 500 {
			t.Errorf("page %d: %s, %v, %dx%d", n, mt, err, cfg.Width, cfg.Height)
		}
	}
	if _, _, err := PageImage(ctx, out.Bytes(), 3); !errors.Is(err, ErrNoPreview) {
		t.Errorf("page 3 of 2: %v, want ErrNoPreview", err)
	}
	if _, _, err := PageImage(ctx, simplePDF(1, ""), 1); !errors.Is(err, ErrNoPreview) {
		t.Errorf("a text page: %v, want ErrNoPreview", err)
	}
}
