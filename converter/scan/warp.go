package scan

import (
	"context"
	"math"
)

// plane is one 8-bit channel: w×h samples, row stride s.
type plane struct {
	pix  []byte
	w, h int
	s    int
}

// warpSpan is how many consecutive output pixels share one linear step:
// the homography is evaluated exactly at both ends of each span and
// linearly in between (the error over 16 pixels is far below 1/256 pixel
// for any perspective a photo of a page shows).
const warpSpan = 16

// warpStripRows: a turned page's output is warped in strips whose rows
// each cross at most this many source rows (see warpPlane).
const warpStripRows = 16

// warpPlane fills an outW×outH plane where output pixel centre (u+0.5, v+0.5)
// samples src at m(u+0.5, v+0.5) (continuous coordinates). Each output pixel
// averages n×n bilinear taps spread evenly over its footprint: a box
// prefilter against aliasing when the source has more pixels than the
// output.
func warpPlane(ctx context.Context, src plane, m homography, outW, outH, n int) (plane, error) {
	src = atLeast2x2(src)
	dst := plane{pix: make([]byte, outW*outH), w: outW, h: outH, s: outW}
	var acc []uint32
	if n > 1 {
		acc = make([]uint32, outW)
	}
	step := 1 / float64(n)
	nn := uint32(n * n)
	// pos returns sub-sample k of sub-row vv in 16.16 fixed point, relative
	// to pixel centres.
	pos := func(k int, vv float64) (int, int) {
		p := m.apply((float64(k)+0.5)*step, vv)
		return int(math.Floor((p.x - 0.5) * 65536)), int(math.Floor((p.y - 0.5) * 65536))
	}
	if n == 1 {
		// A turned page: each output row crosses many source rows, read
		// a few pixels each; the output is filled in strips narrow
		// enough that a strip's row crosses at most warpStripRows source
		// rows, top to bottom, so that the rows it reads are still in
		// the caches for the next. An upright page is read row by row.
		strip := outW
		_, ya := pos(0, float64(outH)/2)
		_, yb := pos(outW, float64(outH)/2)
		if rows := math.Abs(float64(yb-ya)) / 65536; rows > warpStripRows {
			strip = max(warpSpan, int(float64(outW)*warpStripRows/rows)/warpSpan*warpSpan)
		}
		for s0 := 0; s0 < outW; s0 += strip {
			s1 := min(s0+strip, outW)
			for v := range outH {
				if v&31 == 0 {
					if err := ctx.Err(); err != nil {
						return plane{}, err
					}
				}
				row := dst.pix[v*outW : (v+1)*outW]
				vv := float64(v) + 0.5
				fx0, fy0 := pos(s0, vv)
				for x0 := s0; x0 < s1; x0 += warpSpan {
					x1 := min(x0+warpSpan, outW)
					fx1, fy1 := pos(x1, vv)
					dfx, dfy := (fx1-fx0)/(x1-x0), (fy1-fy0)/(x1-x0)
					spanTaps1(row[x0:x1], src, fx0, fy0, dfx, dfy)
					fx0, fy0 = fx1, fy1
				}
			}
		}
		return dst, nil
	}
	for v := range outH {
		if v&31 == 0 {
			if err := ctx.Err(); err != nil {
				return plane{}, err
			}
		}
		row := dst.pix[v*outW : (v+1)*outW]
		clear(acc)
		for j := range n {
			vv := float64(v) + (float64(j)+0.5)*step
			fx0, fy0 := pos(0, vv)
			for x0 := 0; x0 < outW; x0 += warpSpan {
				x1 := min(x0+warpSpan, outW)
				fx1, fy1 := pos(x1*n, vv)
				taps := (x1 - x0) * n
				dfx, dfy := (fx1-fx0)/taps, (fy1-fy0)/taps
				spanTaps(acc[x0:x1], src, n, fx0, fy0, dfx, dfy)
				fx0, fy0 = fx1, fy1
			}
		}
		for x, s := range acc {
			row[x] = uint8((s + nn/2) / nn)
		}
	}
	return dst, nil
}

// spanTaps1 writes one bilinear tap per output pixel of out, the taps
// starting at (fx, fy) (16.16 fixed point) and stepping by (dfx, dfy).
// Taps outside the plane take the nearest edge's values.
func spanTaps1(out []byte, src plane, fx, fy, dfx, dfy int) {
	pix, stride := src.pix, src.s
	maxX, maxY := (src.w-1)<<16-1, (src.h-1)<<16-1
	if n := len(out) - 1; n >= 0 {
		ex, ey := fx+n*dfx, fy+n*dfy
		if fx >= 0 && ex >= 0 && fy >= 0 && ey >= 0 && fx <= maxX && ex <= maxX && fy <= maxY && ey <= maxY {
			// The whole span is inside: no clamping.
			for x := range out {
				o := (fy>>16)*stride + fx>>16
				wx, wy := uint32(fx>>8)&255, uint32(fy>>8)&255
				r0, r1 := pix[o:o+2], pix[o+stride:o+stride+2]
				a, b, c, d := uint32(r0[0]), uint32(r0[1]), uint32(r1[0]), uint32(r1[1])
				top := a<<8 + (b-a)*wx
				bot := c<<8 + (d-c)*wx
				out[x] = uint8((top<<8 + (bot-top)*wy) >> 16)
				fx += dfx
				fy += dfy
			}
			return
		}
	}
	for x := range out {
		cx, cy := min(max(fx, 0), maxX), min(max(fy, 0), maxY)
		o := (cy>>16)*stride + cx>>16
		wx, wy := uint32(cx>>8)&255, uint32(cy>>8)&255
		q := pix[o : o+stride+2]
		a, b, c, d := uint32(q[0]), uint32(q[1]), uint32(q[stride]), uint32(q[stride+1])
		top := a<<8 + (b-a)*wx
		bot := c<<8 + (d-c)*wx
		out[x] = uint8((top<<8 + (bot-top)*wy) >> 16)
		fx += dfx
		fy += dfy
	}
}

// spanTaps is spanTaps1 with n taps per output pixel (taps stepping by
// (dfx, dfy) each).
func spanTaps(acc []uint32, src plane, n, fx, fy, dfx, dfy int) {
	pix, stride := src.pix, src.s
	maxX, maxY := (src.w-1)<<16-1, (src.h-1)<<16-1
	for x := range acc {
		var sum uint32
		for range n {
			cx, cy := min(max(fx, 0), maxX), min(max(fy, 0), maxY)
			o := (cy>>16)*stride + cx>>16
			wx, wy := uint32(cx>>8)&255, uint32(cy>>8)&255
			q := pix[o : o+stride+2]
			a, b, c, d := uint32(q[0]), uint32(q[1]), uint32(q[stride]), uint32(q[stride+1])
			top := a<<8 + (b-a)*wx
			bot := c<<8 + (d-c)*wx
			sum += (top<<8 + (bot-top)*wy) >> 16
			fx += dfx
			fy += dfy
		}
		acc[x] += sum
	}
}

// atLeast2x2 pads a plane narrower or shorter than 2 pixels by repeating its
// edge, so every bilinear tap has its 2×2 neighbourhood.
func atLeast2x2(p plane) plane {
	if p.w >= 2 && p.h >= 2 {
		return p
	}
	w, h := max(p.w, 2), max(p.h, 2)
	out := plane{pix: make([]byte, w*h), w: w, h: h, s: w}
	for y := range h {
		for x := range w {
			out.pix[y*w+x] = p.pix[min(y, p.h-1)*p.s+min(x, p.w-1)]
		}
	}
	return out
}

// tapsFor returns how many taps per axis warpPlane needs when one output
// pixel spans `scale` source pixels: enough for taps less than 2 source
// pixels apart, so that every source pixel weighs in (a bilinear tap's
// tent is 2 pixels wide).
func tapsFor(scale float64) int {
	return min(max(int(math.Ceil(scale/2-1e-9)), 1), 6)
}

// sourceScale is the largest number of source pixels one output pixel spans
// along either axis when q (TL TR BR BL) is warped to outW×outH.
func sourceScale(q [4]pt, outW, outH int) float64 {
	sx := math.Max(q[0].dist(q[1]), q[3].dist(q[2])) / float64(outW)
	sy := math.Max(q[0].dist(q[3]), q[1].dist(q[2])) / float64(outH)
	return math.Max(sx, sy)
}

// prefilter prepares src for sampling the quad q at `scale` source pixels
// per output pixel. Bilinear taps spaced less than 2 source pixels apart
// leave no source pixel out (the tent kernel is 2 pixels wide), so below a
// scale of 2 the source is used as is; above, the quad's bounding box is
// first reduced by an integer box filter (reading the source once,
// sequentially) so the remaining scale is between 1 and 2. It returns the
// plane to sample, the homography from the source to it, and the remaining
// scale.
func prefilter(ctx context.Context, src plane, q [4]pt, scale float64) (plane, homography, float64, error) {
	id := homography{1, 0, 0, 0, 1, 0, 0, 0, 1}
	p := int(scale)
	if p < 2 {
		return src, id, scale, nil
	}
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, c := range q {
		x0, y0 = math.Min(x0, c.x), math.Min(y0, c.y)
		x1, y1 = math.Max(x1, c.x), math.Max(y1, c.y)
	}
	// Whole blocks of p×p pixels covering the box plus a margin.
	bx0 := max(0, int(x0)-2*p) / p * p
	by0 := max(0, int(y0)-2*p) / p * p
	bx1 := min(src.w, int(x1)+2*p)
	by1 := min(src.h, int(y1)+2*p)
	rw, rh := (bx1-bx0)/p, (by1-by0)/p
	if rw < 2 || rh < 2 {
		return src, id, scale, nil
	}
	dst := plane{pix: make([]byte, rw*rh), w: rw, h: rh, s: rw}
	acc := make([]uint32, rw)
	div := uint32(p * p)
	for ry := range rh {
		if ry&31 == 0 && ctx.Err() != nil {
			return plane{}, id, 0, ctx.Err()
		}
		clear(acc)
		for j := range p {
			row := src.pix[(by0+ry*p+j)*src.s+bx0:]
			row = row[:rw*p]
			if p == 2 {
				for i := range acc {
					acc[i] += uint32(row[2*i]) + uint32(row[2*i+1])
				}
				continue
			}
			for i := range acc {
				var s uint32
				for _, v := range row[i*p : i*p+p] {
					s += uint32(v)
				}
				acc[i] += s
			}
		}
		out := dst.pix[ry*rw : ry*rw+rw]
		for i, s := range acc {
			out[i] = uint8((s + div/2) / div)
		}
	}
	// Reduced pixel (i, j) covers source [bx0+i·p, bx0+(i+1)·p): continuous
	// source x maps to (x − bx0)/p.
	f := 1 / float64(p)
	return dst, homography{f, 0, -float64(bx0) * f, 0, f, -float64(by0) * f, 0, 0, 1}, scale / float64(p), nil
}
