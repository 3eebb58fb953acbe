package scan

import (
	"image"
	"image/draw"
	"math"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Synthetic phone photos: a page raster with real text (Go Regular),
// placed by a homography onto a textured brown background, with optional
// lighting gradient and noise, returned as 4:2:0 YCbCr like image/jpeg's.

var synthText = []string{
	"ATTESTATION DE PAIEMENT DES PRESTATIONS",
	"",
	"Madame, Monsieur, nous vous prions de bien vouloir",
	"trouver ci-joint le detail des paiements effectues",
	"par votre caisse pour la periode du 1er janvier au",
	"31 decembre, ainsi que le montant des prestations",
	"familiales et de l'aide personnalisee au logement.",
	"",
	"Reference du dossier : 1234567 B, allocataire depuis",
	"le 4 juillet 2019, quotient familial 642 euros.",
	"Pour toute question, gardez ce document a portee de",
	"main : il vous sera demande par votre conseiller.",
}

// synthPage renders a white page of w×h pixels with lines of text whose
// cap height is about capFrac of the page height.
func synthPage(t testing.TB, w, h int, capFrac float64, lines []string) *image.Gray {
	t.Helper()
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	size := capFrac * float64(h) / 0.7 // cap height ≈ 0.7 em
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	page := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: page, Src: image.Black, Face: face}
	lineH := int(size * 1.35)
	y := int(0.08*float64(h)) + lineH
	for _, l := range lines {
		d.Dot = fixed.P(int(0.08*float64(w)), y)
		d.DrawString(l)
		y += lineH
	}
	return page
}

type synthSpec struct {
	w, h     int
	corners  [4]pt // where the page raster's TL, TR, BR, BL land in the photo
	page     *image.Gray
	gradient float64 // lighting falls by this fraction across the photo
	shadow   bool    // a hard-edged shadow over the top-left
	noise    int     // ± grey levels
	// chroma, when set, colours the page: Cb, Cr at page raster (x, y).
	chroma func(x, y float64) (uint8, uint8)
}

// hash01 is a deterministic pseudo-random value in [0, 1).
func hash01(x, y, s uint32) float64 {
	h := x*0x9E3779B1 ^ y*0x85EBCA77 ^ s*0xC2B2AE3D
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	h *= 0x297A2D39
	h ^= h >> 15
	return float64(h) / (1 << 32)
}

func invert(m homography) homography {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	return homography{
		A / det, -(b*i - c*h) / det, (b*f - c*e) / det,
		B / det, (a*i - c*g) / det, -(a*f - c*d) / det,
		C / det, -(a*h - b*g) / det, (a*e - b*d) / det,
	}
}

func synthPhoto(s synthSpec) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
	pw, ph := s.page.Bounds().Dx(), s.page.Bounds().Dy()
	inv := invert(rectToQuad(s.corners, pw, ph))
	inPage := func(x, y float64) (float64, bool) {
		p := inv.apply(x, y)
		if p.x < 0 || p.y < 0 || p.x >= float64(pw) || p.y >= float64(ph) {
			return 0, false
		}
		return float64(s.page.Pix[int(p.y)*s.page.Stride+int(p.x)]), true
	}
	light := func(x, y float64) float64 {
		l := 1 - s.gradient*(0.6*x/float64(s.w)+0.4*y/float64(s.h))
		if s.shadow && x+y > 0.5*float64(s.w) {
			l *= 0.62
		}
		return l
	}
	for y := range s.h {
		for x := range s.w {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			n := 0.0
			if s.noise > 0 {
				n = (hash01(uint32(x), uint32(y), 1)*2 - 1) * float64(s.noise)
			}
			v, ok := inPage(fx, fy)
			if ok {
				v = 20 + (v/255)*220 // ink 20, paper 240
			} else {
				v = 85 + 15*math.Sin(fy/37+3*math.Sin(fx/400))
			}
			img.Y[y*img.YStride+x] = clamp8(int32(v*light(fx, fy) + n))
		}
	}
	for cy := range (s.h + 1) / 2 {
		for cx := range (s.w + 1) / 2 {
			_, ok := inPage(float64(2*cx)+1, float64(2*cy)+1)
			cb, cr := uint8(112), uint8(142)
			if ok {
				cb, cr = 127, 129
				if s.chroma != nil {
					p := inv.apply(float64(2*cx)+1, float64(2*cy)+1)
					cb, cr = s.chroma(p.x, p.y)
				}
			}
			img.Cb[cy*img.CStride+cx], img.Cr[cy*img.CStride+cx] = cb, cr
		}
	}
	return img
}

// a4Corners places an A4-proportioned page in a w×h photo, tilted by
// angle degrees, with mild perspective (the far edge narrower).
func a4Corners(w, h int, angle, fill float64) [4]pt {
	cx, cy := float64(w)/2, float64(h)/2
	ph := fill * float64(h)
	pw := ph / math.Sqrt2
	q := [4]pt{{-pw / 2 * 0.95, -ph / 2}, {pw / 2 * 0.95, -ph / 2}, {pw / 2, ph / 2}, {-pw / 2, ph / 2}}
	s, c := math.Sincos(angle * math.Pi / 180)
	for i, p := range q {
		q[i] = pt{cx + p.x*c - p.y*s, cy + p.x*s + p.y*c}
	}
	return q
}
