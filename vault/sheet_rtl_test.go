package vault

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/seal"
)

func testShaper(t *testing.T, rtl bool) *sheetShaper {
	t.Helper()
	s, err := newSheetShaper(rtl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nominal is the glyph a font's character map gives r, before shaping.
func nominal(t *testing.T, f *pdfFont, r rune) font.GID {
	t.Helper()
	g, ok := f.face.NominalGlyph(r)
	if !ok {
		t.Fatalf("%s has no glyph for %q", f.src.name, r)
	}
	return g
}

// Arabic script is shaped with the font's OpenType tables: letters take
// their joined forms (Pashto's ښ ګ ټ ڼ ې ۍ included, which have no
// Unicode presentation forms), lam-alef becomes one ligature standing for
// both letters, a zero-width non-joiner breaks the joining and draws
// nothing, and every letter has a glyph.
func TestArabicShaping(t *testing.T) {
	s := testShaper(t, true)
	// Each letter between two others: its medial form, not its isolated one.
	for _, r := range "ښګټڼېبلس" {
		word := string([]rune{'ب', r, 'ب'})
		l := s.shape(word, true)
		if len(l.glyphs) != 3 {
			t.Fatalf("%s: %d glyphs", word, len(l.glyphs))
		}
		// Right to left: the middle glyph is the middle letter.
		g := l.glyphs[1]
		if g.f != s.arabic || g.text != string(r) {
			t.Fatalf("%s: middle glyph %+v", word, g)
		}
		if g.gid == nominal(t, s.arabic, r) || g.gid == 0 {
			t.Errorf("%q between two letters is drawn isolated (glyph %d)", r, g.gid)
		}
	}
	// After a letter that joins: the final forms of ۍ (Pashto's
	// feminine ending) and of ې; ړ ږ ډ join only to the letter before.
	for _, r := range "ۍېړږډ" {
		l := s.shape(string([]rune{'ب', r}), true)
		if len(l.glyphs) != 2 || l.glyphs[0].text != string(r) || l.glyphs[0].f != s.arabic {
			t.Fatalf("ب%c: %+v", r, l.glyphs)
		}
		switch g := l.glyphs[0].gid; {
		case g == 0:
			t.Errorf("%q has no glyph", r)
		case (r == 'ۍ' || r == 'ې') && g == nominal(t, s.arabic, r):
			t.Errorf("final %q drawn isolated", r)
		}
	}
	// Lam-alef: one ligature, or (Noto Naskh Arabic) lam and alef in
	// their lam-alef forms.
	switch l := s.shape("لا", true); {
	case len(l.glyphs) == 1 && l.glyphs[0].text == "لا":
	case len(l.glyphs) == 2 && l.glyphs[0].text+l.glyphs[1].text == "ال" &&
		l.glyphs[1].gid != nominal(t, s.arabic, 'ل') && l.glyphs[1].gid != s.shape("لب", true).glyphs[1].gid:
	default:
		t.Errorf("lam-alef: %+v", l.glyphs)
	}
	// mi-konad (with a zero-width non-joiner): the non-joiner draws
	// nothing, and ye before it is final.
	l := s.shape("می\u200cکند", true)
	texts := ""
	for _, g := range l.glyphs {
		if !g.skip {
			texts += g.text + "|"
		}
	}
	if texts != "د|ن|ک|ی|م|" {
		t.Errorf("mi-konad glyphs (left to right) stand for %q", texts)
	}
	ye := nominal(t, s.arabic, 'ی')
	if isolatedYe := s.shape("ی", true).glyphs[0].gid; isolatedYe != ye {
		t.Fatalf("isolated ye is %d, nominal %d", isolatedYe, ye)
	}
	for _, g := range l.glyphs {
		if g.text == "ی" && (g.gid == ye || g.gid == s.shape("یی", true).glyphs[1].gid) {
			t.Errorf("ye before a non-joiner is not final: glyph %d", g.gid)
		}
	}
}

// A right-to-left line is laid out from the left in visual order: Latin
// words and numbers left to right inside it, brackets mirrored by the
// shaper; an identifier drawn on its own reads left to right.
func TestSheetBidi(t *testing.T) {
	s := testShaper(t, true)
	text := func(l shapedLine) string {
		out := ""
		for _, g := range l.glyphs {
			out += g.text
		}
		return out
	}
	if got := text(s.shape("سلام Coffre", true)); got != "Coffre مالس" {
		t.Errorf("visual order: %q", got)
	}
	l := s.shape("سلام Coffre", true)
	if l.glyphs[0].f != s.latin || l.glyphs[len(l.glyphs)-1].f != s.arabic {
		t.Errorf("Latin is not at the left of the line: %+v", l.glyphs)
	}
	if got := text(s.shape("06 12 34", false)); got != "06 12 34" {
		t.Errorf("identifier: %q", got)
	}
	// The brackets around QR belong to the right-to-left text: drawn
	// mirrored, the closing one (leftmost) with the opening one's glyph.
	l = s.shape("کوډ (QR)", true)
	if got := text(l); got != ")QR( ډوک" {
		t.Errorf("brackets: %q", got)
	}
	if g := l.glyphs[0]; g.text != ")" || g.gid != nominal(t, g.f, '(') {
		t.Errorf("the closing bracket is not mirrored: %+v", g)
	}
	if got := SheetSpelling("جدًا صفحهٔ می\u200cکند"); got != "جدا صفحه میکند" {
		t.Errorf("SheetSpelling = %q", got)
	}
	if got := printSpelling("جدًا می\u200cکند"); got != "جدا می\u200cکند" {
		t.Errorf("printSpelling = %q", got)
	}
}

// The embedded font is a subset: the glyphs kept (and the parts of
// composite ones) are as in the font, every other one is empty, and the
// file is a font again.
func TestSubsetTTF(t *testing.T) {
	fonts, err := sheetFonts()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range fonts {
		ld := src.ld
		glyphs := func(ld *ot.Loader) [][]byte {
			head, _ := ld.RawTable(ot.MustNewTag("head"))
			maxp, _ := ld.RawTable(ot.MustNewTag("maxp"))
			loca, _ := ld.RawTable(ot.MustNewTag("loca"))
			glyf, _ := ld.RawTable(ot.MustNewTag("glyf"))
			n := int(binary.BigEndian.Uint16(maxp[4:]))
			long := binary.BigEndian.Uint16(head[50:]) == 1
			out := make([][]byte, n)
			off := func(i int) int {
				if long {
					return int(binary.BigEndian.Uint32(loca[4*i:]))
				}
				return 2 * int(binary.BigEndian.Uint16(loca[2*i:]))
			}
			for i := range out {
				out[i] = glyf[off(i):off(i+1)]
			}
			return out
		}
		all := glyphs(ld)
		// A composite glyph and a simple one.
		composite, simple := -1, -1
		for g, b := range all {
			if len(b) >= 10 && int16(binary.BigEndian.Uint16(b)) < 0 && composite < 0 {
				composite = g
			}
			if len(b) >= 10 && int16(binary.BigEndian.Uint16(b)) > 0 && simple < 0 && g > 3 {
				simple = g
			}
		}
		if composite < 0 || simple < 0 {
			t.Fatalf("%s: no composite or simple glyph", src.name)
		}
		comps, err := glyphComponents(all[composite])
		if err != nil || len(comps) == 0 {
			t.Fatalf("%s: components of %d: %v %v", src.name, composite, comps, err)
		}
		sub, err := subsetTTF(ld, map[font.GID]bool{0: true, font.GID(composite): true, font.GID(simple): true})
		if err != nil {
			t.Fatal(err)
		}
		if len(sub) > len(src.ttf)/3 {
			t.Errorf("%s: subset of 3 glyphs is %d bytes (font %d)", src.name, len(sub), len(src.ttf))
		}
		if ttfChecksum(sub) != 0xB1B0AFBA {
			t.Errorf("%s: subset checksum %#x", src.name, ttfChecksum(sub))
		}
		sld, err := ot.NewLoader(bytes.NewReader(sub))
		if err != nil {
			t.Fatal(err)
		}
		got := glyphs(sld)
		keep := map[int]bool{0: true, composite: true, simple: true}
		for todo := comps; len(todo) > 0; {
			c := todo[0]
			todo = todo[1:]
			if !keep[c] {
				keep[c] = true
				more, _ := glyphComponents(all[c])
				todo = append(todo, more...)
			}
		}
		for g := range all {
			switch {
			case keep[g] && !bytes.Equal(bytes.TrimRight(got[g], "\x00"), bytes.TrimRight(all[g], "\x00")):
				t.Errorf("%s: glyph %d changed", src.name, g)
			case !keep[g] && len(got[g]) != 0:
				t.Errorf("%s: glyph %d kept (%d bytes)", src.name, g, len(got[g]))
			}
		}
	}
}

// A mark the sheet keeps (here a Quranic sukun, U+06E1) is placed on its
// letter by the font's GPOS table; the cluster's letters are given to the
// base glyph, not to the mark drawn beside it, so that pdftotext reads
// the word back whole.
func TestMarkClusterReadsBack(t *testing.T) {
	s := testShaper(t, true)
	l := s.shape("سۡلم", true)
	var texts []string
	for _, g := range l.glyphs {
		texts = append(texts, g.text)
		if g.text == "" && (g.adv != 0 || g.dx == 0 && g.dy == 0) {
			t.Errorf("the mark is not placed on its letter: %+v", g)
		}
	}
	if got := strings.Join(texts, "|"); got != "م|ل||سۡ" {
		t.Fatalf("glyphs (left to right) stand for %q", got)
	}
	code, err := seal.NewRecoveryCode()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := RecoverySheet(&buf, "abc", code, SheetText{Title: "سلام سۡلم دوست", Identifier: "ب"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sheet.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testenv.Tool(t, "pdftotext"), path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if !strings.Contains(string(out), "سلام سۡلم دوست") {
		t.Errorf("the sheet reads %q", out)
	}
}
