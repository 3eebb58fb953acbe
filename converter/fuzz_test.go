package converter

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"testing"
	"time"

	"golang.org/x/image/tiff"
)

// Fuzz targets for every parser of untrusted bytes. Crashers found are kept
// under testdata/fuzz/<target>/ and run as regression cases by go test.

func FuzzSniff(f *testing.F) {
	for _, s := range []string{"\xff\xd8\xff", "\x89PNG\r\n\x1a\n", "RIFF\x00\x00\x00\x00WEBP", "II*\x00", "MM\x00*",
		"%PDF-1.7", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "\x00\x00\x00\x18ftypavif", "GIF89a", "", "text", "<svg"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Sniff(data)
		again, err2 := Sniff(data)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatal("Sniff is not deterministic")
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupported) || got != "" {
				t.Fatalf("error %v with format %q", err, got)
			}
			return
		}
		prefixes := map[Format][]string{
			FormatJPEG: {"\xff\xd8\xff"}, FormatPNG: {"\x89PNG\r\n\x1a\n"}, FormatWebP: {"RIFF"},
			FormatTIFF: {"II*\x00", "MM\x00*"}, FormatPDF: {"%PDF-"}, FormatHEIC: {""},
		}[got]
		ok := false
		for _, p := range prefixes {
			ok = ok || bytes.HasPrefix(data, []byte(p))
		}
		if !ok {
			t.Fatalf("format %q without its magic", got)
		}
	})
}

func FuzzDecode(f *testing.F) {
	img := docImage(48, 32, 1)
	f.Add(encodeJPEG(f, img, 80))
	f.Add(withEXIF(encodeJPEG(f, grayPattern(9, 7), 90), 6))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	b.Reset()
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate, Predictor: true}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	if webp, err := os.ReadFile("testdata/doc.webp"); err == nil {
		f.Add(webp)
	}
	f.Add(pngBombHeader())
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format, err := Sniff(data)
		if err != nil || format == FormatPDF {
			return
		}
		plan, err := planDecode(data, format, 1<<20, 0, 0)
		if err != nil {
			if !errors.Is(err, ErrImageTooLarge) && !errors.Is(err, ErrMalformedImage) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("planDecode: unclassified error %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m, err := decodeImage(ctx, data, plan)
		if err != nil {
			if !errors.Is(err, ErrMalformedImage) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("decodeImage: unclassified error %v", err)
			}
			return
		}
		w, h := plan.decodedSize()
		if plan.orientation >= 5 {
			w, h = h, w
		}
		if b := m.Bounds(); int64(b.Dx())*int64(b.Dy()) > 1<<20 || b.Dx() > w || b.Dy() > h || b.Empty() {
			t.Fatalf("decoded %v, plan %d×%d", b, w, h)
		}
	})
}

// fuzzPDFSeeds are the crafted PDFs of the tests.
func fuzzPDFSeeds(f *testing.F) [][]byte {
	return [][]byte{
		simplePDF(1, ""),
		simplePDF(2, "/AcroForm << /Fields [] >> /OpenAction [4 0 R /Fit]"),
		simplePDF(1, "/OpenAction 6 0 R", "<< /S /JavaScript /JS (app.alert('x')) >>"),
		simplePDF(1, "/Names << /EmbeddedFiles 6 0 R >>", "<< /Names [(x) 7 0 R] >>",
			"<< /Type /Filespec /F (x) /EF << /F 8 0 R >> >>", stream("/Type /EmbeddedFile", []byte("x"))),
		simplePDF(1, "/OpenAction << /S /Launch /F (calc.exe) >>"),
		encryptPDF(f, simplePDF(1, ""), "secret", "owner"),
		encryptPDF(f, simplePDF(1, ""), "", "owner"),
		buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Resources << /XObject << /I 5 0 R >> >> /Contents 4 0 R >>",
			stream("", []byte("q 10 0 0 10 0 0 cm /I Do Q")),
			stream("/Type /XObject /Subtype /Image /Width 9 /Height 7 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
				withEXIF(encodeJPEG(f, grayPattern(9, 7), 90), 1))),
		[]byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"),
	}
}

func FuzzPDFIntake(f *testing.F) {
	for _, s := range fuzzPDFSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		part, err := intakePDF(ctx, data, 1<<20)
		if err != nil {
			if !errors.Is(err, ErrMalformedPDF) && !errors.Is(err, ErrEncryptedPDF) && !errors.Is(err, ErrActivePDF) &&
				!errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if part.pages <= 0 {
			t.Fatalf("accepted a PDF with %d pages", part.pages)
		}
		// What intake lets through must assemble and carry no active content.
		b, err := newPDFBuilder(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.addPDF(part); err != nil {
			if !errors.Is(err, ErrMalformedPDF) {
				t.Fatalf("merge: unclassified error %v", err)
			}
			return
		}
		out, err := b.bytes()
		if err != nil {
			if !errors.Is(err, ErrMalformedPDF) {
				t.Fatalf("write: unclassified error %v", err)
			}
			return
		}
		m, err := readPDF(ctx, out, 1<<20)
		if err != nil {
			t.Fatalf("output does not read back: %v", err)
		}
		if err := checkActive(m); err != nil {
			t.Fatalf("active content in output: %v", err)
		}
	})
}

func FuzzEXIF(f *testing.F) {
	jpg := encodeJPEG(f, grayPattern(9, 7), 90)
	f.Add(withEXIF(jpg, 6))
	f.Add(exifTIFF(3))
	f.Add(append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("eXIf", exifTIFF(5))...))
	f.Add(append([]byte("RIFF\x00\x00\x00\x00WEBPEXIF\x30\x00\x00\x00"), exifTIFF(7)...))
	f.Add([]byte("II*\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{FormatJPEG, FormatPNG, FormatWebP, FormatTIFF, FormatHEIC} {
			if o := exifOrientation(data, format); o < 1 || o > 8 {
				t.Fatalf("%s: orientation %d", format, o)
			}
		}
		if o := tiffOrientation(data); o < 0 || o > 0xffff {
			t.Fatalf("tiffOrientation %d", o)
		}
		clean, changed := stripJPEGMetadata(data)
		if again, changed2 := stripJPEGMetadata(clean); changed2 || !bytes.Equal(again, clean) {
			t.Fatal("stripping is not idempotent")
		}
		if changed && len(clean) >= len(data) {
			t.Fatal("stripping did not shrink")
		}
		_, _ = decodeHeader(data, FormatJPEG)
	})
}

// FuzzPageImage: a page preview of any PDF (a stored paper may hold merged
// PDFs) ends in an image or a classified error, never a panic or a hang;
// seeds are a page of mixed raster content with its background, and a
// grey JPEG page.
func FuzzPageImage(f *testing.F) {
	g := image.NewGray(image.Rect(0, 0, 120, 170))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for y := 40; y < 120; y++ {
		for x := 10; x < 110; x++ {
			g.Pix[y*g.Stride+x] = 200
			if (x/4+y/6)%3 == 0 {
				g.Pix[y*g.Stride+x] = 10
			}
		}
	}
	m, bg, err := encodeMixed(context.Background(), g, 150)
	if err != nil || bg == nil {
		f.Fatalf("encodeMixed: %v, background %v", err, bg != nil)
	}
	grey, err := encodeImage(context.Background(), g, ModeGray, 60)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range []*renderedImage{{img: m, bg: bg, mixed: true}, {img: grey}} {
		b, err := newPDFBuilder(1 << 20)
		if err != nil {
			f.Fatal(err)
		}
		if err := b.addPage(layoutImages([]*renderedImage{r}, true)); err != nil {
			f.Fatal(err)
		}
		pdf, err := b.bytes()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pdf)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		img, mt, err := PageImage(ctx, data, 1)
		if err != nil {
			if !errors.Is(err, ErrNoPreview) && !errors.Is(err, ErrMalformedPDF) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if mt != "image/jpeg" || len(img) == 0 {
			t.Fatalf("%s, %d bytes", mt, len(img))
		}
	})
}
