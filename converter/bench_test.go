package converter

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/coffre/coffre/converter/scan"
	"github.com/coffre/coffre/internal/photogen"
)

// photo12MP returns a 12 MP (3000×4000) phone photo: the rib sample drawn
// by internal/photogen.
func photo12MP(b *testing.B) []byte {
	b.Helper()
	return samplePhoto(b, "rib")
}

// BenchmarkConvertPhoto converts one 12 MP JPEG photo into a one-page PDF
// (generic profile, auto mode). Run with GOMAXPROCS=1 for the per-core goal.
func BenchmarkConvertPhoto(b *testing.B) {
	data := photo12MP(b)
	var c Converter
	var out bytes.Buffer
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if _, err := c.Convert(context.Background(), []Input{{Data: data}}, Options{}, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.Len()), "pdf-bytes")
	reportYardstick(b, data)
}

// reportYardstick reports, beside a conversion's time, the time the
// standard library's image/jpeg takes to decode the same photo at full size
// on the same core ("stdjpeg-ms", the best of three, measured after the
// conversions), and the conversion's time as a multiple of it ("x-stdjpeg").
// The machine's speed moves from day to day (shared cores: ±30 %); the
// ratio does not. Issue 19's budget, 150 ms a page where Coffre's whole
// pipeline took ~140 ms with a 12 MP decode of 80 ms, is about 1.8× such a
// decode on the machine the issue was measured on (image/jpeg decoded a
// 12 MP photo there in 80–86 ms, BENCHMARKS.md).
func reportYardstick(b *testing.B, data []byte) {
	b.Helper()
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	ms := float64(best.Microseconds()) / 1000
	b.ReportMetric(ms, "stdjpeg-ms")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/ms, "x-stdjpeg")
}

// BenchmarkConvertStages splits one photo's time into decode, scan, encode
// and PDF assembly.
func BenchmarkConvertStages(b *testing.B) {
	data := photo12MP(b)
	ctx := context.Background()
	tw, th := a4Pixels(150)
	plan, err := planDecode(data, FormatJPEG, DefaultMaxPixels, int(float64(tw)*decodeOversample), int64(tw*th))
	if err != nil {
		b.Fatal(err)
	}
	src, err := decodeImage(ctx, data, plan)
	if err != nil {
		b.Fatal(err)
	}
	res, err := scan.Scan(ctx, src, scan.Options{TargetW: tw, TargetH: th})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := encodeImage(ctx, res.Image, res.Mode, defaultQuality(res.Mode))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeImage(ctx, data, plan); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := scan.Scan(ctx, src, scan.Options{TargetW: tw, TargetH: th}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeImage(ctx, res.Image, res.Mode, defaultQuality(res.Mode)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mixed", func(b *testing.B) {
		g, ok := res.Image.(*image.Gray)
		if !ok {
			b.Skip("not a grey page")
		}
		for b.Loop() {
			if _, _, err := encodeMixed(ctx, g, 150); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pdf", func(b *testing.B) {
		r := &renderedImage{img: enc, mode: res.Mode}
		for b.Loop() {
			pb, err := newPDFBuilder(1 << 20)
			if err != nil {
				b.Fatal(err)
			}
			if err := pb.addPage(layoutImages([]*renderedImage{r}, true)); err != nil {
				b.Fatal(err)
			}
			if _, err := pb.bytes(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkConvertHard converts the first photo of each condition of the
// hard corpus (issue 19) into a one-page PDF (generic profile, auto mode).
// Run with GOMAXPROCS=1 for the per-core goal.
func BenchmarkConvertHard(b *testing.B) {
	seen := map[string]bool{}
	for _, h := range photogen.HardCorpus() {
		if seen[h.Condition] {
			continue
		}
		seen[h.Condition] = true
		data, err := photogen.Photo(h.Doc, h.Options)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(h.Name, func(b *testing.B) {
			var c Converter
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if _, err := c.Convert(context.Background(), []Input{{Data: data}}, Options{}, &out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "pdf-bytes")
			reportYardstick(b, data)
		})
	}
}
