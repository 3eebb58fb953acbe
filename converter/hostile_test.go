package converter

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileInputs feeds every hostile input of issue #7 (and a few more)
// through Convert: each must give a clear error wrapping the expected
// sentinel, with no panic, within a time and allocation bound, and nothing
// written.
// hostileFile reads a crafted file of testdata/hostile.
func hostileFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hostile", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHostileInputs(t *testing.T) {
	photo := encodeJPEG(t, docImage(400, 300, 1), 80)
	pdfJS := simplePDF(1, "/OpenAction 10 0 R", "<< /S /JavaScript /JS (app.alert('x')) >>")
	pdfJSNames := simplePDF(1, "/Names << /JavaScript 10 0 R >>", "<< /Names [(a) 11 0 R] >>", "<< /S /JavaScript /JS 12 0 R >>", stream("", []byte("app.alert(1)")))
	pdfEmbedded := simplePDF(1, "/Names << /EmbeddedFiles 10 0 R >>",
		"<< /Names [(x.exe) 11 0 R] >>",
		"<< /Type /Filespec /F (x.exe) /EF << /F 12 0 R >> >>",
		stream("/Type /EmbeddedFile", []byte("MZ evil")))
	pdfLaunch := simplePDF(1, "/OpenAction << /S /Launch /F (calc.exe) >>")
	pdfAnnotJS := buildPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] >>",
		"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /JavaScript /JS (x) >> >>")
	encrypted := encryptPDF(t, simplePDF(1, ""), "secret", "owner")
	truncated := photo[:len(photo)/2]
	hugeJPEG := append([]byte{}, photo...)
	// Patch the SOF0 dimensions to 65500×65500.
	if i := bytes.Index(hugeJPEG, []byte{0xFF, 0xC0}); i > 0 {
		hugeJPEG[i+5], hugeJPEG[i+6], hugeJPEG[i+7], hugeJPEG[i+8] = 0xFF, 0xDC, 0xFF, 0xDC
	} else {
		t.Fatal("no SOF0 in test JPEG")
	}

	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"45-byte PNG claiming 50000x50000", pngBombHeader(), ErrImageTooLarge},
		{"valid 100 MP PNG", png100MP(t), ErrImageTooLarge},
		{"8-byte TIFF header", []byte("II*\x00\x08\x00\x00\x00"), ErrMalformedImage},
		{"TIFF header claiming huge strips", append([]byte("II*\x00\x08\x00\x00\x00\x03\x00"+
			"\x00\x01\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00"+ // width 65535
			"\x01\x01\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00"+ // height 65535
			"\x11\x01\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00"), make([]byte, 8)...), ErrImageTooLarge},
		{"truncated JPEG", truncated, ErrMalformedImage},
		{"JPEG header claiming 65500x65500", hugeJPEG, ErrImageTooLarge},
		// Progressive JPEGs of about 12,000 px square in a few hundred
		// bytes: every coefficient is held at full size (12 bytes a pixel
		// for 4:4:4, 16 for CMYK); they took 0.7–3.7 GB and 8–41 s
		// (attacker's review).
		{"330-byte progressive grey JPEG, 160 MP", hostileFile(t, "prog_huge_gray_12640.jpg"), ErrImageTooLarge},
		{"712-byte progressive 4:4:4 JPEG, 144 MP", hostileFile(t, "prog_huge_444_12000.jpg"), ErrImageTooLarge},
		{"1 KB progressive CMYK JPEG, 160 MP", hostileFile(t, "prog_huge_cmyk_12640.jpg"), ErrImageTooLarge},
		// The same with a stray byte (0x00, or FF 00) between two
		// segments, which the decoder skips: a header read apart from the
		// decoder took them for baseline and let them through (2.6 GB,
		// 9 s; attacker's review).
		{"1 KB progressive CMYK JPEG, 160 MP, stray byte", hostileFile(t, "prog_cmyk_160mp_junk.jpg"), ErrImageTooLarge},
		{"718-byte progressive 4:4:4 JPEG, 144 MP, stray byte", hostileFile(t, "prog_444_144mp_junk.jpg"), ErrImageTooLarge},
		{"470-byte progressive 4:2:0 JPEG, 160 MP, stray byte", hostileFile(t, "prog_420_160mp_junk.jpg"), ErrImageTooLarge},
		{"332-byte progressive grey JPEG, 160 MP, stray byte", hostileFile(t, "prog_gray_160mp_junk.jpg"), ErrImageTooLarge},
		{"335-byte progressive grey JPEG, 160 MP, stray FF 00", hostileFile(t, "prog_gray_160mp_ff00.jpg"), ErrImageTooLarge},
		// JPEG variants the decoder does not read: photos all the same,
		// told apart from files that are no photo (attacker's review).
		{"arithmetic-coded JPEG", hostileFile(t, "arith_sof9.jpg"), ErrUnsupportedVariant},
		{"12-bit JPEG", hostileFile(t, "prec12_sof1.jpg"), ErrUnsupportedVariant},
		{"lossless JPEG", hostileFile(t, "lossless_sof3.jpg"), ErrUnsupportedVariant},
		{"hierarchical JPEG", hostileFile(t, "hier_sof5.jpg"), ErrUnsupportedVariant},
		{"JPEG sampled 3×1", hostileFile(t, "sampling_31.jpg"), ErrUnsupportedVariant},
		{"PDF with JavaScript OpenAction", pdfJS, ErrActivePDF},
		{"PDF with JavaScript name tree", pdfJSNames, ErrActivePDF},
		{"PDF with JavaScript link", pdfAnnotJS, ErrActivePDF},
		{"PDF with embedded file", pdfEmbedded, ErrActivePDF},
		{"PDF with launch action", pdfLaunch, ErrActivePDF},
		{"encrypted PDF", encrypted, ErrEncryptedPDF},
		{"malformed PDF", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"), ErrMalformedPDF},
		{"PDF header then garbage", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xAB, 0x00, 0xFF}, 1000)...), ErrMalformedPDF},
		{"0-byte file", nil, ErrUnsupported},
		{"text file named .jpg", []byte("Bonjour, ceci est un fichier texte.\n"), ErrUnsupported},
		{"HTML page", []byte("<!DOCTYPE html><html><body>%PDF-1.4</body></html>"), ErrUnsupported},
		{"polyglot GIF then PDF", append([]byte("GIF89a\x01\x00\x01\x00"), simplePDF(1, "")...), ErrUnsupported},
		{"polyglot ZIP then JPEG", append(zipBlob(), photo...), ErrUnsupported},
		{"polyglot PNG signature, JPEG body", append([]byte("\x89PNG\r\n\x1a\n"), photo...), ErrMalformedImage},
		{"polyglot PDF header, JPEG body", append([]byte("%PDF-1.4\n"), photo...), ErrMalformedPDF},
		{"WebP header only", []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00\x00\x00\x00\x00"), ErrMalformedImage},
		{"HEIC brand, garbage body", append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), bytes.Repeat([]byte{7}, 200)...), ErrMalformedImage},
		{"AVIF image", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), ErrUnsupported},
		{"GIF image", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"), ErrUnsupported},
		{"BigTIFF", []byte("II+\x00\x08\x00\x00\x00"), ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Converter
			var out bytes.Buffer
			var err error
			start := time.Now()
			alloc := allocated(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_, err = c.Convert(ctx, []Input{{Name: "evil.jpg", Data: tc.data}}, Options{}, &out)
			})
			took := time.Since(start)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Index != 0 || ie.Name != "evil.jpg" {
				t.Errorf("err is not an InputError for input 0: %#v", err)
			}
			if strings.Contains(err.Error(), "evil.jpg") {
				t.Errorf("error string leaks the input name: %v", err)
			}
			if Code(err) == "" {
				t.Errorf("no code for %v", err)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written on error", out.Len())
			}
			if took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if alloc > 64<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			t.Logf("%v in %v, %d KiB allocated", err, took.Round(time.Millisecond), alloc>>10)
		})
	}
}

func TestInputLimits(t *testing.T) {
	photo := encodeJPEG(t, docImage(200, 150, 2), 80)
	c := Converter{MaxInputBytes: int64(len(photo)) - 1}
	_, err := c.Convert(context.Background(), []Input{{Data: photo}}, Options{}, &bytes.Buffer{})
	if !errors.Is(err, ErrInputTooLarge) {
		t.Fatalf("per-file cap: err = %v", err)
	}
	c = Converter{MaxTotalBytes: int64(len(photo)) + 10}
	_, err = c.Convert(context.Background(), []Input{{Data: photo}, {Data: photo}}, Options{}, &bytes.Buffer{})
	var ie *InputError
	if !errors.Is(err, ErrInputTooLarge) || !errors.As(err, &ie) || ie.Index != 1 {
		t.Fatalf("total cap: err = %v", err)
	}
	if _, err := (&Converter{}).Convert(context.Background(), nil, Options{}, &bytes.Buffer{}); !errors.Is(err, ErrNoInput) {
		t.Fatalf("no input: err = %v", err)
	}
	if _, err := (&Converter{}).Convert(context.Background(), []Input{{Data: photo}}, Options{Profile: "nope"}, &bytes.Buffer{}); !errors.Is(err, ErrUnknownProfile) {
		t.Fatalf("unknown profile: err = %v", err)
	}
	in, err := ReadInput(bytes.NewReader(photo), "a.jpg", 10)
	if !errors.Is(err, ErrInputTooLarge) || in.Data != nil {
		t.Fatalf("ReadInput over the limit: %v", err)
	}
	in, err = ReadInput(bytes.NewReader(photo), "a.jpg", int64(len(photo)))
	if err != nil || !bytes.Equal(in.Data, photo) || in.Name != "a.jpg" {
		t.Fatalf("ReadInput: %v", err)
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want Format
		what string // for refused data: part of the error
	}{
		{"jpeg", "\xff\xd8\xff\xe0", FormatJPEG, ""},
		{"png", "\x89PNG\r\n\x1a\n....", FormatPNG, ""},
		{"webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", FormatWebP, ""},
		{"tiff le", "II*\x00\x08\x00\x00\x00", FormatTIFF, ""},
		{"tiff be", "MM\x00*\x00\x00\x00\x08", FormatTIFF, ""},
		{"pdf", "%PDF-1.7\n", FormatPDF, ""},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", FormatHEIC, ""},
		{"heif mif1 with heic", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", FormatHEIC, ""},
		{"avif", "\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif", "", "AVIF"},
		{"mov", "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "", "video"},
		{"empty", "", "", "empty file"},
		{"text", "hello\n", "", "text"},
		{"utf8 text", "Émile à l'école\n", "", "text"},
		{"gif", "GIF89a", "", "GIF"},
		{"zip", "PK\x03\x04", "", "ZIP"},
		{"svg", "  <svg xmlns='http://www.w3.org/2000/svg'>", "", "SVG"},
		{"junk before pdf", "junk%PDF-1.4", "", "before a PDF header"},
		{"binary", "\x00\x01\x02\x03", "", "unknown binary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff([]byte(tc.data))
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("Sniff = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.what) {
				t.Fatalf("Sniff error = %v; want ErrUnsupported mentioning %q", err, tc.what)
			}
		})
	}
}
