package scan

import (
	"math"
	"testing"
)

func TestSquareToQuad(t *testing.T) {
	quads := [][4]pt{
		{{0, 0}, {1, 0}, {1, 1}, {0, 1}},
		{{10, 20}, {300, 40}, {280, 500}, {5, 420}},
		{{100, 100}, {200, 110}, {190, 150}, {105, 160}},
	}
	for _, q := range quads {
		m := squareToQuad(q)
		for i, uv := range []pt{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
			if got := m.apply(uv.x, uv.y); got.dist(q[i]) > 1e-9 {
				t.Errorf("corner %d of %v maps to %v", i, q, got)
			}
		}
		r := rectToQuad(q, 640, 480)
		if got := r.apply(640, 480); got.dist(q[2]) > 1e-9 {
			t.Errorf("rectToQuad bottom-right → %v, want %v", got, q[2])
		}
		if inv := invert(m); inv.apply(q[2].x, q[2].y).dist(pt{1, 1}) > 1e-9 {
			t.Errorf("inverse does not map back")
		}
	}
}

// project photographs a w×h rectangle centred at distance d, turned by
// tilt (about the x axis) and pan (about the y axis), with focal length f
// and the principal point at c.
func project(w, h, tilt, pan, d, f float64, c pt) [4]pt {
	var q [4]pt
	st, ct := math.Sincos(tilt)
	sp, cp := math.Sincos(pan)
	for i, p := range [][2]float64{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}} {
		x, y, z := p[0], p[1], 0.0
		y, z = y*ct-z*st, y*st+z*ct
		x, z = x*cp+z*sp, -x*sp+z*cp
		z += d
		q[i] = pt{c.x + f*x/z, c.y + f*y/z}
	}
	return q
}

func TestAspectRatio(t *testing.T) {
	c := pt{1500, 2000}
	f := 3000.0
	tests := []struct {
		name       string
		w, h       float64
		tilt, pan  float64 // degrees
		wantWithin float64
	}{
		{"A4 straight", 210, 297, 0, 0, 0.01},
		{"A4 tilted 30°", 210, 297, 30, 0, 0.03},
		{"A4 tilted and panned", 210, 297, 25, 15, 0.03},
		{"card tilted", 85.6, 54, 30, 10, 0.03},
		{"letter panned", 216, 279, 0, 25, 0.03},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := project(tc.w, tc.h, tc.tilt*math.Pi/180, tc.pan*math.Pi/180, 4*tc.h, f, c)
			// The fallback focal length is deliberately wrong: the estimate
			// must come from the quad when it has perspective.
			got := aspectRatio(q, c, 0.8*4000)
			want := tc.w / tc.h
			if math.Abs(got-want)/want > tc.wantWithin {
				t.Errorf("aspect %.4f, want %.4f (side ratio %.4f)", got, want, sideRatio(q))
			}
		})
	}
}

func TestIntersectAndConvex(t *testing.T) {
	a := lineThrough(pt{0, 0}, pt{10, 0})
	b := lineThrough(pt{3, -5}, pt{3, 5})
	p, ok := intersect(a, b)
	if !ok || p.dist(pt{3, 0}) > 1e-9 {
		t.Errorf("intersect = %v, %v", p, ok)
	}
	if _, ok := intersect(a, lineThrough(pt{0, 1}, pt{5, 1})); ok {
		t.Error("parallel lines intersect")
	}
	if !convex([4]pt{{0, 0}, {1, 0}, {1, 1}, {0, 1}}) || convex([4]pt{{0, 0}, {1, 1}, {1, 0}, {0, 1}}) {
		t.Error("convex misjudged")
	}
	got := orderQuad([4]pt{{10, 10}, {0, 10}, {0, 0}, {10, 0}}) // anticlockwise, from BR
	want := [4]pt{{0, 0}, {10, 0}, {10, 10}, {0, 10}}
	if got != want {
		t.Errorf("orderQuad = %v, want %v", got, want)
	}
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
