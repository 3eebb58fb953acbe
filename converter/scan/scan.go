// Package scan turns a phone photo of a document into a clean page image,
// as a flatbed scanner would: it finds the paper's four corners against the
// background (four straight edges, or else the largest bright page-shaped
// region), corrects the perspective straight into the target size, turns
// the page upright, divides out uneven lighting (following the hard edge
// of a hand's shadow, so a shadowed text page is still a text page),
// sharpens soft print, straightens the bowed lines of a curled page, and
// renders it in colour, clean grey or black and white.
//
// Everything is pure Go working on the image's byte planes (the Y plane of
// an *image.YCbCr is used directly), so one 12 MP photo takes a few tens of
// milliseconds and a few megabytes beyond the decoded photo.
package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
)

// Options controls Scan.
type Options struct {
	Mode Mode
	// Target page size in pixels (e.g. A4 at 150 DPI = 1240×1754 portrait).
	// Only the sizes matter, not their order: a portrait page fits within
	// min×max, a landscape one within max×min. A page whose aspect is
	// within 10% of the target's fills it exactly; other pages keep their
	// aspect. ID cards: see Result.Card.
	TargetW, TargetH int
	// Corners, when set, are the page's corners in src's coordinates
	// (relative to src.Bounds().Min), top-left, top-right, bottom-right,
	// bottom-left, as a person placed them: they are used as they are
	// instead of finding the outline. The caller validates them (inside
	// src, a convex quadrilateral of a sane size); Scan only refuses
	// values that are not finite (ErrOptions).
	Corners *[4]Point
	// Page, when set, is the page an earlier Scan of the same photo
	// located (Result.Page), moved into src's coordinates (Page.Scaled):
	// it is used as it is, with its estimated aspect ratio, instead of
	// locating the page again, so a photo decoded again at a larger scale
	// or only around the page renders the same page. It overrides Corners.
	Page *Page
	// Enough, when set, is asked once the page is located, measured and
	// its mode chosen, before its image is rendered: true ends the scan
	// there, with a Result whose Image is nil (the caller scans again,
	// e.g. small print at a higher resolution, and would throw the image
	// away).
	Enough func(Result) bool
}

// Page is the page as Scan located it: its corners (top-left, top-right,
// bottom-right, bottom-left of the photo's frame, in src's coordinates),
// whether its outline was found, and its estimated real width/height
// (width along the first side).
type Page struct {
	Corners [4]Point
	Found   bool
	Ratio   float64
	// When the outline was located (not placed by a person): the corners
	// before refinement, the edges' polarity and the detection copy's
	// scale, so that Scan refines them again on src's pixels (a larger
	// decode refines them more precisely), and the photo's centre and
	// focal length in pixels for the aspect ratio.
	located  bool
	coarse   [4]pt
	brighter bool
	detectK  float64
	centre   pt
	focal    float64
}

// Scaled returns the page in the coordinates of the same photo scaled by k
// and then shifted by -off (a crop whose top-left corner is off).
func (p Page) Scaled(k float64, off Point) Page {
	o := pt{off.X, off.Y}
	for i, c := range p.Corners {
		p.Corners[i] = Point{c.X*k - off.X, c.Y*k - off.Y}
		p.coarse[i] = p.coarse[i].scale(k).sub(o)
	}
	p.detectK *= k
	p.centre = p.centre.scale(k).sub(o)
	p.focal *= k
	return p
}

// Reach returns the bounding box, in src's coordinates, of the pixels a
// Scan given this page as Options.Page reads to render it: its corners
// and, for a page it located, the band across each edge of its coarse
// outline where the corners are refined again (refineCorners). The
// resampling taps and the prefilter read a few pixels beyond the corners:
// the caller leaves a margin for them.
func (p Page) Reach() (lo, hi Point) {
	lo = Point{math.Inf(1), math.Inf(1)}
	hi = Point{math.Inf(-1), math.Inf(-1)}
	grow := func(c pt, r float64) {
		lo.X, lo.Y = math.Min(lo.X, c.x-r), math.Min(lo.Y, c.y-r)
		hi.X, hi.Y = math.Max(hi.X, c.x+r), math.Max(hi.Y, c.y+r)
	}
	for _, c := range p.Corners {
		grow(pt{c.X, c.Y}, 0)
	}
	if p.located {
		// Profiles ± radius across each coarse side, averaged over
		// ± refineAlong along it, read at the floor of each position.
		r := float64(3*int(math.Round(p.detectK))+4+refineAlong) + 1
		for _, c := range p.coarse {
			grow(c, r)
		}
	}
	return lo, hi
}

// Point is a point in an image's pixel coordinates (x right, y down).
type Point struct{ X, Y float64 }

// Result is the scanned page.
type Result struct {
	// Image is an *image.Gray for ModeGray and ModeBW (BW pixels are 0 or
	// 255) and an *image.YCbCr (4:2:0) for ModeColor. It does not alias src.
	Image image.Image
	// Mode is the resolved mode (never ModeAuto).
	Mode Mode
	// Card reports that the page found has an ID card's proportions
	// (85.6×54 mm, ratio ~1.586) rather than a full page's. The image then
	// spans just the card at twice the target's pixel density for A4
	// (its long side is 2 × long(Target) × 85.6/297 pixels): place it at
	// 85.6 mm wide for the card's real size.
	Card bool
	// Landscape reports that the upright page is wider than tall.
	Landscape bool
	// Found reports that the paper's outline was found; when false the
	// whole photo was used as the page.
	Found bool
	// Corners are the page's corners in src's coordinates (relative to
	// src.Bounds().Min), top-left, top-right, bottom-right, bottom-left of
	// the photo's frame (before turning the page upright).
	Corners [4]image.Point
	// Turns is the number of clockwise quarter-turns applied to make the
	// page upright.
	Turns int
	// Measures are the page's readability measures (see Measures).
	Measures Measures
	// Page is the page located, with unrounded corners (see Options.Page).
	Page Page
}

var (
	// ErrEmpty is returned for an image without pixels.
	ErrEmpty = errors.New("scan: empty image")
	// ErrOptions is returned for a missing or invalid target size.
	ErrOptions = errors.New("scan: invalid options")
)

const (
	cardRatio    = 85.6 / 53.98
	cardMinRatio = 1.53
	cardMaxRatio = 1.66
	a4Long       = 297.0
	cardLongMM   = 85.6
	// snapTolerance: a page within this relative aspect difference of the
	// target fills the target exactly.
	snapTolerance = 0.10
	maxTarget     = 20000
	// borderInset: the page is sampled this fraction of its size inside the
	// outline found (0.8 mm on A4), so no sliver of background shows.
	borderInset = 0.004
)

// Scan finds the page in src and renders it upright at the target size.
// When no page outline is found the whole photo is the page: Scan fails
// only for an empty image, invalid options, or when ctx ends (ctx.Err()).
func Scan(ctx context.Context, src image.Image, opts Options) (Result, error) {
	if opts.TargetW <= 0 || opts.TargetH <= 0 || opts.TargetW > maxTarget || opts.TargetH > maxTarget {
		return Result{}, fmt.Errorf("%w: target %d×%d", ErrOptions, opts.TargetW, opts.TargetH)
	}
	if opts.Mode < ModeAuto || opts.Mode > ModeBW {
		return Result{}, fmt.Errorf("%w: mode %d", ErrOptions, opts.Mode)
	}
	if src == nil || src.Bounds().Empty() {
		return Result{}, ErrEmpty
	}
	if c := opts.Corners; c != nil {
		for _, q := range c {
			if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) {
				return Result{}, fmt.Errorf("%w: corners not finite", ErrOptions)
			}
		}
	}
	p, err := newPlanes(ctx, src)
	if err != nil {
		return Result{}, err
	}
	sm, err := newSmall(ctx, p)
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if pp := opts.Page; pp != nil {
		for _, q := range pp.Corners {
			if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) {
				return Result{}, fmt.Errorf("%w: page corners not finite", ErrOptions)
			}
		}
		if !(pp.Ratio > 0) || math.IsInf(pp.Ratio, 0) {
			return Result{}, fmt.Errorf("%w: page ratio %v", ErrOptions, pp.Ratio)
		}
	}
	var pg page
	if pp := opts.Page; pp != nil {
		pg = page{found: pp.Found, ratio: pp.Ratio}
		for i, c := range pp.Corners {
			pg.corners[i] = pt{c.X, c.Y}
		}
		if pp.located {
			// Refined again on these pixels, as locate does.
			pg.corners = refineCorners(p, pp.coarse, pp.brighter, int(math.Round(pp.detectK)))
			pg.ratio = aspectRatio(pg.corners, pp.centre, pp.focal)
			pg.coarse, pg.brighter, pg.detectK, pg.located = pp.coarse, pp.brighter, pp.detectK, true
		}
	} else if c := opts.Corners; c != nil {
		pg = placed(p, *c)
	} else {
		pg = locate(p, sm)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	res, err := render(ctx, p, sm, pg, opts, true)
	if errors.Is(err, errNotCard) {
		res, err = render(ctx, p, sm, pg, opts, false)
	}
	return res, err
}

// Soft print: a page whose ink edges are wider than softEdgeWidth pixels
// (sharp print on a 12 MP photo: 1.2–1.6) is sharpened by softSharpen.
const (
	softEdgeWidth = 2.5
	softSharpen   = 1.0
)

// errNotCard: a page with a card's proportions turned out to carry a
// page's text (lines too small for a card); render it again as a page.
var errNotCard = errors.New("scan: not a card")

// maxPageLineFrac: text lines (ascender to descender) under this fraction
// of the long side are a page's body text (11 pt on A4 is about 1.3%), not
// an ID card's (usually 2.5–4% of 85.6 mm).
const maxPageLineFrac = 0.019

// render warps, flattens, turns and renders the located page.
func render(ctx context.Context, p *planes, sm *small, pg page, opts Options, allowCard bool) (Result, error) {
	outW, outH, card := pageSize(pg, opts, allowCard)
	m := rectToQuad(pg.corners, outW, outH)
	if pg.found {
		// Stay a little inside the paper's edge so no background shows.
		ix, iy := borderInset*float64(outW), borderInset*float64(outH)
		m = m.mul(homography{1 - 2*ix/float64(outW), 0, ix, 0, 1 - 2*iy/float64(outH), iy, 0, 0, 1})
	}
	scale := sourceScale(pg.corners, outW, outH)
	src, pre, rest, err := prefilter(ctx, plane{p.y, p.w, p.h, p.ys}, pg.corners, scale)
	if err != nil {
		return Result{}, err
	}
	luma, err := warpPlane(ctx, src, pre.mul(m), outW, outH, tapsFor(rest))
	if err != nil {
		return Result{}, err
	}
	bg, err := estimateBackground(ctx, luma)
	if err != nil {
		return Result{}, err
	}
	// The readability measures see the page as photographed, before it
	// is flattened.
	var ms Measures
	lumaMeasured := measuring && measureLuma(&ms, luma)
	// A colour page keeps the page as photographed beside the flattened
	// one; a grey one is flattened in place.
	flat := luma
	if opts.Mode == ModeColor || (opts.Mode == ModeAuto && p.hasChroma()) {
		flat = plane{pix: append([]byte(nil), luma.pix...), w: luma.w, h: luma.h, s: luma.s}
	}
	if err := flattenGray(ctx, flat, bg); err != nil {
		return Result{}, err
	}
	orient, err := detectOrientation(ctx, flat)
	if err != nil {
		return Result{}, err
	}
	if card && orient.lines >= 3 && float64(orient.lineHeight) < maxPageLineFrac*float64(max(outW, outH)) {
		return Result{}, errNotCard
	}
	if measuring {
		if lumaMeasured {
			measurePage(&ms, flat, orient)
		}
		measureFrame(&ms, sm, pg, p.w, p.h)
	}
	// Soft print (an old phone's lens, strong JPEG, a magnified photo):
	// sharpen at the scale of its edges before the tone curve, so the
	// tone curve does not fill the letters' counters.
	ew := ms.EdgeWidth
	if !measuring {
		ew = edgeWidthOf(flat)
	}
	if ew > softEdgeWidth {
		if err := unsharp(ctx, flat, int(ew+0.5), softSharpen); err != nil {
			return Result{}, err
		}
		orient.turns = orient.softTurns()
	}
	st := statsOf(flat)
	mode := opts.Mode
	photo := photoLike(st, bg, colourfulness(sm, pg))
	if mode == ModeAuto {
		mode = ModeGray
		if (photo || card) && p.hasChroma() {
			mode = ModeColor
		}
	}
	res := Result{Mode: mode, Card: card, Found: pg.found, Turns: orient.turns, Measures: ms,
		Page: Page{Found: pg.found, Ratio: pg.ratio, located: pg.located, coarse: pg.coarse, brighter: pg.brighter,
			detectK: pg.detectK, centre: pt{float64(p.w) / 2, float64(p.h) / 2}, focal: 0.8 * float64(max(p.w, p.h))}}
	for i, c := range pg.corners {
		res.Corners[i] = image.Pt(int(math.Round(c.x)), int(math.Round(c.y)))
		res.Page.Corners[i] = Point{c.x, c.y}
	}
	if opts.Enough != nil && opts.Enough(res) {
		return res, nil
	}
	switch mode {
	case ModeGray, ModeBW:
		if mode == ModeGray {
			lut := levelMap(&st)
			applyLUT(flat, &lut)
		} else {
			r := max(7, max(flat.w, flat.h)/120)
			if err := sauvola(ctx, flat, r, 0.2); err != nil {
				return Result{}, err
			}
		}
		up := rotatePlane(flat, orient.turns)
		if !card {
			if up, err = dewarp(ctx, up, mode == ModeBW); err != nil {
				return Result{}, err
			}
		}
		res.Image = toGray(up)
	case ModeColor:
		img, err := renderColour(ctx, p, m, scale, luma, flat, bg, !photo && !card, st)
		if err != nil {
			return Result{}, err
		}
		res.Image = rotateYCbCr(img, orient.turns)
	}
	b := res.Image.Bounds()
	res.Landscape = b.Dx() > b.Dy()
	return res, nil
}

// page is the located page in source coordinates.
type page struct {
	corners [4]pt // TL, TR, BR, BL
	found   bool
	ratio   float64 // estimated real width/height (width along TL→TR)
	// located: the outline was found by locate, from coarse corners on
	// the detection copy (scale detectK) refined on edges of the given
	// polarity.
	located  bool
	coarse   [4]pt
	brighter bool
	detectK  float64
}

// placed is the page whose corners a person placed, kept within the image.
func placed(p *planes, c [4]Point) page {
	w, h := float64(p.w), float64(p.h)
	var q [4]pt
	for i, v := range c {
		q[i] = pt{math.Max(0, math.Min(w, v.X)), math.Max(0, math.Min(h, v.Y))}
	}
	f := 0.8 * math.Max(w, h)
	return page{corners: q, found: true, ratio: aspectRatio(q, pt{w / 2, h / 2}, f)}
}

// locate finds the page outline, or returns the whole image.
func locate(p *planes, sm *small) page {
	e := findEdges(sm)
	lines := houghLines(e)
	cand, ok := findQuad(e, lines)
	w, h := float64(p.w), float64(p.h)
	whole := page{corners: [4]pt{{0, 0}, {w, 0}, {w, h}, {0, h}}, ratio: w / h}
	bq, blob := blobQuad(sm)
	switch {
	case !ok && !blob:
		return whole
	case !ok:
		// No four straight edges: the largest bright region, as it is
		// page-shaped (a curled page, a patterned table).
		cand.corners, cand.brighter = bq, true
	case blob && inside(cand.corners, sm.w, sm.h) && quadArea(cand.corners) > blobOverlap*quadArea(bq) &&
		quadArea(cand.corners) <= blobMaxOverlap*quadArea(bq) && near(cand.corners, bq):
		// The straight edges found take in some of the table (a
		// tablecloth's stripe along the page's edge): the bright region
		// is the page.
		cand.corners, cand.brighter = bq, true
	}
	k := float64(sm.k)
	var q [4]pt
	for i, c := range cand.corners {
		q[i] = c.scale(k)
	}
	coarse := q
	q = refineCorners(p, q, cand.brighter, sm.k)
	f := 0.8 * math.Max(w, h) // a phone's typical focal length in pixels
	return page{corners: q, found: true, ratio: aspectRatio(q, pt{w / 2, h / 2}, f),
		located: true, coarse: coarse, brighter: cand.brighter, detectK: float64(sm.k)}
}

// blobOverlap: a page outline from straight edges larger than the bright
// region's by more than this factor (and at most blobMaxOverlap: beyond,
// the bright region may be only the lit part of the page) takes in some of
// the table.
const (
	blobOverlap    = 1.03
	blobMaxOverlap = 1.2
	blobMaxShift   = 0.06
)

// near reports whether each corner of b is within blobMaxShift of the
// page's diagonal from a's.
func near(a, b [4]pt) bool {
	diag := math.Max(a[0].dist(a[2]), a[1].dist(a[3]))
	for i := range a {
		if a[i].dist(b[i]) > blobMaxShift*diag {
			return false
		}
	}
	return true
}

// inside reports whether the quad q lies within a w×h frame.
func inside(q [4]pt, w, h int) bool {
	for _, c := range q {
		if c.x < 0 || c.y < 0 || c.x > float64(w) || c.y > float64(h) {
			return false
		}
	}
	return true
}

// pageSize chooses the output size in the photo's frame (before turning
// upright) and whether the page is an ID card.
func pageSize(pg page, opts Options, allowCard bool) (w, h int, card bool) {
	short, long := min(opts.TargetW, opts.TargetH), max(opts.TargetW, opts.TargetH)
	r := pg.ratio
	wide := r > 1
	pr := r // page's long/short ratio
	if !wide {
		pr = 1 / r
	}
	box := func(s, l int) (int, int) {
		if wide {
			return l, s
		}
		return s, l
	}
	if allowCard && pg.found && pr >= cardMinRatio && pr <= cardMaxRatio {
		cl := int(math.Round(2 * float64(long) * cardLongMM / a4Long))
		cs := int(math.Round(float64(cl) / cardRatio))
		// Never larger than the target box.
		if f := math.Min(float64(long)/float64(cl), float64(short)/float64(cs)); f < 1 {
			cl, cs = int(float64(cl)*f), int(float64(cs)*f)
		}
		w, h = box(max(cs, 1), max(cl, 1))
		return w, h, true
	}
	tr := float64(long) / float64(short)
	if pg.found && math.Abs(pr-tr) <= snapTolerance*tr {
		w, h = box(short, long)
		return w, h, false
	}
	if pr >= tr { // longer than the target: long side fills
		w, h = box(max(1, int(math.Round(float64(long)/pr))), long)
	} else {
		w, h = box(short, max(1, int(math.Round(float64(short)*pr))))
	}
	return w, h, false
}

// colourfulness is the fraction of the page (on the detection copy) whose
// colour differs clearly from the paper's.
func colourfulness(sm *small, pg page) float64 {
	if sm.cb == nil {
		return 0
	}
	// Inside the page: on the inner side of all four edges (a·x + b·y ≥ c).
	var hp [4][3]float64
	for i := range 4 {
		a, b := pg.corners[i].scale(1/float64(sm.k)), pg.corners[(i+1)%4].scale(1/float64(sm.k))
		hp[i] = [3]float64{-(b.y - a.y), b.x - a.x, -(b.y-a.y)*a.x + (b.x-a.x)*a.y}
	}
	// Every other pixel of every other row is plenty for a fraction.
	inside := make([]bool, sm.w*sm.h)
	var maxY float32
	for y := 0; y < sm.h; y += 2 {
		fy := float64(y) + 0.5
		for x := 0; x < sm.w; x += 2 {
			fx := float64(x) + 0.5
			in := true
			for _, h := range hp {
				if h[0]*fx+h[1]*fy < h[2] {
					in = false
					break
				}
			}
			if in {
				inside[y*sm.w+x] = true
				maxY = max(maxY, sm.y[y*sm.w+x])
			}
		}
	}
	// Paper colour: mean chroma of bright pixels inside the page.
	var sb, sr float64
	var n, total int
	for i, in := range inside {
		if in && sm.y[i] >= 0.7*maxY {
			sb += float64(sm.cb[i])
			sr += float64(sm.cr[i])
			n++
		}
	}
	if n == 0 {
		return 0
	}
	cb0, cr0 := float32(sb/float64(n)), float32(sr/float64(n))
	colourful := 0
	for i, in := range inside {
		if !in {
			continue
		}
		total++
		if sm.y[i] > 40 && abs32(sm.cb[i]-cb0)+abs32(sm.cr[i]-cr0) > 24 {
			colourful++
		}
	}
	return float64(colourful) / float64(total)
}
