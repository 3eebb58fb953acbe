package converter

import (
	"bytes"
	"context"
	"image"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/ccitt"
)

// bwTestImage draws deterministic text-like black strokes on white.
func bwTestImage(w, h int, seed uint64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	r := rand.New(rand.NewPCG(seed, 7))
	for k := 0; k < w*h/400; k++ {
		x, y := r.IntN(w), r.IntN(h)
		bw, bh := 1+r.IntN(12), 1+r.IntN(5)
		for yy := y; yy < min(h, y+bh); yy++ {
			for xx := x; xx < min(w, x+bw); xx++ {
				img.Pix[yy*img.Stride+xx] = 0
			}
		}
	}
	return img
}

func TestEncodeG4RoundTrip(t *testing.T) {
	noise := image.NewGray(image.Rect(0, 0, 97, 31))
	r := rand.New(rand.NewPCG(3, 4))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(r.IntN(2) * 255)
	}
	black := image.NewGray(image.Rect(0, 0, 3000, 3))
	wide := bwTestImage(5000, 20, 9) // runs longer than 2560
	for i := 0; i < 5000; i++ {
		wide.Pix[i] = 0
	}
	for _, tc := range []struct {
		name string
		img  *image.Gray
	}{
		{"text-like", bwTestImage(620, 877, 1)},
		{"noise", noise},
		{"all white", func() *image.Gray {
			g := bwTestImage(64, 64, 2)
			for i := range g.Pix {
				g.Pix[i] = 255
			}
			return g
		}()},
		{"all black", black},
		{"long runs", wide},
		{"one pixel", image.NewGray(image.Rect(0, 0, 1, 1))},
		{"sub image", bwTestImage(300, 200, 5).SubImage(image.Rect(13, 7, 211, 190)).(*image.Gray)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := encodeG4(context.Background(), tc.img)
			if err != nil {
				t.Fatal(err)
			}
			b := tc.img.Bounds()
			got := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
			if err := ccitt.DecodeIntoGray(got, bytes.NewReader(data), ccitt.MSB, ccitt.Group4, nil); err != nil {
				t.Fatalf("decode: %v", err)
			}
			for y := 0; y < b.Dy(); y++ {
				for x := 0; x < b.Dx(); x++ {
					want := tc.img.GrayAt(b.Min.X+x, b.Min.Y+y).Y >= 128
					if (got.GrayAt(x, y).Y >= 128) != want {
						t.Fatalf("pixel (%d,%d) differs after round trip", x, y)
					}
				}
			}
		})
	}
}
