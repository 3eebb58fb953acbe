package vault

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/charmap"

	"github.com/coffre/coffre/vault/seal"
)

// The recovery sheet in Arabic script (Arabic, Dari, Pashto). The standard
// PDF fonts know only Windows-1252, so a sheet whose words need other
// letters is written with an embedded TrueType font, DejaVu Sans
// (sheetfont/LICENSE: Bitstream Vera licence, DejaVu changes in the public
// domain), whose glyphs cover Arabic and its presentation forms. Shaping
// is done here, the way fonts without OpenType tables were always used:
// each letter takes its isolated, initial, medial or final presentation
// form (Unicode's Arabic Presentation Forms A and B) from its neighbours'
// joining, lam-alef becomes its ligature, and each line is laid out right
// to left with its Latin words and numbers left to right inside it. A
// ToUnicode map gives every glyph back its letters, so that the sheet's
// text can be copied, searched and read aloud (pdftotext reads it back).

//go:embed sheetfont/DejaVuSans.ttf
var sheetFontTTF []byte

var (
	sheetFontOnce sync.Once
	sheetFont     *sfnt.Font
	sheetFontErr  error
)

func loadSheetFont() (*sfnt.Font, error) {
	sheetFontOnce.Do(func() { sheetFont, sheetFontErr = sfnt.Parse(sheetFontTTF) })
	return sheetFont, sheetFontErr
}

// needsEmbeddedFont reports whether the sheet's words have letters the
// standard fonts lack (outside Windows-1252: Arabic script, Cyrillic…).
func (t SheetText) needsEmbeddedFont() bool {
	for _, s := range t.All() {
		if strings.ContainsFunc(s, func(r rune) bool { _, ok := charmap.Windows1252.EncodeRune(r); return !ok }) {
			return true
		}
	}
	return false
}

// rtl reports whether the sheet's words are in Arabic script.
func (t SheetText) rtl() bool {
	for _, s := range t.All() {
		if strings.ContainsFunc(s, isArabic) {
			return true
		}
	}
	return false
}

// arabicForm is a letter's presentation forms: isolated, final, initial,
// medial (0 for a letter that joins only to the letter before it).
type arabicForm struct{ iso, fin, ini, med rune }

func dual(first rune) arabicForm { return arabicForm{first, first + 1, first + 2, first + 3} }
func right(first rune) arabicForm {
	return arabicForm{iso: first, fin: first + 1}
}

var arabicForms = map[rune]arabicForm{
	'ء': {iso: 0xFE80}, 'آ': right(0xFE81), 'أ': right(0xFE83), 'ؤ': right(0xFE85), 'إ': right(0xFE87),
	'ئ': dual(0xFE89), 'ا': right(0xFE8D), 'ب': dual(0xFE8F), 'ة': right(0xFE93), 'ت': dual(0xFE95),
	'ث': dual(0xFE99), 'ج': dual(0xFE9D), 'ح': dual(0xFEA1), 'خ': dual(0xFEA5), 'د': right(0xFEA9),
	'ذ': right(0xFEAB), 'ر': right(0xFEAD), 'ز': right(0xFEAF), 'س': dual(0xFEB1), 'ش': dual(0xFEB5),
	'ص': dual(0xFEB9), 'ض': dual(0xFEBD), 'ط': dual(0xFEC1), 'ظ': dual(0xFEC5), 'ع': dual(0xFEC9),
	'غ': dual(0xFECD), 'ف': dual(0xFED1), 'ق': dual(0xFED5), 'ك': dual(0xFED9), 'ل': dual(0xFEDD),
	'م': dual(0xFEE1), 'ن': dual(0xFEE5), 'ه': dual(0xFEE9), 'و': right(0xFEED), 'ى': right(0xFEEF),
	'ي': dual(0xFEF1),
	// Persian and Dari letters (Presentation Forms A).
	'پ': dual(0xFB56), 'چ': dual(0xFB7A), 'ژ': right(0xFB8A), 'ک': dual(0xFB8E), 'گ': dual(0xFB92),
	'ی': dual(0xFBFC), 'ۀ': right(0xFBA4),
	'ـ': {iso: 'ـ', fin: 'ـ', ini: 'ـ', med: 'ـ'},
}

// lamAlef is the ligature of lam and each alef: isolated, final.
var lamAlef = map[rune][2]rune{'آ': {0xFEF5, 0xFEF6}, 'أ': {0xFEF7, 0xFEF8}, 'إ': {0xFEF9, 0xFEFA}, 'ا': {0xFEFB, 0xFEFC}}

// glyphRun is shaped text: the characters drawn, each with the logical
// text it stands for.
type glyphRun struct {
	chars []rune
	text  []string
}

func isMark(r rune) bool { return unicode.Is(unicode.Mn, r) }

func isArabic(r rune) bool {
	return (r >= 0x0600 && r <= 0x06FF) || (r >= 0xFB50 && r <= 0xFDFF) || (r >= 0xFE70 && r <= 0xFEFF)
}

// shape gives each Arabic letter of a logical-order run its contextual
// form; marks follow their letter; a zero-width non-joiner only breaks
// the joining.
func shape(s []rune) glyphRun {
	var out glyphRun
	// neighbour finds the next letter from i in direction d, across marks;
	// -1 when a non-joining character or the end comes first.
	neighbour := func(i, d int) int {
		for j := i + d; j >= 0 && j < len(s); j += d {
			if isMark(s[j]) {
				continue
			}
			if _, ok := arabicForms[s[j]]; ok {
				return j
			}
			return -1
		}
		return -1
	}
	joinsNext := func(r rune) bool { f := arabicForms[r]; return f.ini != 0 }
	for i := 0; i < len(s); i++ {
		r := s[i]
		if r == 0x200C {
			continue
		}
		f, ok := arabicForms[r]
		if !ok {
			out.chars = append(out.chars, r)
			out.text = append(out.text, string(r))
			continue
		}
		p := neighbour(i, -1)
		fromPrev := p >= 0 && joinsNext(s[p])
		n := neighbour(i, 1)
		if r == 'ل' && n == i+1 {
			if lig, ok := lamAlef[s[n]]; ok {
				c := lig[0]
				if fromPrev {
					c = lig[1]
				}
				out.chars = append(out.chars, c)
				out.text = append(out.text, string([]rune{r, s[n]}))
				i = n
				continue
			}
		}
		toNext := f.ini != 0 && n >= 0
		c := f.iso
		switch {
		case fromPrev && toNext:
			c = f.med
		case fromPrev:
			c = f.fin
		case toNext:
			c = f.ini
		}
		if c == 0 {
			c = f.iso
		}
		out.chars = append(out.chars, c)
		out.text = append(out.text, string(r))
	}
	return out
}

// SheetSpelling is how the sheet spells Arabic script: without the
// optional marks (harakat, tanwin, shadda, and the hamza of Dari's ezafe
// on heh: everyday print leaves them out, the font has no mark positioning,
// and text copied from the PDF then matches), no zero-width non-joiner
// (the presentation forms already show the break).
func SheetSpelling(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 0x064B && r <= 0x065F) || r == 0x0670 || r == 0x200C {
			return -1
		}
		return r
	}, s)
}

// mirrored are the characters drawn mirrored in right-to-left text.
var mirrored = map[rune]rune{'(': ')', ')': '(', '[': ']', ']': '[', '«': '»', '»': '«', '<': '>', '>': '<'}

// visual lays a logical line of a right-to-left paragraph out from left
// to right: Arabic runs shaped and reversed (a letter and its marks kept
// together), Latin words and numbers left to right, the runs in reverse
// order. Neutrals (spaces, punctuation) between two left-to-right
// characters stay with them; any other belongs to the right-to-left text.
func visual(line string) glyphRun {
	rs := []rune(SheetSpelling(line))
	ltr := make([]bool, len(rs))
	strongL := func(r rune) bool { return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isArabic(r) }
	for i, r := range rs {
		ltr[i] = strongL(r)
	}
	for i := range rs {
		if ltr[i] || strongL(rs[i]) || isArabic(rs[i]) || isMark(rs[i]) {
			continue
		}
		prev, next := false, false
		for j := i - 1; j >= 0; j-- {
			if strongL(rs[j]) {
				prev = true
				break
			}
			if isArabic(rs[j]) {
				break
			}
		}
		for j := i + 1; j < len(rs); j++ {
			if strongL(rs[j]) {
				next = true
				break
			}
			if isArabic(rs[j]) {
				break
			}
		}
		ltr[i] = prev && next
	}
	type run struct {
		ltr   bool
		runes []rune
	}
	var runs []run
	for i, r := range rs {
		if len(runs) == 0 || runs[len(runs)-1].ltr != ltr[i] {
			runs = append(runs, run{ltr: ltr[i]})
		}
		runs[len(runs)-1].runes = append(runs[len(runs)-1].runes, r)
	}
	var out glyphRun
	for k := len(runs) - 1; k >= 0; k-- {
		r := runs[k]
		if r.ltr {
			for _, c := range r.runes {
				out.chars = append(out.chars, c)
				out.text = append(out.text, string(c))
			}
			continue
		}
		g := shape(r.runes)
		// Clusters (a letter and the marks after it) in reverse order.
		end := len(g.chars)
		for end > 0 {
			start := end - 1
			for start > 0 && isMark(g.chars[start]) {
				start--
			}
			for j := start; j < end; j++ {
				c := g.chars[j]
				if m, ok := mirrored[c]; ok {
					c = m
				}
				out.chars = append(out.chars, c)
				out.text = append(out.text, g.text[j])
			}
			end = start
		}
	}
	return out
}

// embeddedText draws text with the embedded font, keeping the glyphs used
// and the letters each stands for (the ToUnicode map).
type embeddedText struct {
	// rtl lays lines out from the right margin.
	rtl    bool
	f      *sfnt.Font
	buf    sfnt.Buffer
	widths map[sfnt.GlyphIndex]int    // advance in 1/1000 em
	uni    map[sfnt.GlyphIndex]string // the letters a glyph shows
}

func newEmbeddedText() (*embeddedText, error) {
	f, err := loadSheetFont()
	if err != nil {
		return nil, err
	}
	return &embeddedText{f: f, widths: map[sfnt.GlyphIndex]int{}, uni: map[sfnt.GlyphIndex]string{}}, nil
}

// glyphs turns a visual run into glyph ids and their total width in
// 1/1000 em; a character the font lacks is drawn as '?'.
func (e *embeddedText) glyphs(g glyphRun) ([]sfnt.GlyphIndex, int) {
	upem := int(e.f.UnitsPerEm())
	var ids []sfnt.GlyphIndex
	total := 0
	for i, c := range g.chars {
		id, err := e.f.GlyphIndex(&e.buf, c)
		text := g.text[i]
		if base := []rune(text); (err != nil || id == 0) && len(base) == 1 && base[0] != c {
			// A presentation form the font lacks: the letter itself.
			id, err = e.f.GlyphIndex(&e.buf, base[0])
		}
		if err != nil || id == 0 {
			id, _ = e.f.GlyphIndex(&e.buf, '?')
			text = "?"
		}
		w, ok := e.widths[id]
		if !ok {
			adv, err := e.f.GlyphAdvance(&e.buf, id, fixed.I(upem), font.HintingNone)
			if err == nil {
				w = int(adv) * 1000 / 64 / upem
			}
			e.widths[id] = w
		}
		if isMark(c) {
			w = 0
		}
		if _, ok := e.uni[id]; !ok {
			e.uni[id] = text
		}
		ids = append(ids, id)
		total += w
	}
	return ids, total
}

// layout is a line's glyph order: right to left with visual in Arabic
// script, as written otherwise.
func (e *embeddedText) layout(line string) glyphRun {
	if e.rtl {
		return visual(line)
	}
	var g glyphRun
	for _, r := range line {
		g.chars = append(g.chars, r)
		g.text = append(g.text, string(r))
	}
	return g
}

// width is a logical line's width at size points.
func (e *embeddedText) width(line string, size float64) float64 {
	_, w := e.glyphs(e.layout(line))
	return float64(w) * size / 1000
}

// wrap cuts a logical paragraph into lines at most max points wide.
func (e *embeddedText) wrap(s string, size, max float64) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		next := w
		if cur != "" {
			next = cur + " " + w
		}
		if cur != "" && e.width(next, size) > max {
			lines = append(lines, cur)
			next = w
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// show writes the PDF operators that draw a logical line with the
// embedded font F4, ending at x in right-to-left text (right-aligned),
// starting at x otherwise.
func (e *embeddedText) show(p *pdfPage, size, x, y float64, line string) {
	ids, w := e.glyphs(e.layout(line))
	var hex strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&hex, "%04X", uint16(id))
	}
	if e.rtl {
		x -= float64(w) * size / 1000
	}
	fmt.Fprintf(&p.content, "BT /F4 %.1f Tf %.2f %.2f Td <%s> Tj ET\n", size, x, y, hex.String())
}

// objects are the PDF objects of the embedded font, numbered from first:
// the Type0 font, its CID font, descriptor, font file, and ToUnicode map.
func (e *embeddedText) objects(first int) ([]string, error) {
	var ttf bytes.Buffer
	z := zlib.NewWriter(&ttf)
	if _, err := z.Write(sheetFontTTF); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(e.widths))
	for id := range e.widths {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	var w, cmap strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&w, "%d [%d] ", id, e.widths[sfnt.GlyphIndex(id)])
	}
	cmap.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n" +
		"1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
	for i := 0; i < len(ids); i += 100 {
		chunk := ids[i:min(i+100, len(ids))]
		fmt.Fprintf(&cmap, "%d beginbfchar\n", len(chunk))
		for _, id := range chunk {
			var u strings.Builder
			// A ligature's letters are written in reverse: text extraction
			// (poppler's pdftotext) reverses right-to-left text glyph by
			// glyph, and so each glyph's letters too.
			letters := []rune(e.uni[sfnt.GlyphIndex(id)])
			if len(letters) > 1 && isArabic(letters[0]) {
				for i, j := 0, len(letters)-1; i < j; i, j = i+1, j-1 {
					letters[i], letters[j] = letters[j], letters[i]
				}
			}
			for _, r := range letters {
				for _, c := range utf16(r) {
					fmt.Fprintf(&u, "%04X", c)
				}
			}
			fmt.Fprintf(&cmap, "<%04X> <%s>\n", id, u.String())
		}
		cmap.WriteString("endbfchar\n")
	}
	cmap.WriteString("endcmap CMapName currentdict /CMap defineresource pop end end\n")
	n := func(k int) int { return first + k }
	return []string{
		fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /DejaVuSans /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", n(1), n(4)),
		fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DejaVuSans /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "+
			"/FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 1000 /W [%s] >>", n(2), w.String()),
		fmt.Sprintf("<< /Type /FontDescriptor /FontName /DejaVuSans /Flags 32 /FontBBox [-1021 -463 1793 1232] /ItalicAngle 0 "+
			"/Ascent 928 /Descent -236 /CapHeight 729 /StemV 80 /FontFile2 %d 0 R >>", n(3)),
		fmt.Sprintf("<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n%s\nendstream", ttf.Len(), len(sheetFontTTF), ttf.String()),
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", cmap.Len(), cmap.String()),
	}, nil
}

// utf16 is r in UTF-16 code units.
func utf16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xD800 + (r >> 10)), uint16(0xDC00 + (r & 0x3FF))}
}

// recoverySheetEmbedded is RecoverySheet for words the standard fonts
// cannot print: the words in the embedded font; in Arabic script the sheet
// is mirrored (text and QR code at the right) while the identifier and the
// code still read left to right.
func recoverySheetEmbedded(w io.Writer, identifier string, code seal.RecoveryCode, t SheetText, bm [][]bool) error {
	e, err := newEmbeddedText()
	if err != nil {
		return fmt.Errorf("vault: recovery sheet: font: %w", err)
	}
	e.rtl = t.rtl()
	p := &pdfPage{embedded: e}
	const left, width = 56.0, 483.0
	// right is where lines start: the right margin in right-to-left text.
	right := left
	if e.rtl {
		right = left + width
	}
	y := 780.0
	e.show(p, 22, right, y, t.Title)
	y -= 34
	for _, line := range e.wrap(t.Intro, 11, width) {
		e.show(p, 11, right, y, line)
		y -= 16
	}
	y -= 12
	e.show(p, 12, right, y, t.Identifier)
	if e.rtl {
		e.show(p, 16, right-e.width(t.Identifier, 12)-16, y, displayIdentifier(identifier))
	} else {
		e.show(p, 16, left+max(140, e.width(t.Identifier, 12)+16), y, displayIdentifier(identifier))
	}
	y -= 34
	e.show(p, 12, right, y, t.Code)
	y -= 30
	c := code.String()
	if e.rtl {
		p.text("F3", 19, right-float64(len(c))*19*0.6, y, c)
	} else {
		p.text("F3", 19, left, y, c)
	}
	y -= 24
	e.show(p, 11, right, y, t.QR)
	const module = 4.5
	top := y - 10
	x0 := left
	if e.rtl {
		x0 = right - float64(len(bm))*module
	}
	for r, row := range bm {
		for col, dark := range row {
			if dark {
				p.rect(x0+float64(col)*module, top-float64(r+1)*module, module, module)
			}
		}
	}
	y = top - float64(len(bm))*module - 30
	e.show(p, 13, right, y, t.How)
	y -= 20
	for _, step := range t.Steps {
		for _, line := range e.wrap(step, 11, width) {
			e.show(p, 11, right, y, line)
			y -= 16
		}
		y -= 4
	}
	y -= 10
	for _, note := range t.Notes {
		for _, line := range e.wrap(note, 11, width) {
			e.show(p, 11, right, y, line)
			y -= 16
		}
		y -= 6
	}
	return p.write(w)
}
