package converter

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/coffre/coffre/converter/scan"
)

// Corners a person placed on a photo (issue 17): when the check is unsure
// of the page's outline, the person drags the four corners onto the
// page's corners and the converter uses them instead of its own detection.

// Point is a point in a photo's pixel coordinates (x right, y down), of the
// photo at full size as shown upright (after its EXIF orientation).
type Point = scan.Point

// ErrBadCorners: the corners given with a photo are not four finite points
// inside it outlining a convex quadrilateral of a sane size.
var ErrBadCorners = errors.New("converter: bad page corners")

// Limits on placed corners: the page covers at least this fraction of the
// photo, and each side is at least minCornerSide pixels long.
const (
	minCornerArea = 0.02
	minCornerSide = 16.0
)

// CheckCorners validates corners placed on a w×h photo and returns them in
// the order the scan wants: top-left first (the corner nearest the photo's
// top-left), then clockwise as seen on the screen. The corners must go
// round the page in order (either way round); four points that cross
// (self-intersecting), three in a line, a concave shape, a point outside
// the photo or not finite, or a page smaller than 2 % of the photo are
// refused with ErrBadCorners.
func CheckCorners(c [4]Point, w, h int) ([4]Point, error) {
	if w <= 0 || h <= 0 {
		return c, fmt.Errorf("%w: no image", ErrBadCorners)
	}
	for i, p := range c {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return c, fmt.Errorf("%w: corner %d not a number", ErrBadCorners, i+1)
		}
		if p.X < 0 || p.Y < 0 || p.X > float64(w) || p.Y > float64(h) {
			return c, fmt.Errorf("%w: corner %d outside the %d×%d photo", ErrBadCorners, i+1, w, h)
		}
	}
	// Convex and simple: the turn at every corner has the same sign.
	sign := 0.0
	for i := range c {
		a, b, d := c[i], c[(i+1)%4], c[(i+2)%4]
		cross := (b.X-a.X)*(d.Y-b.Y) - (b.Y-a.Y)*(d.X-b.X)
		if math.Hypot(b.X-a.X, b.Y-a.Y) < minCornerSide {
			return c, fmt.Errorf("%w: side %d shorter than %v px", ErrBadCorners, i+1, minCornerSide)
		}
		if cross == 0 || (sign != 0 && (cross > 0) != (sign > 0)) {
			return c, fmt.Errorf("%w: not a convex quadrilateral", ErrBadCorners)
		}
		sign = cross
	}
	area := 0.0
	for i := range c {
		a, b := c[i], c[(i+1)%4]
		area += a.X*b.Y - b.X*a.Y
	}
	// Four turns of one sign can still wind twice round (a star): the
	// angles turned must add up to one full turn.
	turned := 0.0
	for i := range c {
		a, b, d := c[i], c[(i+1)%4], c[(i+2)%4]
		turned += math.Atan2((b.X-a.X)*(d.Y-b.Y)-(b.Y-a.Y)*(d.X-b.X), (b.X-a.X)*(d.X-b.X)+(b.Y-a.Y)*(d.Y-b.Y))
	}
	if math.Abs(math.Abs(turned)-2*math.Pi) > 1e-6 {
		return c, fmt.Errorf("%w: the sides cross", ErrBadCorners)
	}
	if math.Abs(area)/2 < minCornerArea*float64(w)*float64(h) {
		return c, fmt.Errorf("%w: page smaller than %v%% of the photo", ErrBadCorners, 100*minCornerArea)
	}
	// Clockwise on the screen (y down: a positive area), top-left first.
	if area < 0 {
		c[1], c[3] = c[3], c[1]
	}
	first := 0
	for i := range c {
		if c[i].X+c[i].Y < c[first].X+c[first].Y {
			first = i
		}
	}
	var out [4]Point
	for i := range out {
		out[i] = c[(first+i)%4]
	}
	return out, nil
}

// uprightSize is the photo's full size as shown upright.
func (p decodePlan) uprightSize() (int, int) {
	if p.orientation >= 5 {
		return p.cfg.Height, p.cfg.Width
	}
	return p.cfg.Width, p.cfg.Height
}

// scanCorners are the placed corners (if any) in the coordinates of src,
// the photo as decoded (possibly at a reduced scale) and turned upright.
func (p decodePlan) scanCorners(src image.Image) *[4]Point {
	if p.corners == nil {
		return nil
	}
	w, _ := p.uprightSize()
	b := src.Bounds()
	k := float64(b.Dx()) / float64(w)
	var out [4]Point
	for i, c := range p.corners {
		out[i] = Point{X: c.X * k, Y: c.Y * k}
	}
	return &out
}

// fullSize maps corners in src's coordinates back to the photo's pixels at
// full size, upright.
func fullSize(c [4]image.Point, p decodePlan, src image.Image) *[4]Point {
	w, _ := p.uprightSize()
	b := src.Bounds()
	k := float64(w) / float64(b.Dx())
	var out [4]Point
	for i, q := range c {
		out[i] = Point{X: math.Round(float64(q.X) * k), Y: math.Round(float64(q.Y) * k)}
	}
	return &out
}
