package scan

import (
	"context"
	"testing"
)

// BenchmarkScanCheck prices the readability measures: the same 12 MP scan
// without them and with them (run with -cpu 1 for the per-core cost).
func BenchmarkScanCheck(b *testing.B) {
	src := photo12MP(b)
	ctx := context.Background()
	opts := Options{Mode: ModeGray, TargetW: 1240, TargetH: 1754}
	for _, on := range []bool{false, true} {
		name := "without"
		if on {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			measuring = on
			defer func() { measuring = true }()
			for b.Loop() {
				if _, err := Scan(ctx, src, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMeasures prices the measures alone on a 12 MP photo's copies
// (detection copy, straightened page before and after flattening), which
// is less noisy on a shared machine than the difference of two scans.
func BenchmarkMeasures(b *testing.B) {
	ctx := context.Background()
	p, err := newPlanes(ctx, photo12MP(b))
	if err != nil {
		b.Fatal(err)
	}
	sm, err := newSmall(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	pg := locate(p, sm)
	outW, outH, _ := pageSize(pg, Options{TargetW: 1240, TargetH: 1754}, false)
	m := rectToQuad(pg.corners, outW, outH)
	scale := sourceScale(pg.corners, outW, outH)
	src, pre, rest, err := prefilter(ctx, plane{p.y, p.w, p.h, p.ys}, pg.corners, scale)
	if err != nil {
		b.Fatal(err)
	}
	luma, err := warpPlane(ctx, src, pre.mul(m), outW, outH, tapsFor(rest))
	if err != nil {
		b.Fatal(err)
	}
	bg, err := estimateBackground(ctx, luma)
	if err != nil {
		b.Fatal(err)
	}
	flat := plane{pix: make([]byte, len(luma.pix)), w: luma.w, h: luma.h, s: luma.s}
	copy(flat.pix, luma.pix)
	if err := flattenGray(ctx, flat, bg); err != nil {
		b.Fatal(err)
	}
	o, err := detectOrientation(ctx, flat)
	if err != nil {
		b.Fatal(err)
	}
	var ms Measures
	for b.Loop() {
		measureFrame(&ms, sm, pg, p.w, p.h)
		if measureLuma(&ms, luma) {
			measurePage(&ms, flat, o)
		}
	}
	if !pg.found || ms.EdgeWidth == 0 || ms.Lines == 0 {
		b.Fatalf("page not measured: %+v", ms)
	}
}
