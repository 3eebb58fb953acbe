package scan

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/coffre/coffre/converter/internal/jpegdec"
	"github.com/coffre/coffre/internal/photogen"
)

// TestOrientationSoftPrint (newcomer's review): old phones' 1–3 MP photos
// (strong JPEG, a soft lens), with the page filling 70–95% of the frame,
// upright and upside down. The ascender balance alone turned 6 of 27
// upright pages upside down (its noise on blurred letters reaches ±0.25);
// with the margins' balance, no upright page is ever turned, and the
// upside-down ones are turned but for the softest (a 1–2 MP photo with the
// page far off), where the evidence is too weak either way.
func TestOrientationSoftPrint(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 54 photos")
	}
	docs := photogen.Documents()
	type tc struct {
		name   string
		o      photogen.Options
		doc    photogen.Document
		upside bool
		mp     string
	}
	var cases []tc
	for _, s := range []struct {
		mp         string
		w, h, q, b int
	}{{"1mp", 870, 1160, 35, 0}, {"2mp", 1200, 1600, 40, 1}, {"3mp", 1500, 2000, 45, 1}} {
		for _, fill := range []float64{0.7, 0.85, 0.95} {
			for seed := uint32(1); seed <= 3; seed++ {
				for _, upside := range []bool{false, true} {
					o := photogen.Options{Width: s.w, Height: s.h, Quality: s.q, Noise: 6, Blur: s.b, Seed: 200 + seed,
						Angle: 2, Perspective: 0.04, Gradient: 0.2, Fill: fill}
					if upside {
						o.Angle = 182
					}
					cases = append(cases, tc{fmt.Sprintf("%s-fill%.2f-s%d-up%v", s.mp, fill, seed, !upside), o, docs[int(seed)%len(docs)], upside, s.mp})
				}
			}
		}
	}
	turns := make([]int, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data, err := photogen.Photo(c.doc, c.o)
			if err != nil {
				t.Error(err)
				return
			}
			img, err := jpegdec.Decode(bytes.NewReader(data), 0)
			if err != nil {
				t.Error(err)
				return
			}
			res, err := Scan(context.Background(), img, Options{Mode: ModeGray, TargetW: 1240, TargetH: 1754})
			if err != nil {
				t.Error(err)
				return
			}
			turns[i] = res.Turns
		}()
	}
	wg.Wait()
	upsideDown, turned := map[string]int{}, map[string]int{}
	for i, c := range cases {
		switch {
		case !c.upside && turns[i] != 0:
			t.Errorf("%s: an upright page turned %d quarter-turns", c.name, turns[i])
		case c.upside:
			upsideDown[c.mp]++
			if turns[i] == 2 {
				turned[c.mp]++
			} else if turns[i] != 0 {
				t.Errorf("%s: turned %d quarter-turns, want 2 or 0", c.name, turns[i])
			}
		}
	}
	for _, mp := range []string{"1mp", "2mp", "3mp"} {
		t.Logf("%s: %d of %d upside-down pages turned upright", mp, turned[mp], upsideDown[mp])
	}
	if turned["3mp"] != upsideDown["3mp"] || turned["1mp"]+turned["2mp"] < 14 {
		t.Errorf("upside-down pages turned: 1 MP %d, 2 MP %d, 3 MP %d of 9 each; want 3 MP all, 1–2 MP at least 14 of 18",
			turned["1mp"], turned["2mp"], turned["3mp"])
	}
}
