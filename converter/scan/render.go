package scan

import (
	"context"
	"image"
	"math"
)

// pageStats summarises a flattened page for the auto mode.
type pageStats struct {
	dark, mid, light float64 // fractions of the page interior
	paper            int     // most common bright value
	hist             [256]int
}

// statsOf takes the histogram of the page's interior (every other row).
func statsOf(f plane) pageStats {
	var st pageStats
	hist := &st.hist
	mx, my := f.w/50, f.h/50
	for y := my; y < f.h-my; y += 2 {
		for _, v := range f.pix[y*f.s+mx : y*f.s+f.w-mx] {
			hist[v]++
		}
	}
	var n, dark, mid, light, best int
	for v, c := range hist {
		n += c
		switch {
		case v < 100:
			dark += c
		case v < 200:
			mid += c
		default:
			light += c
		}
		if v >= 128 && c > best {
			best, st.paper = c, v
		}
	}
	if n == 0 {
		return pageStats{light: 1, paper: 255}
	}

	st.dark, st.mid, st.light = float64(dark)/float64(n), float64(mid)/float64(n), float64(light)/float64(n)
	if best == 0 {
		st.paper = 255
	}
	return st
}

// photoLike reports whether a page is better kept in colour: large areas of
// mid-tones or dark fills (photographs, illustrations) or much colour.
func photoLike(st pageStats, bg *background, colourful float64) bool {
	return st.mid > 0.18 || bg.filled > 0.08 || colourful > 0.06
}

// levelMap builds the tone curve of the clean grey rendering: values at or
// above the paper's level minus a margin become white, the ink's typical
// darkness becomes black, linear in between.
func levelMap(st *pageStats) [256]uint8 {
	white := max(st.paper-14, 160)
	// Black point: the darker fifth of the ink pixels.
	hist := &st.hist
	inkTotal := 0
	for v := 0; v < inkLevel; v++ {
		inkTotal += hist[v]
	}
	black, acc := 0, 0
	for v := 0; v < inkLevel && inkTotal > 0; v++ {
		acc += hist[v]
		if acc*5 >= inkTotal {
			black = v
			break
		}
	}
	black = min(black, white/2)
	var lut [256]uint8
	for v := range lut {
		t := float64(v-black) / float64(white-black)
		t = math.Max(0, math.Min(1, t))
		lut[v] = uint8(math.Round(255 * t))
	}
	return lut
}

func applyLUT(p plane, lut *[256]uint8) {
	for y := range p.h {
		row := p.pix[y*p.s : y*p.s+p.w]
		for x, v := range row {
			row[x] = lut[v]
		}
	}
}

// sauvola binarises p in place with Sauvola's local threshold
// T = m·(1 + k·(s/R − 1)) over a (2r+1)² window (Sauvola & Pietikäinen,
// "Adaptive document image binarization", 2000), using running column sums.
//
// p is flattened (paper ≈ 255), so values above maxInk are paper whatever
// the neighbourhood: that keeps faint seams (a shadow's edge, the paper's
// border) from turning into black lines where the window is uniform.
func sauvola(ctx context.Context, p plane, r int, k float64) error {
	const R = 128.0
	const maxInk = 176
	w, h := p.w, p.h
	colSum := make([]uint32, w)
	colSq := make([]uint32, w) // ≤ (2r+1)·255², fits for r < 33000
	// A row leaves the window after it has been binarised: keep the
	// original rows still in the window in a ring.
	ringN := 2*r + 2
	ring := make([]byte, ringN*w)
	pre, preSq := make([]uint64, w+1), make([]uint64, w+1)
	add := func(y int) {
		row := p.pix[y*p.s : y*p.s+w]
		copy(ring[(y%ringN)*w:], row)
		for x, v := range row {
			colSum[x] += uint32(v)
			colSq[x] += uint32(v) * uint32(v)
		}
	}
	sub := func(y int) {
		row := ring[(y%ringN)*w : (y%ringN)*w+w]
		for x, v := range row {
			colSum[x] -= uint32(v)
			colSq[x] -= uint32(v) * uint32(v)
		}
	}
	for y := 0; y < min(r, h); y++ {
		add(y)
	}
	for y := range h {
		if y&63 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if y+r < h {
			add(y + r)
		}
		if y-r-1 >= 0 {
			sub(y - r - 1)
		}
		rows := float64(min(y+r, h-1) - max(y-r, 0) + 1)
		// Prefix sums of the column sums: the window sums of the few
		// candidate ink pixels are then two lookups each.
		var s, sq uint64
		for x := range w {
			s += uint64(colSum[x])
			sq += uint64(colSq[x])
			pre[x+1], preSq[x+1] = s, sq
		}
		src := ring[(y%ringN)*w : (y%ringN)*w+w]
		dst := p.pix[y*p.s : y*p.s+w]
		for x, v := range src {
			if v > maxInk {
				dst[x] = 255
				continue
			}
			x0, x1 := max(x-r, 0), min(x+r+1, w)
			n := rows * float64(x1-x0)
			m := float64(pre[x1]-pre[x0]) / n
			fv := float64(v)
			if fv >= m {
				dst[x] = 255
				continue
			}
			sd := math.Sqrt(math.Max(0, float64(preSq[x1]-preSq[x0])/n-m*m))
			if fv > m*(1+k*(sd/R-1)) {
				dst[x] = 255
			} else {
				dst[x] = 0
			}
		}
	}
	return nil
}

// toGray wraps a plane as an *image.Gray without copying.
func toGray(p plane) *image.Gray {
	return &image.Gray{Pix: p.pix, Stride: p.s, Rect: image.Rect(0, 0, p.w, p.h)}
}

// toYCbCr assembles 4:2:0 planes into an *image.YCbCr without copying.
func toYCbCr(y, cb, cr plane) *image.YCbCr {
	return &image.YCbCr{
		Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.s, CStride: cb.s,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, y.w, y.h),
	}
}
