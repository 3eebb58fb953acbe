package converter

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"golang.org/x/image/ccitt"
)

// greyTextPage draws an A4 page at 150 DPI: white paper, anti-aliased
// dark strokes (text-like), and, when box is set, a light grey box (a
// table's shaded cells) over a fifth of the page.
func greyTextPage(box bool) *image.Gray {
	w, h := a4Pixels(150)
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	if box {
		for y := 300; y < 300+h/5; y++ {
			for x := 100; x < w-100; x++ {
				g.Pix[y*g.Stride+x] = 200
			}
		}
	}
	src := bwTestImage(w-200, h-300, 11)
	for y := range src.Rect.Dy() {
		for x := range src.Rect.Dx() {
			if src.Pix[y*src.Stride+x] == 0 {
				g.Pix[(y+150)*g.Stride+x+100] = 20
			}
		}
	}
	return g
}

// decodeMask decodes a G4 text mask (black is ink).
func decodeMask(t *testing.T, m pdfImage) *image.Gray {
	t.Helper()
	if !m.mask || m.filter != "CCITTFaxDecode" || m.bpc != 1 {
		t.Fatalf("mask %+v", m)
	}
	got := image.NewGray(image.Rect(0, 0, m.w, m.h))
	if err := ccitt.DecodeIntoGray(got, bytes.NewReader(m.data), ccitt.MSB, ccitt.Group4, nil); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return got
}

func TestEncodeMixed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		box    bool
		wantBG bool
	}{
		{"plain white page: pure G4", false, false},
		{"page with a grey box: a background", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := greyTextPage(tc.box)
			m, bg, err := encodeMixed(ctx, g, 150)
			if err != nil {
				t.Fatal(err)
			}
			// The text layer is at maskDPI: twice the page's 150 DPI.
			if m.w != 2*g.Rect.Dx() || m.h != 2*g.Rect.Dy() {
				t.Errorf("mask %d×%d for a %v page", m.w, m.h, g.Rect.Size())
			}
			mask := decodeMask(t, m)
			// Every ink pixel of the page is ink in the mask, and the
			// paper (and the grey box) is not.
			for y := 0; y < g.Rect.Dy(); y += 3 {
				for x := 0; x < g.Rect.Dx(); x += 3 {
					v := g.Pix[y*g.Stride+x]
					ink := mask.Pix[(2*y)*mask.Stride+2*x] < 128
					if v == 20 && !ink || v >= 200 && ink && !nearInk(g, x, y) {
						t.Fatalf("(%d,%d): page %d, mask ink %v", x, y, v, ink)
					}
				}
			}
			if (bg != nil) != tc.wantBG {
				t.Fatalf("background %v, want %v", bg != nil, tc.wantBG)
			}
			if bg != nil {
				// About bgDPI, and small.
				if bg.w != (g.Rect.Dx()+2)/3 || bg.filter != "DCTDecode" || len(bg.data) > 8000 {
					t.Errorf("background %d×%d, %s, %d bytes", bg.w, bg.h, bg.filter, len(bg.data))
				}
			}
			t.Logf("mask %d bytes, background %v", len(m.data), bg != nil)
		})
	}
}

// nearInk reports whether an ink pixel (value 20) is within 1 pixel.
func nearInk(g *image.Gray, x, y int) bool {
	for yy := max(y-1, 0); yy <= min(y+1, g.Rect.Dy()-1); yy++ {
		for xx := max(x-1, 0); xx <= min(x+1, g.Rect.Dx()-1); xx++ {
			if g.Pix[yy*g.Stride+xx] == 20 {
				return true
			}
		}
	}
	return false
}

// TestMaskKeepsFaintStrokes: a thin stroke lighter than the global
// threshold, and a soft letter's counter darker than it, come out right
// with the local threshold.
func TestMaskKeepsFaintStrokes(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 60, 40))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	// A faint one-pixel vertical stroke (180 > maskThreshold).
	for y := 5; y < 35; y++ {
		g.Pix[y*g.Stride+10] = 180
	}
	// A soft ring: strokes at 30, its counter at 150 (< maskThreshold).
	for y := 10; y < 30; y++ {
		for x := 30; x < 50; x++ {
			v := byte(30)
			if x >= 33 && x < 47 && y >= 13 && y < 27 {
				v = 150
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	mask := image.NewGray(image.Rect(0, 0, 120, 80))
	y := 0
	err := textMask(context.Background(), g, 3, maskThreshold, maskMinContrast, 2, func(row []byte) {
		if len(row) != 120 {
			t.Fatalf("row %d: %d pixels, want 120", y, len(row))
		}
		copy(mask.Pix[y*mask.Stride:], row)
		y++
	})
	if err != nil || y != 80 {
		t.Fatalf("textMask: %v, %d rows, want 80", err, y)
	}
	at := func(x, y int) bool { return mask.Pix[(2*y)*mask.Stride+2*x] < 128 }
	if !at(10, 20) {
		t.Error("the faint thin stroke was lost")
	}
	if !at(31, 20) || at(36, 20) {
		t.Errorf("ring: stroke ink %v, counter near its edge ink %v", at(31, 20), at(36, 20))
	}
	if at(5, 5) || at(55, 5) {
		t.Error("paper became ink")
	}
}

// TestMixedPageRenders: a page with a background renders as the grey box
// under black text (the mask paints its black pixels, not the others).
func TestMixedPageRenders(t *testing.T) {
	pdftoppm := testenv.Tool(t, "pdftoppm")
	g := greyTextPage(true)
	m, bg, err := encodeMixed(context.Background(), g, 150)
	if err != nil || bg == nil {
		t.Fatalf("encodeMixed: %v, background %v", err, bg != nil)
	}
	r := &renderedImage{img: m, bg: bg, mixed: true}
	b, err := newPDFBuilder(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.addPage(layoutImages([]*renderedImage{r}, true)); err != nil {
		t.Fatal(err)
	}
	pdf, err := b.bytes()
	if err != nil {
		t.Fatal(err)
	}
	checkPDF(t, pdf)
	root := filepath.Join(t.TempDir(), "page")
	run(t, pdf, pdftoppm, "-r", "150", "-gray", "-png", "-singlefile", "-", root)
	img := decodePNG(t, root+".png")
	gb := img.Bounds()
	if abs(gb.Dx()-g.Rect.Dx()) > 1 || abs(gb.Dy()-g.Rect.Dy()) > 1 {
		t.Fatalf("rendered %v, page %v", gb.Size(), g.Rect.Size())
	}
	var paper, box, ink, n [3]int
	for y := 0; y < min(gb.Dy(), g.Rect.Dy()); y += 2 {
		for x := 0; x < min(gb.Dx(), g.Rect.Dx()); x += 2 {
			v := g.Pix[y*g.Stride+x]
			if nearInk(g, x, y) && v != 20 {
				continue
			}
			got := int(img.GrayAt(x, y).Y)
			k := 0
			switch v {
			case 200:
				k = 1
			case 20:
				k = 2
				if !interiorInk(g, x, y) {
					continue // a stroke's edge: grey once rescaled
				}
			}
			n[k]++
			switch {
			case got > 240:
				paper[k]++
			case got > 170 && got < 230:
				box[k]++
			case got < 60:
				ink[k]++
			}
		}
	}
	if paper[0] < n[0]*98/100 || box[1] < n[1]*95/100 || ink[2] < n[2]*95/100 {
		t.Errorf("paper %d/%d white, box %d/%d grey, ink %d/%d black", paper[0], n[0], box[1], n[1], ink[2], n[2])
	}
	// The preview draws the same page at 150 DPI.
	prev, mt, err := PageImage(context.Background(), pdf, 1)
	if err != nil || mt != "image/jpeg" {
		t.Fatalf("PageImage: %v, %s", err, mt)
	}
	pi, err := jpeg.Decode(bytes.NewReader(prev))
	if err != nil {
		t.Fatal(err)
	}
	if pb := pi.Bounds(); pb.Dx() != g.Rect.Dx() || pb.Dy() != g.Rect.Dy() {
		t.Fatalf("preview %v, page %v", pb.Size(), g.Rect.Size())
	}
	grey := func(x, y int) int { r, _, _, _ := pi.At(x, y).RGBA(); return int(r >> 8) }
	// The grey box's pixels away from the text (the background is at
	// 60 DPI: its edges and the text's surroundings blur).
	var boxSum, boxN int
	for y := 310; y < 290+g.Rect.Dy()/5; y += 3 {
		for x := 110; x < g.Rect.Dx()-110; x += 3 {
			clear := true
			for yy := y - 6; yy <= y+6 && clear; yy += 2 {
				for xx := x - 6; xx <= x+6 && clear; xx += 2 {
					clear = g.Pix[yy*g.Stride+xx] == 200
				}
			}
			if clear {
				boxSum += grey(x, y)
				boxN++
			}
		}
	}
	if p := grey(50, 50); p < 240 || boxN == 0 || boxSum/boxN < 185 || boxSum/boxN > 215 {
		t.Errorf("preview: paper %d, grey box %d (%d pixels)", p, boxSum/max(boxN, 1), boxN)
	}
	for y := 0; y < g.Rect.Dy(); y++ {
		for x := 0; x < g.Rect.Dx(); x++ {
			if interiorInk(g, x, y) && interiorInk(g, x+1, y+1) && interiorInk(g, x-1, y-1) {
				if v := grey(x, y); v > 80 {
					t.Fatalf("preview: ink at (%d,%d) is %d", x, y, v)
				}
				return
			}
		}
	}
}

func decodePNG(t *testing.T, path string) *image.Gray {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

// TestTextPagesSmall: the easy sample photos, text pages in auto mode,
// are mixed raster content of at most 30 KB (issue 19), still in grey.
func TestTextPagesSmall(t *testing.T) {
	for _, name := range []string{"rib", "droits", "scolarite"} {
		t.Run(name, func(t *testing.T) {
			pdf, res := convert(t, nil, Options{}, Input{Name: name, Data: samplePhoto(t, name)})
			checkPDF(t, pdf)
			if res.Bytes > 30<<10 || !bytes.Contains(pdf, []byte("/ImageMask true")) || res.Inputs[0].Mode != ModeGray {
				t.Errorf("%s: %d bytes, mask %v, %v", name, res.Bytes, bytes.Contains(pdf, []byte("/ImageMask true")), res.Inputs[0].Mode)
			}
			t.Logf("%s: %d bytes", name, res.Bytes)
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// interiorInk reports whether (x, y) and its 8 neighbours are ink.
func interiorInk(g *image.Gray, x, y int) bool {
	for yy := y - 1; yy <= y+1; yy++ {
		for xx := x - 1; xx <= x+1; xx++ {
			if xx < 0 || yy < 0 || xx >= g.Rect.Dx() || yy >= g.Rect.Dy() || g.Pix[yy*g.Stride+xx] != 20 {
				return false
			}
		}
	}
	return true
}

// TestEncodeMixedTinyPages: degenerate page sizes neither panic nor fail.
func TestEncodeMixedTinyPages(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {2, 1}, {1, 5}, {3, 3}, {7, 2}} {
		for _, v := range []byte{0, 128, 255} {
			g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
			for i := range g.Pix {
				g.Pix[i] = v
			}
			m, _, err := encodeMixed(context.Background(), g, 150)
			if err != nil {
				t.Fatalf("%v, %d: %v", sz, v, err)
			}
			if m.w != 2*sz[0] || m.h != 2*sz[1] {
				t.Errorf("%v: mask %d×%d", sz, m.w, m.h)
			}
			decodeMask(t, m)
		}
	}
	// A sub-image (non-zero origin, stride wider than the page).
	g := greyTextPage(false).SubImage(image.Rect(13, 17, 400, 300)).(*image.Gray)
	if _, _, err := encodeMixed(context.Background(), g, 200); err != nil {
		t.Fatal(err)
	}
}

// TestTextMaskStreams: the text layer of a 300 DPI page (8.7 million
// pixels) is made a few rows at a time: encoding the page allocates less
// than half its size (the background's cells, the G4 code), where the
// planes of the page's size once held came to six times it, and cost more
// in fresh memory than the arithmetic; the mask still has every stroke.
func TestTextMaskStreams(t *testing.T) {
	w, h := a4Pixels(300)
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	src := bwTestImage(w-400, h-600, 12)
	for y := range src.Rect.Dy() {
		for x := range src.Rect.Dx() {
			if src.Pix[y*src.Stride+x] == 0 {
				g.Pix[(y+300)*g.Stride+x+200] = 20
			}
		}
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, bg, err := encodeMixed(ctx, g, 300)
	runtime.ReadMemStats(&after)
	if err != nil || bg != nil {
		t.Fatalf("encodeMixed: %v, background %v", err, bg != nil)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(w*h)/2 {
		t.Errorf("encoding the text layer of a %d×%d page allocated %d bytes, want ≤ %d", w, h, alloc, w*h/2)
	}
	got := decodeMask(t, m)
	if got.Rect.Dx() != w || got.Rect.Dy() != h {
		t.Fatalf("mask %v, want %d×%d", got.Rect.Size(), w, h)
	}
	for y := 0; y < h; y += 3 {
		for x := 0; x < w; x += 3 {
			if ink := got.Pix[y*got.Stride+x] < 128; ink != (g.Pix[y*g.Stride+x] == 20) {
				t.Fatalf("pixel (%d,%d): ink %v, page %d", x, y, ink, g.Pix[y*g.Stride+x])
			}
		}
	}
}
