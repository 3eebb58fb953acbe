package vault

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/text/encoding/charmap"

	"github.com/coffre/coffre/vault/seal"
)

// SheetText is the recovery sheet's wording, in the owner's language: the
// edge (package api) takes it from the catalogue ("sheetpdf.*"); the vault
// only lays it out.
type SheetText struct {
	Title, Intro, Identifier, Code, QR, How string
	// Steps and Notes are paragraphs, in order.
	Steps, Notes []string
}

// All is every piece of the sheet's wording, in order.
func (t SheetText) All() []string {
	return append(append([]string{t.Title, t.Intro, t.Identifier, t.Code, t.QR, t.How}, t.Steps...), t.Notes...)
}

// RecoverySheet writes the one-page (A4) recovery sheet PDF: title, the
// identifier (as the owner typed it), the recovery code in groups and as a
// QR code, and the instructions of t. Words in letters outside
// Windows-1252 (Arabic, Dari, Pashto, Cyrillic…) are shaped and drawn with
// embedded fonts, right to left in Arabic script (sheet_rtl.go); otherwise
// letters outside Windows-1252 (some pseudonyms) print as '?'. Nothing
// else is written: no date, no metadata.
func RecoverySheet(w io.Writer, identifier string, code seal.RecoveryCode, t SheetText) error {
	if code.IsZero() {
		return fmt.Errorf("%w: recovery sheet: empty code", ErrInvalid)
	}
	qr, err := qrcode.New(code.String(), qrcode.Medium)
	if err != nil {
		return fmt.Errorf("vault: recovery sheet: qr code: %w", err)
	}
	qr.DisableBorder = true
	if t.needsEmbeddedFont() {
		return recoverySheetEmbedded(w, identifier, code, t, qr.Bitmap())
	}
	p := &pdfPage{}
	const left = 56.0
	y := 780.0
	p.text("F2", 22, left, y, t.Title)
	y -= 34
	for _, line := range wrapText(t.Intro, 88) {
		p.text("F1", 11, left, y, line)
		y -= 15
	}
	y -= 12
	p.text("F1", 12, left, y, t.Identifier)
	p.text("F2", 16, left+140, y, displayIdentifier(identifier))
	y -= 34
	p.text("F1", 12, left, y, t.Code)
	y -= 30
	p.text("F3", 19, left, y, code.String())
	y -= 24
	p.text("F1", 11, left, y, t.QR)
	// The QR code: one filled square per dark module.
	bm := qr.Bitmap()
	const module = 4.5
	top := y - 10
	for r, row := range bm {
		for c, dark := range row {
			if dark {
				p.rect(left+float64(c)*module, top-float64(r+1)*module, module, module)
			}
		}
	}
	y = top - float64(len(bm))*module - 30
	p.text("F2", 13, left, y, t.How)
	y -= 20
	for _, step := range t.Steps {
		for _, line := range wrapText(step, 86) {
			p.text("F1", 11, left, y, line)
			y -= 15
		}
		y -= 4
	}
	y -= 10
	for _, note := range t.Notes {
		for _, line := range wrapText(note, 86) {
			p.text("F1", 11, left, y, line)
			y -= 15
		}
		y -= 6
	}
	return p.write(w)
}

// displayIdentifier writes a +33 phone number the French way (accounts
// made before the identifier was kept as typed hold the canonical form).
func displayIdentifier(id string) string {
	if strings.HasPrefix(id, "+33") && len(id) == 12 {
		d := "0" + id[3:]
		return d[0:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:8] + " " + d[8:10]
	}
	return id
}

// wrapText cuts s into lines of at most n characters, at spaces.
func wrapText(s string, n int) []string {
	var lines []string
	var cur []string
	length := 0
	for _, w := range strings.Fields(s) {
		wl := len([]rune(w))
		if length > 0 && length+1+wl > n {
			lines = append(lines, strings.Join(cur, " "))
			cur, length = nil, 0
		}
		if length > 0 {
			length++
		}
		cur = append(cur, w)
		length += wl
	}
	if len(cur) > 0 {
		lines = append(lines, strings.Join(cur, " "))
	}
	return lines
}

// pdfPage is a minimal one-page PDF writer: text in the standard fonts
// (Helvetica, Helvetica-Bold, Courier-Bold with WinAnsiEncoding) and filled
// rectangles. Enough for the sheet; every viewer opens it.
type pdfPage struct {
	content bytes.Buffer
	// embedded, when set, draws with the embedded fonts F4 and F5
	// (sheet_rtl.go).
	embedded *sheetShaper
}

func (p *pdfPage) text(font string, size, x, y float64, s string) {
	fmt.Fprintf(&p.content, "BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET\n", font, size, x, y, pdfString(s))
}

func (p *pdfPage) rect(x, y, w, h float64) {
	fmt.Fprintf(&p.content, "%.2f %.2f %.2f %.2f re f\n", x, y, w, h)
}

// pdfString encodes s in Windows-1252 and escapes it for a literal string.
func pdfString(s string) string {
	enc := charmap.Windows1252.NewEncoder()
	var b strings.Builder
	for _, r := range s {
		e, err := enc.Bytes([]byte(string(r)))
		if err != nil || len(e) != 1 {
			e = []byte{'?'}
		}
		switch c := e[0]; c {
		case '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func (p *pdfPage) write(w io.Writer) error {
	font := func(base string) string {
		return "<< /Type /Font /Subtype /Type1 /BaseFont /" + base + " /Encoding /WinAnsiEncoding >>"
	}
	// The embedded fonts' objects follow the seven below.
	var more []string
	fonts := ""
	if p.embedded != nil {
		var err error
		if more, fonts, err = p.embedded.objects(8); err != nil {
			return fmt.Errorf("vault: recovery sheet: %w", err)
		}
	}
	content := fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", p.content.Len(), p.content.String())
	if p.embedded != nil {
		// Shaped text is long: compressed.
		z, err := deflate(p.content.Bytes())
		if err != nil {
			return fmt.Errorf("vault: recovery sheet: %w", err)
		}
		content = fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(z), z)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " +
			"/Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R" + fonts + " >> >> >>",
		content,
		font("Helvetica"), font("Helvetica-Bold"), font("Courier-Bold"),
	}
	objs = append(objs, more...)
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("vault: recovery sheet: %w", err)
	}
	return nil
}
