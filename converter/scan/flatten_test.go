package scan

import (
	"context"
	"math"
	"testing"
)

// litPage renders a text page lit by light(x, y) ∈ (0, 1], returning the
// lit plane and the mask of paper pixels at least 3 px from any ink.
func litPage(t *testing.T, light func(x, y int) float64) (plane, []bool) {
	t.Helper()
	w, h := 620, 877
	page := synthPage(t, w, h, 0.012, synthText)
	p := plane{pix: make([]byte, w*h), w: w, h: h, s: w}
	paper := make([]bool, w*h)
	for y := range h {
		for x := range w {
			v := 20 + float64(page.Pix[y*page.Stride+x])/255*220
			n := (hash01(uint32(x), uint32(y), 3)*2 - 1) * 3
			p.pix[y*w+x] = clamp8(int32(v*light(x, y) + n))
			clean := true
			for dy := -3; dy <= 3 && clean; dy++ {
				for dx := -3; dx <= 3; dx++ {
					xx, yy := min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1)
					if page.Pix[yy*page.Stride+xx] < 250 {
						clean = false
						break
					}
				}
			}
			paper[y*w+x] = clean
		}
	}
	return p, paper
}

// paperStats returns the mean of the paper pixels and the standard
// deviation of the paper's 16×16-block means: the lighting left over,
// without the pixel noise (which flattening amplifies where it was dark).
func paperStats(p plane, paper []bool, skip func(x, y int) bool) (mean, sd float64) {
	var s, s2, n, total float64
	for by := 0; by+16 <= p.h; by += 16 {
		for bx := 0; bx+16 <= p.w; bx += 16 {
			var bs, bn float64
			for y := by; y < by+16; y++ {
				for x := bx; x < bx+16; x++ {
					if !paper[y*p.w+x] || (skip != nil && skip(x, y)) {
						continue
					}
					bs += float64(p.pix[y*p.s+x])
					bn++
				}
			}
			if bn < 64 {
				continue
			}
			m := bs / bn
			s += m
			s2 += m * m
			n++
			total += bs
		}
	}
	mean = s / n
	return mean, math.Sqrt(max(0, s2/n-mean*mean))
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name  string
		light func(x, y int) float64
		// skip excludes pixels right at a hard shadow's edge.
		skip  func(x, y int) bool
		maxSD float64
	}{
		{"even", func(x, y int) float64 { return 1 }, nil, 2},
		{"gradient", func(x, y int) float64 { return 1 - 0.5*float64(x)/620 - 0.2*float64(y)/877 }, nil, 2},
		{"vignette", func(x, y int) float64 {
			dx, dy := float64(x-310)/310, float64(y-438)/438
			return 1 - 0.25*(dx*dx+dy*dy) // corners at half light
		}, nil, 2},
		{"hard shadow", func(x, y int) float64 {
			if x+y > 700 {
				return 0.6
			}
			return 1
		}, func(x, y int) bool { return math.Abs(float64(x+y-700)) < 4 }, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, paper := litPage(t, tc.light)
			_, before := paperStats(p, paper, tc.skip)
			bg, err := estimateBackground(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if err := flattenGray(context.Background(), p, bg); err != nil {
				t.Fatal(err)
			}
			mean, after := paperStats(p, paper, tc.skip)
			t.Logf("paper sd %.1f → %.1f, mean %.1f", before, after, mean)
			if after > tc.maxSD {
				t.Errorf("paper sd after flattening %.1f > %.1f (before %.1f)", after, tc.maxSD, before)
			}
			if mean < 235 {
				t.Errorf("paper mean %.1f after flattening, want near white", mean)
			}
			// Ink keeps its contrast: the darkest pixels stay dark.
			dark := 0
			for _, v := range p.pix {
				if v < 100 {
					dark++
				}
			}
			if frac := float64(dark) / float64(len(p.pix)); frac < 0.005 {
				t.Errorf("only %.4f of pixels dark after flattening: ink washed out", frac)
			}
		})
	}
}

func TestFlattenKeepsDarkAreas(t *testing.T) {
	// A large black box (a photo, a redaction) is content, not shadow: it
	// must stay dark rather than be "flattened" to white.
	w, h := 400, 560
	p := plane{pix: make([]byte, w*h), w: w, h: h, s: w}
	for y := range h {
		for x := range w {
			v := byte(235)
			if x > 100 && x < 300 && y > 150 && y < 350 {
				v = 30
			}
			p.pix[y*w+x] = v
		}
	}
	bg, err := estimateBackground(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := flattenGray(context.Background(), p, bg); err != nil {
		t.Fatal(err)
	}
	if v := p.pix[250*w+200]; v > 60 {
		t.Errorf("centre of the black box is %d after flattening, want dark", v)
	}
	if v := p.pix[50*w+50]; v < 245 {
		t.Errorf("paper is %d after flattening, want white", v)
	}
}

func TestRunExtreme(t *testing.T) {
	src := []float32{5, 1, 7, 3, 3, 9, 0, 2}
	n := len(src)
	for r := range 4 {
		for _, isMax := range []bool{true, false} {
			dst := make([]float32, n)
			runExtreme(src, dst, n, 0, 1, r, isMax, make([]float32, n+2*r), make([]float32, 2*(n+2*r)))
			for i := range n {
				want := src[i]
				for j := max(i-r, 0); j <= min(i+r, n-1); j++ {
					if (src[j] > want) == isMax && src[j] != want {
						want = src[j]
					}
				}
				if dst[i] != want {
					t.Errorf("r=%d max=%v i=%d: %v, want %v", r, isMax, i, dst[i], want)
				}
			}
		}
	}
}
