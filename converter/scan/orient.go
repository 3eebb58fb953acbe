package scan

import (
	"context"
	"slices"
)

// Orientation detection on a flattened page (paper ≈ 255): text lines make
// the ink profile across them alternate between lines and gaps, and Latin
// text has more ink above its x-height band (ascenders, capitals, digits)
// than below it (descenders). Profiles are taken in strips so a small
// residual skew does not smear them.

const (
	inkLevel     = 140 // flattened values below this are ink
	orientStrips = 4
	// minInkFrac: below this fraction of ink pixels the page is blank and
	// keeps its orientation.
	minInkFrac = 0.002
	// minUpDown: the relative ascender/descender difference needed to turn
	// a page.
	minUpDown = 0.12
	// minSoftHalfTurn: soft print (an old phone's blurred letters, Scan's
	// softEdgeWidth) is turned upside down when the ascender balance and
	// the margin balance together reach -minSoftHalfTurn. Measured on old
	// phones' 1–3 MP photos (TestOrientationSoftPrint): upright pages sum
	// to -0.08 at the lowest, upside-down ones to -0.52…-1.2 but for the
	// softest.
	minSoftHalfTurn = 0.5
	// Text lines along one axis: their profile's line score is at least
	// minLineScore and minAxisRatio times the other axis's.
	minLineScore = 0.15
	minAxisRatio = 1.5
)

// orientation is the detected rotation: quarter-turns clockwise that make
// the page upright.
type orientation struct {
	turns int
	// The line scores of rows and columns and the ascender balance are
	// the evidence, kept for tests and tuning.
	lineScoreH, lineScoreV float64
	// horizontal: the text lines run across the page (turns is 0 or 2).
	horizontal bool
	upDown     float64
	// margins is the balance of the lines' ends: positive when their
	// left ends line up better than their right ends (left-aligned text
	// upright), negative when the right ends do (upside down); 0 when
	// there are too few lines or both sides are alike.
	margins float64
	// lines is the number of text lines found across the strips and
	// lineHeight their median height in pixels (ascender to descender).
	lines      int
	lineHeight int
}

// softTurns is the half-turn decision for soft print, whose ascender
// balance alone is mostly noise (±0.25 on upright old-phone pages, against
// ±0.5–0.85 for sharp print): both balances must agree. Pages whose lines
// run down the page keep o.turns.
func (o orientation) softTurns() int {
	if !o.horizontal {
		return o.turns
	}
	if o.upDown+o.margins <= -minSoftHalfTurn {
		return 2
	}
	return 0
}

// detectOrientation finds how many clockwise quarter-turns make g upright.
func detectOrientation(ctx context.Context, g plane) (orientation, error) {
	// rows[s][y]: ink in row y within vertical strip s; cols[s][x]: ink in
	// column x within horizontal strip s.
	var rows, cols [orientStrips][]int32
	for s := range orientStrips {
		rows[s] = make([]int32, g.h)
		cols[s] = make([]int32, g.w)
	}
	stripOfX := make([]uint8, g.w)
	for x := range g.w {
		stripOfX[x] = uint8(x * orientStrips / g.w)
	}
	var ink int
	for y := range g.h {
		if y&127 == 0 && ctx.Err() != nil {
			return orientation{}, ctx.Err()
		}
		cs := cols[y*orientStrips/g.h]
		row := g.pix[y*g.s : y*g.s+g.w]
		var cnt [orientStrips]int32
		for x, v := range row {
			if v < inkLevel {
				cnt[stripOfX[x]]++
				cs[x]++
			}
		}
		for s := range orientStrips {
			rows[s][y] = cnt[s]
			ink += int(cnt[s])
		}
	}
	var o orientation
	if float64(ink) < minInkFrac*float64(g.w*g.h) {
		return o, nil
	}
	smooth := max(2, min(g.w, g.h)/200)
	o.lineScoreH = lineScore(rows[:], smooth)
	o.lineScoreV = lineScore(cols[:], smooth)
	// Turn only on clear evidence: photographs and drawings stay as they are.
	switch {
	case o.lineScoreH >= minLineScore && o.lineScoreH >= minAxisRatio*o.lineScoreV:
		up, down, heights := ascenderBalance(rows[:])
		o.upDown = balance(up, down)
		o.lines, o.lineHeight = len(heights), median(heights)
		o.horizontal = true
		o.margins = marginBalance(g, rows[:])
		if o.upDown <= -minUpDown {
			o.turns = 2
		}
	case o.lineScoreV >= minLineScore && o.lineScoreV >= minAxisRatio*o.lineScoreH:
		// Vertical lines: the tops of the letters point left (smaller x)
		// when the text was turned anticlockwise.
		left, right, heights := ascenderBalance(cols[:])
		o.upDown = balance(left, right)
		o.lines, o.lineHeight = len(heights), median(heights)
		switch {
		case o.upDown >= minUpDown:
			o.turns = 1
		case o.upDown <= -minUpDown:
			o.turns = 3
		}
	default:
		// No clear text lines: still count lines for the card check.
		_, _, heights := ascenderBalance(rows[:])
		o.lines, o.lineHeight = len(heights), median(heights)
	}
	return o, nil
}

func balance(a, b float64) float64 {
	if a+b == 0 {
		return 0
	}
	return (a - b) / (a + b)
}

// lineScore measures how strongly the profiles alternate between ink and
// gaps once letter-scale detail is smoothed away: the share of the
// profiles' energy that is variation, weighted by ink.
func lineScore(profiles [][]int32, radius int) float64 {
	var varSum, energy float64
	for _, p := range profiles {
		lo, hi := extent(p)
		if hi-lo < 4*radius {
			continue
		}
		// Box-smoothed profile over [lo, hi).
		var sum, sum2 float64
		var win float64
		for i := lo - radius; i <= lo+radius; i++ {
			if i >= lo && i < hi {
				win += float64(p[i])
			}
		}
		n := float64(hi - lo)
		for i := lo; i < hi; i++ {
			v := win / float64(2*radius+1)
			sum += v
			sum2 += v * v
			if j := i + radius + 1; j < hi {
				win += float64(p[j])
			}
			if j := i - radius; j >= lo {
				win -= float64(p[j])
			}
		}
		mean := sum / n
		varSum += sum2 - n*mean*mean
		energy += sum2
	}
	if energy == 0 {
		return 0
	}
	return varSum / energy
}

// extent returns the range of indices between the first and last non-zero
// profile values.
func extent(p []int32) (lo, hi int) {
	lo, hi = len(p), 0
	for i, v := range p {
		if v > 0 {
			lo = min(lo, i)
			hi = i + 1
		}
	}
	return lo, hi
}

// ascenderBalance splits each profile into text lines and sums, over all
// lines, the ink before (lower index) and after the line's dense core. It
// also returns the lines' heights.
func ascenderBalance(profiles [][]int32) (before, after float64, heights []int) {
	for _, p := range profiles {
		var peak int32
		for _, v := range p {
			peak = max(peak, v)
		}
		if peak < 4 {
			continue
		}
		thr := max(1, peak/40)
		for i := 0; i < len(p); {
			if p[i] <= thr {
				i++
				continue
			}
			a := i
			for i < len(p) && p[i] > thr {
				i++
			}
			b := i // line is [a, b)
			if b-a < 6 {
				continue
			}
			heights = append(heights, b-a)
			var m int32
			for _, v := range p[a:b] {
				m = max(m, v)
			}
			core := m * 45 / 100
			c0, c1 := a, b-1
			for p[c0] < core {
				c0++
			}
			for p[c1] < core {
				c1--
			}
			for _, v := range p[a:c0] {
				before += float64(v)
			}
			for _, v := range p[c1+1 : b] {
				after += float64(v)
			}
		}
	}
	return before, after, heights
}

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// rotatePlane returns p turned clockwise by turns quarter-turns.
func rotatePlane(p plane, turns int) plane {
	turns &= 3
	if turns == 0 {
		return p
	}
	w, h := p.w, p.h
	if turns == 2 {
		out := plane{pix: make([]byte, w*h), w: w, h: h, s: w}
		for y := range h {
			src := p.pix[y*p.s : y*p.s+w]
			dst := out.pix[(h-1-y)*w : (h-y)*w]
			for x, v := range src {
				dst[w-1-x] = v
			}
		}
		return out
	}
	out := plane{pix: make([]byte, w*h), w: h, h: w, s: h}
	const tile = 32
	for ty := 0; ty < h; ty += tile {
		for tx := 0; tx < w; tx += tile {
			for y := ty; y < min(ty+tile, h); y++ {
				src := p.pix[y*p.s:]
				for x := tx; x < min(tx+tile, w); x++ {
					// Clockwise: (x, y) → (h-1-y, x); anticlockwise: (y, w-1-x).
					if turns == 1 {
						out.pix[x*h+h-1-y] = src[x]
					} else {
						out.pix[(w-1-x)*h+y] = src[x]
					}
				}
			}
		}
	}
	return out
}

// marginBalance compares how well the text lines' left ends and right ends
// line up: the spread (interquartile range) of the right ends against that
// of the left ends, as a balance in [-1, 1]. Left-aligned text, upright,
// has its left ends in a column and its right ends ragged; upside down,
// the other way round. Letter blur moves both ends alike, so the cue holds
// for soft print, where the ascender balance does not.
//
// rows are detectOrientation's ink counts of each row of g, by strip.
func marginBalance(g plane, rows [][]int32) float64 {
	prof := make([]int32, g.h)
	for _, r := range rows {
		for y, n := range r {
			prof[y] += n
		}
	}
	var peak int32
	for _, v := range prof {
		peak = max(peak, v)
	}
	if peak < 4 {
		return 0
	}
	thr := max(1, peak/40)
	var lefts, rights []int
	cols := make([]int32, g.w)
	for y := 0; y < g.h; {
		if prof[y] <= thr {
			y++
			continue
		}
		a := y
		for y < g.h && prof[y] > thr {
			y++
		}
		if y-a < 4 {
			continue
		}
		// The line's ends: the first and last columns with ink in a few
		// of its rows (a speck does not make an end).
		clear(cols)
		for yy := a; yy < y; yy++ {
			for x, v := range g.pix[yy*g.s : yy*g.s+g.w] {
				if v < inkLevel {
					cols[x]++
				}
			}
		}
		l, r := -1, -1
		for x, c := range cols {
			if c >= 2 {
				if l < 0 {
					l = x
				}
				r = x
			}
		}
		if l >= 0 && r-l > g.w/8 {
			lefts, rights = append(lefts, l), append(rights, r)
		}
	}
	if len(lefts) < 6 {
		return 0
	}
	return balance(iqr(rights), iqr(lefts))
}

// iqr is the interquartile range of v.
func iqr(v []int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return float64(s[len(s)*3/4] - s[len(s)/4])
}
