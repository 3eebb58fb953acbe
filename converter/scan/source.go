package scan

import (
	"context"
	"image"
)

// planes is the source photo as a luma plane plus optional subsampled chroma
// planes, with the origin at the image's Min corner. For *image.YCbCr and
// *image.Gray it aliases the image's own buffers (no copy); other image
// types are converted once.
type planes struct {
	w, h int
	y    []byte
	ys   int // luma stride
	// Chroma; nil for grey sources. Chroma sample (cx, cy) covers luma
	// pixels [cx*hdiv, (cx+1)*hdiv) × [cy*vdiv, (cy+1)*vdiv).
	cb, cr     []byte
	cs         int // chroma stride
	cw, ch     int // chroma plane size
	hdiv, vdiv int
}

func (p *planes) hasChroma() bool { return p.cb != nil }

// subsampleDiv returns the horizontal and vertical chroma subsampling factors.
func subsampleDiv(r image.YCbCrSubsampleRatio) (h, v int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// newPlanes views or converts src. It returns an error only when ctx ends.
func newPlanes(ctx context.Context, src image.Image) (*planes, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := src.(type) {
	case *image.YCbCr:
		if p, ok := ycbcrPlanes(m); ok {
			return p, nil
		}
	case *image.NYCbCrA:
		if p, ok := ycbcrPlanes(&m.YCbCr); ok {
			return p, nil
		}
	case *image.Gray:
		return &planes{w: w, h: h, y: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], ys: m.Stride}, nil
	}
	return convertPlanes(ctx, src)
}

func ycbcrPlanes(m *image.YCbCr) (*planes, bool) {
	b := m.Rect
	hd, vd, ok := subsampleDiv(m.SubsampleRatio)
	if !ok || b.Min.X < 0 || b.Min.Y < 0 || b.Min.X%hd != 0 || b.Min.Y%vd != 0 {
		return nil, false
	}
	w, h := b.Dx(), b.Dy()
	co := m.COffset(b.Min.X, b.Min.Y)
	return &planes{
		w: w, h: h,
		y: m.Y[m.YOffset(b.Min.X, b.Min.Y):], ys: m.YStride,
		cb: m.Cb[co:], cr: m.Cr[co:], cs: m.CStride,
		cw: (w + hd - 1) / hd, ch: (h + vd - 1) / vd,
		hdiv: hd, vdiv: vd,
	}, true
}

// convertPlanes converts any image to a luma plane and 4:2:0 chroma planes.
// Transparent pixels are composited over white paper.
func convertPlanes(ctx context.Context, src image.Image) (*planes, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	p := &planes{
		w: w, h: h, y: make([]byte, w*h), ys: w,
		cb: make([]byte, cw*ch), cr: make([]byte, cw*ch), cs: cw, cw: cw, ch: ch,
		hdiv: 2, vdiv: 2,
	}
	// Chroma accumulators for one row of 2×2 blocks.
	accB := make([]int32, cw)
	accR := make([]int32, cw)
	accN := make([]int32, cw)
	put := func(x, yy int, r, g, bl int32) {
		// BT.601 full range, as image/color and JPEG use.
		p.y[yy*w+x] = clamp8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
		accB[x/2] += (-11056*r - 21712*g + 32768*bl + 257<<15) >> 16
		accR[x/2] += (32768*r - 27440*g - 5328*bl + 257<<15) >> 16
		accN[x/2]++
	}
	for yy := 0; yy < h; yy++ {
		if yy&63 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sy := b.Min.Y + yy
		switch m := src.(type) {
		case *image.RGBA:
			row := m.Pix[m.PixOffset(b.Min.X, sy):]
			for x := 0; x < w; x++ {
				q := row[4*x : 4*x+4 : 4*x+4]
				a := 255 - int32(q[3]) // premultiplied: add white × (1-α)
				put(x, yy, int32(q[0])+a, int32(q[1])+a, int32(q[2])+a)
			}
		case *image.NRGBA:
			row := m.Pix[m.PixOffset(b.Min.X, sy):]
			for x := 0; x < w; x++ {
				q := row[4*x : 4*x+4 : 4*x+4]
				a := int32(q[3])
				if a == 255 {
					put(x, yy, int32(q[0]), int32(q[1]), int32(q[2]))
					continue
				}
				put(x, yy, (int32(q[0])*a+255*(255-a))/255, (int32(q[1])*a+255*(255-a))/255, (int32(q[2])*a+255*(255-a))/255)
			}
		default:
			for x := 0; x < w; x++ {
				r, g, bl, a := src.At(b.Min.X+x, sy).RGBA()
				wa := 0xffff - a
				put(x, yy, int32((r+wa)>>8), int32((g+wa)>>8), int32((bl+wa)>>8))
			}
		}
		if yy&1 == 1 || yy == h-1 {
			crow := (yy / 2) * cw
			for i := range cw {
				n := accN[i]
				p.cb[crow+i] = clamp8((accB[i] + n/2) / n)
				p.cr[crow+i] = clamp8((accR[i] + n/2) / n)
				accB[i], accR[i], accN[i] = 0, 0, 0
			}
		}
	}
	return p, nil
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
