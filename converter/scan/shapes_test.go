package scan

import (
	"context"
	"image"
	"image/draw"
	"math"
	"testing"
)

// rectCorners returns the corners (TL TR BR BL) of a w×h rectangle centred
// at c and turned by angle degrees.
func rectCorners(c pt, w, h, angle float64) [4]pt {
	s, co := math.Sincos(angle * math.Pi / 180)
	q := [4]pt{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}}
	for i, p := range q {
		q[i] = pt{c.x + p.x*co - p.y*s, c.y + p.x*s + p.y*co}
	}
	return q
}

var cardText = []string{
	"REPUBLIQUE FRANCAISE",
	"CARTE D'IDENTITE",
	"Nom : MARTIN",
	"Prenoms : Claire, Anne",
	"Nee le : 12 03 1985",
}

func TestCard(t *testing.T) {
	page := synthPage(t, 1011, 637, 0.05, cardText)
	src := synthPhoto(synthSpec{w: 1200, h: 900, corners: rectCorners(pt{600, 450}, 800, 800/cardRatio, 5), page: page, gradient: 0.15, noise: 4})
	res, err := Scan(context.Background(), src, testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Card {
		t.Fatalf("Card = false, want true (corners %v)", res.Corners)
	}
	if res.Mode != ModeColor {
		t.Errorf("auto mode on a card gave %v, want colour", res.Mode)
	}
	if !res.Landscape || res.Turns != 0 {
		t.Errorf("Landscape %v Turns %d, want landscape and 0", res.Landscape, res.Turns)
	}
	wantLong := int(math.Round(2 * 877 * cardLongMM / a4Long))
	if b := res.Image.Bounds(); b.Dx() != wantLong || math.Abs(float64(b.Dy())-float64(wantLong)/cardRatio) > 1 {
		t.Errorf("card image %v, want %d×%.0f", b.Size(), wantLong, float64(wantLong)/cardRatio)
	}
}

func TestCardShapedPageIsAPage(t *testing.T) {
	// A page photographed so that it looks card-shaped keeps being a page
	// when its text is a page's body text.
	page := synthPage(t, 620, 877, 0.012, synthText)
	src := synthPhoto(synthSpec{w: 900, h: 1200, corners: rectCorners(pt{450, 600}, 640, 640*1.58, 2), page: page, noise: 4})
	res, err := Scan(context.Background(), src, testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if res.Card || res.Mode != ModeGray {
		t.Errorf("Card %v, Mode %v: want a grey page", res.Card, res.Mode)
	}
}

func TestLandscapePage(t *testing.T) {
	page := synthPage(t, 877, 620, 0.017, synthText)
	src := synthPhoto(synthSpec{w: 1200, h: 900, corners: rectCorners(pt{600, 450}, 1000, 1000/math.Sqrt2, -4), page: page, gradient: 0.2, noise: 4})
	res, err := Scan(context.Background(), src, testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.Card || !res.Landscape || res.Turns != 0 {
		t.Fatalf("Found %v Card %v Landscape %v Turns %d: want a landscape page as is", res.Found, res.Card, res.Landscape, res.Turns)
	}
	if b := res.Image.Bounds(); b.Dx() != 877 || b.Dy() != 620 {
		t.Errorf("size %v, want 877×620", b.Size())
	}
}

func TestSourceTypes(t *testing.T) {
	src, _ := textPhoto(t, 5, 0)
	ref, err := Scan(context.Background(), src, testTarget)
	if err != nil || !ref.Found {
		t.Fatalf("reference scan: %v, found %v", err, ref.Found)
	}
	b := src.Bounds()
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, src, b.Min, draw.Src)
	nrgba := image.NewNRGBA(b)
	draw.Draw(nrgba, b, src, b.Min, draw.Src)
	gray := image.NewGray(b)
	draw.Draw(gray, b, src, b.Min, draw.Src)
	rgba64 := image.NewRGBA64(b)
	draw.Draw(rgba64, b, src, b.Min, draw.Src)
	// A sub-image whose origin is not (0, 0).
	sub := src.SubImage(image.Rect(2, 4, b.Dx(), b.Dy())).(*image.YCbCr)
	tests := []struct {
		name  string
		img   image.Image
		shift image.Point
	}{
		{"RGBA", rgba, image.Point{}},
		{"NRGBA", nrgba, image.Point{}},
		{"Gray", gray, image.Point{}},
		{"RGBA64 (generic)", rgba64, image.Point{}},
		{"YCbCr sub-image", sub, image.Pt(2, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Scan(context.Background(), tc.img, testTarget)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Found || res.Mode != ModeGray || res.Turns != 0 {
				t.Fatalf("Found %v Mode %v Turns %d", res.Found, res.Mode, res.Turns)
			}
			for i, c := range res.Corners {
				want := ref.Corners[i].Sub(tc.shift)
				if d := c.Sub(want); d.X*d.X+d.Y*d.Y > 9 {
					t.Errorf("corner %d at %v, want %v", i, c, want)
				}
			}
		})
	}
}

func TestPhotoPage(t *testing.T) {
	// A printed photograph: smooth mid-tones and colour, no text. Auto mode
	// keeps colour and the page is not turned.
	w, h := 620, 877
	page := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 130 + 60*math.Sin(float64(x)/37)*math.Cos(float64(y)/53) + 30*math.Sin(float64(x+y)/90)
			page.Pix[y*page.Stride+x] = uint8(v)
		}
	}
	chroma := func(x, y float64) (uint8, uint8) {
		return uint8(128 + 40*math.Sin(x/80)), uint8(128 + 40*math.Cos(y/70))
	}
	src := synthPhoto(synthSpec{w: 900, h: 1200, corners: a4Corners(900, 1200, 3, 0.8), page: page, noise: 4, chroma: chroma})
	for range 2 {
		res, err := Scan(context.Background(), src, testTarget)
		if err != nil {
			t.Fatal(err)
		}
		if res.Mode != ModeColor || res.Turns != 0 || !res.Found {
			t.Errorf("Mode %v Turns %d Found %v: want colour, unturned", res.Mode, res.Turns, res.Found)
		}
		// Turned sideways, it stays sideways: no text tells which way is up.
		src = rotateYCbCr(src, 1)
	}
}
