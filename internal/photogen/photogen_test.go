package photogen

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// TestDeterministic: the same document under the same options gives the
// same JPEG bytes; another seed gives another photo of the same size.
func TestDeterministic(t *testing.T) {
	doc := Documents()[1]
	o := doc.Options
	o.Width, o.Height = 600, 800
	a, err := Photo(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Photo(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two draws of the same photo differ")
	}
	o.Seed++
	c, err := Photo(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Error("another seed drew the same photo")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(c))
	if err != nil || cfg.Width != 600 || cfg.Height != 800 {
		t.Errorf("photo is %dx%d (%v), want 600x800", cfg.Width, cfg.Height, err)
	}
}

// TestPhotoLooksLikeAPhoto: a photo is 3000×4000 unless asked otherwise;
// the page (middle of the photo) is brighter than the table (a corner), and
// the light is uneven across the page.
func TestPhotoLooksLikeAPhoto(t *testing.T) {
	if o := (Options{}).withDefaults(); o.Width != 3000 || o.Height != 4000 {
		t.Errorf("default size %dx%d, want 3000x4000", o.Width, o.Height)
	}
	img, err := Render(Documents()[0], Options{Width: 750, Height: 1000, Gradient: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Rect.Size(); s.X != 750 || s.Y != 1000 {
		t.Fatalf("size %v, want 750x1000", s)
	}
	luma := func(x, y int) int {
		sum := 0
		for dy := range 5 {
			for dx := range 5 {
				sum += int(img.Y[(y+dy)*img.YStride+x+dx])
			}
		}
		return sum / 25
	}
	table, paperNear, paperFar := luma(3, 3), luma(200, 750), luma(550, 825)
	if paperNear < 2*table || paperFar < 2*table {
		t.Errorf("page %d/%d not clearly brighter than the table %d", paperNear, paperFar, table)
	}
	if paperNear-paperFar < 10 {
		t.Errorf("light is even across the page (%d vs %d)", paperNear, paperFar)
	}
}

// TestWriteSamples writes every document's photo and its true text.
func TestWriteSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("draws three 12 MP photos")
	}
	dir := t.TempDir()
	paths, err := WriteSamples(dir)
	if err != nil {
		t.Fatal(err)
	}
	docs := Documents()
	if len(paths) != len(docs) || len(docs) < 3 {
		t.Fatalf("%d photos for %d documents", len(paths), len(docs))
	}
	for i, d := range docs {
		if filepath.Base(paths[i]) != d.Name+".photo.jpg" {
			t.Errorf("photo %d is %s, want %s.photo.jpg", i, paths[i], d.Name)
		}
		truth, err := os.ReadFile(filepath.Join(dir, d.Name+".truth.txt"))
		if err != nil || string(truth) != d.Truth() {
			t.Errorf("%s truth: %q (%v)", d.Name, truth, err)
		}
	}
}

// TestWriteHard writes every photo of the hard corpus under its name, each
// a JPEG with its document's true text beside it.
func TestWriteHard(t *testing.T) {
	if testing.Short() {
		t.Skip("draws the hard corpus")
	}
	dir := t.TempDir()
	paths, err := WriteHard(dir)
	if err != nil {
		t.Fatal(err)
	}
	hard := HardCorpus()
	if len(paths) != len(hard) {
		t.Fatalf("%d photos for %d in the corpus", len(paths), len(hard))
	}
	for i, h := range hard {
		data, err := os.ReadFile(paths[i])
		if err != nil || filepath.Base(paths[i]) != h.Name+".photo.jpg" || !bytes.HasPrefix(data, []byte{0xff, 0xd8}) {
			t.Errorf("photo %d: %s, %d bytes (%v), want %s.photo.jpg, a JPEG", i, paths[i], len(data), err, h.Name)
		}
		truth, err := os.ReadFile(filepath.Join(dir, h.Name+".truth.txt"))
		if err != nil || string(truth) != h.Doc.Truth() {
			t.Errorf("%s truth: %q (%v)", h.Name, truth, err)
		}
	}
}

// TestHardCorpus: every condition of issue 19 is in the corpus, at more
// than one strength, under unique names; each condition shows in the photo.
func TestHardCorpus(t *testing.T) {
	seen := map[string]bool{}
	per := map[string]int{}
	for _, h := range HardCorpus() {
		if seen[h.Name] {
			t.Errorf("duplicate name %s", h.Name)
		}
		seen[h.Name] = true
		per[h.Condition]++
	}
	for _, c := range []string{"shadow", "small", "oldphone", "curl", "table", "paper"} {
		if per[c] < 2 {
			t.Errorf("condition %s has %d photos, want at least 2", c, per[c])
		}
	}
	doc := Documents()[0]
	base := Options{Width: 600, Height: 800, Noise: 1, Vignette: 0.001}
	lum := func(o Options, x, y int) int {
		img, err := Render(doc, o)
		if err != nil {
			t.Fatal(err)
		}
		return int(img.Y[y*img.YStride+x])
	}
	// A hard-edged shadow: just beyond the edge is much darker than just
	// before it (a blank part of the page, lower half).
	shadow := base
	shadow.Shadow, shadow.Hand = 0.5, &Hand{X: 0.5, Y: 0.7, Angle: 0}
	if a, b := lum(shadow, 290, 560), lum(shadow, 310, 560); b > a*6/10 || a < 200 {
		t.Errorf("hard shadow edge: %d before, %d after, want a step by half", a, b)
	}
	// Coloured paper keeps its colour.
	yellow := base
	yellow.Paper = color.YCbCr{Y: 228, Cb: 100, Cr: 136}
	img, err := Render(doc, yellow)
	if err != nil {
		t.Fatal(err)
	}
	if cb := img.Cb[(560/2)*img.CStride+300/2]; cb != 100 {
		t.Errorf("yellow paper Cb %d, want 100", cb)
	}
	// A curl moves the bottom corners' edge: the page's bottom edge near
	// the side is higher or lower than in the middle.
	flat, curled := base, base
	curled.Curl = 0.03
	if lum(flat, 120, 745) == lum(curled, 120, 745) && lum(flat, 120, 760) == lum(curled, 120, 760) {
		t.Error("curl leaves the page's bottom corner where it was")
	}
	// The ceiling is an A4 page at the asked size.
	clean, err := CleanPage(doc, Options{}, 1240, 1754)
	if err != nil || clean.Bounds().Dx() != 1240 || clean.Bounds().Dy() != 1754 {
		t.Errorf("clean page %v, %v", clean.Bounds(), err)
	}
	if _, err := CleanPage(doc, Options{}, 1000, 1000); err == nil {
		t.Error("a square clean page was drawn")
	}
}
