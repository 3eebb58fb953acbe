package scan

import (
	"context"
	"math"
)

// background is the paper's estimated brightness on a coarse grid of cells
// of cell×cell output pixels.
type background struct {
	w, h   int // grid size
	cell   int
	v      []float32
	filled float64 // fraction of cells that were not paper and were filled in
	shadow float64 // fraction of cells in a hard shadow, followed
}

const (
	// Cells whose closed value is below this fraction of the paper level
	// are dark content (photos, black boxes), not shadows: filled in from
	// the surrounding paper instead.
	minPaperFrac = 0.4
	// closingFrac is the closing radius as a fraction of the page's short
	// side: ink narrower than about twice this leaves the background.
	closingFrac = 0.02
)

// estimateBackground estimates the lighting of a page image: the brightest
// value of each small cell (robust to thin ink), a morphological closing
// (removes text and lines, keeps shadow edges sharp), and dark regions
// (content, not shadow) filled in from the surrounding paper.
func estimateBackground(ctx context.Context, g plane) (*background, error) {
	cell := max(2, (max(g.w, g.h)+110)/220)
	gw, gh := (g.w+cell-1)/cell, (g.h+cell-1)/cell
	bg := &background{w: gw, h: gh, cell: cell, v: make([]float32, gw*gh)}
	// Cell maxima of horizontal pair means (one bright noise pixel alone
	// does not lift a cell).
	cellMax := make([]uint16, gw)
	for cy := range gh {
		if cy&15 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		clear(cellMax)
		// Every other row: paper shows between the lines of text anyway.
		for y := cy * cell; y < min(cy*cell+cell, g.h); y += 2 {
			row := g.pix[y*g.s : y*g.s+g.w]
			for cx := range gw {
				x0, x1 := cx*cell, min(cx*cell+cell, g.w-1)
				seg := row[x0 : x1+1]
				prev := uint16(seg[0])
				m := max(cellMax[cx], 2*prev)
				for _, v := range seg[1:] {
					cur := uint16(v)
					m = max(m, prev+cur)
					prev = cur
				}
				cellMax[cx] = m
			}
		}
		out := bg.v[cy*gw : cy*gw+gw]
		for cx, m := range cellMax {
			out[cx] = float32(m) / 2
		}
	}
	r := max(1, int(closingFrac*float64(min(g.w, g.h))/float64(cell)+0.5))
	closed := rectFilter(rectFilter(bg.v, gw, gh, r, true), gw, gh, r, false)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	paper := percentile(closed, 0.9)
	// A hand's shadow has a hard edge and may be narrow (a finger): the
	// wide closing blurs it away, leaving a dark band after division. The
	// closing over 3×3 cells follows it; it only differs from the wide one
	// where large dark shapes are, and those that reach into the page from
	// its border with paper's even texture are shadows: there the page's
	// light is the narrow closing.
	fine := rectFilter(rectFilter(bg.v, gw, gh, 1, true), gw, gh, 1, false)
	shadow := shadowCells(bg.v, fine, closed, paper, gw, gh)
	weight := make([]float32, len(closed))
	bad, shaded := 0, 0
	for i, v := range closed {
		switch {
		case shadow[i]:
			closed[i] = max(fine[i], 8)
			weight[i] = 1
			shaded++
		case v >= minPaperFrac*paper && v > 8:
			weight[i] = 1
		default:
			bad++
		}
	}
	bg.filled = float64(bad) / float64(len(closed))
	bg.shadow = float64(shaded) / float64(len(closed))
	if bad > 0 && bad < len(closed) {
		pushPull(closed, weight, gw, gh)
	} else if bad == len(closed) {
		for i := range closed {
			closed[i] = max(paper, 8)
		}
	}
	bg.v = closed
	return bg, nil
}

// Shadow cells (see shadowCells).
const (
	// shadowStep: a cell whose narrow closing is under this fraction of the
	// wide one (or whose light is under minPaperFrac of the paper's) is
	// darker than its surroundings at a large scale.
	shadowStep = 0.88
	// shadowMinLight: a shadow leaves at least this fraction of the light
	// (darker is ink: a black box, a photograph's darks).
	shadowMinLight = 0.2
	// shadowMinFrac: a shadow covers at least this fraction of the page.
	shadowMinFrac = 0.004
	// shadowMaxRough: in a shadow the cells' brightest values are as even
	// as on paper: on average within this fraction of the narrow closing
	// (a photograph's are not).
	shadowMaxRough = 0.06
)

// shadowCells marks the cells of hard shadows: 8-connected regions of
// cells darker at a small scale (fine, a closing over 3×3 cells) than at a
// large one (closed), or darker than the paper at the large scale, but not
// as dark as ink (shadowMinLight), that touch
// the page's border (a hand or a phone reaches in from outside the page),
// cover at least shadowMinFrac of it, and whose cell maxima m are as even as
// paper's (photographs and illustrations are not).
func shadowCells(m, fine, closed []float32, paper float32, w, h int) []bool {
	cand := make([]bool, len(fine))
	for i, f := range fine {
		// Darker at a small scale than at a large one (a finger, a band),
		// or darker at a large scale than the paper (the hand it belongs
		// to); never as dark as ink (a black box).
		cand[i] = (f < shadowStep*closed[i] || closed[i] < shadowStep*paper) && f >= shadowMinLight*paper
	}
	out := make([]bool, len(fine))
	seen := make([]bool, len(fine))
	var stack, comp []int
	for start, c := range cand {
		if !c || seen[start] {
			continue
		}
		comp = comp[:0]
		stack = append(stack[:0], start)
		seen[start] = true
		border := false
		var rough float64
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			comp = append(comp, i)
			x, y := i%w, i/w
			if x <= 1 || y <= 1 || x >= w-2 || y >= h-2 {
				border = true
			}
			rough += float64((fine[i] - m[i]) / max(fine[i], 1))
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					if j := ny*w + nx; cand[j] && !seen[j] {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		if !border || float64(len(comp)) < shadowMinFrac*float64(len(fine)) || rough/float64(len(comp)) > shadowMaxRough {
			continue
		}
		for _, i := range comp {
			out[i] = true
		}
	}
	return out
}

// percentile returns the q-quantile of values in [0, 255] (to 1/4 level).
func percentile(v []float32, q float64) float32 {
	var hist [1024]int
	for _, x := range v {
		hist[min(max(int(x*4), 0), 1023)]++
	}
	want := int(q * float64(len(v)))
	acc := 0
	for i, c := range hist {
		acc += c
		if acc > want {
			return float32(i) / 4
		}
	}
	return 255
}

// pushPull fills cells of weight 0 from their weighted surroundings, coarse
// to fine (Gortler et al., "The Lumigraph", 1996).
func pushPull(v, wt []float32, w, h int) {
	if w <= 1 && h <= 1 {
		return
	}
	cw, ch := (w+1)/2, (h+1)/2
	cv, cwt := make([]float32, cw*ch), make([]float32, cw*ch)
	for y := range h {
		for x := range w {
			i, j := y*w+x, (y/2)*cw+x/2
			cv[j] += v[i] * wt[i]
			cwt[j] += wt[i]
		}
	}
	for j := range cv {
		if cwt[j] > 0 {
			cv[j] /= cwt[j]
			cwt[j] = min(cwt[j], 1)
		}
	}
	pushPull(cv, cwt, cw, ch)
	for y := range h {
		for x := range w {
			i := y*w + x
			if wt[i] < 1 {
				c := cv[(y/2)*cw+x/2]
				v[i] = v[i]*wt[i] + c*(1-wt[i])
				wt[i] = 1
			}
		}
	}
}

// bgInterp interpolates the gain scale/bg bilinearly between cell centres
// for a plane whose pixels are `factor` image pixels wide (1 for luma, 2 for
// 4:2:0 chroma). Each row is processed as runs of pixels between two cell
// centres, along which the gain changes by a constant step.
type bgInterp struct {
	bg     *background
	factor int
	inv    []float32 // scale/bg per cell
	runs   []gainRun
	ra     []int // one row of gains, 16 fractional bits
}

// gainRun is the pixels [x0, x1) between the centres of cells i and i+1
// (or before the first / after the last centre, with step 0), the first at
// fraction f0 of the way (8 fractional bits), each next one df further.
type gainRun struct {
	x0, x1 int
	i      int
	f0, df int
	flat   bool // constant gain (outside the outermost centres)
}

func (bg *background) interp(scale float32, planeW, factor int) *bgInterp {
	it := &bgInterp{bg: bg, factor: factor, inv: make([]float32, len(bg.v)), ra: make([]int, bg.w+1)}
	for i, v := range bg.v {
		it.inv[i] = scale / max(v, 4)
	}
	// Pixel x's centre is at grid coordinate (x+0.5)·factor/cell − 0.5.
	gx := func(x int) float64 { return (float64(x)+0.5)*float64(factor)/float64(bg.cell) - 0.5 }
	firstAtLeast := func(g float64) int { // first pixel with gx(x) >= g
		x := int(math.Ceil((g+0.5)*float64(bg.cell)/float64(factor) - 0.5))
		return min(max(x, 0), planeW)
	}
	df := int(math.Round(256 * float64(factor) / float64(bg.cell)))
	x := firstAtLeast(0)
	if x > 0 {
		it.runs = append(it.runs, gainRun{x0: 0, x1: x, i: 0, flat: true})
	}
	for i := 0; i < bg.w-1 && x < planeW; i++ {
		x1 := firstAtLeast(float64(i + 1))
		if x1 > x {
			it.runs = append(it.runs, gainRun{x0: x, x1: x1, i: i, f0: int(math.Round((gx(x) - float64(i)) * 256)), df: df})
		}
		x = x1
	}
	if x < planeW {
		it.runs = append(it.runs, gainRun{x0: x, x1: planeW, i: bg.w - 1, flat: true})
	}
	return it
}

// rowCells returns the grid row above plane row y and the weight of the
// row below.
func (it *bgInterp) rowCells(y int) (int, float32) {
	bg := it.bg
	gy := (float32(y)+0.5)*float32(it.factor)/float32(bg.cell) - 0.5
	j0 := int(floor32(gy))
	f := gy - float32(j0)
	if j0 < 0 {
		j0, f = 0, 0
	}
	if j0 >= bg.h-1 {
		j0, f = max(bg.h-2, 0), 1
		if bg.h == 1 {
			f = 0
		}
	}
	return j0, f
}

// prepareRow interpolates the cells' gains vertically for plane row y.
func (it *bgInterp) prepareRow(y int) {
	bg := it.bg
	j0, f := it.rowCells(y)
	a := it.inv[j0*bg.w : (j0+1)*bg.w]
	b := a
	if bg.h > 1 {
		b = it.inv[(j0+1)*bg.w : (j0+2)*bg.w]
	}
	ra := it.ra[:bg.w]
	for i := range ra {
		ra[i] = int((a[i] + (b[i]-a[i])*f) * 65536)
	}
	it.ra[bg.w] = ra[bg.w-1]
}

// divideRow multiplies row by the gain: luma flattening.
func (it *bgInterp) divideRow(y int, row []byte) {
	it.prepareRow(y)
	for _, r := range it.runs {
		seg := row[r.x0:r.x1]
		l := it.ra[r.i]
		if r.flat {
			g := uint32(l)
			for x, v := range seg {
				seg[x] = uint8(min((uint32(v)*g+1<<15)>>16, 255))
			}
			continue
		}
		d := it.ra[r.i+1] - l
		g := l<<8 + d*r.f0 // 24 fractional bits
		step := d * r.df
		for x, v := range seg {
			seg[x] = uint8(min((uint64(v)*uint64(g)+1<<23)>>24, 255))
			g += step
		}
	}
}

// gainRow writes each pixel's gain (16 fractional bits) into dst.
func (it *bgInterp) gainRow(y int, dst []uint32) {
	it.prepareRow(y)
	for _, r := range it.runs {
		seg := dst[r.x0:r.x1]
		l := it.ra[r.i]
		if r.flat {
			for x := range seg {
				seg[x] = uint32(l)
			}
			continue
		}
		d := it.ra[r.i+1] - l
		g := l<<8 + d*r.f0
		step := d * r.df
		for x := range seg {
			seg[x] = uint32(g >> 8)
			g += step
		}
	}
}

// flattenGray divides the lighting out of g in place: paper becomes white
// (255), ink keeps its contrast to the paper around it.
//
// Where the lighting steps sharply (a hard shadow's edge), plain
// interpolation of the coarse background would leave a dark seam on the
// shadow's side; there each pixel weighs the surrounding cells by how close
// their background is to its own value (joint bilateral upsampling, Kopf et
// al. 2007), so paper pixels follow their own side of the edge. Ink on the
// lit side can be as dark as paper in the shadow: a pixel much darker than
// the background so chosen, with brighter paper within a stroke's width
// (the brightest pixel in a (2k+1)² window), is ink on that paper.
func flattenGray(ctx context.Context, g plane, bg *background) error {
	it := bg.interp(255, g.w, 1)
	edge := bg.edgeQuads()
	k := max(2, max(g.w, g.h)/800)
	// ring keeps the original of rows y-k..y (rows above y are flattened
	// already; rows below are still original in g).
	ring := make([]byte, (k+1)*g.w)
	origRow := func(y, yy int) []byte {
		if yy <= y {
			o := (yy % (k + 1)) * g.w
			return ring[o : o+g.w]
		}
		return g.pix[yy*g.s : yy*g.s+g.w]
	}
	for y := range g.h {
		if y&63 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		row := g.pix[y*g.s : y*g.s+g.w]
		copy(ring[(y%(k+1))*g.w:], row)
		j0, fy := it.rowCells(y)
		if !edge.anyInRow[j0] {
			it.divideRow(y, row)
			continue
		}
		orig := origRow(y, y)
		it.divideRow(y, row)
		erow := edge.quad[j0*bg.w:]
		for x := range row {
			gx := (float32(x)+0.5)/float32(bg.cell) - 0.5
			i0 := min(max(int(floor32(gx)), 0), max(bg.w-2, 0))
			if !erow[i0] {
				continue
			}
			fx := min(max(gx-float32(i0), 0), 1)
			v := float32(orig[x])
			b := bg.edgeAware(i0, j0, fx, fy, v)
			if v < inkFrac*b {
				var m byte
				for yy := max(y-k, 0); yy <= min(y+k, g.h-1); yy++ {
					r := origRow(y, yy)
					for _, u := range r[max(x-k, 0):min(x+k+1, g.w)] {
						m = max(m, u)
					}
				}
				if bm := bg.edgeAware(i0, j0, fx, fy, float32(m)); bm > b {
					b = bm
				}
			}
			row[x] = uint8(min(255, v*255/b+0.5))
		}
	}
	return nil
}

// inkFrac: a pixel under this fraction of its background is ink.
const inkFrac = 0.8

// edgeMask marks 2×2 cell neighbourhoods whose background spans a sharp
// lighting step.
type edgeMask struct {
	quad     []bool // quad[j*w+i]: cells (i..i+1, j..j+1)
	anyInRow []bool
}

// edgeStep: a neighbourhood whose background varies by more than this
// fraction of its brightest cell is a lighting edge.
const edgeStep = 0.12

func (bg *background) edgeQuads() edgeMask {
	w, h := bg.w, bg.h
	raw := make([]bool, w*h)
	for j := range h {
		j1 := min(j+1, h-1)
		for i := range w {
			i1 := min(i+1, w-1)
			a, b, c, d := bg.v[j*w+i], bg.v[j*w+i1], bg.v[j1*w+i], bg.v[j1*w+i1]
			hi, lo := max(a, b, c, d), min(a, b, c, d)
			raw[j*w+i] = hi-lo > edgeStep*hi
		}
	}
	// Grow by one cell: pixels of a cell straddling the step need the
	// neighbourhood beyond it.
	m := edgeMask{quad: make([]bool, w*h), anyInRow: make([]bool, h)}
	for j := range h {
		for i := range w {
			if !raw[j*w+i] {
				continue
			}
			for jj := max(j-1, 0); jj <= min(j+1, h-1); jj++ {
				for ii := max(i-1, 0); ii <= min(i+1, w-1); ii++ {
					m.quad[jj*w+ii] = true
					m.anyInRow[jj] = true
				}
			}
		}
	}
	return m
}

// edgeAware returns the background for a pixel of value v at fractional
// position (fx, fy) between cells (i, j) and (i+1, j+1): the 4×4 cells
// around it weighted by distance (a tent two cells wide) and by how close
// their background is to v.
func (bg *background) edgeAware(i, j int, fx, fy, v float32) float32 {
	var hi float32
	for jj := max(j-1, 0); jj <= min(j+2, bg.h-1); jj++ {
		for ii := max(i-1, 0); ii <= min(i+2, bg.w-1); ii++ {
			hi = max(hi, bg.v[jj*bg.w+ii])
		}
	}
	sigma := 0.06 * hi
	var num, den float32
	for dj := -1; dj <= 2; dj++ {
		jj := min(max(j+dj, 0), bg.h-1)
		wy := max(0, 2-abs32(float32(dj)-fy))
		for di := -1; di <= 2; di++ {
			ii := min(max(i+di, 0), bg.w-1)
			wx := max(0, 2-abs32(float32(di)-fx))
			c := bg.v[jj*bg.w+ii]
			d := (v - c) / sigma
			w := (wx*wy + 1e-3) / (1 + d*d)
			num += w * c
			den += w
		}
	}
	return max(num/den, 4)
}

// flattenChroma scales chroma deviations from neutral by the same gain as
// the luma (so a colour keeps its saturation when its brightness is
// restored), after removing the paper's colour cast c0.
func flattenChroma(ctx context.Context, c plane, bg *background, factor int, c0 float32) error {
	it := bg.interp(255, c.w, factor)
	gain := make([]uint32, c.w)
	for y := range c.h {
		if y&63 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		it.gainRow(y, gain)
		row := c.pix[y*c.s : y*c.s+c.w]
		for x, v := range row {
			d := (float32(v) - c0) * float32(gain[x]) / 65536
			row[x] = clamp8(int32(128 + d + 0.5*sign32(d)))
		}
	}
	return nil
}

func sign32(v float32) float32 {
	if v < 0 {
		return -1
	}
	return 1
}

func floor32(v float32) float32 {
	i := float32(int(v))
	if i > v {
		i--
	}
	return i
}

// unsharp sharpens p in place: v + amount·(v − box blur of radius r), the
// blur a box filter applied twice (close to a Gaussian of σ ≈ 0.8r).
func unsharp(ctx context.Context, p plane, r int, amount float32) error {
	if r < 1 || amount <= 0 {
		return nil
	}
	blur := make([]byte, p.w*p.h)
	for y := range p.h {
		copy(blur[y*p.w:(y+1)*p.w], p.pix[y*p.s:y*p.s+p.w])
	}
	for range 2 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		boxBlur(blur, p.w, p.h, r)
	}
	for y := range p.h {
		row := p.pix[y*p.s : y*p.s+p.w]
		b := blur[y*p.w : (y+1)*p.w]
		for x, v := range row {
			d := float32(v) - float32(b[x])
			row[x] = clamp8(int32(float32(v) + amount*d + 0.5*sign32(d)))
		}
	}
	return nil
}

// boxBlur blurs a w×h plane (stride w) in place with a (2r+1)² box,
// separably, with running sums, the ends repeated, each pass rounded to
// the nearest byte. The vertical pass runs along rows (a running sum per
// column, the last 2r+1 source rows kept in a ring), so memory is read in
// order.
func boxBlur(p []byte, w, h, r int) {
	if w <= 0 || h <= 0 || r < 1 || r > 2047 {
		return
	}
	n := int32(2*r + 1)
	half := n / 2
	// (s+half)/n as a multiplication: m = ⌈2³²/n⌉ gives the exact quotient
	// for any dividend v with v·n < 2³² (here v ≤ 256n, n ≤ 2¹²).
	m := (uint64(1)<<32 + uint64(n) - 1) / uint64(n)
	div := func(s int32) byte { return byte(uint64(s+half) * m >> 32) }
	// Horizontal: each row through a padded copy of itself.
	line := make([]int32, w+2*r)
	for y := range h {
		row := p[y*w : (y+1)*w]
		for i := range r {
			line[i], line[w+r+i] = int32(row[0]), int32(row[w-1])
		}
		for i, v := range row {
			line[r+i] = int32(v)
		}
		var s int32
		for _, v := range line[:n] {
			s += v
		}
		for i := range w - 1 {
			row[i] = div(s)
			s += line[i+int(n)] - line[i]
		}
		row[w-1] = div(s)
	}
	// Vertical: sum[x] is the sum of rows y-r..y+r (clamped) at column x.
	// A source row leaves the window r+1 rows after its own output row
	// was written, so the ring keeps copies of the 2r+1 rows in the window.
	ring := make([]byte, int(n)*w)
	keep := func(y int) { copy(ring[(y%int(n))*w:], p[y*w:(y+1)*w]) }
	src := func(y int) []byte { // source row y, clamped, from the ring
		y = min(max(y, 0), h-1)
		return ring[(y%int(n))*w : (y%int(n))*w+w]
	}
	sum := make([]int32, w)
	for y := range min(r+1, h) {
		keep(y)
	}
	for i := -r; i <= r; i++ {
		for x, v := range src(i) {
			sum[x] += int32(v)
		}
	}
	for y := range h {
		out := p[y*w : (y+1)*w]
		for x, s := range sum {
			out[x] = div(s)
		}
		if y == h-1 {
			break
		}
		// Slide: drop row y-r, then add row y+r+1 (which takes the
		// dropped row's place in the ring).
		for x, v := range src(y - r) {
			sum[x] -= int32(v)
		}
		if in := y + r + 1; in < h {
			keep(in)
		}
		for x, v := range src(y + r + 1) {
			sum[x] += int32(v)
		}
	}
}
