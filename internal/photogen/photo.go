package photogen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
)

// Options are the conditions of a photo. A zero field takes the default
// given in its comment, so Options{} is a plain, well-lit phone photo; the
// harder conditions are off at zero. New conditions (hand shadow, page
// curl, glare, small print, low resolution) are added as fields here whose
// zero value leaves the photo unchanged.
type Options struct {
	Width, Height int     // photo size in pixels; 3000×4000 (12 MP)
	Seed          uint32  // noise, grain and framing stream
	Angle         float64 // page turn in degrees, clockwise; 0
	Fill          float64 // page height over photo height; 0.85
	Perspective   float64 // the far edge narrower by this fraction; 0
	Gradient      float64 // light falls by this fraction across; 0
	Vignette      float64 // and by this fraction more in the corners; 0.12
	Noise         int     // ± grey levels of sensor noise; 4
	Quality       int     // JPEG quality; 88
	CapHeight     float64 // text cap height over page height; 0.0095 (≈ 12 pt)

	// Shadow darkens a hard-edged region (a hand, a phone) by this
	// fraction; 0 is none.
	Shadow float64
	// Blur is a box-blur radius in pixels beyond the lens's own softness
	// (1 px); 0 adds none.
	Blur int
	// Glare brightens a round spot over the page's upper half (a lamp's
	// reflection) by this fraction of full scale at its centre; 0 is none.
	Glare float64
	// Dark lowers the whole exposure by this fraction; 0 is none.
	Dark float64
	// ShiftX moves the page right by this fraction of the photo's width
	// (beyond 0.1 the page runs out of the frame); 0 is none.
	ShiftX float64
	// Table is the table's grey level; 0 is 85 (a dark table). A light
	// table is about 200.
	Table float64
	// Texture is the amplitude in grey levels of a coarse, high-contrast
	// wood-like pattern on the table; 0 is none.
	Texture float64
	// Hand gives the shadow (Shadow > 0) another place and shape than the
	// bottom-right corner: a straight edge anywhere, soft or hard, with
	// fingers or without. nil keeps the corner.
	Hand *Hand
	// Curl bends the page's lines by up to this fraction of its height.
	Curl float64
	// Cloth is a gingham tablecloth's contrast in grey levels; 0 is none.
	Cloth float64
	// Paper is the paper's colour (zero: white with a slight warm cast).
	Paper color.YCbCr
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 3000, 4000
	}
	def(&o.Fill, 0.85)
	def(&o.Vignette, 0.12)
	def(&o.CapHeight, 0.0095)
	if o.Noise == 0 {
		o.Noise = 4
	}
	if o.Quality == 0 {
		o.Quality = 88
	}
	return o
}

// Render draws doc photographed under o.
func Render(doc Document, o Options) (*image.YCbCr, error) {
	o = o.withDefaults()
	// The page raster has about the photo's pixel density on the page, so
	// the text is sampled, not magnified.
	ph := int(math.Round(o.Fill * float64(o.Height) * 1.03))
	pw := int(math.Round(float64(ph) / math.Sqrt2))
	pg, err := page(pw, ph, o.CapHeight, doc.Lines, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doc.Name, err)
	}
	corners := Corners(o)
	sc := Scene{
		W: o.Width, H: o.Height, Corners: corners, Page: pg,
		Gradient: o.Gradient, Vignette: o.Vignette, Noise: o.Noise, Seed: o.Seed,
		Grain: 10, Bilinear: true, Shadow: o.Shadow, Blur: 1 + o.Blur,
		Glare: o.Glare, Dark: o.Dark, Table: o.Table, Texture: o.Texture,
		Hand: o.Hand, Curl: o.Curl, Cloth: o.Cloth, Paper: o.Paper,
	}
	if o.Paper == (color.YCbCr{}) {
		sc.Chroma = func(x, y float64) (uint8, uint8) { return 125, 131 } // slightly warm paper
	}
	return sc.Render(), nil
}

// Corners returns where the page's corners (TL, TR, BR, BL of the page
// raster) land in the photo Render draws under o (before a curl bends the
// page).
func Corners(o Options) [4]Point {
	o = o.withDefaults()
	corners := A4Corners(o.Width, o.Height, o.Angle, o.Fill, o.Perspective)
	// Hand-held framing: the page is a little off-centre, by the seed.
	dx := (Hash01(o.Seed, 0, 7)*2-1)*0.03*float64(o.Width) + o.ShiftX*float64(o.Width)
	dy := (Hash01(o.Seed, 1, 7)*2 - 1) * 0.02 * float64(o.Height)
	for i := range corners {
		corners[i].X += dx
		corners[i].Y += dy
	}
	return corners
}

// Photo is Render encoded as a baseline JPEG (image/jpeg, 4:2:0).
func Photo(doc Document, o Options) ([]byte, error) {
	img, err := Render(doc, o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: o.withDefaults().Quality}); err != nil {
		return nil, fmt.Errorf("photogen: encoding %s: %w", doc.Name, err)
	}
	return buf.Bytes(), nil
}

// WriteSamples writes NAME.photo.jpg and NAME.truth.txt for each of
// Documents into dir (which must exist) and returns the photos' paths,
// sorted by name.
func WriteSamples(dir string) ([]string, error) {
	var paths []string
	for _, d := range Documents() {
		p, err := writePhoto(dir, d.Name, d, d.Options)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// WriteHard is WriteSamples for HardCorpus: NAME.photo.jpg and
// NAME.truth.txt for each of its photos.
func WriteHard(dir string) ([]string, error) {
	var paths []string
	for _, h := range HardCorpus() {
		p, err := writePhoto(dir, h.Name, h.Doc, h.Options)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writePhoto writes doc photographed under o as dir/name.photo.jpg, and
// its text as dir/name.truth.txt, and returns the photo's path.
func writePhoto(dir, name string, doc Document, o Options) (string, error) {
	data, err := Photo(doc, o)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name+".photo.jpg")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".truth.txt"), []byte(doc.Truth()), 0o600); err != nil {
		return "", err
	}
	return p, nil
}
