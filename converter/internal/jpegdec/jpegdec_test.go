package jpegdec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// testJPEG encodes a deterministic noisy gradient of the given size.
func testJPEG(t testing.TB, w, h int, gray bool) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8((i%w)*200/w + (i/w)*50/h + r.IntN(6))
		}
		img = g
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(128 + r.IntN(8)), 255})
			}
		}
		img = m
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lumaAt returns the luma of img at (x, y).
func lumaAt(img image.Image, x, y int) float64 {
	switch m := img.(type) {
	case *image.Gray:
		return float64(m.GrayAt(x, y).Y)
	case *image.YCbCr:
		return float64(m.YCbCrAt(x, y).Y)
	}
	panic("unexpected image type")
}

func TestDecodeScaled(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		gray bool
	}{
		{"color even", 256, 128, false},
		{"color odd size", 203, 117, false},
		{"gray", 160, 96, true},
		{"gray odd", 77, 33, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := testJPEG(t, tc.w, tc.h, tc.gray)
			ref, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for shift := 0; shift <= 3; shift++ {
				img, err := Decode(bytes.NewReader(data), shift)
				if err != nil {
					t.Fatalf("shift %d: %v", shift, err)
				}
				n := 1 << shift
				wantW, wantH := (tc.w+n-1)/n, (tc.h+n-1)/n
				if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
					t.Fatalf("shift %d: size %v, want %dx%d", shift, b, wantW, wantH)
				}
				// Compare with the box-averaged reference over whole blocks.
				var diff, count float64
				for y := 0; y < tc.h/n; y++ {
					for x := 0; x < tc.w/n; x++ {
						var sum float64
						for yy := 0; yy < n; yy++ {
							for xx := 0; xx < n; xx++ {
								sum += lumaAt(ref, x*n+xx, y*n+yy)
							}
						}
						d := lumaAt(img, x, y) - sum/float64(n*n)
						if d < 0 {
							d = -d
						}
						diff += d
						count++
					}
				}
				mean := diff / count
				limit := 0.0
				if shift > 0 {
					limit = 1.5
				}
				if mean > limit {
					t.Errorf("shift %d: mean luma difference %.3f > %.1f", shift, mean, limit)
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := testJPEG(t, 64, 64, false)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not jpeg", []byte("hello world")},
		{"truncated", good[:len(good)/2]},
		{"header only", good[:20]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(tc.data), 0); err == nil {
				t.Fatal("Decode succeeded on a damaged JPEG")
			}
		})
	}
	if _, err := Decode(bytes.NewReader(good), 4); err == nil {
		t.Fatal("shift 4 accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(testJPEG(f, 40, 24, false))
	f.Add(testJPEG(f, 17, 9, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<20 {
			return
		}
		for shift := 0; shift <= 3; shift++ {
			img, err := Decode(bytes.NewReader(data), shift)
			if err != nil {
				return
			}
			n := 1 << shift
			if b := img.Bounds(); b.Dx() != (cfg.Width+n-1)/n || b.Dy() != (cfg.Height+n-1)/n {
				t.Fatalf("shift %d: bounds %v for config %dx%d", shift, b, cfg.Width, cfg.Height)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data := testJPEG(b, 3000, 4000, false)
	for shift := 0; shift <= 3; shift++ {
		b.Run(string(rune('0'+shift)), func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(data), shift); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
