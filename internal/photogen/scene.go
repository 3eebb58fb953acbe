package photogen

import (
	"image"
	"math"
)

// Scene is a page photographed on a table. The zero value of every optional
// field leaves its effect out.
type Scene struct {
	W, H    int      // photo size in pixels
	Corners [4]Point // where the page raster's TL, TR, BR, BL land
	Page    *image.Gray

	Gradient float64 // lighting falls by this fraction across the photo
	Vignette float64 // and by this fraction more towards the corners
	Noise    int     // ± grey levels of per-pixel noise
	Seed     uint32  // noise and grain stream (0 is a valid seed)
	Grain    float64 // amplitude, in grey levels, of the table's fine grain
	// Bilinear samples the page raster bilinearly (smooth glyph edges, as
	// a lens gives) instead of taking the nearest pixel.
	Bilinear bool
	// Shadow darkens, by this fraction, a hard-edged region over the photo's
	// bottom-right (x+y beyond half the width), as a hand or phone casts.
	Shadow float64
	// Blur is the radius in pixels of a box blur of the luma (out of focus,
	// hand shake); 0 is sharp.
	Blur int
	// Glare adds a round bright spot (centred at 40% across, 30% down,
	// radius a quarter of the width) of this fraction of full scale.
	Glare float64
	// Dark lowers the exposure by this fraction.
	Dark float64
	// Table is the table's grey level (0: 85).
	Table float64
	// Texture is the amplitude of a coarse wood-like pattern on the table.
	Texture float64
	// Chroma, when set, colours the page: Cb, Cr at page raster (x, y).
	Chroma func(x, y float64) (cb, cr uint8)
}

// Render draws the scene as 4:2:0 YCbCr, like image/jpeg decodes a photo.
func (s Scene) Render() *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, s.W, s.H), image.YCbCrSubsampleRatio420)
	pw, ph := s.Page.Bounds().Dx(), s.Page.Bounds().Dy()
	inv := invert(pageToPhoto(s.Corners, pw, ph))
	pix, stride := s.Page.Pix, s.Page.Stride
	inPage := func(x, y float64) (float64, bool) {
		p := inv.apply(x, y)
		if p.X < 0 || p.Y < 0 || p.X >= float64(pw) || p.Y >= float64(ph) {
			return 0, false
		}
		if !s.Bilinear {
			return float64(pix[int(p.Y)*stride+int(p.X)]), true
		}
		u, v := max(p.X-0.5, 0), max(p.Y-0.5, 0)
		x0, y0 := min(int(u), pw-1), min(int(v), ph-1)
		x1, y1 := min(x0+1, pw-1), min(y0+1, ph-1)
		fx, fy := u-float64(x0), v-float64(y0)
		top := float64(pix[y0*stride+x0])*(1-fx) + float64(pix[y0*stride+x1])*fx
		bot := float64(pix[y1*stride+x0])*(1-fx) + float64(pix[y1*stride+x1])*fx
		return top*(1-fy) + bot*fy, true
	}
	diag := math.Hypot(float64(s.W), float64(s.H)) / 2
	light := func(x, y float64) float64 {
		l := 1 - s.Gradient*(0.6*x/float64(s.W)+0.4*y/float64(s.H))
		if s.Vignette > 0 {
			r := math.Hypot(x-float64(s.W)/2, y-float64(s.H)/2) / diag
			l *= 1 - s.Vignette*r*r
		}
		if s.Shadow > 0 && x+y > 0.5*float64(s.W) {
			l *= 1 - s.Shadow
		}
		return l * (1 - s.Dark)
	}
	for y := range s.H {
		for x := range s.W {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			n := 0.0
			if s.Noise > 0 {
				n = (Hash01(uint32(x), uint32(y), 1+s.Seed)*2 - 1) * float64(s.Noise)
			}
			v, ok := inPage(fx, fy)
			if ok {
				v = 20 + (v/255)*220 // ink 20, paper 240
			} else {
				table := s.Table
				if table == 0 {
					table = 85
				}
				v = table + 15*math.Sin(fy/37+3*math.Sin(fx/400))
				if s.Texture > 0 {
					v += s.Texture * math.Copysign(1, math.Sin(fx/11+2*math.Sin(fy/90)))
				}
				if s.Grain > 0 {
					// Fibres along x: a value per row band, slowly varying.
					g := Hash01(uint32(x)/24, uint32(y)/3, 101+s.Seed)
					v += s.Grain * (2*g - 1)
				}
			}
			v = v*light(fx, fy) + n
			if s.Glare > 0 {
				gx, gy := fx-0.4*float64(s.W), fy-0.3*float64(s.H)
				r := 0.25 * float64(s.W)
				v += 255 * s.Glare * math.Exp(-(gx*gx+gy*gy)/(r*r))
			}
			img.Y[y*img.YStride+x] = clamp8(v)
		}
	}
	if s.Blur > 0 {
		boxBlur(img.Y, img.YStride, s.W, s.H, s.Blur)
	}
	for cy := range (s.H + 1) / 2 {
		for cx := range (s.W + 1) / 2 {
			_, ok := inPage(float64(2*cx)+1, float64(2*cy)+1)
			cb, cr := uint8(112), uint8(142)
			if ok {
				cb, cr = 127, 129
				if s.Chroma != nil {
					p := inv.apply(float64(2*cx)+1, float64(2*cy)+1)
					cb, cr = s.Chroma(p.X, p.Y)
				}
			}
			img.Cb[cy*img.CStride+cx], img.Cr[cy*img.CStride+cx] = cb, cr
		}
	}
	return img
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

// boxBlur blurs the w×h plane p in place with a (2r+1)² box, separably,
// clamping at the borders.
func boxBlur(p []byte, stride, w, h, r int) {
	n := 2*r + 1
	line := make([]int, max(w, h))
	for y := range h {
		row := p[y*stride:]
		for x := range w {
			line[x] = int(row[x])
		}
		for x := range w {
			sum := 0
			for k := -r; k <= r; k++ {
				sum += line[min(max(x+k, 0), w-1)]
			}
			row[x] = uint8((sum + n/2) / n)
		}
	}
	for x := range w {
		for y := range h {
			line[y] = int(p[y*stride+x])
		}
		for y := range h {
			sum := 0
			for k := -r; k <= r; k++ {
				sum += line[min(max(y+k, 0), h-1)]
			}
			p[y*stride+x] = uint8((sum + n/2) / n)
		}
	}
}
