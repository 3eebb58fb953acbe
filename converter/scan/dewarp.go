package scan

import (
	"context"
	"math"
)

// Dewarping a curled page from its text lines (issue 19). The page's
// outline straightens the page as a plane; a curled page's lines still
// bow (they sag towards the page's bottom corners). The upright page is
// cut into vertical strips; in each horizontal band, the row profile of
// ink of each strip is matched against its neighbour's (normalised
// cross-correlation, sub-pixel), which gives how far the lines rise or
// sink across the page; a quadratic fitted per band (the bow of a
// cylinder seen from above) gives each column's vertical offset, and the
// page is resampled so the lines come out straight.
const (
	dewarpStrips = 16
	dewarpBands  = 6
	// dewarpMaxStep: the most the lines move between neighbouring strips,
	// as a fraction of the page's width (a 3 % curl moves them ~1.5 px
	// per strip at 150 DPI).
	dewarpMaxStep = 0.004
	// dewarpMinInk: a strip's band with less ink than this fraction of
	// its area is empty.
	dewarpMinInk = 0.01
	// dewarpMinCorr: a match weaker than this is ignored.
	dewarpMinCorr = 0.5
	// dewarpMinBow: a page whose fitted offsets span less than this many
	// pixels is left as it is.
	dewarpMinBow = 1.5
	// dewarpMargin: the page's outer fraction is left out of the
	// profiles (the paper's edge, what shows of the table).
	dewarpMargin = 0.04
	// dewarpMinSide: a band's fit needs this many strips matched on
	// each side of the page's middle.
	dewarpMinSide = 3
)

// dewarp returns p with its text lines straightened, or p itself when the
// lines are straight or too few to tell. p is an upright grey page whose
// paper is bright; nearest sampling keeps a black and white page bilevel.
func dewarp(ctx context.Context, p plane, bilevel bool) (plane, error) {
	w, h := p.w, p.h
	mx, my := int(dewarpMargin*float64(w)), int(dewarpMargin*float64(h))
	sw := (w - 2*mx) / dewarpStrips
	if sw < 8 || h-2*my < 8*dewarpBands {
		return p, nil
	}
	// prof[s][y]: ink (255 − v) of strip s on row y.
	prof := make([][]float64, dewarpStrips)
	for s := range prof {
		prof[s] = make([]float64, h)
	}
	for y := my; y < h-my; y++ {
		row := p.pix[y*p.s : y*p.s+w]
		for s := range dewarpStrips {
			var sum int
			for _, v := range row[mx+s*sw : mx+(s+1)*sw] {
				sum += 255 - int(v)
			}
			prof[s][y] = float64(sum)
		}
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	maxStep := max(2, int(math.Ceil(dewarpMaxStep*float64(w))))
	bh := (h - 2*my) / dewarpBands
	// coef[b]: the band's fitted offset c0 + c1·u + c2·u², u ∈ [-1, 1]
	// across the strips' centres.
	type fit struct {
		c  [3]float64
		ok bool
	}
	fits := make([]fit, dewarpBands)
	var span float64
	for b := range dewarpBands {
		y0, y1 := my+b*bh, my+(b+1)*bh
		// Offsets chained from the middle strip outwards.
		off := make([]float64, dewarpStrips)
		ok := make([]bool, dewarpStrips)
		inked := func(s int) bool {
			var sum float64
			for _, v := range prof[s][y0:y1] {
				sum += v
			}
			return sum >= dewarpMinInk*255*float64(sw*(y1-y0))
		}
		mid := dewarpStrips / 2
		if !inked(mid) {
			continue
		}
		ok[mid] = true
		for _, dir := range []int{-1, 1} {
			last := mid
			for s := mid + dir; s >= 0 && s < dewarpStrips; s += dir {
				if !inked(s) {
					continue
				}
				dist := (s - last) * dir
				k, c := bestShift(prof[last], prof[s], y0, y1, maxStep*dist, off[last])
				if c < dewarpMinCorr {
					continue
				}
				off[s], ok[s] = off[last]+k, true
				last = s
			}
		}
		// Least squares quadratic over the strips matched.
		var us, vs []float64
		for s := range dewarpStrips {
			if ok[s] {
				us = append(us, 2*(float64(s)+0.5)/dewarpStrips-1)
				vs = append(vs, off[s])
			}
		}
		if len(us) < dewarpStrips/3 {
			continue
		}
		// Both halves of the page: a bow fitted to one half only is an
		// extrapolation (short lines, a title on one side).
		var left, right int
		for _, u := range us {
			if u < 0 {
				left++
			} else {
				right++
			}
		}
		if left < dewarpMinSide || right < dewarpMinSide {
			continue
		}
		c, good := quadFit(us, vs)
		if !good {
			continue
		}
		fits[b] = fit{c: c, ok: true}
		lo, hi := math.Inf(1), math.Inf(-1)
		for u := -1.0; u <= 1; u += 0.125 {
			v := c[1]*u + c[2]*u*u
			lo, hi = min(lo, v), max(hi, v)
		}
		span = max(span, hi-lo)
	}
	if span < dewarpMinBow {
		return p, nil
	}
	// Bands without a fit take their neighbours'.
	for range dewarpBands {
		for b := range fits {
			if fits[b].ok {
				continue
			}
			for _, n := range []int{b - 1, b + 1} {
				if n >= 0 && n < dewarpBands && fits[n].ok {
					fits[b] = fits[n]
					break
				}
			}
		}
	}
	if !fits[0].ok {
		return p, nil
	}
	// Column offsets per band centre: the fit without its constant (the
	// band stays where it is), measured from the middle column's.
	cols := make([][]float32, dewarpBands)
	for b, f := range fits {
		cols[b] = make([]float32, w)
		for x := range w {
			u := (float64(x) + 0.5 - float64(mx) - float64(sw*dewarpStrips)/2) / (float64(sw*dewarpStrips) / 2)
			cols[b][x] = float32(f.c[1]*u + f.c[2]*u*u)
		}
	}
	out := plane{pix: make([]byte, w*h), w: w, h: h, s: w}
	dy := make([]int32, w) // source row offset, 8 fractional bits
	for y := range h {
		if y&63 == 0 && ctx.Err() != nil {
			return p, ctx.Err()
		}
		// Interpolate the offsets between band centres.
		g := (float64(y-my)+0.5)/float64(bh) - 0.5
		b0 := min(max(int(math.Floor(g)), 0), dewarpBands-1)
		b1 := min(b0+1, dewarpBands-1)
		t := float32(min(max(g-float64(b0), 0), 1))
		for x := range dy {
			dy[x] = int32(math.Round(float64(cols[b0][x]*(1-t)+cols[b1][x]*t) * 256))
		}
		dst := out.pix[y*w : (y+1)*w]
		y256 := int32(y) << 8
		for x := range dst {
			sy := y256 + dy[x]
			if bilevel {
				yy := min(max(int((sy+128)>>8), 0), h-1)
				dst[x] = p.pix[yy*p.s+x]
				continue
			}
			y0, f := int(sy>>8), sy&255 // arithmetic shift: floor
			a := int32(p.pix[min(max(y0, 0), h-1)*p.s+x])
			c := int32(p.pix[min(max(y0+1, 0), h-1)*p.s+x])
			dst[x] = uint8((a*(256-f) + c*f + 128) >> 8)
		}
	}
	return out, nil
}

// bestShift returns the shift k (sub-pixel, within ±maxK of prior) that
// best matches b[y+k] to a[y] over rows [y0, y1), and its normalised
// correlation.
func bestShift(a, b []float64, y0, y1, maxK int, prior float64) (float64, float64) {
	n := len(a)
	pk := int(math.Round(prior))
	corr := func(k int) float64 {
		var sa, sb, saa, sbb, sab, m float64
		for y := y0; y < y1; y++ {
			yy := y + k
			if yy < 0 || yy >= n {
				continue
			}
			u, v := a[y], b[yy]
			sa += u
			sb += v
			saa += u * u
			sbb += v * v
			sab += u * v
			m++
		}
		if m == 0 {
			return -1
		}
		cov := sab - sa*sb/m
		va, vb := saa-sa*sa/m, sbb-sb*sb/m
		if va <= 0 || vb <= 0 {
			return -1
		}
		return cov / math.Sqrt(va*vb)
	}
	best, bestC := pk, math.Inf(-1)
	cs := make([]float64, 2*maxK+1) // cs[k-pk+maxK]
	for k := pk - maxK; k <= pk+maxK; k++ {
		c := corr(k)
		cs[k-pk+maxK] = c
		if c > bestC {
			best, bestC = k, c
		}
	}
	// Parabolic refinement around the peak.
	at := func(k int) float64 {
		if i := k - pk + maxK; i >= 0 && i < len(cs) {
			return cs[i]
		}
		return corr(k)
	}
	l, r := at(best-1), at(best+1)
	k := float64(best)
	if d := l - 2*bestC + r; d < 0 {
		k += math.Max(-0.5, math.Min(0.5, 0.5*(l-r)/d))
	}
	return k, bestC
}

// quadFit fits v ≈ c0 + c1·u + c2·u² by least squares.
func quadFit(us, vs []float64) ([3]float64, bool) {
	var m [3][4]float64
	for i, u := range us {
		p := [3]float64{1, u, u * u}
		for r := range 3 {
			for c := range 3 {
				m[r][c] += p[r] * p[c]
			}
			m[r][3] += p[r] * vs[i]
		}
	}
	// Gaussian elimination with partial pivoting.
	for c := range 3 {
		piv := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[piv][c]) {
				piv = r
			}
		}
		if math.Abs(m[piv][c]) < 1e-9 {
			return [3]float64{}, false
		}
		m[c], m[piv] = m[piv], m[c]
		for r := range 3 {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k < 4; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	return [3]float64{m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]}, true
}
