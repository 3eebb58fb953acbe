package scan

import "math"

// edgeMap holds thinned edges of the detection copy with their gradient.
type edgeMap struct {
	w, h   int
	gx, gy []float32 // gradient of the strongest channel (0 off edges)
	edge   []bool
	count  int
}

// edgeThreshold is the minimum Sobel magnitude of an edge on the blurred
// detection copy (a step of about 10 grey levels).
const edgeThreshold = 24

// chromaWeight scales chroma gradients against luma ones: a white page on a
// light wooden table differs more in colour than in brightness.
const chromaWeight = 2

// findEdges blurs each channel, takes Sobel gradients (per pixel, the channel
// with the largest magnitude), and keeps local maxima along the gradient.
func findEdges(s *small) *edgeMap {
	w, h := s.w, s.h
	e := &edgeMap{w: w, h: h, gx: make([]float32, w*h), gy: make([]float32, w*h), edge: make([]bool, w*h)}
	mag := make([]float32, w*h)
	tmp := make([]float32, w*h)
	chans := [][]float32{s.y}
	weights := []float32{1}
	if s.cb != nil {
		chans = append(chans, s.cb, s.cr)
		weights = append(weights, chromaWeight, chromaWeight)
	}
	blurred := make([]float32, w*h)
	for ci, c := range chans {
		blur5(c, blurred, tmp, w, h)
		wt := weights[ci]
		for y := 1; y < h-1; y++ {
			r0, r1, r2 := blurred[(y-1)*w:y*w], blurred[y*w:(y+1)*w], blurred[(y+1)*w:(y+2)*w]
			for x := 1; x < w-1; x++ {
				gx := (r0[x+1] + 2*r1[x+1] + r2[x+1] - r0[x-1] - 2*r1[x-1] - r2[x-1]) * wt
				gy := (r2[x-1] + 2*r2[x] + r2[x+1] - r0[x-1] - 2*r0[x] - r0[x+1]) * wt
				m := gx*gx + gy*gy
				i := y*w + x
				if m > mag[i] {
					mag[i], e.gx[i], e.gy[i] = m, gx, gy
				}
			}
		}
	}
	// Non-maximum suppression along the gradient direction (4 sectors).
	const t2 = edgeThreshold * edgeThreshold
	tan22 := float32(math.Tan(math.Pi / 8))
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			m := mag[i]
			if m < t2 {
				continue
			}
			ax, ay := abs32(e.gx[i]), abs32(e.gy[i])
			var d int
			switch {
			case ay <= ax*tan22: // horizontal gradient
				d = 1
			case ax <= ay*tan22: // vertical gradient
				d = w
			case (e.gx[i] > 0) == (e.gy[i] > 0):
				d = w + 1
			default:
				d = w - 1
			}
			if m >= mag[i-d] && m > mag[i+d] {
				e.edge[i] = true
				e.count++
			}
		}
	}
	return e
}

// blur5 applies the separable binomial kernel [1 4 6 4 1]/16 with clamped
// borders; src and dst may not alias tmp.
func blur5(src, dst, tmp []float32, w, h int) {
	at := func(i, n int) int { return min(max(i, 0), n-1) }
	for y := range h {
		r := src[y*w : (y+1)*w]
		o := tmp[y*w : (y+1)*w]
		if w < 5 {
			for x := range w {
				o[x] = (r[at(x-2, w)] + 4*r[at(x-1, w)] + 6*r[x] + 4*r[at(x+1, w)] + r[at(x+2, w)]) / 16
			}
			continue
		}
		o[0] = (11*r[0] + 4*r[1] + r[2]) / 16
		o[1] = (5*r[0] + 6*r[1] + 4*r[2] + r[3]) / 16
		for x := 2; x < w-2; x++ {
			q := r[x-2 : x+3 : x+3]
			o[x] = (q[0] + 4*q[1] + 6*q[2] + 4*q[3] + q[4]) * (1.0 / 16)
		}
		o[w-2] = (r[w-4] + 4*r[w-3] + 6*r[w-2] + 5*r[w-1]) / 16
		o[w-1] = (r[w-3] + 4*r[w-2] + 11*r[w-1]) / 16
	}
	for y := range h {
		a, b, c := tmp[at(y-2, h)*w:][:w], tmp[at(y-1, h)*w:][:w], tmp[y*w:][:w]
		d, e := tmp[at(y+1, h)*w:][:w], tmp[at(y+2, h)*w:][:w]
		o := dst[y*w : (y+1)*w]
		for x := range o {
			o[x] = (a[x] + 4*b[x] + 6*c[x] + 4*d[x] + e[x]) * (1.0 / 16)
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
