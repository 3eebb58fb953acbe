package scan

import "math"

// pt is a point in continuous pixel coordinates: pixel (i, j) covers
// [i, i+1) × [j, j+1), its centre is (i+0.5, j+0.5).
type pt struct{ x, y float64 }

func (a pt) sub(b pt) pt         { return pt{a.x - b.x, a.y - b.y} }
func (a pt) add(b pt) pt         { return pt{a.x + b.x, a.y + b.y} }
func (a pt) scale(s float64) pt  { return pt{a.x * s, a.y * s} }
func (a pt) dist(b pt) float64   { return math.Hypot(a.x-b.x, a.y-b.y) }
func cross(o, a, b pt) float64   { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }
func lerp(a, b pt, t float64) pt { return pt{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }
func (a pt) dot(b pt) float64    { return a.x*b.x + a.y*b.y }
func (a pt) perp() pt            { return pt{-a.y, a.x} }
func (a pt) norm() float64       { return math.Hypot(a.x, a.y) }
func (a pt) unit() pt            { n := a.norm(); return pt{a.x / n, a.y / n} }
func quadArea(q [4]pt) float64   { return 0.5 * math.Abs(shoelace(q)) }
func shoelace(q [4]pt) float64 {
	s := 0.0
	for i := range 4 {
		j := (i + 1) % 4
		s += q[i].x*q[j].y - q[j].x*q[i].y
	}
	return s
}

// line is the set of points p with p·n = c, n a unit normal.
type line struct {
	n pt
	c float64
}

// lineThrough returns the line through a and b.
func lineThrough(a, b pt) line {
	n := b.sub(a).perp().unit()
	return line{n, n.dot(a)}
}

// dir is the line's unit direction.
func (l line) dir() pt { return pt{-l.n.y, l.n.x} }

// intersect returns the intersection of two lines, false when parallel.
func intersect(a, b line) (pt, bool) {
	det := a.n.x*b.n.y - a.n.y*b.n.x
	if math.Abs(det) < 1e-9 {
		return pt{}, false
	}
	return pt{(a.c*b.n.y - b.c*a.n.y) / det, (a.n.x*b.c - b.n.x*a.c) / det}, true
}

// convex reports whether q (in order) is a strictly convex quadrilateral.
func convex(q [4]pt) bool {
	sign := 0.0
	for i := range 4 {
		c := cross(q[i], q[(i+1)%4], q[(i+2)%4])
		if c == 0 || (sign != 0 && (c > 0) != (sign > 0)) {
			return false
		}
		sign = c
	}
	return true
}

// orderQuad returns the corners clockwise on screen (y down), starting at
// the corner nearest the image's top-left: TL, TR, BR, BL.
func orderQuad(q [4]pt) [4]pt {
	if shoelace(q) < 0 { // counter-clockwise on screen: reverse
		q[1], q[3] = q[3], q[1]
	}
	best := 0
	for i := 1; i < 4; i++ {
		if q[i].x+q[i].y < q[best].x+q[best].y {
			best = i
		}
	}
	return [4]pt{q[best], q[(best+1)%4], q[(best+2)%4], q[(best+3)%4]}
}

// homography maps (u, v) to ((a u + b v + c)/w, (d u + e v + f)/w) with
// w = g u + h v + i, stored row-major.
type homography [9]float64

func (m homography) apply(u, v float64) pt {
	w := m[6]*u + m[7]*v + m[8]
	return pt{(m[0]*u + m[1]*v + m[2]) / w, (m[3]*u + m[4]*v + m[5]) / w}
}

func (m homography) mul(o homography) homography {
	var r homography
	for i := range 3 {
		for j := range 3 {
			r[3*i+j] = m[3*i]*o[j] + m[3*i+1]*o[3+j] + m[3*i+2]*o[6+j]
		}
	}
	return r
}

// squareToQuad maps the unit square (0,0) (1,0) (1,1) (0,1) onto q[0..3]
// (Heckbert, "Fundamentals of Texture Mapping", 1989).
func squareToQuad(q [4]pt) homography {
	dx1, dx2, dx3 := q[1].x-q[2].x, q[3].x-q[2].x, q[0].x-q[1].x+q[2].x-q[3].x
	dy1, dy2, dy3 := q[1].y-q[2].y, q[3].y-q[2].y, q[0].y-q[1].y+q[2].y-q[3].y
	var g, h float64
	if den := dx1*dy2 - dx2*dy1; math.Abs(dx3)+math.Abs(dy3) > 1e-12 && den != 0 {
		g = (dx3*dy2 - dx2*dy3) / den
		h = (dx1*dy3 - dx3*dy1) / den
	}
	return homography{
		q[1].x - q[0].x + g*q[1].x, q[3].x - q[0].x + h*q[3].x, q[0].x,
		q[1].y - q[0].y + g*q[1].y, q[3].y - q[0].y + h*q[3].y, q[0].y,
		g, h, 1,
	}
}

// rectToQuad maps the rectangle [0,w]×[0,h] onto q (TL, TR, BR, BL).
func rectToQuad(q [4]pt, w, h int) homography {
	return squareToQuad(q).mul(homography{1 / float64(w), 0, 0, 0, 1 / float64(h), 0, 0, 0, 1})
}

// aspectRatio estimates width/height (width along q[0]→q[1]) of the real
// rectangle whose perspective image is q (TL, TR, BR, BL), for a camera whose
// principal point is centre. It estimates the focal length from the quad
// (Zhang & He, "Whiteboard scanning and image enhancement", 2007) and uses
// fallbackF when that estimate is unusable (near-parallelogram quads).
func aspectRatio(q [4]pt, centre pt, fallbackF float64) float64 {
	h := func(p pt) [3]float64 { return [3]float64{p.x - centre.x, p.y - centre.y, 1} }
	m1, m2, m3, m4 := h(q[0]), h(q[1]), h(q[3]), h(q[2])
	c14 := cross3(m1, m4)
	d2 := dot3(cross3(m2, m4), m3)
	d3 := dot3(cross3(m3, m4), m2)
	if d2 == 0 || d3 == 0 {
		return sideRatio(q)
	}
	k2 := dot3(c14, m3) / d2
	k3 := dot3(c14, m2) / d3
	var n2, n3 [3]float64
	for i := range 3 {
		n2[i] = k2*m2[i] - m1[i]
		n3[i] = k3*m3[i] - m1[i]
	}
	f2 := fallbackF * fallbackF
	if den := n2[2] * n3[2]; math.Abs(den) > 1e-12 {
		if e := -(n2[0]*n3[0] + n2[1]*n3[1]) / den; e > 0.09*f2 && e < 9*f2 {
			f2 = e
		}
	}
	num := n2[0]*n2[0] + n2[1]*n2[1] + f2*n2[2]*n2[2]
	den := n3[0]*n3[0] + n3[1]*n3[1] + f2*n3[2]*n3[2]
	if num <= 0 || den <= 0 {
		return sideRatio(q)
	}
	return math.Sqrt(num / den)
}

// sideRatio is the mean width over the mean height of q.
func sideRatio(q [4]pt) float64 {
	w := (q[0].dist(q[1]) + q[3].dist(q[2])) / 2
	h := (q[0].dist(q[3]) + q[1].dist(q[2])) / 2
	if h == 0 {
		return 1
	}
	return w / h
}

func cross3(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func dot3(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
