package converter

import (
	"image"
	"testing"
)

// BenchmarkDownscaleGray: a 150 DPI A4 page to 100 DPI (soft print).
func BenchmarkDownscaleGray(b *testing.B) {
	g := greyTextPage(false)
	for b.Loop() {
		downscaleGray(g, 100.0/150)
	}
}

// TestDownscaleGray: flat areas keep their value exactly and an edge stays
// monotone (no ringing).
func TestDownscaleGray(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 150, 90))
	for y := range 90 {
		for x := range 150 {
			v := byte(200)
			if x >= 75 {
				v = 20
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	out := downscaleGray(g, 100.0/150).(*image.Gray)
	if out.Rect.Dx() != 100 || out.Rect.Dy() != 60 {
		t.Fatalf("size %v", out.Rect.Size())
	}
	for y := range 60 {
		prev := 255
		for x := range 100 {
			v := int(out.Pix[y*out.Stride+x])
			if v > prev || (x < 45 && v != 200) || (x > 55 && v != 20) {
				t.Fatalf("(%d,%d) = %d after %d", x, y, v, prev)
			}
			prev = v
		}
	}
}
