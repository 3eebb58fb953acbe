package converter

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"

	"github.com/coffre/coffre/converter/internal/jpegdec"
	"github.com/coffre/coffre/converter/internal/jpegenc"
	"github.com/coffre/coffre/converter/scan"
)

// The photo pipeline: decode (at a reduced scale when the page needs fewer
// pixels than the photo has), scan (find, straighten, flatten, render),
// encode, at a given level of the fit-to-size ladder.

// level is one step of the fit-to-size ladder.
type level struct {
	mode    scan.Mode // ModeAuto only for the first attempt
	dpi     int
	quality int // JPEG quality; 0 means the mode's default
}

// Default JPEG qualities of the first attempt.
const (
	qualityColor = 72
	qualityGray  = 68
	// decodeOversample: decode a JPEG at a reduced scale only while its short
	// side keeps this many times the page's short side in pixels (the page
	// covers part of the photo).
	decodeOversample = 1.2
	minDPI           = 100
)

// a4Pixels returns the A4 page size in pixels at dpi (portrait).
func a4Pixels(dpi int) (int, int) {
	return int(math.Round(210 / 25.4 * float64(dpi))), int(math.Round(297 / 25.4 * float64(dpi)))
}

// renderedImage is one scanned photo, encoded, with what is needed to lay it out.
type renderedImage struct {
	img pdfImage
	// bg, for mixed raster content, is the background drawn under img (a
	// text mask); nil when the page's background is plain white.
	bg        *pdfImage
	mixed     bool // img is a text mask (mixed raster content)
	card      bool
	landscape bool
	mode      scan.Mode // resolved
	level     level     // the level it was encoded at (mode resolved, quality set)
	step      int       // position in the ladder (-1: first attempt)
	floor     bool      // the ladder is exhausted: it cannot get smaller
	findings  []Finding // the readability check of the first scan
}

// size is the encoded bytes of the page's images.
func (r *renderedImage) size() int64 {
	n := int64(len(r.img.data))
	if r.bg != nil {
		n += int64(len(r.bg.data))
	}
	return n
}

// renderImage decodes and scans one photo and encodes it at the first
// level whose result is at most target bytes (0: the first level), trying
// levels in order. Decoding happens once.
func (c *Converter) renderImage(ctx context.Context, data []byte, plan decodePlan, levels []level, steps []int, target int64) (renderedImage, error) {
	if len(steps) != len(levels) || len(levels) == 0 {
		return renderedImage{}, fmt.Errorf("converter: internal: %d levels, %d steps", len(levels), len(steps))
	}
	src, idx, err := decodeImageIndexed(ctx, data, plan)
	if err != nil {
		return renderedImage{}, err
	}
	var (
		res     scan.Result
		scanned bool
		prev    level
		best    renderedImage
	)
	for i, lv := range levels {
		if err := ctx.Err(); err != nil {
			return renderedImage{}, err
		}
		if !scanned || lv.mode != prev.mode || lv.dpi != prev.dpi {
			tw, th := a4Pixels(lv.dpi)
			opts := scan.Options{Mode: lv.mode, TargetW: tw, TargetH: th, Corners: plan.scanCorners(src)}
			if i == 0 && steps[0] < 0 {
				// Small print is scanned again below: its first image
				// would be thrown away.
				opts.Enough = func(r scan.Result) bool { return smallPrintDPI(r, lv.dpi, sourceDPI(r, plan)) > lv.dpi }
			}
			res, err = c.scanner().Scan(ctx, src, opts)
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return renderedImage{}, ctxErr
				}
				return renderedImage{}, fmt.Errorf("converter: scan: %w", err)
			}
			scanned = true
		}
		prev = lv
		if i == 0 {
			// Small print: scan again at a resolution that gives its lines
			// the height of 12 pt print at 150 DPI, from the photo's full
			// resolution when it was decoded at a reduced scale.
			d := smallPrintDPI(res, lv.dpi, sourceDPI(res, plan))
			best.findings = assess(res, float64(d)/float64(lv.dpi), photoSizeOf(res, plan, src, lv.dpi))
			if steps[0] < 0 && d > lv.dpi {
				small, err := c.rescan(ctx, data, plan, src, idx, res, lv.mode, d)
				if err != nil {
					return renderedImage{}, err
				}
				res, lv.dpi, prev.dpi = small, d, d
			}
		}
		if res.Image == nil {
			return renderedImage{}, fmt.Errorf("converter: internal: no page image at %d DPI", lv.dpi)
		}
		mixed := lv.mode == scan.ModeAuto && res.Mode == scan.ModeGray && mixedOK(res.Image, res.Card)
		lv.mode = res.Mode
		var (
			enc pdfImage
			bg  *pdfImage
		)
		if mixed && res.Measures.EdgeWidth > softEdgeWidth {
			// Soft print (an old phone, strong JPEG): a bilevel layer
			// reads worse than grey; grey at softDPI keeps what detail
			// the photo has in a third of the bytes. Small print keeps
			// the resolution it was scanned again at.
			mixed = false
			if lv.dpi > softDPI && lv.dpi == levels[i].dpi {
				res.Image = downscaleGray(res.Image, float64(softDPI)/float64(lv.dpi))
				lv.dpi = softDPI
			}
		}
		if mixed {
			// A text page in auto mode: mixed raster content.
			g, _ := res.Image.(*image.Gray) // mixedOK checked the type
			enc, bg, err = encodeMixed(ctx, g, lv.dpi)
		} else {
			if lv.quality == 0 {
				lv.quality = defaultQuality(res.Mode)
			}
			enc, err = encodeImage(ctx, res.Image, res.Mode, lv.quality)
		}
		if err != nil {
			return renderedImage{}, err
		}
		r := renderedImage{img: enc, bg: bg, mixed: mixed, card: res.Card, landscape: res.Landscape, mode: res.Mode,
			level: lv, step: steps[i], floor: i == len(levels)-1, findings: best.findings} // #nosec G602 -- len(steps) == len(levels), checked on entry
		if target <= 0 || r.size() <= target {
			return r, nil
		}
		// Keep the smallest attempt in case nothing fits.
		if i == 0 || r.size() < best.size() {
			best = r
		}
	}
	best.step, best.floor = steps[len(steps)-1], true
	return best, nil
}

// Small print (issue 19): text lines (ascender to descender) shorter than
// smallLineAt150 pixels at 150 DPI (about 10 pt) are rendered at the
// resolution that makes them goodLineAt150 tall (12 pt), in steps of 50
// DPI, at most maxSmallPrintDPI. A text page is recognised by at least
// minSmallPrintLines lines.
const (
	smallLineAt150     = 16
	goodLineAt150      = 19
	maxSmallPrintDPI   = 300
	minSmallPrintLines = 3
	// softEdgeWidth: ink edges wider than this many pixels at the page's
	// resolution are soft print (sharp print: 1.5–2; an old phone's 1–3
	// MP photo with strong JPEG: 3–4), rendered as grey at softDPI
	// rather than as mixed raster content.
	softEdgeWidth = 2.5
	softDPI       = 100
)

// downscaleGray scales a grey page by f < 1: separable, each output pixel
// a tent-weighted mean of the source pixels it covers (the tent 1/f
// source pixels wide, so nothing aliases).
func downscaleGray(img image.Image, f float64) image.Image {
	g, ok := img.(*image.Gray)
	if !ok || f >= 1 {
		return img
	}
	b := g.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := max(1, int(float64(sw)*f+0.5)), max(1, int(float64(sh)*f+0.5))
	hx, hy := tentTaps(sw, dw), tentTaps(sh, dh)
	// Horizontal pass into a dw×sh buffer, then vertical.
	mid := make([]uint16, dw*sh)
	for y := range sh {
		o := g.PixOffset(b.Min.X, b.Min.Y+y)
		src := g.Pix[o : o+sw]
		row := mid[y*dw : (y+1)*dw]
		for x, t := range hx {
			var acc int32
			for k, w := range t.w {
				acc += w * int32(src[t.i0+k])
			}
			row[x] = uint16(acc) // the value with 8 fractional bits
		}
	}
	out := image.NewGray(image.Rect(0, 0, dw, dh))
	acc := make([]int32, dw) // one output row, summed source row by source row
	for y, t := range hy {
		clear(acc)
		for k, w := range t.w {
			src := mid[(t.i0+k)*dw : (t.i0+k+1)*dw]
			for x, v := range src {
				acc[x] += w * int32(v)
			}
		}
		dst := out.Pix[y*out.Stride : y*out.Stride+dw]
		for x, a := range acc {
			dst[x] = uint8(min(max((a+1<<15)>>16, 0), 255))
		}
	}
	return out
}

// tap is one output pixel's source pixels [i0, i0+len(w)) and their
// weights (summing to 256).
type tap struct {
	i0 int
	w  []int32
}

// tentTaps returns the taps scaling n source pixels to m < n.
func tentTaps(n, m int) []tap {
	s := float64(n) / float64(m) // source pixels per output pixel
	taps := make([]tap, m)
	for i := range taps {
		c := (float64(i)+0.5)*s - 0.5
		lo, hi := int(math.Ceil(c-s)), int(math.Floor(c+s))
		lo, hi = max(lo, 0), min(hi, n-1)
		ws := make([]float64, hi-lo+1)
		var sum float64
		for k := range ws {
			ws[k] = math.Max(0, 1-math.Abs(float64(lo+k)-c)/s)
			sum += ws[k]
		}
		t := tap{i0: lo, w: make([]int32, len(ws))}
		var acc int32
		for k, w := range ws {
			t.w[k] = int32(math.Round(256 * w / sum))
			acc += t.w[k]
		}
		// Rounding: the largest weight takes the remainder.
		big := 0
		for k := range t.w {
			if t.w[k] > t.w[big] {
				big = k
			}
		}
		t.w[big] += 256 - acc
		taps[i] = t
	}
	return taps
}

// smallPrintDPI returns the resolution for the page res scanned at dpi:
// dpi itself unless it carries small print and the photo has the pixels
// for more (srcDPI: the page's resolution in the photo). ID cards keep
// theirs.
func smallPrintDPI(res scan.Result, dpi, srcDPI int) int {
	m := res.Measures
	if res.Card || m.Lines < minSmallPrintLines || m.LineHeight <= 0 || dpi >= maxSmallPrintDPI {
		return dpi
	}
	h := float64(m.LineHeight) * 150 / float64(dpi) // at 150 DPI
	if h >= smallLineAt150 {
		return dpi
	}
	want := float64(dpi) * goodLineAt150 / float64(m.LineHeight)
	d := min(int(math.Round(want/50))*50, srcDPI/50*50, maxSmallPrintDPI)
	return max(d, dpi)
}

// sourceDPI is the resolution of the page found in the photo at full size:
// its longer side in pixels over an A4 page's long side in inches (an ID
// card's, 85.6 mm, for a card). 0 when the page's outline was not found.
func sourceDPI(res scan.Result, plan decodePlan) int {
	if !res.Found {
		return 0
	}
	c := res.Corners
	side := func(a, b image.Point) float64 { return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)) }
	long := max(side(c[0], c[1]), side(c[1], c[2]), side(c[2], c[3]), side(c[3], c[0]))
	longMM := 297.0
	if res.Card {
		longMM = 85.6
	}
	return int(long * float64(int(1)<<plan.shift) / (longMM / 25.4))
}

// photoSize is a photo's size in pixels and the page's resolution in it.
type photoSize struct {
	pixels int64
	dpi    int
	// scan is the resolution the page was scanned (and measured) at, 0
	// when unknown.
	scan int
}

// photoSizeOf measures the photo src (decoded by plan) and its page res:
// its pixels at full size, and sourceDPI, or when the page's outline was
// not found, the whole photo's resolution taken as the page.
func photoSizeOf(res scan.Result, plan decodePlan, src image.Image, scanDPI int) photoSize {
	b := src.Bounds()
	k := 1 << plan.shift
	ps := photoSize{pixels: int64(b.Dx()*k) * int64(b.Dy()*k), dpi: sourceDPI(res, plan), scan: scanDPI}
	if ps.dpi == 0 {
		ps.dpi = int(float64(max(b.Dx(), b.Dy())*k) / (297 / 25.4))
	}
	return ps
}

// rescan scans the photo again at dpi, decoding it afresh at a larger scale
// when the first decode (src, by plan) was reduced below what dpi needs.
// first is the first scan (of src): when it found the page, only the part
// of the photo around it is decoded again (only its luma for a grey
// page; idx, the first decode's index, lets each row of the JPEG's data
// be read from the region's left edge), and the page is not located again.
func (c *Converter) rescan(ctx context.Context, data []byte, plan decodePlan, src image.Image, idx *jpegdec.Index, first scan.Result, mode scan.Mode, dpi int) (scan.Result, error) {
	tw, th := a4Pixels(dpi)
	opts := scan.Options{Mode: mode, TargetW: tw, TargetH: th, Corners: plan.scanCorners(src)}
	if plan.shift > 0 {
		maxPixels := c.MaxPixels
		if maxPixels <= 0 {
			maxPixels = DefaultMaxPixels
		}
		p2, err := planDecode(data, plan.format, maxPixels, int(float64(tw)*decodeOversample), int64(tw)*int64(th))
		if err == nil && p2.shift < plan.shift {
			p2.orientation, p2.corners = plan.orientation, plan.corners
			lumaOnly := first.Mode != scan.ModeColor && mode != scan.ModeColor
			if r, ok := rescanRegion(first, plan, p2, lumaOnly); ok {
				img, off, err := decodeRegion(ctx, data, p2, r, lumaOnly, idx)
				if err != nil {
					return scan.Result{}, err
				}
				k := float64(int(1) << (plan.shift - p2.shift))
				pg := first.Page.Scaled(k, scan.Point{X: float64(off.X), Y: float64(off.Y)})
				src, opts.Page = img, &pg
			} else if src, err = decodeImage(ctx, data, p2); err != nil {
				return scan.Result{}, err
			} else {
				opts.Corners = plan.scanCorners(src)
			}
		}
	}
	res, err := c.scanner().Scan(ctx, src, opts)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return scan.Result{}, ctxErr
		}
		return scan.Result{}, fmt.Errorf("converter: scan: %w", err)
	}
	return res, nil
}

// rescanMargin: the region decoded again around the page extends this
// fraction of the photo's long side, plus 8 pixels, beyond what the scan
// reads of it (scan.Page.Reach: the page and the bands where its corners
// are refined again), for the resampling taps and the prefilter.
const rescanMargin = 0.005

// rescanRegion returns the rectangle of the photo decoded by p2 (upright)
// that covers the page first found in the photo decoded by plan, and
// whether decoding only that region applies: a JPEG whose page was found,
// and, when its orientation turns or mirrors it, of even width and height
// (decodeImage's subsampled colour image loses an odd last row or column
// there, which moves the mirrored side by a pixel).
func rescanRegion(first scan.Result, plan, p2 decodePlan, lumaOnly bool) (image.Rectangle, bool) {
	if plan.format != FormatJPEG || !first.Found || first.Card {
		return image.Rectangle{}, false
	}
	if w, h := p2.decodedSize(); plan.orientation > 1 && (w%2 != 0 || h%2 != 0) {
		return image.Rectangle{}, false
	}
	k := float64(int(1) << (plan.shift - p2.shift))
	lo, hi := first.Page.Scaled(k, scan.Point{}).Reach()
	w, h := p2.decodedSize()
	m := rescanMargin*float64(max(w, h)) + 8
	r := image.Rect(int(math.Floor(lo.X-m)), int(math.Floor(lo.Y-m)), int(math.Ceil(hi.X+m)), int(math.Ceil(hi.Y+m)))
	return r, !r.Empty()
}

func defaultQuality(m scan.Mode) int {
	if m == scan.ModeColor {
		return qualityColor
	}
	return qualityGray
}

// encodeImage encodes a scanned page: JPEG for colour and grey, CCITT G4
// for black and white. Only these re-encoded pixels reach the output.
func encodeImage(ctx context.Context, img image.Image, mode scan.Mode, quality int) (pdfImage, error) {
	b := img.Bounds()
	out := pdfImage{w: b.Dx(), h: b.Dy(), bpc: 8}
	switch m := img.(type) {
	case *image.Gray:
		out.gray = true
		if mode == scan.ModeBW {
			data, err := encodeG4(ctx, m)
			if err != nil {
				return out, err
			}
			out.data, out.filter, out.bpc = data, "CCITTFaxDecode", 1
			return out, nil
		}
	case *image.YCbCr, *image.RGBA:
	default:
		return out, fmt.Errorf("converter: scanner returned an unexpected %T", img)
	}
	var buf bytes.Buffer
	buf.Grow(b.Dx() * b.Dy() / 8)
	if err := jpegenc.Encode(&buf, img, &jpegenc.Options{Quality: quality}); err != nil {
		return out, fmt.Errorf("converter: encode JPEG: %w", err)
	}
	out.data, out.filter = buf.Bytes(), "DCTDecode"
	return out, nil
}

// ladder lists the fit-to-size steps after a first attempt that resolved to
// mode m at the profile's dpi: lower JPEG quality, then lower resolution
// (never under 100 DPI), then grey, then black and white (unless colour is
// required).
func ladder(m scan.Mode, dpi int, colorRequired bool) []level {
	dpis := []int{dpi}
	floor := min(dpi, minDPI)
	for _, d := range []int{dpi * 3 / 4, dpi / 2} {
		if d = max(d, floor); d < dpis[len(dpis)-1] {
			dpis = append(dpis, d)
		}
	}
	jpegSteps := func(mode scan.Mode, qs []int) []level {
		var out []level
		for i, d := range dpis {
			// Each lower resolution restarts at a middling quality.
			from := 0
			if i > 0 {
				from = len(qs) - 2
			}
			for _, q := range qs[max(from, 0):] {
				out = append(out, level{mode: mode, dpi: d, quality: q})
			}
		}
		return out
	}
	var out []level
	switch m {
	case scan.ModeColor:
		out = jpegSteps(scan.ModeColor, []int{60, 48, 38, 30})
		if colorRequired {
			return out
		}
		out = append(out, jpegSteps(scan.ModeGray, []int{50, 40, 32})...)
	case scan.ModeGray:
		out = jpegSteps(scan.ModeGray, []int{58, 48, 38, 30})
	}
	if m != scan.ModeBW && colorRequired {
		return out
	}
	for _, d := range dpis {
		out = append(out, level{mode: scan.ModeBW, dpi: d})
	}
	return out
}

// layoutImages places one photo, or two ID cards (recto and verso), on a page.
func layoutImages(imgs []*renderedImage, cardOnA4 bool) pageLayout {
	first := imgs[0]
	if !first.card {
		// A full page: A4 in the image's orientation, the image fitted.
		pw, ph := a4WidthPt, a4HeightPt
		if first.img.w > first.img.h {
			pw, ph = ph, pw
		}
		w, h := fitInside(float64(first.img.w), float64(first.img.h), pw, ph)
		p := pageLayout{width: pw, height: ph}
		if first.bg != nil {
			p.items = append(p.items, placement{img: first.bg, x: (pw - w) / 2, y: (ph - h) / 2, w: w, h: h})
		}
		p.items = append(p.items, placement{img: &first.img, x: (pw - w) / 2, y: (ph - h) / 2, w: w, h: h})
		return p
	}
	// ID cards at their real size: the long side is 85.6 mm.
	size := func(r *renderedImage) (float64, float64) {
		long := cardLongMM * ptPerMM
		iw, ih := float64(r.img.w), float64(r.img.h)
		if iw >= ih {
			return long, long * ih / iw
		}
		return long * iw / ih, long
	}
	if !cardOnA4 {
		w, h := size(first)
		return pageLayout{width: w, height: h, items: []placement{{img: &first.img, w: w, h: h}}}
	}
	p := pageLayout{width: a4WidthPt, height: a4HeightPt}
	top := a4HeightPt - 25*ptPerMM
	for _, r := range imgs {
		w, h := size(r)
		p.items = append(p.items, placement{img: &r.img, x: (a4WidthPt - w) / 2, y: top - h, w: w, h: h})
		top -= h + 15*ptPerMM
	}
	return p
}

// fitInside scales w×h to fit inside maxW×maxH, keeping the aspect ratio.
func fitInside(w, h, maxW, maxH float64) (float64, float64) {
	s := math.Min(maxW/w, maxH/h)
	return w * s, h * s
}
