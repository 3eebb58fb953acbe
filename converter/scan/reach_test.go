package scan

import (
	"bytes"
	"context"
	"image"
	"math"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// TestPageReach: a page scanned again with Options.Page from only the
// rectangle Page.Reach gives (plus the caller's 8 pixels for the taps)
// renders exactly the page scanned again from the whole photo — the
// converter decodes only that region for small print — while a crop to
// the corners alone, without the bands where they are refined again,
// renders another page (so the test can fail).
func TestPageReach(t *testing.T) {
	ctx := context.Background()
	docs := photogen.Documents()
	for i, angle := range []float64{3, -2.5, 0.5} {
		src, err := photogen.Render(docs[i%len(docs)], photogen.Options{Width: 1200, Height: 1600, Angle: angle, Perspective: 0.04, Seed: uint32(40 + i)})
		if err != nil {
			t.Fatal(err)
		}
		first, err := Scan(ctx, src, Options{TargetW: 620, TargetH: 877})
		if err != nil {
			t.Fatal(err)
		}
		if !first.Found {
			t.Fatalf("angle %v: page not found", angle)
		}
		again := func(r image.Rectangle) []byte {
			t.Helper()
			r = r.Intersect(src.Rect)
			crop := image.NewYCbCr(image.Rect(0, 0, r.Dx(), r.Dy()), image.YCbCrSubsampleRatio444)
			for y := range r.Dy() {
				for x := range r.Dx() {
					c := src.YCbCrAt(r.Min.X+x, r.Min.Y+y)
					o := y*crop.YStride + x
					crop.Y[o], crop.Cb[o], crop.Cr[o] = c.Y, c.Cb, c.Cr
				}
			}
			pg := first.Page.Scaled(1, Point{X: float64(r.Min.X), Y: float64(r.Min.Y)})
			res, err := Scan(ctx, crop, Options{Mode: ModeGray, TargetW: 827, TargetH: 1169, Page: &pg})
			if err != nil {
				t.Fatal(err)
			}
			g, ok := res.Image.(*image.Gray)
			if !ok {
				t.Fatalf("grey scan gave %T", res.Image)
			}
			return g.Pix
		}
		whole := again(src.Rect)
		lo, hi := first.Page.Reach()
		reach := image.Rect(int(math.Floor(lo.X))-8, int(math.Floor(lo.Y))-8, int(math.Ceil(hi.X))+8, int(math.Ceil(hi.Y))+8)
		if reach.Eq(reach.Intersect(src.Rect)) == false {
			t.Fatalf("angle %v: the page's reach %v leaves the photo %v: no test of a crop", angle, reach, src.Rect)
		}
		if got := again(reach); !bytes.Equal(got, whole) {
			t.Errorf("angle %v: the page scanned from its reach %v differs from the page scanned from the whole photo", angle, reach)
		}
		var cx0, cy0, cx1, cy1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range first.Page.Corners {
			cx0, cy0, cx1, cy1 = math.Min(cx0, c.X), math.Min(cy0, c.Y), math.Max(cx1, c.X), math.Max(cy1, c.Y)
		}
		corners := image.Rect(int(cx0)-2, int(cy0)-2, int(cx1)+3, int(cy1)+3)
		if got := again(corners); bytes.Equal(got, whole) {
			t.Errorf("angle %v: a crop to the corners alone %v renders the same page: the test shows nothing", angle, corners)
		}
	}
}
