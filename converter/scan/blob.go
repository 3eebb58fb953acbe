package scan

import "math"

// Fallback page outline: when no four straight edges stand out (a curled
// page's edges are curves; a striped or checked tablecloth draws more
// straight edges than the page), the page is the largest bright region of
// the detection copy, and its corners are that region's extreme points
// along the two diagonals.

const (
	// blobMinFrac and blobMaxFrac bound the bright region's share of the
	// photo.
	blobMinFrac = 0.15
	blobMaxFrac = 0.92
	// blobMinContrast: the region is at least this many grey levels
	// brighter, on average, than the rest of the photo.
	blobMinContrast = 60
	// blobMinFill: the quad covers at least this fraction of the region
	// and the region at least this fraction of the quad (a page is nearly
	// convex and four-cornered).
	blobMinFill = 0.85
	// blobErode cuts thin bright bridges (a tablecloth's white checks
	// touching the page) before the region is taken.
	blobErode = 2
)

// blobQuad returns the page's corners in the detection copy's pixels, or
// false.
func blobQuad(sm *small) ([4]pt, bool) {
	w, h := sm.w, sm.h
	n := w * h
	var hist [256]int
	for _, v := range sm.y {
		hist[min(255, max(0, int(v)))]++
	}
	thr := otsu(&hist, n)
	bright := make([]bool, n)
	for i, v := range sm.y {
		bright[i] = v > float32(thr)
	}
	// Erode: a pixel stays when its (2r+1)² neighbourhood is all bright:
	// its row's 2r+1 pixels all bright (hor), then its column's 2r+1 rows
	// all so.
	r := blobErode
	hor := make([]bool, n)
	for y := range h {
		row, out := bright[y*w:(y+1)*w], hor[y*w:(y+1)*w]
		run := 0 // bright pixels in a row ending at x
		for x, b := range row {
			if b {
				run++
			} else {
				run = 0
			}
			if x >= 2*r && run > 2*r {
				out[x-r] = true
			}
		}
	}
	er := make([]bool, n)
	for y := r; y < h-r; y++ {
		out := er[y*w : (y+1)*w]
		for x := r; x < w-r; x++ {
			ok := true
			for dy := -r; dy <= r; dy++ {
				ok = ok && hor[(y+dy)*w+x]
			}
			out[x] = ok
		}
	}
	// Largest 4-connected region, its pixels in the order a depth-first
	// fill from its first pixel (in raster order) visits them.
	seen := make([]bool, n)
	var best, comp, stack []int32
	for s := range n {
		if !er[s] || seen[s] {
			continue
		}
		comp = comp[:0]
		stack = append(stack[:0], int32(s))
		seen[s] = true
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			comp = append(comp, int32(i))
			x, y := i%w, i/w
			if x > 0 && er[i-1] && !seen[i-1] {
				seen[i-1] = true
				stack = append(stack, int32(i-1))
			}
			if x < w-1 && er[i+1] && !seen[i+1] {
				seen[i+1] = true
				stack = append(stack, int32(i+1))
			}
			if y > 0 && er[i-w] && !seen[i-w] {
				seen[i-w] = true
				stack = append(stack, int32(i-w))
			}
			if y < h-1 && er[i+w] && !seen[i+w] {
				seen[i+w] = true
				stack = append(stack, int32(i+w))
			}
		}
		if len(comp) > len(best) {
			best, comp = comp, best
		}
	}
	area := float64(len(best))
	if area < blobMinFrac*float64(n) || area > blobMaxFrac*float64(n) {
		return [4]pt{}, false
	}
	// Contrast with the rest of the photo.
	in := make([]bool, n)
	var sIn, sOut float64
	for _, bi := range best {
		i := int(bi)
		in[i] = true
		sIn += float64(sm.y[i])
	}
	for i, v := range sm.y {
		if !in[i] {
			sOut += float64(v)
		}
	}
	if sIn/area-sOut/(float64(n)-area) < blobMinContrast {
		return [4]pt{}, false
	}
	// The region's axes (second moments), then its extreme points along
	// the diagonals of the frame turned to those axes, pushed back out by
	// the erosion.
	var mx, my float64
	for _, bi := range best {
		i := int(bi)
		mx += float64(i%w) + 0.5
		my += float64(i/w) + 0.5
	}
	mx, my = mx/area, my/area
	var sxx, syy, sxy float64
	for _, bi := range best {
		i := int(bi)
		dx, dy := float64(i%w)+0.5-mx, float64(i/w)+0.5-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	// Turn by the axis angle modulo 90°, so an upright page stays upright.
	theta = math.Mod(theta+math.Pi/4+2*math.Pi, math.Pi/2) - math.Pi/4
	sn, cs := math.Sincos(theta)
	var q [4]pt
	ext := [4]float64{math.Inf(1), math.Inf(-1), math.Inf(-1), math.Inf(1)}
	for _, bi := range best {
		i := int(bi)
		x, y := float64(i%w)+0.5, float64(i/w)+0.5
		u, v := (x-mx)*cs+(y-my)*sn, -(x-mx)*sn+(y-my)*cs
		if s := u + v; s < ext[0] {
			ext[0], q[0] = s, pt{x, y}
		}
		if d := u - v; d > ext[1] {
			ext[1], q[1] = d, pt{x, y}
		}
		if s := u + v; s > ext[2] {
			ext[2], q[2] = s, pt{x, y}
		}
		if d := u - v; d < ext[3] {
			ext[3], q[3] = d, pt{x, y}
		}
	}
	grow := float64(blobErode) + 0.5
	c := pt{mx, my}
	for k := range q {
		d := q[k].sub(c)
		if n := d.norm(); n > 0 {
			q[k] = q[k].add(d.scale(grow * math.Sqrt2 / n))
		}
	}
	q = orderQuad(q)
	qa := quadArea(q)
	grown := area + 2*grow*float64(len(best))/math.Sqrt(area)*2 // the region grown back by its perimeter
	if !convex(q) || qa < blobMinFill*grown || grown < blobMinFill*qa {
		return [4]pt{}, false
	}
	return q, true
}

// otsu returns the threshold that best splits hist (n samples) in two
// classes (Otsu, 1979).
func otsu(hist *[256]int, n int) int {
	var sum float64
	for v, c := range hist {
		sum += float64(v * c)
	}
	var sumB, wB float64
	best, thr := -1.0, 128
	for v, c := range hist {
		wB += float64(c)
		if wB == 0 {
			continue
		}
		wF := float64(n) - wB
		if wF == 0 {
			break
		}
		sumB += float64(v * c)
		mB, mF := sumB/wB, (sum-sumB)/wF
		if between := wB * wF * (mB - mF) * (mB - mF); between > best {
			best, thr = between, v
		}
	}
	return thr
}
