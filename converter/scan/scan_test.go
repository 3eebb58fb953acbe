package scan

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

// testTarget is A4 at 75 DPI: small enough for fast tests under -race.
var testTarget = Options{TargetW: 620, TargetH: 877}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		err  bool
	}{
		{"", ModeAuto, false},
		{"auto", ModeAuto, false},
		{"color", ModeColor, false},
		{"Colour", ModeColor, false},
		{"gray", ModeGray, false},
		{"GREY", ModeGray, false},
		{"bw", ModeBW, false},
		{" mono ", ModeBW, false},
		{"sepia", ModeAuto, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseMode(tc.in)
			if tc.err {
				if !errors.Is(err, ErrMode) {
					t.Fatalf("ParseMode(%q) error = %v, want ErrMode", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseMode(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if back, _ := ParseMode(got.String()); back != got {
				t.Errorf("String() %q does not parse back to %v", got.String(), got)
			}
		})
	}
	if s := Mode(42).String(); s != "Mode(42)" {
		t.Errorf("Mode(42).String() = %q", s)
	}
}

// textPhoto is a 900×1200 photo of an A4 text page tilted by angle degrees.
func textPhoto(t testing.TB, angle float64, turns int) (*image.YCbCr, [4]pt) {
	return textPhotoFill(t, angle, turns, 0.8)
}

func textPhotoFill(t testing.TB, angle float64, turns int, fill float64) (*image.YCbCr, [4]pt) {
	t.Helper()
	page := synthPage(t, 620, 877, 0.012, synthText)
	if turns != 0 {
		p := rotatePlane(plane{page.Pix, 620, 877, page.Stride}, turns)
		page = &image.Gray{Pix: p.pix, Stride: p.s, Rect: image.Rect(0, 0, p.w, p.h)}
	}
	corners := a4Corners(900, 1200, angle, fill)
	if turns&1 == 1 { // the page raster is landscape: place it so
		c := pt{450, 600}
		for i, q := range corners {
			d := q.sub(c)
			corners[i] = c.add(pt{-d.y, d.x}.scale(0.7))
		}
		corners = [4]pt{corners[3], corners[0], corners[1], corners[2]}
	}
	return synthPhoto(synthSpec{w: 900, h: 1200, corners: corners, page: page, gradient: 0.2, noise: 5}), corners
}

func TestDetectCorners(t *testing.T) {
	for _, tc := range []struct{ angle, fill float64 }{{0, 0.8}, {-7, 0.8}, {3, 0.9}, {12, 0.75}, {25, 0.65}, {-40, 0.55}} {
		angle := tc.angle
		t.Run("", func(t *testing.T) {
			src, want := textPhotoFill(t, angle, 0, tc.fill)
			p, err := newPlanes(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			sm, err := newSmall(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			pg := locate(p, sm)
			if !pg.found {
				t.Fatalf("angle %v: page not found", angle)
			}
			want = orderQuad(want)
			for i := range 4 {
				if d := pg.corners[i].dist(want[i]); d > 2 {
					t.Errorf("angle %v: corner %d at %v, want %v (off by %.2f px)", angle, i, pg.corners[i], want[i], d)
				}
			}
		})
	}
}

func TestOrientation(t *testing.T) {
	for turns := range 4 {
		t.Run("", func(t *testing.T) {
			// The page's content is turned clockwise by `turns`: Scan must turn
			// it back by (4-turns)%4.
			src, _ := textPhoto(t, 4, turns)
			res, err := Scan(context.Background(), src, testTarget)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Found {
				t.Fatal("page not found")
			}
			if want := (4 - turns) % 4; res.Turns != want {
				t.Errorf("content turned %d: Turns = %d, want %d", turns, res.Turns, want)
			}
			if res.Landscape {
				t.Errorf("content turned %d: Landscape, want portrait", turns)
			}
			if b := res.Image.Bounds(); b.Dx() != 620 || b.Dy() != 877 {
				t.Errorf("size %v, want 620×877", b.Size())
			}
		})
	}
}

func TestFallbackWholeImage(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
	}{
		{"blank grey", uniform(800, 600, 180)},
		{"noise", noiseImage(600, 800)},
		{"tiny", uniform(3, 2, 200)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Scan(context.Background(), tc.img, testTarget)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if res.Found {
				t.Errorf("Found = true, want the whole-image fallback")
			}
			b := tc.img.Bounds()
			if res.Corners != [4]image.Point{{0, 0}, {b.Dx(), 0}, {b.Dx(), b.Dy()}, {0, b.Dy()}} {
				t.Errorf("Corners = %v, want the image's", res.Corners)
			}
			ob := res.Image.Bounds()
			long, short := max(ob.Dx(), ob.Dy()), min(ob.Dx(), ob.Dy())
			if long > 877 || short > 620 || (long != 877 && short != 620) {
				t.Errorf("output %v does not fit 620×877", ob.Size())
			}
			// The aspect of the photo is kept.
			ir := float64(b.Dx()) / float64(b.Dy())
			if turns := res.Turns; turns&1 == 1 {
				ir = 1 / ir
			}
			if or := float64(ob.Dx()) / float64(ob.Dy()); math.Abs(or-ir) > 0.02*ir+2/float64(ob.Dy()) {
				t.Errorf("aspect %.3f, want %.3f", or, ir)
			}
		})
	}
}

func uniform(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

func noiseImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(100 + 100*hash01(uint32(x), uint32(y), 7))
			m.SetRGBA(x, y, color.RGBA{v, v / 2, 255 - v, 255})
		}
	}
	return m
}

func TestModes(t *testing.T) {
	src, _ := textPhoto(t, -3, 0)
	for _, mode := range []Mode{ModeAuto, ModeColor, ModeGray, ModeBW} {
		t.Run(mode.String(), func(t *testing.T) {
			res, err := Scan(context.Background(), src, Options{Mode: mode, TargetW: 620, TargetH: 877})
			if err != nil {
				t.Fatal(err)
			}
			want := mode
			if mode == ModeAuto {
				want = ModeGray // a text page
			}
			if res.Mode != want {
				t.Fatalf("Mode = %v, want %v", res.Mode, want)
			}
			switch m := res.Image.(type) {
			case *image.Gray:
				if mode == ModeColor {
					t.Fatalf("colour mode gave %T", m)
				}
				white, black, other := 0, 0, 0
				for _, v := range m.Pix {
					switch v {
					case 255:
						white++
					case 0:
						black++
					default:
						other++
					}
				}
				if mode == ModeBW && other > 0 {
					t.Errorf("bw image has %d pixels neither 0 nor 255", other)
				}
				// A clean page: mostly pure white paper, some ink.
				if frac := float64(white) / float64(len(m.Pix)); frac < 0.8 {
					t.Errorf("only %.2f of the page is white", frac)
				}
				if black == 0 && mode == ModeBW {
					t.Errorf("no ink in the bw image")
				}
			case *image.YCbCr:
				if mode != ModeColor {
					t.Fatalf("%v mode gave %T", mode, m)
				}
				if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || m.Rect.Dx() != 620 || m.Rect.Dy() != 877 {
					t.Errorf("colour image %v %v", m.SubsampleRatio, m.Rect)
				}
			default:
				t.Fatalf("unexpected %T", m)
			}
		})
	}
}

// TestEnough: a scan the caller ends once the page is measured gives the
// same page, mode and measures as the whole scan, without an image; one
// it lets go on gives the whole scan.
func TestEnough(t *testing.T) {
	src, _ := textPhoto(t, -3, 0)
	ctx := context.Background()
	opts := Options{Mode: ModeAuto, TargetW: 620, TargetH: 877}
	whole, err := Scan(ctx, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, stop := range []bool{true, false} {
		asked := 0
		o := opts
		o.Enough = func(r Result) bool {
			asked++
			if r.Measures != whole.Measures || r.Mode != whole.Mode || r.Corners != whole.Corners {
				t.Errorf("Enough was shown %v %+v %v, the whole scan gives %v %+v %v", r.Mode, r.Measures, r.Corners, whole.Mode, whole.Measures, whole.Corners)
			}
			return stop
		}
		res, err := Scan(ctx, src, o)
		if err != nil {
			t.Fatal(err)
		}
		if asked != 1 {
			t.Errorf("Enough asked %d times, want once", asked)
		}
		if stop && res.Image != nil {
			t.Errorf("stopped scan rendered a %v image", res.Image.Bounds())
		}
		if !stop && (res.Image == nil || res.Image.Bounds() != whole.Image.Bounds()) {
			t.Errorf("scan let go on gave %v, want the whole scan's image", res.Image)
		}
		if res.Measures != whole.Measures || res.Mode != whole.Mode || res.Page.Corners != whole.Page.Corners {
			t.Errorf("stop=%v: result %v %+v differs from the whole scan's %v %+v", stop, res.Mode, res.Measures, whole.Mode, whole.Measures)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	src := uniform(100, 100, 200)
	if _, err := Scan(ctx, src, Options{}); !errors.Is(err, ErrOptions) {
		t.Errorf("zero target: %v, want ErrOptions", err)
	}
	if _, err := Scan(ctx, src, Options{Mode: Mode(9), TargetW: 10, TargetH: 10}); !errors.Is(err, ErrOptions) {
		t.Errorf("bad mode: %v, want ErrOptions", err)
	}
	if _, err := Scan(ctx, image.NewGray(image.Rect(0, 0, 0, 5)), testTarget); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty image: %v, want ErrEmpty", err)
	}
	if _, err := Scan(ctx, nil, testTarget); !errors.Is(err, ErrEmpty) {
		t.Errorf("nil image: %v, want ErrEmpty", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	photo, _ := textPhoto(t, 0, 0)
	if _, err := Scan(cctx, photo, testTarget); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

func TestDegenerateSizes(t *testing.T) {
	sizes := [][2]int{{1, 1}, {1, 40}, {40, 1}, {2, 2}, {7, 3}, {3000, 5}, {5, 2000}, {513, 1}}
	for _, sz := range sizes {
		for _, mode := range []Mode{ModeAuto, ModeColor, ModeBW} {
			img := noiseImage(sz[0], sz[1])
			res, err := Scan(context.Background(), img, Options{Mode: mode, TargetW: 620, TargetH: 877})
			if err != nil {
				t.Fatalf("%v %v: %v", sz, mode, err)
			}
			if b := res.Image.Bounds(); b.Empty() || b.Dx() > 877 || b.Dy() > 877 {
				t.Errorf("%v %v: output %v", sz, mode, b)
			}
		}
	}
}
