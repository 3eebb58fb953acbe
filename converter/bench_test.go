package converter

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"runtime"
	"slices"
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
	var y yardstick
	for b.Loop() {
		out.Reset()
		y.convert(b, &c, data, &out)
	}
	b.ReportMetric(float64(out.Len()), "pdf-bytes")
	y.report(b)
}

// yardstick times, right after each conversion (the benchmark's timer
// stopped), the standard library's image/jpeg decoding the same photo at
// full size on the same core, and reports the median decode ("stdjpeg-ms")
// and the median of each conversion's time over the decode timed right
// after it ("x-stdjpeg"). The machine's speed moves from minute to minute
// (shared cores: ±30 %); a conversion and the decode beside it see the
// same machine, so their ratio does not move with it. Issue 19's budget,
// 150 ms a page where Coffre's whole pipeline took ~140 ms with a 12 MP
// decode of 80 ms, is about 1.8× such a decode on the machine the issue
// was measured on (image/jpeg decoded a 12 MP photo there in 80–86 ms,
// BENCHMARKS.md).
type yardstick struct {
	ms, ratio []float64
}

// convert runs one conversion of the photo data by c into out (generic
// profile, auto mode; timed by the benchmark), then one decode of data by
// image/jpeg with the benchmark's timer stopped; the heap is collected
// before each, so that neither pays for the other's garbage.
func (y *yardstick) convert(b *testing.B, c *Converter, data []byte, out *bytes.Buffer) {
	b.Helper()
	b.StopTimer()
	runtime.GC()
	b.StartTimer()
	start := time.Now()
	if _, err := c.Convert(context.Background(), []Input{{Data: data}}, Options{}, out); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	runtime.GC()
	start = time.Now()
	if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	dec := time.Since(start)
	b.StartTimer()
	y.ms = append(y.ms, float64(dec.Microseconds())/1000)
	y.ratio = append(y.ratio, float64(took)/float64(dec))
}

func (y *yardstick) report(b *testing.B) {
	b.Helper()
	if len(y.ms) == 0 {
		return
	}
	b.ReportMetric(median(y.ms), "stdjpeg-ms")
	b.ReportMetric(median(y.ratio), "x-stdjpeg")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
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
			var y yardstick
			for b.Loop() {
				out.Reset()
				y.convert(b, &c, data, &out)
			}
			b.ReportMetric(float64(out.Len()), "pdf-bytes")
			y.report(b)
		})
	}
}
