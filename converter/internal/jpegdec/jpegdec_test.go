package jpegdec

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
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
		if err != nil || cfg.Width*cfg.Height > 1<<20 || cfg.Width == 0 || cfg.Height == 0 {
			return // too large for a fuzz run, or empty (as image/jpeg decodes it)
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
		// A region (the upper half), with the index of a decode at half
		// scale, has the whole decode's pixels.
		whole, err := Decode(bytes.NewReader(data), 0)
		if err != nil {
			return
		}
		_, idx, err := DecodeIndexed(bytes.NewReader(data), 1, true)
		if err != nil {
			t.Fatalf("decodes whole but not indexed at half scale: %v", err)
		}
		for _, luma := range []bool{false, true} {
			img, err := DecodeRegion(bytes.NewReader(data), 0, image.Rect(0, 0, cfg.Width, (cfg.Height+1)/2), luma, idx)
			if err != nil {
				t.Fatalf("region (luma %v, index %v): %v; the whole image decodes", luma, idx != nil, err)
			}
			if d := regionDiff(img, whole); d != "" {
				t.Fatalf("region (luma %v, index %v): %s", luma, idx != nil, d)
			}
		}
	})
}

// TestCorruptLikeImageJPEG (attacker's review): corrupt files where the
// table-driven decoding first read differently from image/jpeg — a
// coefficient run past the block's end, an over-subscribed AC table, a DC
// term whose inverse DCT overflows — decode to the same pixels as
// image/jpeg's, as valid files do.
func TestCorruptLikeImageJPEG(t *testing.T) {
	for _, name := range []string{"fastac_overrun.jpg", "oversub_ac.jpg", "dc_overflow.jpg"} {
		data, err := os.ReadFile(filepath.Join("testdata", "corrupt", name))
		if err != nil {
			t.Fatal(err)
		}
		ref, rerr := jpeg.Decode(bytes.NewReader(data))
		img, err := Decode(bytes.NewReader(data), 0)
		if rerr != nil || err != nil {
			t.Errorf("%s: image/jpeg %v, jpegdec %v", name, rerr, err)
			continue
		}
		rb := ref.Bounds()
		if img.Bounds() != rb {
			t.Errorf("%s: bounds %v, image/jpeg %v", name, img.Bounds(), rb)
			continue
		}
		for y := rb.Min.Y; y < rb.Max.Y; y++ {
			for x := rb.Min.X; x < rb.Max.X; x++ {
				if a, b := ref.At(x, y), img.At(x, y); a != b {
					t.Fatalf("%s: (%d,%d) image/jpeg %v, jpegdec %v", name, x, y, a, b)
				}
			}
		}
	}
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

// TestTooManyScans (attacker's review): each scan visits every block of
// its components however few bytes it has, so an image of more than
// MaxScans scans is refused instead of costing minutes; a real encoder's
// image (one scan, or about ten when progressive) decodes.
func TestTooManyScans(t *testing.T) {
	data := testJPEG(t, 64, 48, true)
	sos := bytes.Index(data, []byte{0xFF, 0xDA})
	if sos < 0 || !bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
		t.Fatal("no SOS or EOI in the test image")
	}
	scan := data[sos : len(data)-2]
	build := func(n int) []byte {
		out := append([]byte{}, data[:sos]...)
		for range n {
			out = append(out, scan...)
		}
		return append(out, 0xFF, 0xD9)
	}
	if _, err := Decode(bytes.NewReader(build(MaxScans)), 0); err != nil {
		t.Fatalf("%d scans: %v", MaxScans, err)
	}
	_, err := Decode(bytes.NewReader(build(MaxScans+1)), 0)
	var ue UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("%d scans: %v, want an UnsupportedError", MaxScans+1, err)
	}
}
