package scan

import (
	"math"
	"slices"
)

// houghLine is a straight edge candidate on the detection copy with its
// edge support sampled at unit steps along it.
type houghLine struct {
	line
	theta int // normal angle in degrees, [0, 180)
	votes int
	t0    float64 // parameter (p·dir) of the first support sample
	// pos[i] / neg[i]: samples in [0, i) supported by an edge whose
	// gradient points along +n / -n.
	pos, neg []int32
}

const (
	houghSpread   = 2  // each edge votes for its gradient angle ± this many degrees
	maxLines      = 40 // strongest distinct lines kept
	supportRadius = 2  // pixels either side of a line where an edge supports it
)

// houghLines finds the strongest straight edges.
func houghLines(e *edgeMap) []*houghLine {
	w, h := e.w, e.h
	diag := int(math.Ceil(math.Hypot(float64(w), float64(h)))) + 1
	nr := 2*diag + 1
	acc := make([]int32, 180*nr)
	var cosT, sinT [180]float64
	for t := range 180 {
		cosT[t], sinT[t] = math.Cos(float64(t)*math.Pi/180), math.Sin(float64(t)*math.Pi/180)
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			if !e.edge[i] {
				continue
			}
			phi := math.Atan2(float64(e.gy[i]), float64(e.gx[i])) * 180 / math.Pi
			t0 := int(math.Round(phi))
			fx, fy := float64(x)+0.5, float64(y)+0.5
			for t := t0 - houghSpread; t <= t0+houghSpread; t++ {
				tt := ((t % 180) + 180) % 180
				r := int(math.Round(fx*cosT[tt]+fy*sinT[tt])) + diag
				acc[tt*nr+r]++
			}
		}
	}
	minVotes := int32(0.12 * float64(min(w, h)))
	get := func(t, r int) int32 {
		if t < 0 {
			t, r = t+180, 2*diag-r
		} else if t >= 180 {
			t, r = t-180, 2*diag-r
		}
		if r < 0 || r >= nr {
			return 0
		}
		return acc[t*nr+r]
	}
	type peak struct {
		t, r  int
		votes int32
	}
	var peaks []peak
	for t := range 180 {
		for r := range nr {
			v := acc[t*nr+r]
			if v < minVotes {
				continue
			}
			isMax := true
		nb:
			for dt := -2; dt <= 2; dt++ {
				for dr := -3; dr <= 3; dr++ {
					if dt == 0 && dr == 0 {
						continue
					}
					o := get(t+dt, r+dr)
					// Ties: the first in scan order wins.
					if o > v || (o == v && (dt < 0 || (dt == 0 && dr < 0))) {
						isMax = false
						break nb
					}
				}
			}
			if isMax {
				peaks = append(peaks, peak{t, r, v})
			}
		}
	}
	slices.SortFunc(peaks, func(a, b peak) int { return int(b.votes - a.votes) })
	var lines []*houghLine
	for _, p := range peaks {
		if len(lines) == maxLines {
			break
		}
		rho := float64(p.r - diag)
		dup := false
		for _, l := range lines {
			dt := angleDiff(l.theta, p.t)
			dr := math.Abs(l.c - rho)
			if angleFlip(l.theta, p.t) {
				dr = math.Abs(l.c + rho)
			}
			if dt <= 3 && dr <= 6 {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		hl := &houghLine{line: line{pt{cosT[p.t], sinT[p.t]}, rho}, theta: p.t, votes: int(p.votes)}
		hl.support(e)
		lines = append(lines, hl)
	}
	return lines
}

// angleDiff is the angle in degrees, in [0, 90], between two line normals
// given in [0, 180).
func angleDiff(a, b int) int {
	d := a - b
	if d < 0 {
		d = -d
	}
	if d > 90 {
		d = 180 - d
	}
	return d
}

// angleFlip reports whether two normals in [0, 180) are closest through the
// 0/180 wrap (so one normal must be negated to compare offsets).
func angleFlip(a, b int) bool {
	d := a - b
	return d > 90 || d < -90
}

// support samples the edge map along the line inside the image.
func (l *houghLine) support(e *edgeMap) {
	d := l.dir()
	base := l.n.scale(l.c)
	// Clip the line to the image rectangle [0,w]×[0,h].
	tmin, tmax := math.Inf(-1), math.Inf(1)
	clip := func(p0, dp, lo, hi float64) {
		if math.Abs(dp) < 1e-12 {
			if p0 < lo || p0 > hi {
				tmin, tmax = 1, 0
			}
			return
		}
		a, b := (lo-p0)/dp, (hi-p0)/dp
		if a > b {
			a, b = b, a
		}
		tmin, tmax = math.Max(tmin, a), math.Min(tmax, b)
	}
	clip(base.x, d.x, 0, float64(e.w))
	clip(base.y, d.y, 0, float64(e.h))
	if tmax <= tmin {
		l.pos, l.neg = []int32{0}, []int32{0}
		return
	}
	n := int(tmax - tmin)
	l.t0 = tmin
	l.pos = make([]int32, n+1)
	l.neg = make([]int32, n+1)
	const cosTol = 0.97 // gradient within ~14° of the normal
	for i := range n {
		p := base.add(d.scale(tmin + float64(i) + 0.5))
		var sp, sn int32
		for s := -supportRadius; s <= supportRadius; s++ {
			q := p.add(l.n.scale(float64(s)))
			x, y := int(math.Floor(q.x)), int(math.Floor(q.y))
			if x < 0 || y < 0 || x >= e.w || y >= e.h {
				continue
			}
			j := y*e.w + x
			if !e.edge[j] {
				continue
			}
			gx, gy := float64(e.gx[j]), float64(e.gy[j])
			g := math.Hypot(gx, gy)
			dot := (gx*l.n.x + gy*l.n.y) / g
			if dot >= cosTol {
				sp = 1
			} else if dot <= -cosTol {
				sn = 1
			}
		}
		l.pos[i+1] = l.pos[i] + sp
		l.neg[i+1] = l.neg[i] + sn
	}
}

// segSupport returns the supported length of each polarity between points
// a and b on the line (parts outside the image count as unsupported).
func (l *houghLine) segSupport(a, b pt) (pos, neg int32) {
	d := l.dir()
	ta, tb := a.dot(d)-l.t0, b.dot(d)-l.t0
	if ta > tb {
		ta, tb = tb, ta
	}
	n := len(l.pos) - 1
	i0 := min(max(int(math.Ceil(ta)), 0), n)
	i1 := min(max(int(math.Floor(tb)), 0), n)
	if i1 <= i0 {
		return 0, 0
	}
	return l.pos[i1] - l.pos[i0], l.neg[i1] - l.neg[i0]
}
