package scan

import (
	"context"
	"math"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// lineBow returns how far (pixels) the text lines of page p bow: in each
// quarter of the page, the offset of the lines in the outer strips from
// the middle strip's (dewarp's matcher), the largest.
func lineBow(t *testing.T, p plane) float64 {
	t.Helper()
	mx := int(dewarpMargin * float64(p.w))
	sw := (p.w - 2*mx) / dewarpStrips
	var worst float64
	bh := p.h / 4
	for b := range 4 {
		y0, y1 := b*bh, (b+1)*bh
		prof := func(s int) []float64 {
			out := make([]float64, p.h)
			for y := y0; y < y1; y++ {
				for x := mx + s*sw; x < mx+(s+1)*sw; x++ {
					out[y] += 255 - float64(p.pix[y*p.s+x])
				}
			}
			return out
		}
		// The outer strips against the middle one (text spans the page).
		mid := prof(dewarpStrips / 2)
		for _, s := range []int{1, dewarpStrips - 2} {
			k, c := bestShift(mid, prof(s), y0, y1, 12, 0)
			if c > 0.3 {
				worst = math.Max(worst, math.Abs(k))
			}
		}
	}
	return worst
}

// bowedPage draws a text page whose lines sag by amp pixels at the left and
// right edges (a curled page's bow), or straight lines for amp 0.
func bowedPage(t testing.TB, amp float64) plane {
	t.Helper()
	// Lines that span the page's width.
	var lines []string
	for range 2 {
		for _, l := range synthText {
			lines = append(lines, l+" "+l)
		}
	}
	src := synthPage(t, 1240, 1754, 0.008, lines)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	p := plane{pix: make([]byte, w*h), w: w, h: h, s: w}
	for x := range w {
		u := 2*float64(x)/float64(w) - 1
		d := amp * u * u
		for y := range h {
			sy := int(math.Round(float64(y) - d))
			v := byte(255)
			if sy >= 0 && sy < h {
				v = src.Pix[sy*src.Stride+x]
			}
			p.pix[y*w+x] = v
		}
	}
	return p
}

func TestDewarpStraightensBowedLines(t *testing.T) {
	ctx := context.Background()
	for _, amp := range []float64{6, 12} {
		p := bowedPage(t, amp)
		before := lineBow(t, p)
		out, err := dewarp(ctx, p, false)
		if err != nil {
			t.Fatal(err)
		}
		after := lineBow(t, out)
		t.Logf("bow %.0f px: measured %.1f px before, %.1f after", amp, before, after)
		if before < amp/2 || after > 1.5 {
			t.Errorf("bow %.0f px: %.1f px before, %.1f after dewarping (want ≤ 1.5)", amp, before, after)
		}
	}
}

func TestDewarpLeavesStraightPages(t *testing.T) {
	p := bowedPage(t, 0)
	out, err := dewarp(context.Background(), p, false)
	if err != nil {
		t.Fatal(err)
	}
	if &out.pix[0] != &p.pix[0] {
		t.Error("a page with straight lines was resampled")
	}
	// A blank page, and one too small to measure, are left alone too.
	blank := plane{pix: make([]byte, 600*800), w: 600, h: 800, s: 600}
	for i := range blank.pix {
		blank.pix[i] = 255
	}
	tiny := plane{pix: make([]byte, 40*30), w: 40, h: 30, s: 40}
	for _, q := range []plane{blank, tiny} {
		out, err := dewarp(context.Background(), q, true)
		if err != nil || &out.pix[0] != &q.pix[0] {
			t.Errorf("%d×%d: resampled (%v)", q.w, q.h, err)
		}
	}
}

// BenchmarkDewarp: a 150 DPI A4 page with straight lines (measured, left
// alone) and with a 12 px bow (measured and resampled).
func BenchmarkDewarp(b *testing.B) {
	for _, amp := range []float64{0, 12} {
		p := bowedPage(b, amp)
		name := "straight"
		if amp > 0 {
			name = "bowed"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := dewarp(context.Background(), p, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDewarpLeavesShortLines: a page whose text fills only its left half
// (a school certificate: short lines under a title) is left alone. A guard
// only: on this clean page the old code did not bow either; what it did
// on old-phone photos of it (a bow fitted to the left half extrapolated
// across the page, ~20 px) is caught by TestHardCorpus's per-photo rule on
// oldphone-3MP-q45-scolarite.
func TestDewarpLeavesShortLines(t *testing.T) {
	for _, d := range photogen.Documents() {
		if d.Name != "scolarite" {
			continue
		}
		for _, dpi := range []int{100, 150} {
			w, h := int(math.Round(210/25.4*float64(dpi))), int(math.Round(297/25.4*float64(dpi)))
			g, err := photogen.CleanPage(d, photogen.Options{}, w, h)
			if err != nil {
				t.Fatal(err)
			}
			p := plane{pix: g.Pix, w: w, h: h, s: g.Stride}
			out, err := dewarp(context.Background(), p, false)
			if err != nil {
				t.Fatal(err)
			}
			if &out.pix[0] != &p.pix[0] {
				t.Errorf("%s at %d DPI: a page with straight lines was resampled", d.Name, dpi)
			}
		}
		return
	}
	t.Fatal("no scolarite document")
}
