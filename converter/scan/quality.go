package scan

import (
	"math"
	"slices"
)

// Measures are the raw readability measures of a scanned photo, taken on
// the copies Scan already makes (the detection copy, the straightened page
// before and after flattening), so they cost little. They are facts, not
// verdicts: the converter turns them into findings against its thresholds.
type Measures struct {
	// PaperFrac is the fraction of the photo (detection copy) that looks
	// like paper: bright and of low saturation. Set whether or not the
	// outline was found.
	PaperFrac float64
	// PaperAtBorder is the fraction of the photo's border pixels that look
	// like paper (a page running out of the frame).
	PaperAtBorder float64
	// CornerMargin is, when the outline was found, the smallest distance
	// of a corner to the photo's edge over the photo's short side
	// (negative when a corner lies outside the frame).
	CornerMargin float64
	// EdgeWidth is the median width in pixels, at the target resolution,
	// of the strong ink edges on the straightened page (about 1–2 when
	// sharp); 0 when no edge was found.
	EdgeWidth float64
	// Blown is the fraction of the page's area that is blown out (glare).
	Blown float64
	// PaperLevel is the page's bright level (95th percentile of the
	// straightened page before flattening, 0–255).
	PaperLevel float64
	// InkContrast is the difference between the paper level and the ink
	// level (2nd percentile) on the straightened page, 0–255.
	InkContrast float64
	// InkFrac is the fraction of the flattened page that is ink, and
	// FaintFrac the fraction that is at least faintly marked (small or
	// blurred print that does not reach the ink level).
	InkFrac, FaintFrac float64
	// Lines is the number of text lines found and LineHeight their median
	// height in pixels at the target resolution.
	Lines      int
	LineHeight int
}

// measuring is false only in the benchmark that prices the measures.
var measuring = true

// faintLevel: flattened values below this are marked, if faintly.
const faintLevel = 215

// paperLike reports whether a detection-copy pixel looks like paper: bright
// relative to the brightest, and nearly neutral.
func paperLike(sm *small, i int, bright float32) bool {
	if sm.y[i] < bright {
		return false
	}
	if sm.cb == nil {
		return true
	}
	return abs32(sm.cb[i]-128)+abs32(sm.cr[i]-128) < 12
}

// measureFrame fills the measures taken on the detection copy.
func measureFrame(m *Measures, sm *small, pg page, w, h int) {
	var hist [256]int
	for _, v := range sm.y {
		hist[min(255, max(0, int(v)))]++
	}
	p98 := histPercentile(&hist, len(sm.y), 0.98)
	bright := float32(0.75 * p98)
	n, border, nb := 0, 0, 0
	for y := range sm.h {
		for x := range sm.w {
			i := y*sm.w + x
			pl := paperLike(sm, i, bright)
			if pl {
				n++
			}
			if x == 0 || y == 0 || x == sm.w-1 || y == sm.h-1 {
				nb++
				if pl {
					border++
				}
			}
		}
	}
	m.PaperFrac = float64(n) / float64(len(sm.y))
	m.PaperAtBorder = float64(border) / float64(max(1, nb))
	if pg.found {
		short := float64(min(w, h))
		d := math.Inf(1)
		for _, c := range pg.corners {
			d = math.Min(d, math.Min(math.Min(c.x, c.y), math.Min(float64(w)-c.x, float64(h)-c.y)))
		}
		m.CornerMargin = d / short
	}
}

// measureLuma fills the measures taken on the straightened page before
// flattening (luma); false when the page has no pixels to measure, and
// then measurePage is not called.
func measureLuma(m *Measures, luma plane) bool {
	var hist [256]int
	n, blown := 0, 0
	// Every 4th pixel of every 4th row, away from the outer 3%.
	mx, my := luma.w*3/100, luma.h*3/100
	for y := my; y < luma.h-my; y += 4 {
		row := luma.pix[y*luma.s:]
		for x := mx; x < luma.w-mx; x += 4 {
			v := row[x]
			hist[v]++
			n++
			if v >= 250 {
				blown++
			}
		}
	}
	if n == 0 {
		return false
	}
	m.Blown = float64(blown) / float64(n)
	m.PaperLevel = histPercentile(&hist, n, 0.95)
	m.InkContrast = m.PaperLevel - histPercentile(&hist, n, 0.02)
	return true
}

// measurePage fills the measures taken on the flattened page, after
// measureLuma.
func measurePage(m *Measures, flat plane, o orientation) {
	ink, faint, fn := 0, 0, 0
	var widths []float64
	fmx, fmy := flat.w*3/100, flat.h*3/100
	for y := fmy; y < flat.h-fmy; y += 3 {
		row := flat.pix[y*flat.s : y*flat.s+flat.w]
		for x := fmx; x < flat.w-fmx; x += 2 {
			fn++
			if row[x] < inkLevel {
				ink++
			}
			if row[x] < faintLevel {
				faint++
			}
		}
		widths = edgeWidths(row[fmx:flat.w-fmx], widths)
	}
	m.InkFrac = float64(ink) / float64(max(1, fn))
	m.FaintFrac = float64(faint) / float64(max(1, fn))
	if len(widths) >= 20 {
		slices.Sort(widths)
		m.EdgeWidth = widths[len(widths)/2]
	}
	m.Lines, m.LineHeight = o.lines, o.lineHeight
}

// edgeWidths appends the widths of the strong falling/rising ink edges of
// row: for each local step of at least minStep grey levels across
// 2·edgeSpan pixels, the step over the steepest single-pixel difference.
func edgeWidths(row []byte, out []float64) []float64 {
	const edgeSpan, minStep = 4, 40
	for x := edgeSpan; x < len(row)-edgeSpan; x++ {
		step := int(row[x+edgeSpan]) - int(row[x-edgeSpan])
		if step < minStep && step > -minStep {
			continue
		}
		steep, at := 0, x
		for k := x - edgeSpan; k < x+edgeSpan; k++ {
			if d := abs(int(row[k+1]) - int(row[k])); d > steep {
				steep, at = d, k
			}
		}
		if at != x { // count each edge once, at its steepest point
			continue
		}
		out = append(out, float64(abs(step))/float64(max(1, steep)))
		x += edgeSpan
	}
	return out
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// histPercentile returns the value below which fraction q of the n counted
// samples of hist lie.
func histPercentile(hist *[256]int, n int, q float64) float64 {
	want := int(q * float64(n))
	acc := 0
	for v, c := range hist {
		acc += c
		if acc > want {
			return float64(v)
		}
	}
	return 255
}

// edgeWidthOf is the median width of the strong ink edges of a flattened
// page (every 3rd row, away from the outer 3 %), 0 when it has too few.
func edgeWidthOf(flat plane) float64 {
	var widths []float64
	fmx, fmy := flat.w*3/100, flat.h*3/100
	for y := fmy; y < flat.h-fmy; y += 3 {
		widths = edgeWidths(flat.pix[y*flat.s+fmx:y*flat.s+flat.w-fmx], widths)
	}
	if len(widths) < 20 {
		return 0
	}
	slices.Sort(widths)
	return widths[len(widths)/2]
}
