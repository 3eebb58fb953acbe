package jpegenc

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// testImages are the kinds of page Coffre encodes, at sizes that are and
// are not multiples of the block and MCU sizes.
func testImages() map[string]image.Image {
	r := rand.New(rand.NewPCG(1, 2))
	out := map[string]image.Image{}
	// A text-like grey page: white with dark strokes and soft edges.
	text := image.NewGray(image.Rect(0, 0, 413, 585))
	for i := range text.Pix {
		text.Pix[i] = 250
	}
	for y := 20; y < 560; y += 23 {
		for x := 15; x < 390; x++ {
			if (x/4+y)%7 < 3 {
				for dy := range 9 {
					text.Pix[(y+dy)*text.Stride+x] = uint8(30 + r.IntN(60))
				}
			}
		}
	}
	out["text"] = text
	noise := image.NewGray(image.Rect(0, 0, 97, 61))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(r.IntN(256))
	}
	out["noise"] = noise
	flat := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range flat.Pix {
		flat.Pix[i] = 255
	}
	out["flat"] = flat
	out["one"] = image.NewGray(image.Rect(0, 0, 1, 1))
	// A sub-image (its bounds do not start at 0).
	out["sub"] = text.SubImage(image.Rect(31, 17, 200, 140))
	ycc := image.NewYCbCr(image.Rect(0, 0, 123, 77), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(r.IntN(256))
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(100+r.IntN(50)), uint8(120+r.IntN(30))
	}
	out["ycbcr"] = ycc
	rgba := image.NewRGBA(image.Rect(0, 0, 50, 35))
	for y := range 35 {
		for x := range 50 {
			rgba.Set(x, y, color.RGBA{uint8(5 * x), uint8(7 * y), uint8(r.IntN(256)), 255})
		}
	}
	out["rgba"] = rgba
	nrgba := image.NewNRGBA(image.Rect(0, 0, 20, 20))
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(r.IntN(256))
	}
	out["nrgba"] = nrgba
	return out
}

// TestSamePixelsFewerBytes: whatever the image and quality, a decoder
// reads from Encode the same pixels as from image/jpeg's encoder, and the
// file is never larger (smaller on every image of more than a few blocks).
func TestSamePixelsFewerBytes(t *testing.T) {
	for name, img := range testImages() {
		for _, q := range []int{1, 35, 68, 72, 100} {
			var ours, std bytes.Buffer
			if err := Encode(&ours, img, &Options{Quality: q}); err != nil {
				t.Fatalf("%s q%d: %v", name, q, err)
			}
			if err := jpeg.Encode(&std, img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			a, err := jpeg.Decode(bytes.NewReader(ours.Bytes()))
			if err != nil {
				t.Fatalf("%s q%d: image/jpeg cannot read ours: %v", name, q, err)
			}
			b, err := jpeg.Decode(bytes.NewReader(std.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if !samePixels(a, b) {
				t.Errorf("%s q%d: decoded pixels differ from image/jpeg's encoding", name, q)
			}
			if ours.Len() > std.Len() {
				t.Errorf("%s q%d: %d bytes, image/jpeg writes %d", name, q, ours.Len(), std.Len())
			}
			if name == "text" && q == 68 {
				t.Logf("text page q68: %d bytes, image/jpeg %d (%.1f %% less)", ours.Len(), std.Len(), 100*(1-float64(ours.Len())/float64(std.Len())))
				if float64(ours.Len()) > 0.95*float64(std.Len()) {
					t.Errorf("text page q68: %d bytes against %d: fitted tables should save at least 5 %%", ours.Len(), std.Len())
				}
			}
		}
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return false
			}
		}
	}
	return true
}

// TestEncodeRejectsHugeImages keeps image/jpeg's limit.
func TestEncodeRejectsHugeImages(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 1<<16, 1))
	if err := Encode(&bytes.Buffer{}, img, nil); err == nil {
		t.Fatal("a 65536-pixel-wide image was encoded")
	}
}

// TestOptimalSpec checks the tables themselves on frequency sets that a
// page never gives: one symbol; all 256 equally; Fibonacci frequencies,
// whose Huffman tree is as deep as there are symbols and must be cut to
// 16 bits.
func TestOptimalSpec(t *testing.T) {
	cases := map[string]*[257]int64{}
	one := [257]int64{}
	one[0x00] = 1000
	cases["one symbol"] = &one
	all := [257]int64{}
	for i := range 256 {
		all[i] = 7
	}
	cases["all equal"] = &all
	fib := [257]int64{}
	a, b := int64(1), int64(1)
	for i := range 60 {
		fib[i*3] = a
		a, b = b, a+b
	}
	cases["fibonacci"] = &fib
	r := rand.New(rand.NewPCG(3, 4))
	rnd := [257]int64{}
	for i := range 256 {
		if r.IntN(3) > 0 {
			rnd[i] = int64(r.IntN(1 << r.IntN(30)))
		}
	}
	cases["random"] = &rnd
	for name, freq := range cases {
		s := optimalSpec(freq)
		var lut huffmanLUT
		lut.init(s)
		// Every symbol that occurs has exactly one code, of 1–16 bits.
		seen := map[byte]bool{}
		for _, v := range s.value {
			if seen[v] {
				t.Errorf("%s: symbol %#x listed twice", name, v)
			}
			seen[v] = true
		}
		for sym := range 256 {
			if (freq[sym] > 0) != seen[byte(sym)] {
				t.Errorf("%s: symbol %#x: frequency %d, has a code: %v", name, sym, freq[sym], seen[byte(sym)])
			}
		}
		n := 0
		kraft := 0.0
		for l, c := range s.count {
			n += int(c)
			kraft += float64(c) / float64(uint(1)<<(l+1))
		}
		if n != len(s.value) {
			t.Errorf("%s: %d code lengths for %d symbols", name, n, len(s.value))
		}
		// A prefix code with no all-ones codeword: Kraft sum below 1.
		if kraft >= 1 {
			t.Errorf("%s: Kraft sum %v, want < 1 (no all-ones code)", name, kraft)
		}
		// A more frequent symbol never gets a longer code.
		for _, x := range s.value {
			for _, y := range s.value {
				if freq[x] > freq[y] && lut[x]>>24 > lut[y]>>24 {
					t.Errorf("%s: symbol %#x (×%d) has %d bits, %#x (×%d) %d", name, x, freq[x], lut[x]>>24, y, freq[y], lut[y]>>24)
				}
			}
		}
	}
}
