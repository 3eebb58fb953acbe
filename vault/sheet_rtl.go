package vault

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/charmap"

	"github.com/coffre/coffre/vault/seal"
)

// The recovery sheet in letters the standard PDF fonts lack (Arabic,
// Dari, Pashto, Ukrainian, Turkish, Romanian…): the words are shaped with
// github.com/go-text/typesetting, a Go port of HarfBuzz, and drawn with
// embedded fonts (sheet_font.go). Arabic script cannot be drawn letter by
// letter: each letter takes the form its neighbours' joining asks for,
// some pairs become ligatures, and the letters Pashto adds (ښ ږ ګ ړ ډ ټ ڼ
// ې ۍ) have no Unicode presentation forms at all, so hand-written tables
// of presentation forms, as this file once had, can only draw Arabic and
// part of Dari. The font's own OpenType tables (GSUB for the forms and
// ligatures, GPOS for placing) know every letter it draws; HarfBuzz reads
// them. Lines are split by the Unicode bidirectional algorithm (the
// library's bidi, through shaping.Segmenter) into runs of one direction,
// script and font, each run shaped, and the runs laid out in visual
// order: in a right-to-left sheet, Latin words and numbers read left to
// right inside right-to-left lines; identifiers and codes read left to
// right. A ToUnicode map gives every glyph back the letters it stands
// for, so that the sheet's text can be copied, searched and read aloud
// (pdftotext reads it back).

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

func isArabic(r rune) bool {
	return (r >= 0x0600 && r <= 0x06FF) || (r >= 0x0750 && r <= 0x077F) || (r >= 0xFB50 && r <= 0xFDFF) || (r >= 0xFE70 && r <= 0xFEFF)
}

// isOptionalMark reports the marks everyday print leaves out: harakat,
// tanwin, shadda, sukun, superscript alef, and the hamza of Dari's ezafe
// on heh.
func isOptionalMark(r rune) bool { return (r >= 0x064B && r <= 0x065F) || r == 0x0670 }

// SheetSpelling is the sheet's text as it reads back (pdftotext, copy
// and paste): Arabic script without the optional marks (printSpelling)
// and without the zero-width non-joiner, which breaks the joining but is
// not a letter.
func SheetSpelling(s string) string {
	return strings.Map(func(r rune) rune {
		if isOptionalMark(r) || r == 0x200C {
			return -1
		}
		return r
	}, s)
}

// printSpelling is how the sheet prints Arabic script: without the
// optional marks, as everyday print does (and so the text copied from
// the PDF matches what people type).
func printSpelling(s string) string {
	return strings.Map(func(r rune) rune {
		if isOptionalMark(r) {
			return -1
		}
		return r
	}, s)
}

// sheetFontmap chooses the font of each character: Noto Naskh Arabic for
// Arabic script (its spaces and punctuation included), DejaVu Sans for
// the rest, the other one for a character a font lacks.
type sheetFontmap struct {
	latin, arabic *font.Face
	script        language.Script
}

var _ shaping.FontmapScript = (*sheetFontmap)(nil)

func (m *sheetFontmap) SetScript(s language.Script) { m.script = s }

func (m *sheetFontmap) ResolveFace(r rune) *font.Face {
	first, second := m.latin, m.arabic
	if m.script == language.Arabic || isArabic(r) {
		first, second = m.arabic, m.latin
	}
	if _, ok := first.NominalGlyph(r); ok {
		return first
	}
	if _, ok := second.NominalGlyph(r); ok {
		return second
	}
	return m.latin
}

// glyphItem is one glyph of a shaped line, in visual order.
type glyphItem struct {
	f    *pdfFont
	gid  font.GID
	text string // the letters it stands for ("" for a mark of a cluster whose base has them)
	// skip is a glyph drawn as nothing (a zero-width non-joiner).
	skip        bool
	adv, dx, dy float64 // advance and offsets, in 1/1000 em
}

// shapedLine is a line laid out from left to right.
type shapedLine struct {
	glyphs []glyphItem
	width  float64 // 1/1000 em
}

// arabicScale is the size of Arabic script relative to the text's.
const arabicScale = 1.15

// sheetShaper shapes and draws the lines of one sheet, and keeps the
// glyphs drawn for the embedded fonts.
type sheetShaper struct {
	// rtl lays paragraphs out right to left, from the right margin.
	rtl     bool
	latin   *pdfFont
	arabic  *pdfFont
	shaper  shaping.HarfbuzzShaper
	seg     shaping.Segmenter
	fontmap sheetFontmap
}

func newSheetShaper(rtl bool) (*sheetShaper, error) {
	src, err := sheetFonts()
	if err != nil {
		return nil, err
	}
	s := &sheetShaper{rtl: rtl, latin: newPDFFont(src[0], "F4", 1), arabic: newPDFFont(src[1], "F5", arabicScale)}
	s.fontmap = sheetFontmap{latin: s.latin.face, arabic: s.arabic.face}
	return s, nil
}

// shape lays a logical line out from left to right, in a paragraph
// running right to left when rtl is set.
func (s *sheetShaper) shape(line string, rtl bool) shapedLine {
	text := []rune(printSpelling(line))
	if len(text) == 0 {
		return shapedLine{}
	}
	dir := di.DirectionLTR
	if rtl {
		dir = di.DirectionRTL
	}
	runs := s.seg.Split(shaping.Input{Text: text, RunEnd: len(text), Direction: dir, Size: fixed.I(1000)}, &s.fontmap)
	type run struct {
		out   shaping.Output
		level int
	}
	// Embedding levels of the Unicode bidirectional algorithm: runs
	// against the paragraph's direction are one level up (a left-to-right
	// run in a right-to-left paragraph is at 2).
	shaped := make([]run, len(runs))
	maxLevel := 0
	for i, in := range runs {
		level := 0
		ltr := in.Direction.Progression() == di.FromTopLeft
		switch {
		case rtl && ltr:
			level = 2
		case !ltr:
			level = 1
		}
		maxLevel = max(maxLevel, level)
		shaped[i] = run{s.shaper.Shape(in), level}
	}
	// Visual order (rule L2): from the highest level down to the lowest
	// odd one, every sequence of runs at that level or higher is reversed.
	for lvl := maxLevel; lvl >= 1; lvl-- {
		for i := 0; i < len(shaped); {
			if shaped[i].level < lvl {
				i++
				continue
			}
			j := i
			for j < len(shaped) && shaped[j].level >= lvl {
				j++
			}
			for a, b := i, j-1; a < b; a, b = a+1, b-1 {
				shaped[a], shaped[b] = shaped[b], shaped[a]
			}
			i = j
		}
	}
	var l shapedLine
	for _, r := range shaped {
		f := s.latin
		if r.out.Face == s.arabic.face {
			f = s.arabic
		}
		gs := r.out.Glyphs
		for i := 0; i < len(gs); {
			// One cluster: the glyphs HarfBuzz drew for the same letters.
			// Its text goes to its widest glyph (the base letter, not a
			// mark placed over it), so that text extraction finds the
			// letters where they are.
			j, base := i, i
			for j < len(gs) && gs[j].TextIndex() == gs[i].TextIndex() {
				if gs[j].Advance > gs[base].Advance {
					base = j
				}
				j++
			}
			start := gs[i].TextIndex()
			cluster := string(text[start:min(start+max(gs[i].RunesCount(), 1), len(text))])
			letters := strings.ReplaceAll(cluster, "\u200c", "")
			for k := i; k < j; k++ {
				g := gs[k]
				it := glyphItem{f: f, gid: g.GlyphID, adv: f.scale * float64(g.Advance) / 64,
					dx: f.scale * float64(g.XOffset) / 64, dy: f.scale * float64(g.YOffset) / 64,
					skip: letters == "" && cluster != ""}
				if k == base {
					it.text = letters
				}
				if g.GlyphID == 0 {
					// A letter neither font has: a question mark.
					q, _ := s.latin.face.NominalGlyph('?')
					it.f, it.gid, it.text = s.latin, q, "?"
					it.dx, it.dy = 0, 0
					it.adv = float64(s.latin.face.HorizontalAdvance(q)) * 1000 / float64(s.latin.src.font.Upem())
				}
				l.glyphs = append(l.glyphs, it)
				l.width += it.adv
			}
			i = j
		}
	}
	return l
}

// width is a logical line's width at size points.
func (s *sheetShaper) width(line string, size float64) float64 {
	return s.shape(line, s.rtl).width * size / 1000
}

// wrap cuts a logical paragraph into lines at most max points wide.
func (s *sheetShaper) wrap(text string, size, max float64) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(text) {
		next := w
		if cur != "" {
			next = cur + " " + w
		}
		if cur != "" && s.width(next, size) > max {
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

// show draws a logical line of the sheet's paragraphs, ending at x in
// right-to-left text (right-aligned), starting at x otherwise.
func (s *sheetShaper) show(p *pdfPage, size, x, y float64, line string) {
	l := s.shape(line, s.rtl)
	if s.rtl {
		x -= l.width * size / 1000
	}
	s.draw(p, size, x, y, l)
}

// showLTR draws a line that reads left to right whatever the sheet's
// direction (an identifier), starting at x.
func (s *sheetShaper) showLTR(p *pdfPage, size, x, y float64, line string) {
	s.draw(p, size, x, y, s.shape(line, false))
}

// draw writes the PDF operators that draw l with its left end at x: each
// glyph at the place shaping gave it (TJ adjustments where its advance
// differs from the font's width, a new text matrix for a glyph raised or
// lowered).
func (s *sheetShaper) draw(p *pdfPage, size, x, y float64, l shapedLine) {
	b := &p.content
	b.WriteString("BT\n")
	var cur *pdfFont
	open := false
	closeTJ := func() {
		if open {
			b.WriteString("] TJ\n")
			open = false
		}
	}
	pen, at, dy := 0.0, 0.0, math.NaN()
	for _, g := range l.glyphs {
		if g.skip {
			pen += g.adv
			continue
		}
		if g.f != cur {
			closeTJ()
			fmt.Fprintf(b, "/%s %.2f Tf\n", g.f.res, size*g.f.scale)
			cur = g.f
		}
		tx := pen + g.dx
		if g.dy != dy {
			closeTJ()
			fmt.Fprintf(b, "1 0 0 1 %.2f %.2f Tm\n", x+tx*size/1000, y+g.dy*size/1000)
			at, dy = tx, g.dy
		}
		if !open {
			b.WriteString("[")
			open = true
		}
		// TJ adjustments are in 1/1000 of the font's size.
		if d := tx - at; math.Abs(d) >= 0.05 {
			fmt.Fprintf(b, "%.1f", -d/g.f.scale)
		}
		c := g.f.cid(g.gid, g.text)
		fmt.Fprintf(b, "<%04X>", c)
		at = tx + g.f.scale*float64(g.f.width(c))
		pen += g.adv
	}
	closeTJ()
	b.WriteString("ET\n")
}

// objects are the PDF objects of the embedded fonts the sheet used,
// numbered from first, and the page's font resources naming them.
func (s *sheetShaper) objects(first int) (objs []string, resources string, err error) {
	for _, f := range []*pdfFont{s.latin, s.arabic} {
		if len(f.keys) == 0 {
			continue
		}
		more, err := f.objects(first+len(objs), s.rtl)
		if err != nil {
			return nil, "", err
		}
		resources += fmt.Sprintf(" /%s %d 0 R", f.res, first+len(objs))
		objs = append(objs, more...)
	}
	return objs, resources, nil
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
// cannot print: the words in the embedded fonts; in Arabic script the
// sheet is mirrored (text and QR code at the right) while the identifier
// and the code still read left to right.
func recoverySheetEmbedded(w io.Writer, identifier string, code seal.RecoveryCode, t SheetText, bm [][]bool) error {
	e, err := newSheetShaper(t.rtl())
	if err != nil {
		return fmt.Errorf("vault: recovery sheet: font: %w", err)
	}
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
	id := displayIdentifier(identifier)
	if e.rtl {
		idWidth := e.shape(id, false).width * 16 / 1000
		e.showLTR(p, 16, right-e.width(t.Identifier, 12)-16-idWidth, y, id)
	} else {
		e.showLTR(p, 16, left+max(140, e.width(t.Identifier, 12)+16), y, id)
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
