package converter

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"

	"github.com/coffre/coffre/converter/internal/jpegenc"
)

// Mixed raster content (issue 19): a text page in auto mode is drawn as a
// bilevel text layer (CCITT G4, an /ImageMask painted black) at
// maskDPI over a small grey background image at bgDPI, as DjVu and
// PDF/MRC do. When the page's background is plain (white paper with
// nothing but ink on it: the common case once the lighting is divided
// out), the background is left out and the page is pure G4.
//
// The text layer is made from the clean grey page by interpolating it up
// to maskDPI (bilinear) before thresholding, so strokes keep smooth edges
// and thin strokes are not broken by the coarser grid.
const (
	// maskDPI: the text layer's resolution (never below the page's).
	maskDPI = 300
	// maskThreshold: where the grey page is uniform, values below this
	// are ink. The clean grey page maps the paper to 255 and the ink to
	// 0.
	maskThreshold = 160
	// maskWindow: the local threshold's window radius, in inches (3
	// pixels at 150 DPI: a stroke and the paper beside it).
	maskWindow = 0.02
	// maskMinContrast: a window whose values span less than this is
	// uniform (paper, a fill, inside a thick stroke).
	maskMinContrast = 64
	// bgDPI: the background image's resolution.
	bgDPI = 60
	// bgQuality: the background image's JPEG quality.
	bgQuality = 50
	// bgPlainLevel: a background cell at least this bright is white paper.
	bgPlainLevel = 232
	// bgPlainFrac: a page whose background cells are white paper but for
	// this fraction has no background image.
	bgPlainFrac = 0.003
)

// mixedOK reports whether a scanned page in auto mode becomes mixed raster
// content: grey text pages (photos and ID cards keep their colour or grey).
func mixedOK(img image.Image, card bool) bool {
	_, gray := img.(*image.Gray)
	return gray && !card
}

// encodeMixed encodes a clean grey page scanned at dpi as a text mask and
// an optional background (nil when the background is plain).
func encodeMixed(ctx context.Context, g *image.Gray, dpi int) (pdfImage, *pdfImage, error) {
	b := g.Bounds()
	if b.Empty() {
		return pdfImage{}, nil, fmt.Errorf("converter: empty page")
	}
	f := max(1, float64(maskDPI)/float64(dpi))
	r := max(1, int(math.Round(float64(dpi)*maskWindow)))
	mw, mh := maskSize(b.Dx(), b.Dy(), f)
	enc := newG4Encoder(mw, mh)
	if err := textMask(ctx, g, r, maskThreshold, maskMinContrast, f, enc.row); err != nil {
		return pdfImage{}, nil, err
	}
	m := pdfImage{data: enc.finish(), filter: "CCITTFaxDecode", w: mw, h: mh, bpc: 1, gray: true, mask: true}
	bgImg, plain := background(g, dpi)
	if plain {
		return m, nil, nil
	}
	if err := ctx.Err(); err != nil {
		return pdfImage{}, nil, err
	}
	var buf bytes.Buffer
	if err := jpegenc.Encode(&buf, bgImg, &jpegenc.Options{Quality: bgQuality}); err != nil {
		return pdfImage{}, nil, fmt.Errorf("converter: encode background: %w", err)
	}
	bb := bgImg.Bounds()
	return m, &pdfImage{data: buf.Bytes(), filter: "DCTDecode", w: bb.Dx(), h: bb.Dy(), bpc: 8, gray: true}, nil
}

// maskSize is the size of the text layer of a w×h page scaled by f ≥ 1.
func maskSize(w, h int, f float64) (int, int) {
	return max(1, int(math.Round(float64(w)*f))), max(1, int(math.Round(float64(h)*f)))
}

// textMask makes the text layer of the clean grey page g, scaled by f ≥ 1
// (maskSize), and hands its rows to emit in order, top to bottom: width
// bytes each, 0 for ink and 255 for paper, valid only during the call.
//
// Each pixel of g is compared with its local threshold (diffRows), and the
// differences are interpolated up bilinearly and cut at 0, so strokes keep
// smooth edges and thin strokes are not broken by the coarser grid.
// Output pixels whose four source neighbours are all on one side of 0 are
// set without interpolating. The page is streamed: only the rows the
// threshold's window spans are held, never a plane of the page's size
// (at 300 DPI such planes cost more in fresh memory than the arithmetic).
func textMask(ctx context.Context, g *image.Gray, r int, t uint8, minContrast int, f float64, emit func([]byte)) error {
	b := g.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := maskSize(sw, sh, f)
	rows := newDiffRows(g, r, t, minContrast)
	dst := make([]byte, dw)
	white := make([]byte, dw)
	for x := range white {
		white[x] = 255
	}
	if dw == sw && dh == sh {
		// Same size: the mask is the differences cut at 0.
		d := make([]int16, sw)
		for y := range sh {
			if y&63 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if !rows.next(d) {
				emit(white)
				continue
			}
			for x, v := range d {
				dst[x] = 255
				if v < 0 {
					dst[x] = 0
				}
			}
			emit(dst)
		}
		return nil
	}
	fx, fy := float64(sw)/float64(dw), float64(sh)/float64(dh)
	// Per output column: the left source column and the weight (8 bits)
	// of the right one.
	x0s := make([]int, dw)
	wxs := make([]int32, dw)
	for x := range dw {
		sx := (float64(x)+0.5)*fx - 0.5
		x0 := int(math.Floor(sx))
		w := sx - float64(x0)
		if x0 < 0 {
			x0, w = 0, 0
		}
		if x0 >= sw-1 {
			x0, w = max(sw-2, 0), 1
			if sw == 1 {
				w = 0
			}
		}
		x0s[x], wxs[x] = x0, int32(math.Round(w*256))
	}
	// The last two rows of differences made: prev (row have-1) and last
	// (row have), and whether each holds ink (a negative value).
	prev, last := make([]int16, sw), make([]int16, sw)
	var prevInk, lastInk bool
	have := -1
	// class[x] for the source rows y0, y0+1 and columns x, x+1: all ink
	// (0), all paper (255) or mixed (1).
	class := make([]byte, sw)
	classOf := -1
	for y := range dh {
		if y&63 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		sy := (float64(y)+0.5)*fy - 0.5
		y0 := int(math.Floor(sy))
		wy := sy - float64(y0)
		if y0 < 0 {
			y0, wy = 0, 0
		}
		if y0 >= sh-1 {
			y0, wy = max(sh-2, 0), 1
			if sh == 1 {
				wy = 0
			}
		}
		y1 := min(y0+1, sh-1)
		for have < y1 {
			prev, last = last, prev
			prevInk = lastInk
			lastInk = rows.next(last)
			have++
		}
		ra, rb, inkA, inkB := prev, last, prevInk, lastInk // rows y0, y1
		if y1 == y0 {
			ra, inkA = last, lastInk
		}
		if !inkA && !inkB {
			emit(white)
			continue
		}
		if classOf != y0 {
			classOf = y0
			for x := range class {
				x1 := min(x+1, sw-1)
				a, c, e, g := ra[x], ra[x1], rb[x], rb[x1]
				switch {
				case a >= 0 && c >= 0 && e >= 0 && g >= 0:
					class[x] = 255
				case a < 0 && c < 0 && e < 0 && g < 0:
					class[x] = 0
				default:
					class[x] = 1
				}
			}
		}
		wyi := int32(math.Round(wy * 256))
		for x := range dst {
			i0 := x0s[x]
			if k := class[i0]; k != 1 {
				dst[x] = k
				continue
			}
			i1 := min(i0+1, sw-1)
			wx := wxs[x]
			top := int32(ra[i0])*(256-wx) + int32(ra[i1])*wx
			bot := int32(rb[i0])*(256-wx) + int32(rb[i1])*wx
			if top*(256-wyi)+bot*wyi < 0 {
				dst[x] = 0
			} else {
				dst[x] = 255
			}
		}
		emit(dst)
	}
	return nil
}

// diffRows makes, row by row from the top, each pixel of g minus its
// threshold: the midpoint between the darkest and brightest values within
// r pixels (Bernsen's local threshold; a soft letter's counter is brighter
// than its strokes even when it is darker than the paper, and a faint thin
// stroke is darker than the paper beside it), or t where that range is
// under minContrast (uniform paper, a fill, the inside of a thick stroke).
//
// The window is separable: each row's horizontal minimum and maximum over
// 2r+1 pixels, then the extremes of those over 2r+1 rows. Only the 2r+1
// rows the vertical window spans are kept, in a ring.
type diffRows struct {
	g           *image.Gray
	w, h, r, k  int // k = 2r+1, the ring's rows
	t           uint8
	minContrast int
	// hmin, hmax: per ring row, the horizontal extremes, computed only
	// within r of a pixel that is not white (most of a text page is
	// white paper: there the range is empty). dirty marks those pixels.
	hmin, hmax []byte
	dirty      []bool
	// cnt[x] counts the dirty pixels of column x in the rows of the
	// window; where it is 0 the window is white paper.
	cnt  []int16
	offs []int // ring offsets of the window's rows
	y    int   // the next row to make
}

func newDiffRows(g *image.Gray, r int, t uint8, minContrast int) *diffRows {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	k := 2*r + 1
	d := &diffRows{g: g, w: w, h: h, r: r, k: k, t: t, minContrast: minContrast,
		hmin: make([]byte, k*w), hmax: make([]byte, k*w), dirty: make([]bool, k*w),
		cnt: make([]int16, w), offs: make([]int, 0, k)}
	for y := 0; y < min(r, h); y++ {
		d.horiz(y)
		d.count(y, 1)
	}
	return d
}

// src is row y of the page.
func (d *diffRows) src(y int) []byte {
	o := d.g.PixOffset(d.g.Rect.Min.X, d.g.Rect.Min.Y+y)
	return d.g.Pix[o : o+d.w]
}

// horiz computes row y's horizontal extremes into its ring row.
func (d *diffRows) horiz(y int) {
	o := (y % d.k) * d.w
	w, r := d.w, d.r
	src := d.src(y)
	lo, hi, dr := d.hmin[o:o+w], d.hmax[o:o+w], d.dirty[o:o+w]
	for x := range lo {
		lo[x], hi[x], dr[x] = 255, 255, false
	}
	next := -1 // pixels < next are marked dirty already
	for x, v := range src {
		if v == 255 {
			continue
		}
		for xx := max(x-r, next, 0); xx <= min(x+r, w-1); xx++ {
			dr[xx] = true
		}
		next = min(x+r+1, w)
	}
	for x, isDirty := range dr {
		if !isDirty {
			continue
		}
		a, c := src[x], src[x]
		for _, u := range src[max(x-r, 0):min(x+r+1, w)] {
			a, c = min(a, u), max(c, u)
		}
		lo[x], hi[x] = a, c
	}
}

// count adds k to cnt for the dirty pixels of row y (in the ring).
func (d *diffRows) count(y int, k int16) {
	o := (y % d.k) * d.w
	for x, isDirty := range d.dirty[o : o+d.w] {
		if isDirty {
			d.cnt[x] += k
		}
	}
}

// next writes the next row's differences into out (w values) and reports
// whether any is negative (ink).
func (d *diffRows) next(out []int16) bool {
	y, r := d.y, d.r
	d.y++
	// Row y-r-1 leaves the window and row y+r enters it, into the ring
	// row the leaving one frees.
	if y-r-1 >= 0 {
		d.count(y-r-1, -1)
	}
	if y+r < d.h {
		d.horiz(y + r)
		d.count(y+r, 1)
	}
	d.offs = d.offs[:0]
	for yy := max(y-r, 0); yy <= min(y+r, d.h-1); yy++ {
		d.offs = append(d.offs, (yy%d.k)*d.w)
	}
	ink := false
	for x, v := range d.src(y) {
		th := int32(d.t)
		if d.cnt[x] > 0 {
			lo, hi := byte(255), byte(0)
			for _, o := range d.offs {
				lo, hi = min(lo, d.hmin[o+x]), max(hi, d.hmax[o+x])
			}
			if int(hi)-int(lo) >= d.minContrast {
				th = (int32(lo) + int32(hi) + 1) >> 1
			}
		}
		v := int16(int32(v) - th)
		out[x] = v
		if v < 0 {
			ink = true
		}
	}
	return ink
}

// background returns the page's background at about bgDPI: per cell, the
// mean of the pixels that are neither ink nor next to ink (cells without
// such pixels are filled in from their neighbours), and whether it is
// plain white paper.
func background(g *image.Gray, dpi int) (*image.Gray, bool) {
	b := g.Bounds()
	sw, sh := b.Dx(), b.Dy()
	k := max(1, int(math.Round(float64(dpi)/bgDPI)))
	cw, ch := (sw+k-1)/k, (sh+k-1)/k
	sum := make([]float32, cw*ch)
	cnt := make([]float32, cw*ch)
	t := uint8(maskThreshold)
	// Every other row and column: plenty for a cell's mean.
	for y := 1; y < sh-1; y += 2 {
		o := g.PixOffset(b.Min.X, b.Min.Y+y)
		up, cur, down := g.Pix[o-g.Stride:o-g.Stride+sw], g.Pix[o:o+sw], g.Pix[o+g.Stride:o+g.Stride+sw]
		crow := (y / k) * cw
		for x := 1; x < sw-1; x += 2 {
			v := cur[x]
			if v < t || cur[x-1] < t || cur[x+1] < t || up[x] < t || down[x] < t {
				continue
			}
			i := crow + x/k
			sum[i] += float32(v)
			cnt[i]++
		}
	}
	notWhite := 0
	for i, n := range cnt {
		if n == 0 {
			continue
		}
		sum[i] /= n
		if sum[i] < bgPlainLevel {
			notWhite++
		}
		cnt[i] = 1
	}
	if float64(notWhite) <= bgPlainFrac*float64(len(sum)) {
		return nil, true
	}
	pushPull(sum, cnt, cw, ch)
	out := image.NewGray(image.Rect(0, 0, cw, ch))
	for i, v := range sum {
		// Near-white cells become white: JPEG noise stays off the paper.
		if v >= bgPlainLevel+8 {
			v = 255
		}
		out.Pix[i] = uint8(min(max(v+0.5, 0), 255))
	}
	return out, false
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
