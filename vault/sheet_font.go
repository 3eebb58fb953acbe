package vault

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

// The recovery sheet's embedded fonts, for words the standard PDF fonts
// cannot print: DejaVu Sans (sheetfont/LICENSE: Bitstream Vera licence,
// DejaVu changes in the public domain) for Latin, Cyrillic and the rest,
// and Noto Naskh Arabic (sheetfont/OFL.txt: SIL Open Font License 1.1)
// for Arabic script: Arabic, Dari and Pashto, whose letters (ښ ږ ګ ړ ډ ټ
// ڼ ې ۍ) DejaVu Sans lacks. Each is written into the PDF as a subset:
// only the glyphs the sheet draws (and the parts of composite glyphs),
// the others emptied, so that the sheet stays light.

//go:embed sheetfont/DejaVuSans.ttf
var dejaVuSansTTF []byte

//go:embed sheetfont/NotoNaskhArabic-Regular.ttf
var notoNaskhArabicTTF []byte

// sheetFont is one embedded font, parsed once and shared (a *font.Font is
// safe for concurrent use; faces are made per sheet).
type sheetFont struct {
	name string // PDF BaseFont, before the subset tag
	ttf  []byte
	font *font.Font
	ld   *ot.Loader
}

func parseSheetFont(name string, ttf []byte) (*sheetFont, error) {
	ld, err := ot.NewLoader(bytes.NewReader(ttf))
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	f, err := font.NewFont(ld)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	return &sheetFont{name: name, ttf: ttf, font: f, ld: ld}, nil
}

// sheetFonts are the Latin (DejaVu Sans) and Arabic-script (Noto Naskh
// Arabic) fonts.
var sheetFonts = sync.OnceValues(func() ([2]*sheetFont, error) {
	latin, err := parseSheetFont("DejaVuSans", dejaVuSansTTF)
	if err != nil {
		return [2]*sheetFont{}, err
	}
	arabic, err := parseSheetFont("NotoNaskhArabic", notoNaskhArabicTTF)
	if err != nil {
		return [2]*sheetFont{}, err
	}
	return [2]*sheetFont{latin, arabic}, nil
})

// cidKey is what one character code of an embedded font stands for: a
// glyph and the letters it shows (a glyph drawn for different letters,
// or for none, gets one code each, so that the ToUnicode map gives the
// text back exactly).
type cidKey struct {
	gid  font.GID
	text string
}

// pdfFont is one embedded font as a sheet uses it: a Type 0 font whose
// character codes (CIDs, from 1) map to glyphs (CIDToGIDMap) and to text
// (ToUnicode).
type pdfFont struct {
	src  *sheetFont
	face *font.Face
	res  string // resource name: F4, F5
	// scale is the font's size relative to the text's (Noto Naskh
	// Arabic's letters are small for their em: drawn larger, they match
	// DejaVu Sans).
	scale  float64
	cids   map[cidKey]uint16
	keys   []cidKey // by CID - 1
	widths []int    // by CID - 1, in 1/1000 em
}

func newPDFFont(src *sheetFont, res string, scale float64) *pdfFont {
	return &pdfFont{src: src, face: font.NewFace(src.font), res: res, scale: scale, cids: map[cidKey]uint16{}}
}

// cid is the character code drawing gid for text.
func (f *pdfFont) cid(gid font.GID, text string) uint16 {
	k := cidKey{gid, text}
	if c, ok := f.cids[k]; ok {
		return c
	}
	c := uint16(len(f.keys) + 1)
	f.cids[k] = c
	f.keys = append(f.keys, k)
	upem := float64(f.src.font.Upem())
	f.widths = append(f.widths, int(float64(f.face.HorizontalAdvance(gid))*1000/upem+0.5))
	return c
}

// width is the advance the PDF gives code c, in 1/1000 em.
func (f *pdfFont) width(c uint16) int { return f.widths[c-1] }

// objects are the PDF objects of the font, numbered from first: the
// Type 0 font, its CID font, descriptor, font file (a subset), ToUnicode
// map and CIDToGIDMap.
func (f *pdfFont) objects(first int, rtl bool) ([]string, error) {
	keep := map[font.GID]bool{0: true}
	for _, k := range f.keys {
		keep[k.gid] = true
	}
	sub, err := subsetTTF(f.src.ld, keep)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", f.src.name, err)
	}
	ttf, err := deflate(sub)
	if err != nil {
		return nil, err
	}
	// The subset tag: six capitals from the glyphs kept, so that the same
	// sheet gives the same bytes.
	h := sha256.New()
	for _, k := range f.keys {
		fmt.Fprintf(h, "%d:%s;", k.gid, k.text)
	}
	var tag [6]byte
	for i, b := range h.Sum(nil)[:6] {
		tag[i] = 'A' + b%26
	}
	name := string(tag[:]) + "+" + f.src.name

	var w strings.Builder
	w.WriteString("1 [")
	for i, x := range f.widths {
		if i > 0 {
			w.WriteByte(' ')
		}
		fmt.Fprintf(&w, "%d", x)
	}
	w.WriteString("]")

	gids := make([]byte, 2*(len(f.keys)+1))
	for i, k := range f.keys {
		binary.BigEndian.PutUint16(gids[2*(i+1):], uint16(k.gid))
	}
	cidToGID, err := deflate(gids)
	if err != nil {
		return nil, err
	}

	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n" +
		"1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
	for i := 0; i < len(f.keys); i += 100 {
		chunk := f.keys[i:min(i+100, len(f.keys))]
		fmt.Fprintf(&cmap, "%d beginbfchar\n", len(chunk))
		for j, k := range chunk {
			letters := []rune(k.text)
			// A ligature's letters are written in reverse in right-to-left
			// text: text extraction (poppler's pdftotext) reverses it glyph
			// by glyph, and so each glyph's letters too.
			if rtl && len(letters) > 1 && isArabic(letters[0]) {
				for a, b := 0, len(letters)-1; a < b; a, b = a+1, b-1 {
					letters[a], letters[b] = letters[b], letters[a]
				}
			}
			var u strings.Builder
			for _, r := range letters {
				for _, c := range utf16(r) {
					fmt.Fprintf(&u, "%04X", c)
				}
			}
			fmt.Fprintf(&cmap, "<%04X> <%s>\n", i+j+1, u.String())
		}
		cmap.WriteString("endbfchar\n")
	}
	cmap.WriteString("endcmap CMapName currentdict /CMap defineresource pop end end\n")

	m := f.metrics()
	n := func(k int) int { return first + k }
	return []string{
		fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", name, n(1), n(4)),
		fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "+
			"/FontDescriptor %d 0 R /CIDToGIDMap %d 0 R /DW 1000 /W [%s] >>", name, n(2), n(5), w.String()),
		fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0 "+
			"/Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>", name, m.bbox[0], m.bbox[1], m.bbox[2], m.bbox[3], m.ascent, m.descent, m.capHeight, n(3)),
		fmt.Sprintf("<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(ttf), len(sub), ttf),
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", cmap.Len(), cmap.String()),
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(cidToGID), cidToGID),
	}, nil
}

// fontMetrics are a font descriptor's numbers, in 1/1000 em.
type fontMetrics struct {
	bbox                       [4]int
	ascent, descent, capHeight int
}

func (f *pdfFont) metrics() fontMetrics {
	var m fontMetrics
	upem := float64(f.src.font.Upem())
	scale := func(v int16) int { return int(float64(v) * 1000 / upem) }
	if head, err := f.src.ld.RawTable(ot.MustNewTag("head")); err == nil && len(head) >= 44 {
		for i := range m.bbox {
			m.bbox[i] = scale(int16(binary.BigEndian.Uint16(head[36+2*i:])))
		}
	}
	if hhea, err := f.src.ld.RawTable(ot.MustNewTag("hhea")); err == nil && len(hhea) >= 8 {
		m.ascent = scale(int16(binary.BigEndian.Uint16(hhea[4:])))
		m.descent = scale(int16(binary.BigEndian.Uint16(hhea[6:])))
	}
	m.capHeight = m.ascent * 3 / 4
	if os2, err := f.src.ld.RawTable(ot.MustNewTag("OS/2")); err == nil && len(os2) >= 90 && binary.BigEndian.Uint16(os2) >= 2 {
		m.capHeight = scale(int16(binary.BigEndian.Uint16(os2[88:])))
	}
	return m
}

func deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	z := zlib.NewWriter(&out)
	if _, err := z.Write(b); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// errFontTable is a font table too short or inconsistent to subset.
var errFontTable = errors.New("damaged font table")

// subsetTTF is a TrueType font with only the glyphs of keep (and the
// components of composite ones) left: the others are emptied, glyph ids
// stay the same. It keeps the tables a PDF viewer needs to draw an
// embedded TrueType CID font (head, hhea, hmtx, maxp, loca, glyf and the
// hinting tables cvt, fpgm, prep, as ISO 32000 lists them), and OS/2 and
// post (without glyph names), small, which some viewers read; character
// maps, names and layout tables are left out: the sheet already chose and
// placed every glyph.
func subsetTTF(ld *ot.Loader, keep map[font.GID]bool) ([]byte, error) {
	raw := func(tag string) ([]byte, error) { return ld.RawTable(ot.MustNewTag(tag)) }
	head, err := raw("head")
	if err != nil {
		return nil, err
	}
	maxp, err := raw("maxp")
	if err != nil {
		return nil, err
	}
	hhea, err := raw("hhea")
	if err != nil {
		return nil, err
	}
	hmtx, err := raw("hmtx")
	if err != nil {
		return nil, err
	}
	loca, err := raw("loca")
	if err != nil {
		return nil, err
	}
	glyf, err := raw("glyf")
	if err != nil {
		return nil, err
	}
	if len(head) < 54 || len(maxp) < 6 || len(hhea) < 36 {
		return nil, errFontTable
	}
	n := int(binary.BigEndian.Uint16(maxp[4:]))
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offsets := make([]int, n+1)
	for i := range offsets {
		if long {
			if len(loca) < 4*(i+1) {
				return nil, errFontTable
			}
			offsets[i] = int(binary.BigEndian.Uint32(loca[4*i:]))
		} else {
			if len(loca) < 2*(i+1) {
				return nil, errFontTable
			}
			offsets[i] = 2 * int(binary.BigEndian.Uint16(loca[2*i:]))
		}
	}
	glyph := func(g int) ([]byte, error) {
		if g >= n || offsets[g] > offsets[g+1] || offsets[g+1] > len(glyf) {
			return nil, errFontTable
		}
		return glyf[offsets[g]:offsets[g+1]], nil
	}
	// The components of composite glyphs, transitively.
	todo := make([]int, 0, len(keep))
	kept := make([]bool, n)
	for g := range keep {
		if int(g) < n && !kept[g] {
			kept[g] = true
			todo = append(todo, int(g))
		}
	}
	for len(todo) > 0 {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		b, err := glyph(g)
		if err != nil {
			return nil, err
		}
		comps, err := glyphComponents(b)
		if err != nil {
			return nil, err
		}
		for _, c := range comps {
			if c < n && !kept[c] {
				kept[c] = true
				todo = append(todo, c)
			}
		}
	}
	var newGlyf []byte
	newLoca := make([]byte, 4*(n+1))
	for g := 0; g < n; g++ {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(len(newGlyf)))
		if !kept[g] {
			continue
		}
		b, _ := glyph(g)
		newGlyf = append(newGlyf, b...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*n:], uint32(len(newGlyf)))
	// The metrics of emptied glyphs are zeroed too: the PDF gives every
	// width, and zeros compress.
	newHmtx := append([]byte(nil), hmtx...)
	metrics := int(binary.BigEndian.Uint16(hhea[34:]))
	for g := 0; g < n; g++ {
		if kept[g] {
			continue
		}
		if g < metrics {
			if 4*g+4 <= len(newHmtx) {
				copy(newHmtx[4*g:4*g+4], []byte{0, 0, 0, 0})
			}
		} else if i := 4*metrics + 2*(g-metrics); i+2 <= len(newHmtx) {
			copy(newHmtx[i:i+2], []byte{0, 0})
		}
	}
	newHead := append([]byte(nil), head...)
	binary.BigEndian.PutUint32(newHead[8:], 0) // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(newHead[50:], 1)
	tables := map[string][]byte{"head": newHead, "hhea": hhea, "hmtx": newHmtx, "maxp": maxp, "loca": newLoca, "glyf": newGlyf}
	for _, t := range []string{"cvt ", "fpgm", "prep", "OS/2"} {
		if b, err := raw(t); err == nil {
			tables[t] = b
		}
	}
	// post without its glyph names (version 3).
	if b, err := raw("post"); err == nil && len(b) >= 32 {
		post := append([]byte(nil), b[:32]...)
		binary.BigEndian.PutUint32(post, 0x00030000)
		tables["post"] = post
	}
	out := writeTTF(tables)
	// head's checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
	adj := 0xB1B0AFBA - ttfChecksum(out)
	binary.BigEndian.PutUint32(out[headOffset(out)+8:], adj)
	return out, nil
}

// glyphComponents lists the glyphs a composite glyph is made of (none for
// a simple or empty glyph).
func glyphComponents(b []byte) ([]int, error) {
	if len(b) < 10 || int16(binary.BigEndian.Uint16(b)) >= 0 {
		return nil, nil
	}
	var out []int
	p := 10
	for {
		if p+4 > len(b) {
			return nil, errFontTable
		}
		flags := binary.BigEndian.Uint16(b[p:])
		out = append(out, int(binary.BigEndian.Uint16(b[p+2:])))
		p += 4
		if flags&0x0001 != 0 { // ARG_1_AND_2_ARE_WORDS
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&0x0008 != 0: // WE_HAVE_A_SCALE
			p += 2
		case flags&0x0040 != 0: // WE_HAVE_AN_X_AND_Y_SCALE
			p += 4
		case flags&0x0080 != 0: // WE_HAVE_A_TWO_BY_TWO
			p += 8
		}
		if flags&0x0020 == 0 { // MORE_COMPONENTS
			return out, nil
		}
	}
}

// writeTTF writes a TrueType file of tables (tag → content), each table
// padded to four bytes.
func writeTTF(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	num := len(tags)
	entry := 1
	for 2*entry <= num {
		entry *= 2
	}
	sel := 0
	for 1<<(sel+1) <= entry {
		sel++
	}
	out := make([]byte, 12+16*num)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(num))
	binary.BigEndian.PutUint16(out[6:], uint16(16*entry))
	binary.BigEndian.PutUint16(out[8:], uint16(sel))
	binary.BigEndian.PutUint16(out[10:], uint16(16*num-16*entry))
	for i, t := range tags {
		b := tables[t]
		d := out[12+16*i:]
		copy(d, t)
		binary.BigEndian.PutUint32(d[4:], ttfChecksum(b))
		binary.BigEndian.PutUint32(d[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(d[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// headOffset is where the head table starts in a font written by writeTTF.
func headOffset(ttf []byte) int {
	num := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := 0; i < num; i++ {
		d := ttf[12+16*i:]
		if string(d[:4]) == "head" {
			return int(binary.BigEndian.Uint32(d[8:]))
		}
	}
	return 0
}

func ttfChecksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
