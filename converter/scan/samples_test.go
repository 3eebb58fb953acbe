package scan

import (
	"context"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
)

// samplePhotos returns the repository's sample phone photos.
func samplePhotos(t *testing.T) []string {
	t.Helper()
	return testenv.SamplePhotos(t)
}

// halfSize box-reduces a 4:2:0 photo by 2 (as the converter's reduced-scale
// JPEG decoding does), keeping the test fast under -race.
func halfSize(m *image.YCbCr) *image.YCbCr {
	w, h := m.Rect.Dx()/2, m.Rect.Dy()/2
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	half := func(dst []byte, ds int, src []byte, ss, w, h int) {
		for y := range h {
			a, b := src[2*y*ss:], src[(2*y+1)*ss:]
			for x := range w {
				dst[y*ds+x] = uint8((int(a[2*x]) + int(a[2*x+1]) + int(b[2*x]) + int(b[2*x+1]) + 2) / 4)
			}
		}
	}
	half(out.Y, out.YStride, m.Y, m.YStride, w, h)
	half(out.Cb, out.CStride, m.Cb, m.CStride, (w+1)/2, (h+1)/2)
	half(out.Cr, out.CStride, m.Cr, m.CStride, (w+1)/2, (h+1)/2)
	return out
}

// turnYCbCr turns a 4:2:0 image clockwise by k quarter-turns.
func turnYCbCr(m *image.YCbCr, k int) *image.YCbCr {
	return rotateYCbCr(m, k)
}

// TestOrientationSamples photographs the samples "sideways" and upside down
// (by turning the photo) and checks that each comes out upright: the
// same page as from the upright photo.
func TestOrientationSamples(t *testing.T) {
	for _, path := range samplePhotos(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".photo.jpg")
		src, ok := decodeJPEGFile(t, path).(*image.YCbCr)
		if !ok || src.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("%s: want a 4:2:0 JPEG", name)
		}
		src = halfSize(src)
		ref, err := Scan(context.Background(), src, testTarget)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Turns != 0 || ref.Landscape || !ref.Found {
			t.Fatalf("%s upright: Turns %d Landscape %v Found %v", name, ref.Turns, ref.Landscape, ref.Found)
		}
		refPix := ref.Image.(*image.Gray).Pix
		for k := 1; k < 4; k++ {
			res, err := Scan(context.Background(), turnYCbCr(src, k), testTarget)
			if err != nil {
				t.Fatal(err)
			}
			if want := (4 - k) % 4; res.Turns != want || res.Landscape {
				t.Errorf("%s turned %d: Turns %d (want %d), Landscape %v", name, k, res.Turns, want, res.Landscape)
				continue
			}
			// Same page: the mean difference is small (resampling only).
			pix := res.Image.(*image.Gray).Pix
			var diff int
			for i, v := range pix {
				d := int(v) - int(refPix[i])
				diff += max(d, -d)
			}
			if mean := float64(diff) / float64(len(pix)); mean > 6 {
				t.Errorf("%s turned %d: mean difference %.1f from the upright scan", name, k, mean)
			}
		}
	}
}
