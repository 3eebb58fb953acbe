package converter

import (
	"context"
	"image"
	"image/draw"
)

// orient returns img transformed by EXIF orientation o (1..8): 2 mirrors
// left-right, 3 turns 180°, 4 mirrors top-bottom, 5 transposes, 6 turns 90°
// clockwise, 7 transverses, 8 turns 90° counter-clockwise. Grey, YCbCr
// (4:4:4, 4:2:0, 4:2:2, 4:4:0) and RGBA images keep their type; others are
// converted to RGBA first. A subsampled YCbCr image with an odd side loses
// its last row or column so chroma stays aligned.
func orient(ctx context.Context, img image.Image, o int) (image.Image, error) {
	if o <= 1 || o > 8 {
		return img, nil
	}
	switch m := img.(type) {
	case *image.Gray:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		pix, dw, dh, err := transformPlane(ctx, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], w, h, m.Stride, 1, o)
		if err != nil {
			return nil, err
		}
		return &image.Gray{Pix: pix, Stride: dw, Rect: image.Rect(0, 0, dw, dh)}, nil
	case *image.RGBA:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		pix, dw, dh, err := transformPlane(ctx, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], w, h, m.Stride, 4, o)
		if err != nil {
			return nil, err
		}
		return &image.RGBA{Pix: pix, Stride: 4 * dw, Rect: image.Rect(0, 0, dw, dh)}, nil
	case *image.YCbCr:
		if out, ok, err := orientYCbCr(ctx, m, o); ok || err != nil {
			return out, err
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	return orient(ctx, rgba, o)
}

func orientYCbCr(ctx context.Context, m *image.YCbCr, o int) (image.Image, bool, error) {
	var hd, vd int
	ratio := m.SubsampleRatio
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		hd, vd = 1, 1
	case image.YCbCrSubsampleRatio420:
		hd, vd = 2, 2
	case image.YCbCrSubsampleRatio422:
		hd, vd = 2, 1
		if o >= 5 {
			ratio = image.YCbCrSubsampleRatio440
		}
	case image.YCbCrSubsampleRatio440:
		hd, vd = 1, 2
		if o >= 5 {
			ratio = image.YCbCrSubsampleRatio422
		}
	default:
		return nil, false, nil
	}
	r := m.Rect
	if r.Min.X%hd != 0 || r.Min.Y%vd != 0 {
		return nil, false, nil
	}
	// Trim to whole chroma samples.
	w, h := r.Dx()/hd*hd, r.Dy()/vd*vd
	if w == 0 || h == 0 {
		return nil, false, nil
	}
	y, dw, dh, err := transformPlane(ctx, m.Y[m.YOffset(r.Min.X, r.Min.Y):], w, h, m.YStride, 1, o)
	if err != nil {
		return nil, true, err
	}
	co := m.COffset(r.Min.X, r.Min.Y)
	cb, cw, _, err := transformPlane(ctx, m.Cb[co:], w/hd, h/vd, m.CStride, 1, o)
	if err != nil {
		return nil, true, err
	}
	cr, _, _, err := transformPlane(ctx, m.Cr[co:], w/hd, h/vd, m.CStride, 1, o)
	if err != nil {
		return nil, true, err
	}
	return &image.YCbCr{Y: y, Cb: cb, Cr: cr, YStride: dw, CStride: cw, SubsampleRatio: ratio,
		Rect: image.Rect(0, 0, dw, dh)}, true, nil
}

// transformPlane applies orientation o to a w×h plane of bpp-byte pixels
// and returns a tightly packed copy with its new width and height.
func transformPlane(ctx context.Context, src []byte, w, h, stride, bpp, o int) ([]byte, int, int, error) {
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := make([]byte, dw*dh*bpp)
	for dy := 0; dy < dh; dy++ {
		if dy&255 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, 0, err
			}
		}
		row := dst[dy*dw*bpp : (dy+1)*dw*bpp]
		// Source coordinates for dx = 0 and the step per dx.
		var sx, sy, stepX, stepY int
		switch o {
		case 2:
			sx, sy, stepX = w-1, dy, -1
		case 3:
			sx, sy, stepX = w-1, h-1-dy, -1
		case 4:
			sx, sy, stepX = 0, h-1-dy, 1
		case 5:
			sx, sy, stepY = dy, 0, 1
		case 6:
			sx, sy, stepY = dy, h-1, -1
		case 7:
			sx, sy, stepY = w-1-dy, h-1, -1
		case 8:
			sx, sy, stepY = w-1-dy, 0, 1
		}
		p := sy*stride + sx*bpp
		step := stepY*stride + stepX*bpp
		if bpp == 1 {
			for dx := range row {
				row[dx] = src[p]
				p += step
			}
			continue
		}
		for dx := 0; dx < len(row); dx += bpp {
			copy(row[dx:dx+bpp], src[p:p+bpp])
			p += step
		}
	}
	return dst, dw, dh, nil
}
