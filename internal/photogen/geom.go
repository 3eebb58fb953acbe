package photogen

import "math"

// Point is a position in photo pixels.
type Point struct{ X, Y float64 }

// homography is a 3×3 projective map, row-major.
type homography [9]float64

func (m homography) apply(u, v float64) Point {
	w := m[6]*u + m[7]*v + m[8]
	return Point{(m[0]*u + m[1]*v + m[2]) / w, (m[3]*u + m[4]*v + m[5]) / w}
}

// pageToPhoto maps the page raster [0,w]×[0,h] onto q (TL, TR, BR, BL):
// the unit square onto q (Heckbert, "Fundamentals of Texture Mapping",
// 1989) after a scale.
func pageToPhoto(q [4]Point, w, h int) homography {
	dx1, dx2, dx3 := q[1].X-q[2].X, q[3].X-q[2].X, q[0].X-q[1].X+q[2].X-q[3].X
	dy1, dy2, dy3 := q[1].Y-q[2].Y, q[3].Y-q[2].Y, q[0].Y-q[1].Y+q[2].Y-q[3].Y
	var g, hh float64
	if den := dx1*dy2 - dx2*dy1; math.Abs(dx3)+math.Abs(dy3) > 1e-12 && den != 0 {
		g = (dx3*dy2 - dx2*dy3) / den
		hh = (dx1*dy3 - dx3*dy1) / den
	}
	sq := homography{
		q[1].X - q[0].X + g*q[1].X, q[3].X - q[0].X + hh*q[3].X, q[0].X,
		q[1].Y - q[0].Y + g*q[1].Y, q[3].Y - q[0].Y + hh*q[3].Y, q[0].Y,
		g, hh, 1,
	}
	sw, sh := 1/float64(w), 1/float64(h)
	return homography{sq[0] * sw, sq[1] * sh, sq[2], sq[3] * sw, sq[4] * sh, sq[5], sq[6] * sw, sq[7] * sh, sq[8]}
}

// invert returns m's inverse (the adjugate over the determinant).
func invert(m homography) homography {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	return homography{
		A / det, -(b*i - c*h) / det, (b*f - c*e) / det,
		B / det, (a*i - c*g) / det, -(a*f - c*d) / det,
		C / det, -(a*h - b*g) / det, (a*e - b*d) / det,
	}
}

// A4Corners places an A4-proportioned page in a w×h photo, its height fill
// of the photo's, centred, turned by angle degrees (clockwise), the far
// (top) edge narrower by the fraction perspective.
func A4Corners(w, h int, angle, fill, perspective float64) [4]Point {
	cx, cy := float64(w)/2, float64(h)/2
	ph := fill * float64(h)
	pw := ph / math.Sqrt2
	top := 1 - perspective
	q := [4]Point{{-pw / 2 * top, -ph / 2}, {pw / 2 * top, -ph / 2}, {pw / 2, ph / 2}, {-pw / 2, ph / 2}}
	s, c := math.Sincos(angle * math.Pi / 180)
	for i, p := range q {
		q[i] = Point{cx + p.X*c - p.Y*s, cy + p.X*s + p.Y*c}
	}
	return q
}

// Hash01 is a deterministic pseudo-random value in [0, 1) for the pixel
// (x, y) and the stream seed: the same on every run and platform.
func Hash01(x, y, seed uint32) float64 {
	h := x*0x9E3779B1 ^ y*0x85EBCA77 ^ seed*0xC2B2AE3D
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	h *= 0x297A2D39
	h ^= h >> 15
	return float64(h) / (1 << 32)
}
