// Package hostile is Coffre's hostile-input corpus: the small files kept
// under testdata/hostile/ at the repository root, plus the big ones that are
// generated in code (so that the repository stays small). Tests feed every
// case to every entry point that takes untrusted bytes (the converter, the
// upload and drop-link endpoints, the helper's page upload, `coffre
// decrypt`) and check a clear refusal, bounded time and bounded memory.
//
// The files on disk are written by Static (run
// `go test ./internal/hostile -run TestCorpusFiles -update` to rewrite them).
package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Outcome is what an entry point must do with a case.
type Outcome int

const (
	// Refused: the entry point must refuse the input (4xx / error).
	Refused Outcome = iota
	// Sanitized: a well-formed carrier with a hostile payload (a polyglot);
	// the entry point may accept it, but the payload, Case.Marker, must not
	// survive into the output.
	Sanitized
	// Repaired: a damaged but recoverable file (a PDF whose xref table is
	// wrong, which readers rebuild); the entry point may refuse it or
	// accept it rewritten into a clean PDF.
	Repaired
)

// Case is one hostile input.
type Case struct {
	Name    string // file name (as a multipart filename too)
	Data    []byte
	Outcome Outcome
	// Marker, for Sanitized cases, is a string of the hostile payload that
	// must not appear in any output.
	Marker string
}

// Markers carried by the polyglots.
const (
	ZipMarker    = "COFFRE-HOSTILE-ZIP-PAYLOAD"
	ScriptMarker = "COFFRE-HOSTILE-SCRIPT-PAYLOAD"
)

// sanitized lists the static files that are Sanitized, with their marker.
var sanitized = map[string]string{
	"polyglot-jpeg-zip.jpg": ZipMarker,
	"polyglot-pdf-html.pdf": ScriptMarker,
}

// Dir is the corpus directory under the repository root.
func Dir(root string) string { return filepath.Join(root, "testdata", "hostile") }

// Load returns every case: the files of Dir(root) and the generated ones.
func Load(root string) ([]Case, error) {
	ents, err := os.ReadDir(Dir(root))
	if err != nil {
		return nil, fmt.Errorf("hostile: reading the corpus: %w", err)
	}
	var out []Case
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "README.md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(Dir(root), e.Name()))
		if err != nil {
			return nil, fmt.Errorf("hostile: %w", err)
		}
		c := Case{Name: e.Name(), Data: b}
		if m, ok := sanitized[e.Name()]; ok {
			c.Outcome, c.Marker = Sanitized, m
		}
		if e.Name() == "pdf-broken-xref.pdf" {
			c.Outcome = Repaired
		}
		out = append(out, c)
	}
	if len(out) < len(Static()) {
		return nil, fmt.Errorf("hostile: %d files in the corpus, want %d", len(out), len(Static()))
	}
	return append(out, Generated()...), nil
}

// Generated returns the big cases, built in memory.
func Generated() []Case {
	return []Case{
		{Name: "generated-100mp.png", Data: PNG100MP()},
		{Name: "generated-zlib-bomb.png", Data: PNGZlibBomb()},
	}
}

// Static returns the small corpus files by name (except the encrypted PDF,
// which needs a PDF library to build: see the test).
func Static() map[string][]byte {
	jpg := smallJPEG()
	huge := append([]byte{}, jpg...)
	if i := bytes.Index(huge, []byte{0xFF, 0xC0}); i > 0 {
		huge[i+5], huge[i+6], huge[i+7], huge[i+8] = 0xFF, 0xDC, 0xFF, 0xDC
	}
	zip := []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00" + ZipMarker + strings.Repeat("Z", 200) + "PK\x05\x06" + strings.Repeat("\x00", 18))
	return map[string][]byte{
		"pixel-flood-50000x50000.png": pngFlood(),
		"tiff-8-byte-header.tif":      []byte("II*\x00\x08\x00\x00\x00"),
		"tiff-huge-strips.tif": append([]byte("II*\x00\x08\x00\x00\x00\x03\x00"+
			"\x00\x01\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00"+
			"\x01\x01\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00"+
			"\x11\x01\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00"), make([]byte, 8)...),
		// VP8X with a 16777216×16777216 canvas.
		"webp-absurd-size.webp": []byte("RIFF\x1a\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"),
		// HEIC with an ispe box claiming 100000×100000.
		"heic-absurd-size.heic": append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"+
			"\x00\x00\x00\x14ispe\x00\x00\x00\x00\x00\x01\x86\xa0\x00\x01\x86\xa0"), bytes.Repeat([]byte{7}, 64)...),
		"jpeg-header-65500x65500.jpg": huge,
		"polyglot-jpeg-zip.jpg":       append(jpg, zip...),
		"polyglot-pdf-html.pdf":       pdfHTML(),
		"polyglot-zip-jpeg.jpg":       append(zip, jpg...),
		"polyglot-html-pdf.pdf":       append([]byte("<!DOCTYPE html><html><script>"+ScriptMarker+"</script></html>\n"), simplePDF(1, "")...),
		"pdf-javascript.pdf":          simplePDF(1, "/OpenAction 10 0 R", "<< /S /JavaScript /JS (app.alert('x')) >>"),
		"pdf-embedded-file.pdf": simplePDF(1, "/Names << /EmbeddedFiles 10 0 R >>",
			"<< /Names [(x.exe) 11 0 R] >>",
			"<< /Type /Filespec /F (x.exe) /EF << /F 12 0 R >> >>",
			stream("/Type /EmbeddedFile", []byte("MZ evil"))),
		"pdf-broken-xref.pdf":         brokenXref(),
		"pdf-objstm-loop.pdf":         objStmLoop(),
		"pdf-page-tree-loop.pdf":      buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"),
		"pdf-header-garbage.pdf":      append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xAB, 0x00, 0xFF}, 1000)...),
		"empty.jpg":                   nil,
		"text-named.jpg":              []byte("Bonjour, ceci est un fichier texte.\n"),
		"truncated.jpg":               jpg[:len(jpg)/2],
		"bigtiff.tif":                 []byte("II+\x00\x08\x00\x00\x00"),
		"gif-named.png":               []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"),
		"png-signature-jpeg-body.png": append([]byte("\x89PNG\r\n\x1a\n"), jpg...),
	}
}

// smallJPEG is a 64×48 JPEG.
func smallJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data))) // #nosec G115 -- small test data
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

func pngIHDR(w, h uint32, depth, colorType byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	return pngChunk("IHDR", ihdr)
}

// pngFlood is the 45-byte PNG that claims 50000×50000 pixels.
func pngFlood() []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngIHDR(50000, 50000, 8, 2)...)
	return append(b, pngChunk("IEND", nil)...)
}

// pngWithIDAT writes a PNG of w×h 1-bit grey whose IDAT holds n zero bytes.
func pngWithIDAT(w, h uint32, n, level int) []byte {
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, level)
	row := make([]byte, 1<<16)
	for n > 0 {
		k := min(n, len(row))
		_, _ = zw.Write(row[:k])
		n -= k
	}
	_ = zw.Close()
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngIHDR(w, h, 1, 0)...)
	b = append(b, pngChunk("IDAT", idat.Bytes())...)
	return append(b, pngChunk("IEND", nil)...)
}

// PNG100MP is a valid 10000×10000 1-bit grey PNG (all black).
func PNG100MP() []byte { return pngWithIDAT(10000, 10000, 10000*(1+10000/8), zlib.BestSpeed) }

// PNGZlibBomb claims 2000×2000 1-bit pixels (500 KB of rows) but its
// 320 KB zlib stream inflates to 256 MiB: a decoder that trusts the stream
// rather than the header inflates 500 times what the image needs. It is
// built once per process.
func PNGZlibBomb() []byte {
	bombOnce.Do(func() { bomb = pngWithIDAT(2000, 2000, 256<<20, zlib.BestSpeed) })
	return bomb
}

var (
	bombOnce sync.Once
	bomb     []byte
)

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

func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// SimplePDF is a valid one-page-per-n text PDF (exported for tests that
// build PDFs to encrypt).
func SimplePDF() []byte { return simplePDF(1, "") }

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

// pdfHTML is a valid PDF whose page stream and an unreferenced object carry
// an HTML page with a script (a PDF+HTML polyglot).
func pdfHTML() []byte {
	html := "<html><body><script>alert('" + ScriptMarker + "')</script></body></html>"
	p := simplePDF(1, "", stream("", []byte(html)))
	return append(p, []byte("\n"+html+"\n")...)
}

// brokenXref is a PDF whose xref offsets all point to the wrong place and
// whose startxref points past the end.
func brokenXref() []byte {
	p := simplePDF(1, "")
	p = bytes.ReplaceAll(p, []byte(" 00000 n "), []byte("9 00000 n"))
	i := bytes.LastIndex(p, []byte("startxref\n"))
	return append(p[:i], []byte("startxref\n99999999\n%%EOF\n")...)
}

// objStmLoop is a PDF whose object stream 4 extends itself (/Extends 4 0 R)
// and holds object 2, which the page tree needs.
func objStmLoop() []byte {
	body := "2 0 << /Type /Pages /Kids [] /Count 0 >>"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"null",
		"null",
		stream("/Type /ObjStm /N 1 /First 4 /Extends 4 0 R", []byte(body)),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xs := b.Len()
	// A cross-reference stream: object 2 is in object stream 4, object 4
	// is in object stream 4 too (the loop).
	var x bytes.Buffer
	x.Write([]byte{0, 0, 0, 0xff})
	x.Write([]byte{1, 0, byte(offsets[0]), 0})
	x.Write([]byte{2, 0, 4, 0})
	x.Write([]byte{1, 0, byte(offsets[2]), 0})
	x.Write([]byte{2, 0, 4, 0})
	fmt.Fprintf(&b, "5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x.Len(), x.Bytes(), xs)
	return b.Bytes()
}

// Names returns the static file names, sorted.
func Names() []string {
	var n []string
	for k := range Static() {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
