package converter

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// TestCheckThumbnail: asked for, each checked page carries a small JPEG of
// the cleaned page (upright, at most the long side asked), and the findings
// are the same as without it; not asked for, none.
func TestCheckThumbnail(t *testing.T) {
	docs := photogen.Documents()
	clean, err := photogen.Photo(docs[0], photogen.Options{Width: 1500, Height: 2000, Seed: 7, Angle: 3})
	if err != nil {
		t.Fatal(err)
	}
	blurred, err := photogen.Photo(docs[0], photogen.Options{Width: 1500, Height: 2000, Seed: 7, Angle: 3, Blur: 5})
	if err != nil {
		t.Fatal(err)
	}
	var c Converter
	in := []Input{{Name: "clean", Data: clean}, {Name: "blurred", Data: blurred}}
	with, err := c.Check(context.Background(), in, Options{Thumbnail: 240})
	if err != nil {
		t.Fatal(err)
	}
	without, err := c.Check(context.Background(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(with) != 2 || with[0].Verdict != VerdictOK || with[1].Verdict != VerdictRetake || with[1].Findings[0].Code != CheckBlurry {
		t.Fatalf("checks with thumbnails: %+v", with)
	}
	for i, p := range with {
		if without[i].Thumbnail != nil {
			t.Errorf("%s: a thumbnail not asked for", p.File)
		}
		if len(p.Findings) != len(without[i].Findings) {
			t.Errorf("%s: findings %v with a thumbnail, %v without", p.File, p.Findings, without[i].Findings)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Thumbnail))
		if err != nil {
			t.Fatalf("%s: thumbnail: %v", p.File, err)
		}
		// An A4 page, upright: taller than wide, 240 px tall.
		if cfg.Height != 240 || cfg.Width < 150 || cfg.Width > 190 {
			t.Errorf("%s: thumbnail %d×%d, want an upright page 240 px tall", p.File, cfg.Width, cfg.Height)
		}
		if len(p.Thumbnail) > 30<<10 {
			t.Errorf("%s: thumbnail of %d bytes", p.File, len(p.Thumbnail))
		}
	}
	// The long side is capped.
	big, err := c.Check(context.Background(), in[:1], Options{Thumbnail: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(big[0].Thumbnail)); err != nil || cfg.Height > maxThumbnail {
		t.Errorf("thumbnail of 5000 px asked: %+v %v", cfg, err)
	}
}
