package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/converter/scan"
)

// orientRef maps an output pixel to its source pixel for orientation o of a
// w×h source, straight from the EXIF definitions.
func orientRef(o, w, h, dx, dy int) (int, int) {
	switch o {
	case 2:
		return w - 1 - dx, dy
	case 3:
		return w - 1 - dx, h - 1 - dy
	case 4:
		return dx, h - 1 - dy
	case 5:
		return dy, dx
	case 6:
		return dy, h - 1 - dx
	case 7:
		return w - 1 - dy, h - 1 - dx
	case 8:
		return w - 1 - dy, dx
	}
	return dx, dy
}

func TestOrient(t *testing.T) {
	const w, h = 6, 4
	gray := grayPattern(w, h)
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := gray.GrayAt(x, y).Y
			rgba.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
			ycc.Y[ycc.YOffset(x, y)] = v
			ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = 128, 128
		}
	}
	for _, src := range []image.Image{gray, rgba, ycc, nrgba, gray.SubImage(image.Rect(0, 0, w, h))} {
		for o := 1; o <= 8; o++ {
			out, err := orient(context.Background(), src, o)
			if err != nil {
				t.Fatal(err)
			}
			b := out.Bounds()
			wantW, wantH := w, h
			if o >= 5 {
				wantW, wantH = h, w
			}
			if b.Dx() != wantW || b.Dy() != wantH {
				t.Fatalf("%T o=%d: bounds %v", src, o, b)
			}
			for dy := 0; dy < wantH; dy++ {
				for dx := 0; dx < wantW; dx++ {
					sx, sy := orientRef(o, w, h, dx, dy)
					got := color.GrayModel.Convert(out.At(b.Min.X+dx, b.Min.Y+dy)).(color.Gray).Y
					if want := gray.GrayAt(sx, sy).Y; absDiff(got, want) > 1 {
						t.Fatalf("%T o=%d: (%d,%d) = %d, want %d", src, o, dx, dy, got, want)
					}
				}
			}
		}
	}
	// 4:2:0 keeps its type and trims an odd side.
	odd := image.NewYCbCr(image.Rect(0, 0, 7, 5), image.YCbCrSubsampleRatio420)
	out, err := orient(context.Background(), odd, 6)
	if err != nil {
		t.Fatal(err)
	}
	if y, ok := out.(*image.YCbCr); !ok || y.Rect.Dx() != 4 || y.Rect.Dy() != 6 || y.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("4:2:0 odd: %T %v", out, out.Bounds())
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestEXIFOrientation(t *testing.T) {
	jpg := encodeJPEG(t, grayPattern(30, 20), 90)
	for _, tc := range []struct {
		name string
		data []byte
		f    Format
		want int
	}{
		{"JPEG orientation 6", withEXIF(jpg, 6), FormatJPEG, 6},
		{"JPEG orientation 3", withEXIF(jpg, 3), FormatJPEG, 3},
		{"JPEG without EXIF", jpg, FormatJPEG, 1},
		{"JPEG invalid orientation", withEXIF(jpg, 9), FormatJPEG, 1},
		{"TIFF file", exifTIFF(8), FormatTIFF, 8},
		{"PNG eXIf", append([]byte("\x89PNG\r\n\x1a\n"), append(pngIHDR(1, 1, 8, 0), pngChunk("eXIf", exifTIFF(5))...)...), FormatPNG, 5},
		{"WebP EXIF", append([]byte("RIFF\x00\x00\x00\x00WEBPEXIF"), append([]byte{byte(len(exifTIFF(7))), 0, 0, 0}, exifTIFF(7)...)...), FormatWebP, 7},
		{"truncated APP1", withEXIF(jpg, 6)[:30], FormatJPEG, 1},
		{"HEIC ignored", withEXIF(jpg, 6), FormatHEIC, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exifOrientation(tc.data, tc.f); got != tc.want {
				t.Fatalf("orientation %d, want %d", got, tc.want)
			}
		})
	}
	// Decoding applies it: a 30×20 photo with orientation 6 becomes 20×30.
	plan, err := planDecode(withEXIF(jpg, 6), FormatJPEG, DefaultMaxPixels, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, err := decodeImage(context.Background(), withEXIF(jpg, 6), plan)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 30 {
		t.Fatalf("oriented bounds %v", b)
	}
}

func TestPlanDecodeScale(t *testing.T) {
	jpg := encodeJPEG(t, docImage(3000, 4000, 1), 60)
	for _, tc := range []struct {
		name      string
		minShort  int
		maxPixels int64
		shift     int
		wantErr   error
	}{
		{"full size when the page needs it", 2000, DefaultMaxPixels, 0, nil},
		{"half size for a 150 DPI page", 1488, DefaultMaxPixels, 1, nil},
		{"quarter size for a small target", 700, DefaultMaxPixels, 2, nil},
		{"eighth for a thumbnail", 300, DefaultMaxPixels, 3, nil},
		{"budget forces a smaller scale", 2000, 3_000_000, 1, nil},
		{"over budget even at 1/8", 0, 100_000, 0, ErrImageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planDecode(jpg, FormatJPEG, tc.maxPixels, tc.minShort, 2_000_000)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v", err)
			}
			if err == nil && p.shift != tc.shift {
				t.Fatalf("shift %d, want %d", p.shift, tc.shift)
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	ps := Profiles()
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
		if p.MaxBytes <= 0 || p.DPI != 150 || len(p.Formats) == 0 || len(p.Facts) == 0 {
			t.Errorf("%s: incomplete %+v", p.ID, p)
		}
		for _, f := range p.Facts {
			if f.Source == "" {
				t.Errorf("%s.%s: no source", p.ID, f.Field)
			}
		}
	}
	for _, want := range []string{"generic", "caf", "ameli", "france-travail", "anef", "impots", "dossierfacile", "mdph"} {
		if !slices.Contains(ids, want) {
			t.Errorf("missing profile %q", want)
		}
	}
	if ids[0] != "generic" {
		t.Errorf("generic is not first: %v", ids)
	}
	g, err := LookupProfile("")
	if err != nil || g.ID != "generic" || g.MaxBytes != 2_000_000 {
		t.Fatalf("generic: %+v %v", g, err)
	}
	df, err := LookupProfile("dossierfacile")
	if err != nil {
		t.Fatal(err)
	}
	// Unverified: the 10 MB claim does not apply, the stricter page limits do.
	if df.MaxBytes != g.MaxBytes || df.MaxPagesFor("id") != 5 || df.MaxPagesFor("tax") != 10 || df.MaxPagesFor("") != g.MaxPages {
		t.Errorf("dossierfacile: %+v", df)
	}
	for _, f := range df.Facts {
		if f.Field == "max_bytes" && (f.Applied || f.Verified || f.Value != "10000000") {
			t.Errorf("dossierfacile max_bytes fact %+v", f)
		}
	}
	if _, err := LookupProfile("nope"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("err = %v", err)
	}
	// Callers cannot modify the shared profiles.
	df.MaxPagesByKind["id"] = 99
	if again, _ := LookupProfile("dossierfacile"); again.MaxPagesFor("id") != 5 {
		t.Error("profiles are shared mutable state")
	}
}

func TestParseProfilesRejects(t *testing.T) {
	generic := `{"id":"generic","name":"g","values":{"formats":{"value":["pdf"],"source":"s","verified":true},"max_bytes":{"value":2000000,"source":"s","verified":true},"max_pages":{"value":20,"source":"s","verified":true},"color":{"value":"any","source":"s","verified":true},"dpi":{"value":150,"source":"s","verified":true},"card_on_a4":{"value":true,"source":"s","verified":true}}}`
	for _, tc := range []struct{ name, json string }{
		{"empty", `{"profiles":[]}`},
		{"generic not first", `{"profiles":[{"id":"caf","values":{}},` + generic + `]}`},
		{"unverified generic", `{"profiles":[` + strings.Replace(generic, `"verified":true`, `"verified":false`, 1) + `]}`},
		{"duplicate", `{"profiles":[` + generic + `,` + generic + `]}`},
		{"unknown field", `{"profiles":[` + generic + `,{"id":"x","values":{"speed":{"value":1,"source":"s"}}}]}`},
		{"bad colour", `{"profiles":[` + generic + `,{"id":"x","values":{"color":{"value":"pink","source":"s"}}}]}`},
		{"not json", `{`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseProfiles([]byte(tc.json)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	ps, err := parseProfiles([]byte(`{"profiles":[` + generic + `,{"id":"x","values":{"max_bytes":{"value":500000,"source":"s"},"max_pages":{"value":50,"source":"s"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// An unverified stricter cap applies; an unverified looser one does not.
	if ps[1].MaxBytes != 500000 || ps[1].MaxPages != 20 {
		t.Fatalf("%+v", ps[1])
	}
}

func TestAllocate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int64
		fixed  []bool
		budget int64
		want   []int64
	}{
		{"all fit", []int64{10, 20}, []bool{false, false}, 100, []int64{10, 20}},
		{"small keeps, big shares", []int64{10, 100, 100}, []bool{false, false, false}, 110, []int64{10, 50, 50}},
		{"fixed counts first", []int64{60, 100}, []bool{true, false}, 100, []int64{60, 40}},
		{"nothing left", []int64{100, 100}, []bool{true, false}, 50, []int64{100, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allocate(tc.sizes, tc.fixed, tc.budget); !slices.Equal(got, tc.want) {
				t.Fatalf("allocate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLadder(t *testing.T) {
	colour := ladder(scan.ModeColor, 150, false)
	if colour[0].mode != scan.ModeColor || colour[len(colour)-1].mode != scan.ModeBW {
		t.Errorf("colour ladder %v", colour)
	}
	for i := 1; i < len(colour); i++ {
		a, b := colour[i-1], colour[i]
		if a.mode == b.mode && a.dpi == b.dpi && b.quality >= a.quality {
			t.Errorf("quality does not step down at %d: %v → %v", i, a, b)
		}
		if b.dpi < minDPI {
			t.Errorf("step %d under %d DPI: %v", i, minDPI, b)
		}
	}
	for _, l := range ladder(scan.ModeColor, 150, true) {
		if l.mode != scan.ModeColor {
			t.Errorf("colour required, got %v", l)
		}
	}
	if bw := ladder(scan.ModeBW, 150, false); len(bw) != 3 || bw[1].dpi != 112 || bw[2].dpi != minDPI {
		t.Errorf("bw ladder %v", bw)
	}
}

func TestSemaphore(t *testing.T) {
	s := newSemaphore(10)
	ctx := context.Background()
	n, err := s.acquire(ctx, 100) // clamped: runs alone
	if err != nil || n != 10 {
		t.Fatalf("acquire = %d, %v", n, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.acquire(cctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire on a full semaphore: %v", err)
	}
	s.release(n)
	var inFlight, peak atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.acquire(ctx, 3)
			if err != nil {
				t.Error(err)
				return
			}
			v := inFlight.Add(n)
			for {
				p := peak.Load()
				if v <= p || peak.CompareAndSwap(p, v) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inFlight.Add(-n)
			s.release(n)
		}()
	}
	wg.Wait()
	if peak.Load() > 10 {
		t.Fatalf("peak %d over capacity", peak.Load())
	}
}

// Every error has its own code (the edge says it from the catalogue); an
// input error names the input by position only.
func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, err := range []error{ErrUnsupported, ErrEncryptedPDF, ErrActivePDF, ErrMalformedPDF, ErrMalformedImage,
		ErrImageTooLarge, ErrInputTooLarge, ErrNoInput, ErrUnknownProfile, ErrTooLarge,
		&TooLargeError{MaxPages: 5, Pages: 6}} {
		c := Code(fmt.Errorf("wrapped: %w", err))
		if c == "" || seen[c] {
			t.Errorf("%v: code %q (seen: %v)", err, c, seen[c])
		}
		seen[c] = true
	}
	if Code(errors.New("other")) != "" {
		t.Error("a foreign error has a code")
	}
	e := &InputError{Index: 2, Name: "avis.pdf", Err: ErrEncryptedPDF}
	if Code(e) != "encrypted_pdf" || strings.Contains(e.Error(), "avis.pdf") || !strings.Contains(e.Error(), "input 3") {
		t.Errorf("%q / %q", e.Error(), Code(e))
	}
}

func TestStripJPEGMetadata(t *testing.T) {
	jpg := withEXIF(encodeJPEG(t, grayPattern(16, 16), 90), 6)
	clean, changed := stripJPEGMetadata(jpg)
	if !changed || bytes.Contains(clean, []byte(exifMarker)) || bytes.Contains(clean, []byte("Exif")) {
		t.Fatal("EXIF kept")
	}
	if _, err := decodeConfig(clean, FormatJPEG); err != nil {
		t.Fatalf("stripped JPEG does not decode: %v", err)
	}
	if _, changed := stripJPEGMetadata(clean); changed {
		t.Error("second pass changed it again")
	}
	if out, changed := stripJPEGMetadata([]byte("not a jpeg")); changed || string(out) != "not a jpeg" {
		t.Error("changed non-JPEG data")
	}
}

func TestNeutralProducer(t *testing.T) {
	in := []byte("1 0 obj <</Producer(pdfcpu v0.15.0 dev)/ModDate(D:2026)>> endobj")
	out := neutralProducer(append([]byte{}, in...))
	if len(out) != len(in) || !bytes.Contains(out, []byte("/Producer(Coffre)")) || bytes.Contains(out, []byte("pdfcpu")) {
		t.Fatalf("%q", out)
	}
	odd := []byte("/Producer(pdfcpu \\) tricky)")
	if got := neutralProducer(append([]byte{}, odd...)); !bytes.Equal(got, odd) {
		t.Fatalf("changed an escaped string: %q", got)
	}
}
