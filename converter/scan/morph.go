package scan

// runExtreme is the van Herk / Gil-Werman running maximum (or minimum) over
// a window of 2r+1 samples (the ends repeated), in O(1) per sample. src and
// dst are strided views: sample i is at off+i*step. g needs n+2r floats
// and hbuf twice that.
func runExtreme(src, dst []float32, n, off, step, r int, isMax bool, g, hbuf []float32) {
	if r <= 0 {
		for i := range n {
			dst[off+i*step] = src[off+i*step]
		}
		return
	}
	win := 2*r + 1
	// Gather the line, padded with r copies of its end samples: padded
	// index j is source index j-r.
	m := n + 2*r
	line := hbuf[m : 2*m]
	for j := range r {
		line[j] = src[off]
		line[m-1-j] = src[off+(n-1)*step]
	}
	for i := range n {
		line[r+i] = src[off+i*step]
	}
	g, h := g[:m], hbuf[:m]
	for blk := 0; blk < m; blk += win {
		end := min(blk+win, m)
		g[blk] = line[blk]
		h[end-1] = line[end-1]
		if isMax {
			for j := blk + 1; j < end; j++ {
				g[j] = max(g[j-1], line[j])
			}
			for j := end - 2; j >= blk; j-- {
				h[j] = max(h[j+1], line[j])
			}
		} else {
			for j := blk + 1; j < end; j++ {
				g[j] = min(g[j-1], line[j])
			}
			for j := end - 2; j >= blk; j-- {
				h[j] = min(h[j+1], line[j])
			}
		}
	}
	// Output i covers padded [i, i+2r].
	if isMax {
		for i := range n {
			dst[off+i*step] = max(h[i], g[i+2*r])
		}
	} else {
		for i := range n {
			dst[off+i*step] = min(h[i], g[i+2*r])
		}
	}
}

// rectFilter applies a (2r+1)×(2r+1) max (or min) filter to a w×h grid.
func rectFilter(src []float32, w, h, r int, isMax bool) []float32 {
	tmp := make([]float32, w*h)
	out := make([]float32, w*h)
	n := max(w, h) + 2*r
	g, hb := make([]float32, n), make([]float32, 2*n)
	for y := range h {
		runExtreme(src, tmp, w, y*w, 1, r, isMax, g, hb)
	}
	for x := range w {
		runExtreme(tmp, out, h, x, w, r, isMax, g, hb)
	}
	return out
}
