package converter

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"math"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

func cornersPhoto(t *testing.T) ([]byte, photogen.Options) {
	t.Helper()
	o := photogen.Options{Width: 1500, Height: 2000, Seed: 11, Angle: 2}
	b, err := photogen.Photo(photogen.Documents()[0], o)
	if err != nil {
		t.Fatal(err)
	}
	return b, o
}

func truth(o photogen.Options) [4]Point {
	var q [4]Point
	for i, c := range photogen.Corners(o) {
		q[i] = Point{X: c.X, Y: c.Y}
	}
	return q
}

func thumbAspect(t *testing.T, b []byte) float64 {
	t.Helper()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return float64(cfg.Width) / float64(cfg.Height)
}

// TestCornersUsed: corners placed by the person replace the detection: on
// the page's true corners the page comes out as found, on the top half of
// the page a landscape half-page comes out (the output changes), the check
// reports the corners it used, and the same corners in another order
// round the page give the same page.
func TestCornersUsed(t *testing.T) {
	photo, o := cornersPhoto(t)
	var c Converter
	ctx := context.Background()
	check := func(q *[4]Point) PageCheck {
		t.Helper()
		pcs, err := c.Check(ctx, []Input{{Name: "p", Data: photo, Corners: q}}, Options{Thumbnail: 200})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		return pcs[0]
	}
	auto := check(nil)
	if auto.Verdict != VerdictOK || auto.Corners == nil {
		t.Fatalf("without corners: %+v", auto)
	}
	tq := truth(o)
	for i := range tq {
		if d := math.Hypot(auto.Corners[i].X-tq[i].X, auto.Corners[i].Y-tq[i].Y); d > 25 {
			t.Errorf("found corner %d at %v, the page's is at %v", i, auto.Corners[i], tq[i])
		}
	}
	placed := check(&tq)
	if placed.Verdict != VerdictOK || placed.Corners == nil {
		t.Errorf("on the true corners: %+v", placed)
	}
	if a := thumbAspect(t, placed.Thumbnail); a > 0.8 {
		t.Errorf("on the true corners the page is %.2f wide for 1 high, want a portrait page", a)
	}
	// The top half of the page only.
	half := tq
	half[2] = Point{X: (tq[1].X + tq[2].X) / 2, Y: (tq[1].Y + tq[2].Y) / 2}
	half[3] = Point{X: (tq[0].X + tq[3].X) / 2, Y: (tq[0].Y + tq[3].Y) / 2}
	top := check(&half)
	if a := thumbAspect(t, top.Thumbnail); a < 1.1 {
		t.Errorf("on the top half the page is %.2f wide for 1 high, want a landscape half page", a)
	}
	if bytes.Equal(top.Thumbnail, auto.Thumbnail) {
		t.Error("the corners changed nothing")
	}
	for i := range half {
		if d := math.Hypot(top.Corners[i].X-half[i].X, top.Corners[i].Y-half[i].Y); d > 2 {
			t.Errorf("used corner %d at %v, placed at %v", i, top.Corners[i], half[i])
		}
	}
	// Counter-clockwise from the bottom-right: the same page.
	ccw := [4]Point{half[2], half[1], half[0], half[3]}
	if again := check(&ccw); !bytes.Equal(again.Thumbnail, top.Thumbnail) {
		t.Error("the same corners in another order gave another page")
	}
	// Convert uses them too: the PDF differs.
	var a, b bytes.Buffer
	if _, err := c.Convert(ctx, []Input{{Name: "p", Data: photo}}, Options{}, &a); err != nil {
		t.Fatal(err)
	}
	res, err := c.Convert(ctx, []Input{{Name: "p", Data: photo, Corners: &half}}, Options{}, &b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), b.Bytes()) || res.Pages != 1 {
		t.Errorf("Convert with corners: %d pages, same PDF %v", res.Pages, bytes.Equal(a.Bytes(), b.Bytes()))
	}
}

// TestCornersHostile: corners that are not a page are refused with
// ErrBadCorners (an *InputError naming the input), never used.
func TestCornersHostile(t *testing.T) {
	photo, o := cornersPhoto(t)
	tq := truth(o)
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		q    [4]Point
	}{
		{"NaN", [4]Point{pt(nan, 10), tq[1], tq[2], tq[3]}},
		{"infinite", [4]Point{tq[0], pt(inf, 10), tq[2], tq[3]}},
		{"negative", [4]Point{pt(-1, 10), tq[1], tq[2], tq[3]}},
		{"outside", [4]Point{tq[0], tq[1], pt(1501, 1990), tq[3]}},
		{"huge", [4]Point{tq[0], tq[1], pt(1e300, 1e300), tq[3]}},
		{"self-intersecting", [4]Point{tq[0], tq[2], tq[1], tq[3]}},
		{"all one point", [4]Point{pt(500, 500), pt(500, 500), pt(500, 500), pt(500, 500)}},
		{"in a line", [4]Point{pt(100, 100), pt(500, 100), pt(900, 100), pt(1300, 100)}},
		{"three in a line", [4]Point{pt(100, 100), pt(700, 100), pt(1300, 100), pt(700, 1500)}},
		{"concave", [4]Point{pt(100, 100), pt(1300, 100), pt(700, 300), pt(100, 1500)}},
		{"tiny", [4]Point{pt(100, 100), pt(200, 100), pt(200, 200), pt(100, 200)}},
		{"zero", [4]Point{}},
	}
	var c Converter
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := CheckCorners(tc.q, 1500, 2000); !errors.Is(err, ErrBadCorners) {
				t.Errorf("CheckCorners: %v, want ErrBadCorners", err)
			}
			_, err := c.Check(context.Background(), []Input{{Name: "p", Data: photo}, {Name: "q", Data: photo, Corners: &tc.q}}, Options{})
			var ie *InputError
			if !errors.Is(err, ErrBadCorners) || !errors.As(err, &ie) || ie.Index != 1 || Code(err) != "bad_corners" {
				t.Errorf("Check: %v, want an InputError for input 2 wrapping ErrBadCorners", err)
			}
			var out bytes.Buffer
			if _, err := c.Convert(context.Background(), []Input{{Name: "q", Data: photo, Corners: &tc.q}}, Options{}, &out); !errors.Is(err, ErrBadCorners) {
				t.Errorf("Convert: %v, want ErrBadCorners", err)
			}
		})
	}
	// A PDF has no corners to place.
	pdf := simplePDF(1, "")
	if _, err := c.Check(context.Background(), []Input{{Name: "d", Data: pdf, Corners: &tq}}, Options{}); !errors.Is(err, ErrBadCorners) {
		t.Errorf("a PDF with corners: %v", err)
	}
}

func pt(x, y float64) Point { return Point{X: x, Y: y} }

// FuzzCheckCorners: any four points are either refused with ErrBadCorners
// or returned as a convex quadrilateral inside the photo, top-left first
// and clockwise.
func FuzzCheckCorners(f *testing.F) {
	f.Add(100.0, 100.0, 1100.0, 120.0, 1050.0, 1500.0, 80.0, 1450.0)
	f.Add(100.0, 100.0, 1050.0, 1500.0, 1100.0, 120.0, 80.0, 1450.0)
	f.Add(math.NaN(), 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0)
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1, x2, y2, x3, y3 float64) {
		q, err := CheckCorners([4]Point{pt(x0, y0), pt(x1, y1), pt(x2, y2), pt(x3, y3)}, 1200, 1600)
		if err != nil {
			if !errors.Is(err, ErrBadCorners) {
				t.Fatal(err)
			}
			return
		}
		area := 0.0
		for i := range q {
			a, b := q[i], q[(i+1)%4]
			if a.X < 0 || a.Y < 0 || a.X > 1200 || a.Y > 1600 {
				t.Fatalf("outside: %v", q)
			}
			area += a.X*b.Y - b.X*a.Y
		}
		if area <= 0 {
			t.Fatalf("not clockwise on the screen: %v", q)
		}
	})
}
