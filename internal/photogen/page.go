package photogen

import (
	"fmt"
	"image"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Page renders a white w×h page with lines of black text in Go Regular
// whose cap height is about capFrac of the page height, from a margin of 8 %
// of the page. An empty line is a blank line.
func Page(w, h int, capFrac float64, lines []string) (*image.Gray, error) {
	return page(w, h, capFrac, lines, false)
}

// page is Page with, when boldTitle, the first line in Go Bold, 1.3 times
// larger.
func page(w, h int, capFrac float64, lines []string, boldTitle bool) (*image.Gray, error) {
	size := capFrac * float64(h) / 0.7 // cap height ≈ 0.7 em
	body, err := newFace(goregular.TTF, size)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	title := body
	if boldTitle {
		if title, err = newFace(gobold.TTF, 1.3*size); err != nil {
			return nil, err
		}
		defer title.Close()
	}
	pg := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(pg, pg.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: pg, Src: image.Black}
	lineH := int(size * 1.35)
	y := int(0.08*float64(h)) + lineH
	for i, l := range lines {
		d.Face = body
		if i == 0 {
			d.Face = title
		}
		d.Dot = fixed.P(int(0.08*float64(w)), y)
		d.DrawString(l)
		y += lineH
		if i == 0 && boldTitle {
			y += lineH / 2
		}
	}
	if y-lineH > h { // the last baseline is below the page
		return nil, fmt.Errorf("photogen: %d lines do not fit on a %d px page at cap height %.3f", len(lines), h, capFrac)
	}
	return pg, nil
}

func newFace(ttf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("photogen: parsing font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("photogen: font face: %w", err)
	}
	return face, nil
}
