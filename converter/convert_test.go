package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/converter/scan"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"golang.org/x/image/tiff"
)

// convert runs one conversion with a fresh Converter.
func convert(t *testing.T, c *Converter, opts Options, inputs ...Input) ([]byte, Result) {
	t.Helper()
	if c == nil {
		c = &Converter{}
	}
	var out bytes.Buffer
	res, err := c.Convert(context.Background(), inputs, opts, &out)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	if res.Bytes != int64(out.Len()) {
		t.Fatalf("Result.Bytes = %d, wrote %d", res.Bytes, out.Len())
	}
	return out.Bytes(), res
}

// pageDims returns the output's page sizes in points.
func pageDims(t *testing.T, pdf []byte) [][2]int {
	t.Helper()
	dims, err := api.PageDims(bytes.NewReader(pdf), pdfConfig(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]int
	for _, d := range dims {
		out = append(out, [2]int{int(d.Width + 0.5), int(d.Height + 0.5)})
	}
	return out
}

// noMarkers fails if any planted marker or metadata signature is in pdf.
func noMarkers(t *testing.T, pdf []byte) {
	t.Helper()
	for _, m := range []string{exifMarker, appendedMarker, xmpMarker, authorMarker, "Exif\x00\x00", "PK\x03\x04", "pdfcpu", "JavaScript", "AcroForm", "OpenAction", "EmbeddedFile"} {
		if bytes.Contains(pdf, []byte(m)) {
			t.Errorf("output contains %q", m)
		}
	}
}

func TestConvertImages(t *testing.T) {
	doc := docImage(640, 480, 3)
	jpg := encodeJPEG(t, doc, 85)
	var pngBuf, tiffBuf bytes.Buffer
	if err := png.Encode(&pngBuf, doc); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tiffBuf, doc, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	webp, err := os.ReadFile("testdata/doc.webp")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		mode Mode
	}{
		{"JPEG with EXIF and GPS", withEXIF(jpg, 1), ModeAuto},
		{"JPEG with appended ZIP", append(append([]byte{}, jpg...), zipBlob()...), ModeAuto},
		{"JPEG with EXIF and appended ZIP, colour", append(withEXIF(jpg, 6), zipBlob()...), ModeColor},
		{"JPEG black and white", jpg, ModeBW},
		{"PNG", pngBuf.Bytes(), ModeGray},
		{"TIFF", tiffBuf.Bytes(), ModeAuto},
		{"WebP", webp, ModeAuto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf, res := convert(t, nil, Options{Mode: tc.mode}, Input{Name: "x", Data: tc.data})
			if res.Pages != 1 || len(res.Inputs) != 1 || res.Inputs[0].Page != 1 {
				t.Fatalf("result %+v", res)
			}
			if tc.mode != ModeAuto && res.Inputs[0].Mode != tc.mode {
				t.Errorf("mode %v, want %v", res.Inputs[0].Mode, tc.mode)
			}
			noMarkers(t, pdf)
			if n := checkPDF(t, pdf); n != 1 {
				t.Errorf("pdftoppm rendered %d pages", n)
			}
			if !bytes.Contains(pdf, []byte("/Producer(Coffre)")) {
				t.Error("Producer is not neutral")
			}
		})
	}
}

func TestConvertHEIC(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gen2brain/heic").Output()
	if err != nil {
		testenv.Missing(t, "gen2brain/heic module directory: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", "test.heic"))
	if err != nil {
		testenv.Missing(t, "HEIC test image: %v", err)
	}
	pdf, res := convert(t, nil, Options{}, Input{Name: "photo.heic", Data: data})
	if res.Inputs[0].Format != FormatHEIC || res.Pages != 1 {
		t.Fatalf("result %+v", res)
	}
	checkPDF(t, pdf)
}

func TestConvertSamplePhotos(t *testing.T) {
	for _, name := range []string{"rib", "droits", "scolarite"} {
		t.Run(name, func(t *testing.T) {
			photo := withEXIF(samplePhoto(t, name), 1)
			pdf, res := convert(t, nil, Options{}, Input{Name: name, Data: photo})
			noMarkers(t, pdf)
			checkPDF(t, pdf)
			// Goal: ≤ 100 KB per text page in auto mode at 150 DPI.
			if res.Bytes > 100_000 {
				t.Errorf("%s: %d bytes for one page", name, res.Bytes)
			}
			t.Logf("%s: %d bytes, %+v", name, res.Bytes, res.Inputs[0])
		})
	}
}

func TestDossierFitsGeneric(t *testing.T) {
	// A 10-page dossier of photos fits the generic 2 MB cap, in order.
	photos := [][]byte{encodeJPEG(t, docImage(1200, 1600, 1), 90), encodeJPEG(t, docImage(1600, 1200, 2), 90)}
	var inputs []Input
	for i := 0; i < 10; i++ {
		inputs = append(inputs, Input{Name: fmt.Sprint(i), Data: photos[i%2]})
	}
	var seen []int
	pdf, res := convert(t, nil, Options{Mode: ModeColor, Progress: func(p PageInfo) { seen = append(seen, p.Input) }}, inputs...)
	if res.Pages != 10 || res.Bytes > 2_000_000 {
		t.Fatalf("%d pages, %d bytes", res.Pages, res.Bytes)
	}
	t.Logf("10-page dossier of photos: %d bytes (generic cap 2,000,000)", res.Bytes)
	for i, in := range seen {
		if in != i {
			t.Fatalf("progress order %v", seen)
		}
	}
	for i, info := range res.Inputs {
		if info.Page != i+1 || info.Input != i {
			t.Errorf("input %d: %+v", i, info)
		}
	}
	if n := checkPDF(t, pdf); n != 10 {
		t.Errorf("pdftoppm rendered %d pages", n)
	}
}

// stubScanner returns pages of the target size without looking at the
// photo: text-like or noisy, and ID-card sized when card is set.
func stubScanner(card, noisy bool) Scanner {
	return ScanFunc(func(ctx context.Context, src image.Image, o scan.Options) (scan.Result, error) {
		w, h := min(o.TargetW, o.TargetH), max(o.TargetW, o.TargetH)
		if card {
			w, h = 2*max(o.TargetW, o.TargetH)*856/2970, 2*max(o.TargetW, o.TargetH)*540/2970
		}
		mode := o.Mode
		if mode == scan.ModeAuto {
			mode = scan.ModeGray
			if card {
				mode = scan.ModeColor
			}
		}
		r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			switch {
			case noisy:
				x, y := i%w, i/w
				g.Pix[i] = uint8(128 + (x*7+y*3)%64 + r.IntN(32))
			case (i/w)%20 < 3 && r.IntN(3) == 0:
				g.Pix[i] = 0
			default:
				g.Pix[i] = 255
			}
			if mode == scan.ModeBW {
				g.Pix[i] = uint8(min(1, int(g.Pix[i])/160) * 255)
			}
		}
		var img image.Image = g
		if mode == scan.ModeColor {
			y := image.NewYCbCr(g.Rect, image.YCbCrSubsampleRatio420)
			copy(y.Y, g.Pix)
			for i := range y.Cb {
				y.Cb[i], y.Cr[i] = uint8(100+i%40), uint8(150-i%30)
			}
			img = y
		}
		return scan.Result{Image: img, Mode: mode, Card: card, Landscape: w > h}, nil
	})
}

func TestFitToSize(t *testing.T) {
	photo := encodeJPEG(t, docImage(800, 600, 4), 80)
	inputs := []Input{{Name: "a", Data: photo}, {Name: "b", Data: photo}, {Name: "c", Data: photo}}
	tight := Profile{ID: "tight", MaxBytes: 600_000, DPI: 150, Color: ColorAny, CardOnA4: true}
	c := &Converter{Scanner: stubScanner(false, true)}
	pdf, res := convert(t, c, Options{Mode: ModeColor, profile: &tight}, inputs...)
	if res.Bytes > tight.MaxBytes || !res.Shrunk {
		t.Fatalf("%d bytes (cap %d), shrunk %v", res.Bytes, tight.MaxBytes, res.Shrunk)
	}
	t.Logf("fitted: %d bytes, %+v", res.Bytes, res.Inputs)
	checkPDF(t, pdf)

	// Colour required: never drops to grey.
	colour := tight
	colour.Color = ColorRequired
	_, res = convert(t, c, Options{profile: &colour}, inputs...)
	for _, in := range res.Inputs {
		if in.Mode != ModeColor {
			t.Errorf("colour required, got %v", in.Mode)
		}
	}

	// Impossible: a clear error naming the page, in English and French.
	tiny := tight
	tiny.MaxBytes = 60_000
	var out bytes.Buffer
	_, err := c.Convert(context.Background(), inputs, Options{profile: &tiny}, &out)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Page < 1 || tl.Page > 3 || tl.Limit != 60_000 {
		t.Fatalf("err = %v", err)
	}
	if Code(err) != "too_large" || tl.Pages != 3 || tl.MaxPages != 0 {
		t.Errorf("code %q, pages %d, max pages %d", Code(err), tl.Pages, tl.MaxPages)
	}
	if out.Len() != 0 {
		t.Error("output written on error")
	}
}

func TestMaxPages(t *testing.T) {
	photo := encodeJPEG(t, docImage(200, 150, 5), 80)
	var inputs []Input
	for i := 0; i < 6; i++ {
		inputs = append(inputs, Input{Data: photo})
	}
	_, err := (&Converter{}).Convert(context.Background(), inputs, Options{Profile: "dossierfacile", Kind: "id"}, &bytes.Buffer{})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.MaxPages != 5 || tl.Pages != 6 {
		t.Fatalf("err = %v", err)
	}
	if Code(err) != "too_many_pages" {
		t.Errorf("code %q, want too_many_pages", Code(err))
	}
	// A PDF's pages count too.
	_, err = (&Converter{}).Convert(context.Background(), []Input{{Data: simplePDF(4, "")}, {Data: photo}, {Data: photo}},
		Options{Profile: "dossierfacile", Kind: "id"}, &bytes.Buffer{})
	if !errors.As(err, &tl) || tl.Pages != 6 {
		t.Fatalf("PDF pages: err = %v", err)
	}
}

func TestCardLayout(t *testing.T) {
	photo := encodeJPEG(t, docImage(400, 300, 6), 80)
	c := &Converter{Scanner: stubScanner(true, false)}
	pdf, res := convert(t, c, Options{CardPairs: true}, Input{Name: "recto", Data: photo}, Input{Name: "verso", Data: photo}, Input{Name: "third", Data: photo})
	if res.Pages != 2 || res.Inputs[1].Page != 1 || res.Inputs[1].Pages != 0 || res.Inputs[2].Page != 2 || !res.Inputs[0].Card {
		t.Fatalf("result %+v", res.Inputs)
	}
	if d := pageDims(t, pdf); len(d) != 2 || d[0] != [2]int{595, 842} {
		t.Fatalf("page sizes %v", d)
	}
	checkPDF(t, pdf)

	// A portal that does not want A4 gets the card's own size.
	cardPage := Profile{ID: "cards", MaxBytes: 2_000_000, DPI: 150, Color: ColorAny}
	pdf, _ = convert(t, c, Options{profile: &cardPage}, Input{Data: photo})
	if d := pageDims(t, pdf); len(d) != 1 || d[0] != [2]int{243, 153} {
		t.Fatalf("card page size %v", d)
	}
}

func TestPDFInputs(t *testing.T) {
	photo := encodeJPEG(t, docImage(600, 800, 7), 85)
	exifJPEG := withEXIF(encodeJPEG(t, docImage(64, 48, 8), 80), 1)
	// A 2-page Letter PDF with a form, an automatic GoTo action, an author,
	// XMP metadata, and a JPEG image carrying EXIF.
	input := simplePDF(2, "/AcroForm << /Fields [] >> /OpenAction [4 0 R /Fit] /Metadata 8 0 R /Info 9 0 R",
		stream("/Type /Metadata /Subtype /XML", []byte("<x:xmpmeta>"+xmpMarker+"</x:xmpmeta>")),
		"<< /Author ("+authorMarker+") >>",
		stream("/Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", exifJPEG))
	pdf, res := convert(t, nil, Options{},
		Input{Name: "photo1", Data: photo}, Input{Name: "doc.pdf", Data: input}, Input{Name: "photo2", Data: photo})
	if res.Pages != 4 || res.Inputs[1].Page != 2 || res.Inputs[1].Pages != 2 || res.Inputs[2].Page != 4 {
		t.Fatalf("result %+v", res.Inputs)
	}
	dims := pageDims(t, pdf)
	want := [][2]int{{595, 842}, {612, 792}, {612, 792}, {595, 842}}
	if fmt.Sprint(dims) != fmt.Sprint(want) {
		t.Fatalf("page order/sizes %v, want %v", dims, want)
	}
	noMarkers(t, pdf)
	if n := checkPDF(t, pdf); n != 4 {
		t.Errorf("pdftoppm rendered %d pages", n)
	}

	// A PDF that opens without a password (owner password only) is
	// accepted and comes out unencrypted.
	owner := encryptPDF(t, simplePDF(1, ""), "", "owner-secret")
	pdf, _ = convert(t, nil, Options{}, Input{Data: owner})
	if bytes.Contains(pdf, []byte("/Encrypt")) {
		t.Error("output is encrypted")
	}
	checkPDF(t, pdf)
}

func TestPDFRecompression(t *testing.T) {
	// One page holding a noisy 2400×3000 JPEG of about 3 MB: over the generic
	// 2 MB cap until its image is re-compressed.
	r := rand.New(rand.NewPCG(1, 1))
	big := image.NewGray(image.Rect(0, 0, 2400, 3000))
	for i := range big.Pix {
		big.Pix[i] = uint8(128 + r.IntN(64))
	}
	jpg := encodeJPEG(t, big, 95)
	if len(jpg) < 2_100_000 {
		t.Fatalf("test image only %d bytes", len(jpg))
	}
	input := buildPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
		stream("", []byte("q 595 0 0 842 0 0 cm /Im0 Do Q")),
		stream("/Type /XObject /Subtype /Image /Width 2400 /Height 3000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", jpg))
	pdf, res := convert(t, nil, Options{}, Input{Data: input})
	if res.Bytes > 2_000_000 || !res.Shrunk || res.Pages != 1 {
		t.Fatalf("%d bytes, shrunk %v", res.Bytes, res.Shrunk)
	}
	checkPDF(t, pdf)
}

func TestCancel(t *testing.T) {
	var inputs []Input
	photo := encodeJPEG(t, docImage(1600, 1200, 9), 85)
	for i := 0; i < 8; i++ {
		inputs = append(inputs, Input{Data: photo})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := (&Converter{}).Convert(ctx, inputs, Options{}, &bytes.Buffer{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stopped after %v", took)
	}
}

func TestConcurrentConversions(t *testing.T) {
	c := &Converter{MaxConcurrent: 2, MemoryBudget: 64 << 20}
	photo := encodeJPEG(t, docImage(1000, 750, 10), 85)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			_, errs[i] = c.Convert(context.Background(), []Input{{Data: photo}, {Data: photo}}, Options{}, &out)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("conversion %d: %v", i, err)
		}
	}
}

func TestPanickingScannerIsAnError(t *testing.T) {
	c := &Converter{Scanner: ScanFunc(func(context.Context, image.Image, scan.Options) (scan.Result, error) {
		panic("boom")
	})}
	_, err := c.Convert(context.Background(), []Input{{Data: encodeJPEG(t, docImage(100, 80, 1), 80)}}, Options{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("err = %v", err)
	}
}
