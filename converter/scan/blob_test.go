package scan

import (
	"context"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

// TestLocateHardTables: on the hard corpus's photos where four straight
// edges alone missed the page (a curled page, striped wood: the whole photo
// was taken as the page) or took in a stripe of the table (a gingham
// tablecloth), the page is found, its corners within 1.5 % of its diagonal
// (a curled page's sag aside).
func TestLocateHardTables(t *testing.T) {
	want := map[string]bool{"table-gingham-rib": true, "table-wood-pattern-scolarite": true, "curl-3pc-droits": true}
	n := 0
	for _, h := range photogen.HardCorpus() {
		if !want[h.Name] {
			continue
		}
		n++
		t.Run(h.Name, func(t *testing.T) {
			src, err := photogen.Render(h.Doc, h.Options)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPlanes(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			sm, err := newSmall(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			pg := locate(p, sm)
			if !pg.found {
				t.Fatal("page not found")
			}
			var w [4]pt
			for i, c := range photogen.Corners(h.Options) {
				w[i] = pt{c.X, c.Y}
			}
			w = orderQuad(w)
			diag := w[0].dist(w[2])
			sag := h.Options.Curl * float64(src.Rect.Dy())
			for i := range 4 {
				if d := pg.corners[i].dist(w[i]); d > 0.015*diag+sag {
					t.Errorf("corner %d at %v, want %v (off by %.0f px, %.1f %% of the diagonal)", i, pg.corners[i], w[i], d, 100*d/diag)
				}
			}
		})
	}
	if n != len(want) {
		t.Fatalf("%d of the %d photos are in the hard corpus", n, len(want))
	}
}
