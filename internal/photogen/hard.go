package photogen

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Hard is one photo of the hard corpus: a document under a hard condition
// (issue 19), at one strength.
type Hard struct {
	// Condition groups photos of one kind: "shadow", "small", "oldphone",
	// "curl", "table", "paper".
	Condition string
	// Name is unique in the corpus: condition, strength, document.
	Name    string
	Doc     Document
	Options Options
}

// HardCorpus returns the hard photos, deterministic, in a fixed order:
// hand shadows (hard and soft edges, several places and strengths, with and
// without fingers), 7–9 pt print, old phones (1–3 MP, strong JPEG), curled
// pages, patterned and light tables, coloured paper. The three documents
// take turns, so each condition reads more than one text.
func HardCorpus() []Hard {
	docs := Documents()
	var out []Hard
	add := func(cond, strength string, o Options) {
		d := docs[len(out)%len(docs)]
		if o.Seed == 0 {
			o.Seed = uint32(100 + len(out))
		}
		if o.Angle == 0 {
			o.Angle = []float64{2.5, -3, 1.5}[len(out)%3]
		}
		if o.Perspective == 0 {
			o.Perspective = 0.04
		}
		if o.Gradient == 0 {
			o.Gradient = 0.2
		}
		out = append(out, Hard{Condition: cond, Name: fmt.Sprintf("%s-%s-%s", cond, strength, d.Name), Doc: d, Options: o})
	}
	// Shadows: the text is in the page's upper third (photo y 0.12–0.35).
	add("shadow", "hard-diagonal", Options{Shadow: 0.5, Hand: &Hand{X: 0.4, Y: 0.22, Angle: 45}})
	add("shadow", "hard-vertical", Options{Shadow: 0.6, Hand: &Hand{X: 0.5, Y: 0.2, Angle: 10}})
	add("shadow", "soft-diagonal", Options{Shadow: 0.55, Hand: &Hand{X: 0.45, Y: 0.25, Angle: 130, Soft: 0.03}})
	add("shadow", "hand-fingers", Options{Shadow: 0.45, Hand: &Hand{X: 0.55, Y: 0.4, Angle: 80, Fingers: true}})
	add("shadow", "thin-fingers", Options{Shadow: 0.5, Hand: &Hand{X: 0.6, Y: 0.38, Angle: 100, Fingers: true, Finger: 0.035}})
	add("shadow", "hard-strong", Options{Shadow: 0.7, Hand: &Hand{X: 0.3, Y: 0.25, Angle: 30}})
	add("shadow", "corner", Options{Shadow: 0.4})
	// Small print: cap height 0.7 em over an A4 page's 297 mm.
	// The page fills less of the frame than usual (held further away).
	for _, pt := range []float64{7, 8, 9} {
		add("small", fmt.Sprintf("%gpt", pt), Options{CapHeight: capHeightOf(pt), Fill: 0.7})
	}
	add("small", "8pt-3MP", Options{CapHeight: capHeightOf(8), Width: 1500, Height: 2000, Quality: 60})
	// Old phones: 1, 2 and 3 MP, strong JPEG, more noise and a softer lens.
	add("oldphone", "1MP-q35", Options{Width: 870, Height: 1160, Quality: 35, Noise: 6})
	add("oldphone", "2MP-q40", Options{Width: 1200, Height: 1600, Quality: 40, Noise: 6, Blur: 1})
	add("oldphone", "3MP-q45", Options{Width: 1500, Height: 2000, Quality: 45, Noise: 6, Blur: 1})
	// Curled pages.
	add("curl", "1.5pc", Options{Curl: 0.015})
	add("curl", "3pc", Options{Curl: 0.03})
	// Tables.
	add("table", "gingham", Options{Cloth: 70})
	add("table", "wood-pattern", Options{Texture: 45})
	add("table", "light", Options{Table: 200})
	add("table", "white", Options{Table: 225})
	// Coloured paper.
	add("paper", "yellow", Options{Paper: color.YCbCr{Y: 228, Cb: 100, Cr: 136}})
	add("paper", "pink", Options{Paper: color.YCbCr{Y: 215, Cb: 126, Cr: 152}})
	add("paper", "blue", Options{Paper: color.YCbCr{Y: 210, Cb: 146, Cr: 118}})
	// Old phones again, each resolution on another document (appended so
	// the photos above keep their documents and seeds).
	add("oldphone", "3MP-q45", Options{Width: 1500, Height: 2000, Quality: 45, Noise: 6, Blur: 1})
	add("oldphone", "1MP-q35", Options{Width: 870, Height: 1160, Quality: 35, Noise: 6})
	add("oldphone", "2MP-q40", Options{Width: 1200, Height: 1600, Quality: 40, Noise: 6, Blur: 1})
	return out
}

// capHeightOf is the CapHeight option of a font size in points on A4
// (cap height ≈ 0.7 em).
func capHeightOf(pt float64) float64 { return pt * 0.7 * 25.4 / 72 / 297 }

// CleanPage draws doc as a perfect scan at w×h pixels (an A4 page at the
// output's resolution): the same text at the same size on the page as its
// photo under o, on white, without any condition — the ceiling a converter
// can reach.
func CleanPage(doc Document, o Options, w, h int) (*image.Gray, error) {
	o = o.withDefaults()
	if w <= 0 || h <= 0 || math.Abs(float64(h)/float64(w)-math.Sqrt2) > 0.05 {
		return nil, fmt.Errorf("photogen: clean page %d×%d is not A4", w, h)
	}
	return page(w, h, o.CapHeight, doc.Lines, true)
}
