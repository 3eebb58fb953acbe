package photogen

import (
	"image"
	"image/color"
	"math"
)

// Hand is the shape of a hand's (or a phone's) shadow: everything beyond a
// straight edge, plus, when Fingers, four fingers reaching back across the
// edge.
type Hand struct {
	// The edge goes through (X, Y), in fractions of the photo's width and
	// height; the shadow lies on the side its normal points to, at Angle
	// degrees clockwise from the +x axis (45: towards the bottom-right).
	X, Y, Angle float64
	// Soft is the width of the penumbra in fractions of the photo's width
	// (0: a hard edge, as a phone's flash or a lamp close by casts).
	Soft float64
	// Fingers adds four fingers, each up to a quarter of the photo's width
	// long and Finger wide (fractions of the photo's width; 0 is 0.05).
	Fingers bool
	Finger  float64
}

// shade returns how much of the shadow falls on (x, y): 0 to 1.
func (h *Hand) shade(x, y float64, w, ht int) float64 {
	s, c := math.Sincos(h.Angle * math.Pi / 180)
	ox, oy := h.X*float64(w), h.Y*float64(ht)
	d := (x-ox)*c + (y-oy)*s // signed distance beyond the edge
	if h.Fingers {
		// Along the edge t; fingers reach back (d < 0) up to 0.25 W.
		t := -(x-ox)*s + (y-oy)*c
		fw := h.Finger
		if fw == 0 {
			fw = 0.05
		}
		fw *= float64(w)
		gap, l := fw+0.015*float64(w), 0.25*float64(w)
		for k := -1.5; k <= 1.5; k++ {
			ft := k * gap
			length := l * (1 - 0.15*math.Abs(k))
			// A capsule from (ft, 0) to (ft, -length): distance beyond its
			// outline is negative inside.
			dd := math.Max(d, -length)
			dd = math.Min(dd, 0)
			inside := fw/2 - math.Hypot(t-ft, d-dd)
			d = math.Max(d, inside)
		}
	}
	if h.Soft <= 0 {
		if d > 0 {
			return 1
		}
		return 0
	}
	u := math.Min(math.Max(d/(h.Soft*float64(w))+0.5, 0), 1)
	return u * u * (3 - 2*u)
}

// curlOffset returns how far (page raster pixels) the point (x, y) of a
// page curled by a (page heights) sags: nothing in the middle, a·h at the
// bottom corners, less higher up.
func curlOffset(a, x, y float64, pw, ph int) float64 {
	u := 2*x/float64(pw) - 1
	return a * float64(ph) * u * u * (0.4 + 0.6*y/float64(ph))
}

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
	// bottom-right (x+y beyond half the width), as a hand or phone casts;
	// Hand, when set, gives the region another place and shape.
	Shadow float64
	Hand   *Hand
	// Curl bends the page like a sheet lifted at its sides: its lines (and
	// its top and bottom edges) sag towards the sides, by up to this
	// fraction of the page height at the bottom corners, and the light falls
	// off towards the bent edges.
	Curl float64
	// Cloth is the amplitude, in grey levels, of a gingham tablecloth
	// (red and white checks, W/40 wide) on the table; 0 is none.
	Cloth float64
	// Paper is the paper's colour under full light (zero: white paper,
	// luma 240, neutral); ink stays at 20.
	Paper color.YCbCr
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
		if s.Curl != 0 {
			p.Y -= curlOffset(s.Curl, p.X, p.Y, pw, ph)
		}
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
		switch {
		case s.Shadow > 0 && s.Hand != nil:
			l *= 1 - s.Shadow*s.Hand.shade(x, y, s.W, s.H)
		case s.Shadow > 0 && x+y > 0.5*float64(s.W):
			l *= 1 - s.Shadow
		}
		if s.Curl != 0 {
			p := inv.apply(x, y)
			u := 2*p.X/float64(pw) - 1
			l *= 1 - 4*math.Abs(s.Curl)*u*u*u*u
		}
		return l * (1 - s.Dark)
	}
	paperY, paperCb, paperCr := 240.0, uint8(127), uint8(129)
	if s.Paper != (color.YCbCr{}) {
		paperY, paperCb, paperCr = float64(s.Paper.Y), s.Paper.Cb, s.Paper.Cr
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
				v = 20 + (v/255)*(paperY-20) // ink 20, paper 240
			} else {
				table := s.Table
				if table == 0 {
					table = 85
				}
				v = table + 15*math.Sin(fy/37+3*math.Sin(fx/400))
				if s.Texture > 0 {
					v += s.Texture * math.Copysign(1, math.Sin(fx/11+2*math.Sin(fy/90)))
				}
				if s.Cloth > 0 {
					v += s.Cloth * (1 - gingham(fx, fy, s.W))
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
			fx, fy := float64(2*cx)+1, float64(2*cy)+1
			_, ok := inPage(fx, fy)
			cb, cr := uint8(112), uint8(142)
			if !ok && s.Cloth > 0 {
				// Red checks: the darker, the redder.
				k := 1 - gingham(fx, fy, s.W)/2
				cb, cr = uint8(128-24*k), uint8(128+60*k)
			}
			if ok {
				cb, cr = paperCb, paperCr
				if s.Chroma != nil {
					p := inv.apply(fx, fy)
					cb, cr = s.Chroma(p.X, p.Y)
				}
			}
			if ok && ((s.Shadow > 0 && s.Hand != nil) || s.Curl != 0) {
				// A shadow dims the colour with the light.
				l := light(fx, fy) / light(float64(s.W)/2, float64(s.H)/2)
				l = math.Min(l, 1)
				cb = clamp8(128 + (float64(cb)-128)*l)
				cr = clamp8(128 + (float64(cr)-128)*l)
			}
			img.Cb[cy*img.CStride+cx], img.Cr[cy*img.CStride+cx] = cb, cr
		}
	}
	return img
}

// gingham is a red-and-white gingham's lightness at (x, y): 2 where both
// stripes are white, 1 where one is red, 0 where both are.
func gingham(x, y float64, w int) float64 {
	sq := float64(w) / 40
	return float64(int(math.Floor(x/sq))&1 + int(math.Floor(y/sq))&1)
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
