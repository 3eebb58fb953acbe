package converter

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Markers planted in inputs; none may reach an output.
const (
	exifMarker     = "COFFRE-EXIF-GPS-MARKER-48.8566N"
	appendedMarker = "COFFRE-APPENDED-ZIP-MARKER"
	xmpMarker      = "COFFRE-XMP-MARKER"
	authorMarker   = "COFFRE-AUTHOR-MARKER"
)

// samplesDir is where the sample photos drawn by internal/photogen are.
func samplesDir(t testing.TB) string { return testenv.SamplesDir(t) }

// samplePhoto returns one of the sample photos drawn by internal/photogen.
func samplePhoto(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(samplesDir(t), name+".photo.jpg"))
	if err != nil {
		t.Fatalf("sample photo %s: %v", name, err)
	}
	return data
}

// docImage draws a synthetic phone photo of a document: a white page with
// text-like strokes, slightly turned, on a brown table.
func docImage(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 11))
	// Page corners: inset, a little skewed.
	x0, y0 := float64(w)*0.12, float64(h)*0.08
	x1, y1 := float64(w)*0.88, float64(h)*0.93
	skew := float64(w) * 0.02
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			shift := skew * (fy - y0) / (y1 - y0)
			inside := fx >= x0+shift && fx <= x1+shift && fy >= y0 && fy <= y1
			if inside {
				v := uint8(235 - 20*fy/float64(h))
				img.Pix[img.PixOffset(x, y)+0] = v
				img.Pix[img.PixOffset(x, y)+1] = v
				img.Pix[img.PixOffset(x, y)+2] = v - 4
			} else {
				n := uint8(r.IntN(12))
				img.Pix[img.PixOffset(x, y)+0] = 92 + n
				img.Pix[img.PixOffset(x, y)+1] = 64 + n
				img.Pix[img.PixOffset(x, y)+2] = 40 + n
			}
			img.Pix[img.PixOffset(x, y)+3] = 255
		}
	}
	// Text lines.
	lineH := max(4, h/60)
	for ly := int(y0) + 3*lineH; ly < int(y1)-3*lineH; ly += 2 * lineH {
		x := int(x0) + w/12
		for x < int(x1)-w/12 {
			word := lineH/2 + r.IntN(lineH*3)
			for yy := ly; yy < ly+lineH*2/3; yy++ {
				shift := int(skew * (float64(yy) - y0) / (y1 - y0))
				for xx := x + shift; xx < x+shift+word && xx < w; xx++ {
					if r.IntN(5) > 0 {
						o := img.PixOffset(xx, yy)
						img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 30, 30, 35
					}
				}
			}
			x += word + lineH
		}
	}
	return img
}

// encodeJPEG encodes img at quality q.
func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifTIFF builds a big-endian TIFF structure with an orientation and an
// ImageDescription holding exifMarker.
func exifTIFF(orientation int) []byte {
	var b bytes.Buffer
	b.WriteString("MM\x00*")
	binary.Write(&b, binary.BigEndian, uint32(8))
	desc := exifMarker + "\x00"
	binary.Write(&b, binary.BigEndian, uint16(2)) // entries
	// ImageDescription (ASCII), value at offset 8+2+2*12+4 = 38.
	binary.Write(&b, binary.BigEndian, []uint16{0x010E, 2})
	binary.Write(&b, binary.BigEndian, []uint32{uint32(len(desc)), 38})
	// Orientation (SHORT).
	binary.Write(&b, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&b, binary.BigEndian, uint32(1))
	binary.Write(&b, binary.BigEndian, []uint16{uint16(orientation), 0})
	binary.Write(&b, binary.BigEndian, uint32(0)) // no next IFD
	b.WriteString(desc)
	return b.Bytes()
}

// withEXIF inserts an APP1 Exif segment right after a JPEG's SOI.
func withEXIF(jpg []byte, orientation int) []byte {
	payload := append([]byte("Exif\x00\x00"), exifTIFF(orientation)...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// zipBlob is a small ZIP-looking blob carrying appendedMarker.
func zipBlob() []byte {
	return []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00" + appendedMarker + strings.Repeat("Z", 200) + "PK\x05\x06")
}

// pngChunk encodes one PNG chunk.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

func pngIHDR(w, h uint32, depth, colorType byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	return pngChunk("IHDR", ihdr)
}

// pngBombHeader is the 45-byte PNG that claims 50000×50000 pixels.
func pngBombHeader() []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngIHDR(50000, 50000, 8, 2)...)
	return append(b, pngChunk("IEND", nil)...)
}

// png100MP is a valid 10000×10000 1-bit grey PNG (all black), built row
// by row so the test itself stays small in memory.
func png100MP(t testing.TB) []byte {
	t.Helper()
	const side = 10000
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+side/8)
	for y := 0; y < side; y++ {
		if _, err := zw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngIHDR(side, side, 1, 0)...)
	b = append(b, pngChunk("IDAT", idat.Bytes())...)
	return append(b, pngChunk("IEND", nil)...)
}

// buildPDF writes a classic PDF from object bodies (object i+1 is objs[i];
// object 1 must be the catalog), with a correct xref table.
func buildPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// stream renders a stream object body.
func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// simplePDF is a valid text PDF of n Letter pages with extra catalog entries
// and extra objects (numbered from 4+2n).
func simplePDF(n int, catalogExtra string, extra ...string) []byte {
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf("%d 0 R ", 4+2*i)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + " >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, n),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	for i := 0; i < n; i++ {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			stream("", []byte(fmt.Sprintf("BT /F1 24 Tf 72 700 Td (Page %d) Tj ET", i+1))))
	}
	return buildPDF(append(objs, extra...)...)
}

// encryptPDF encrypts data with pdfcpu (AES-256).
func encryptPDF(t testing.TB, data []byte, userPW, ownerPW string) []byte {
	t.Helper()
	pdfConfig(1 << 20) // disables pdfcpu's config directory first
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(data), &out, model.NewAESConfiguration(userPW, ownerPW, 256)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// checkPDF runs qpdf --check (no warnings allowed) and pdftoppm on a PDF and
// returns the number of pages pdftoppm rendered.
func checkPDF(t *testing.T, pdf []byte) int {
	t.Helper()
	qpdf := testenv.Tool(t, "qpdf")
	pdftoppm := testenv.Tool(t, "pdftoppm")
	dir := t.TempDir()
	path := filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(qpdf, "--check", path).CombinedOutput()
	if err != nil || bytes.Contains(bytes.ToLower(out), []byte("warning")) {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err = exec.Command(pdftoppm, "-r", "20", "-gray", path, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "p-*.pgm"))
	return len(pages)
}

// allocated runs f and returns the bytes it allocated (all goroutines).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// grayPattern is a small grey image whose pixel (x, y) is x + 10*y.
func grayPattern(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.SetGray(x, y, color.Gray{uint8(x + 10*y)})
		}
	}
	return g
}
