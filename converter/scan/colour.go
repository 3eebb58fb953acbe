package scan

import (
	"context"
	"image"
)

// renderColour renders the page in colour as 4:2:0 YCbCr.
//
// A document (flatten true) is flattened like the grey rendering: luma
// divided by the lighting, chroma freed of the paper's colour cast and
// scaled by the same gain. Photographs and ID cards (flatten false) carry
// large areas of genuine mid-tones that a lighting estimate would mistake
// for shadow, so they only get global levels: the darkest and brightest
// half-percent stretched to black and white.
func renderColour(ctx context.Context, p *planes, m homography, scale float64, luma, flat plane, bg *background, flatten bool, st pageStats) (*image.YCbCr, error) {
	var y plane
	var gain float32 // chroma gain of the global levels
	if flatten {
		y = flat
		white := max(st.paper-10, 160)
		var lut [256]uint8
		for v := range lut {
			lut[v] = uint8(min(255, v*255/white))
		}
		applyLUT(y, &lut)
	} else {
		y = luma
		black, white := levels(y)
		var lut [256]uint8
		for v := range lut {
			lut[v] = uint8(min(max((v-black)*255/(white-black), 0), 255))
		}
		applyLUT(y, &lut)
		gain = 255 / float32(white-black)
	}
	cw, ch := (luma.w+1)/2, (luma.h+1)/2
	if !p.hasChroma() {
		cb := plane{pix: make([]byte, cw*ch), w: cw, h: ch, s: cw}
		for i := range cb.pix {
			cb.pix[i] = 128
		}
		cr := plane{pix: append([]byte(nil), cb.pix...), w: cw, h: ch, s: cw}
		return toYCbCr(y, cb, cr), nil
	}
	// Output chroma (u, v) covers output luma [2u, 2u+2) × [2v, 2v+2); the
	// source chroma plane is the luma one scaled by 1/hdiv, 1/vdiv.
	mc := homography{1 / float64(p.hdiv), 0, 0, 0, 1 / float64(p.vdiv), 0, 0, 0, 1}.mul(m).mul(homography{2, 0, 0, 0, 2, 0, 0, 0, 1})
	n := tapsFor(scale * 2 / float64(min(p.hdiv, p.vdiv)))
	cb, err := warpPlane(ctx, plane{p.cb, p.cw, p.ch, p.cs}, mc, cw, ch, n)
	if err != nil {
		return nil, err
	}
	cr, err := warpPlane(ctx, plane{p.cr, p.cw, p.ch, p.cs}, mc, cw, ch, n)
	if err != nil {
		return nil, err
	}
	if !flatten {
		scaleChroma(cb, gain)
		scaleChroma(cr, gain)
		return toYCbCr(y, cb, cr), nil
	}
	// Paper colour: mean chroma where the flattened luma is paper.
	var sb, sr, cnt int
	for v := range ch {
		yrow := y.pix[min(2*v, y.h-1)*y.s:]
		for u := range cw {
			if yrow[min(2*u, y.w-1)] >= 250 {
				sb += int(cb.pix[v*cb.s+u])
				sr += int(cr.pix[v*cr.s+u])
				cnt++
			}
		}
	}
	cb0, cr0 := float32(128), float32(128)
	if cnt > 0 {
		cb0, cr0 = float32(sb)/float32(cnt), float32(sr)/float32(cnt)
	}
	if err := flattenChroma(ctx, cb, bg, 2, cb0); err != nil {
		return nil, err
	}
	if err := flattenChroma(ctx, cr, bg, 2, cr0); err != nil {
		return nil, err
	}
	return toYCbCr(y, cb, cr), nil
}

// levels returns the values below which 0.5% and above which 0.5% of the
// plane's pixels lie (every other row), kept at least 64 apart.
func levels(p plane) (black, white int) {
	var hist [256]int
	n := 0
	for y := 0; y < p.h; y += 2 {
		for _, v := range p.pix[y*p.s : y*p.s+p.w] {
			hist[v]++
		}
		n += p.w
	}
	cut := n / 200
	acc := 0
	for black = 0; black < 255; black++ {
		if acc += hist[black]; acc > cut {
			break
		}
	}
	acc = 0
	for white = 255; white > 0; white-- {
		if acc += hist[white]; acc > cut {
			break
		}
	}
	black = min(black, 64)
	white = max(white, black+64)
	return black, white
}

// scaleChroma multiplies chroma deviations from neutral by gain.
func scaleChroma(c plane, gain float32) {
	var lut [256]uint8
	for v := range lut {
		lut[v] = clamp8(int32(128 + (float32(v)-128)*gain + 0.5))
	}
	applyLUT(c, &lut)
}

// rotateYCbCr turns a 4:2:0 image clockwise by turns quarter-turns.
func rotateYCbCr(m *image.YCbCr, turns int) *image.YCbCr {
	if turns&3 == 0 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	y := rotatePlane(plane{m.Y, w, h, m.YStride}, turns)
	cb := rotatePlane(plane{m.Cb, cw, ch, m.CStride}, turns)
	cr := rotatePlane(plane{m.Cr, cw, ch, m.CStride}, turns)
	return toYCbCr(y, cb, cr)
}
