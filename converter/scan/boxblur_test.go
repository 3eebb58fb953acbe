package scan

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// boxBlurRef is the plain form of boxBlur: each line through a padded copy,
// rows then columns.
func boxBlurRef(p []byte, w, h, r int) {
	n := int32(2*r + 1)
	line := make([]int32, max(w, h)+2*r)
	blurLine := func(get func(i int) byte, set func(i int, v byte), m int) {
		for i := range m + 2*r {
			line[i] = int32(get(min(max(i-r, 0), m-1)))
		}
		var s int32
		for i := range n {
			s += line[i]
		}
		for i := range m {
			set(i, byte((s+n/2)/n))
			if i+int(n) < m+2*r {
				s += line[i+int(n)] - line[i]
			}
		}
	}
	for y := range h {
		row := p[y*w : (y+1)*w]
		blurLine(func(i int) byte { return row[i] }, func(i int, v byte) { row[i] = v }, w)
	}
	for x := range w {
		blurLine(func(i int) byte { return p[i*w+x] }, func(i int, v byte) { p[i*w+x] = v }, h)
	}
}

// TestBoxBlurMatchesReference: the row-wise vertical pass gives the same
// bytes as blurring each column on its own, for planes smaller and larger
// than the box, and radii 1–6.
func TestBoxBlurMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 3}, {5, 5}, {13, 4}, {37, 29}, {64, 100}} {
		for r := 1; r <= 6; r++ {
			w, h := sz[0], sz[1]
			a := make([]byte, w*h)
			for i := range a {
				a[i] = byte(rng.IntN(256))
			}
			b := bytes.Clone(a)
			boxBlur(a, w, h, r)
			boxBlurRef(b, w, h, r)
			if !bytes.Equal(a, b) {
				t.Fatalf("%d×%d r=%d: differs from the reference", w, h, r)
			}
		}
	}
}

func BenchmarkBoxBlur(b *testing.B) {
	w, h := 1240, 1754
	p := make([]byte, w*h)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.Run("now", func(b *testing.B) {
		for b.Loop() {
			boxBlur(p, w, h, 3)
		}
	})
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			boxBlurRef(p, w, h, 3)
		}
	})
}
