package jpegdec

import (
	"bytes"
	"image"
	"testing"
)

// TestDecodeRegion checks that a region decodes to exactly the pixels of
// the whole image's decode there, in colour and luma only, at every scale.
func TestDecodeRegion(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		gray bool
	}{
		{"color", 256, 160, false},
		{"color odd size", 203, 117, false},
		{"gray odd", 77, 53, true},
	} {
		data := testJPEG(t, tc.w, tc.h, tc.gray)
		for _, r := range []image.Rectangle{
			image.Rect(0, 0, tc.w, tc.h),
			image.Rect(17, 9, 70, 41),
			image.Rect(33, 21, tc.w, tc.h),
			image.Rect(-5, -5, 40, 300),
			image.Rect(tc.w-3, tc.h-3, tc.w+10, tc.h+10),
		} {
			for shift := 0; shift <= 3; shift++ {
				whole, err := Decode(bytes.NewReader(data), shift)
				if err != nil {
					t.Fatal(err)
				}
				for _, luma := range []bool{false, true} {
					img, err := DecodeRegion(bytes.NewReader(data), shift, r, luma)
					if err != nil {
						t.Fatalf("%s %v shift %d: %v", tc.name, r, shift, err)
					}
					n := 1 << shift
					want := image.Rect(r.Min.X/n, r.Min.Y/n, (r.Max.X+n-1)/n, (r.Max.Y+n-1)/n).Intersect(whole.Bounds())
					if r.Min.X < 0 {
						want.Min.X = 0
					}
					if r.Min.Y < 0 {
						want.Min.Y = 0
					}
					if img.Bounds() != want {
						t.Fatalf("%s %v shift %d luma %v: bounds %v, want %v", tc.name, r, shift, luma, img.Bounds(), want)
					}
					if _, ok := img.(*image.Gray); luma && !ok {
						t.Fatalf("%s: luma only gave %T", tc.name, img)
					}
					for y := want.Min.Y; y < want.Max.Y; y++ {
						for x := want.Min.X; x < want.Max.X; x++ {
							if a, b := lumaAt(img, x, y), lumaAt(whole, x, y); a != b {
								t.Fatalf("%s %v shift %d luma %v: (%d,%d) = %v, want %v", tc.name, r, shift, luma, x, y, a, b)
							}
							if m, ok := img.(*image.YCbCr); ok {
								if a, b := m.YCbCrAt(x, y), whole.(*image.YCbCr).YCbCrAt(x, y); a != b {
									t.Fatalf("%s %v shift %d: (%d,%d) = %v, want %v", tc.name, r, shift, x, y, a, b)
								}
							}
						}
					}
				}
			}
		}
	}
	if _, err := DecodeRegion(bytes.NewReader(testJPEG(t, 32, 32, false)), 0, image.Rect(40, 40, 50, 50), false); err == nil {
		t.Error("a region outside the image decoded")
	}
}
