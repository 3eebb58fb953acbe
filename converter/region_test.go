package converter

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestDecodeRegionOriented checks that decodeRegion gives the pixels of the
// whole photo decoded and turned upright, at its place, under every EXIF
// orientation, at full and half scale, in luma only and in colour (even
// sides: see rescanRegion).
func TestDecodeRegionOriented(t *testing.T) {
	const w, h = 204, 132
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			src.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x*7 + y*13) % 256), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for o := 1; o <= 8; o++ {
		data := withEXIF(b.Bytes(), o)
		for shift := 0; shift <= 1; shift++ {
			plan, err := planDecode(data, FormatJPEG, DefaultMaxPixels, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if plan.orientation != o {
				t.Fatalf("orientation %d read as %d", o, plan.orientation)
			}
			plan.shift = shift
			whole, idx, err := decodeImageIndexed(ctx, data, plan)
			if err != nil {
				t.Fatal(err)
			}
			wb := whole.Bounds()
			for _, r := range []image.Rectangle{
				image.Rect(10, 20, 60, 50),
				image.Rect(0, 0, wb.Dx(), wb.Dy()),
				image.Rect(wb.Dx()/3, wb.Dy()/4, wb.Dx()+5, wb.Dy()+5),
			} {
				for _, luma := range []bool{true, false} {
					img, off, err := decodeRegion(ctx, data, plan, r, luma, idx)
					if err != nil {
						t.Fatalf("orientation %d shift %d %v: %v", o, shift, r, err)
					}
					if _, ok := img.(*image.Gray); ok != luma {
						t.Fatalf("luma only %v gave %T", luma, img)
					}
					ib := img.Bounds()
					want := r.Intersect(wb)
					got := ib.Sub(ib.Min).Add(off)
					if !got.In(wb) || !want.In(got) {
						t.Fatalf("orientation %d shift %d: region %v covers %v, want %v", o, shift, r, got, want)
					}
					for y := want.Min.Y; y < want.Max.Y; y++ {
						for x := want.Min.X; x < want.Max.X; x++ {
							p := ib.Min.Add(image.Pt(x, y).Sub(off))
							if a, e := lumaOf(img, p.X, p.Y), lumaOf(whole, x, y); a != e {
								t.Fatalf("orientation %d shift %d %v luma %v: (%d,%d) = %v, want %v", o, shift, r, luma, x, y, a, e)
							}
						}
					}
				}
			}
		}
	}
}

// lumaOf is the luma of a grey or YCbCr image at (x, y).
func lumaOf(img image.Image, x, y int) uint8 {
	if g, ok := img.(*image.Gray); ok {
		return g.GrayAt(x, y).Y
	}
	return img.(*image.YCbCr).YCbCrAt(x, y).Y
}
