package scan

import (
	"math"
	"slices"
)

// refineCorners moves coarse page corners (source coordinates, TL TR BR BL)
// onto the paper's edges at full resolution: along each side it finds the
// strongest step of the expected polarity across the side, fits a line
// through those points (dropping outliers), and intersects the lines.
// scale is the detection copy's reduction factor (the coarse error bound).
func refineCorners(p *planes, q [4]pt, brighter bool, scale int) [4]pt {
	centre := q[0].add(q[1]).add(q[2]).add(q[3]).scale(0.25)
	radius := 3*scale + 4
	var lines [4]line
	for k := range 4 {
		a, b := q[k], q[(k+1)%4]
		l, ok := refineSide(p, a, b, centre, brighter, radius)
		if !ok {
			l = lineThrough(a, b)
		}
		lines[k] = l
	}
	out := q
	limit := float64(radius) * 1.5
	for k := range 4 {
		c, ok := intersect(lines[(k+3)%4], lines[k])
		if ok && c.dist(q[k]) <= limit {
			out[k] = c
		}
	}
	if !convex(out) {
		return q
	}
	return out
}

const (
	refineSamples = 48 // profiles per side
	refineAlong   = 3  // profile averaged over ± this many pixels along the side
	refineMinStep = 8  // minimum |v(s+1) - v(s-1)| for an edge point
)

func refineSide(p *planes, a, b, centre pt, brighter bool, radius int) (line, bool) {
	d := b.sub(a).unit()
	n := d.perp()
	if n.dot(centre.sub(a)) < 0 {
		n = n.scale(-1) // n points inwards
	}
	pol := 1.0
	if !brighter {
		pol = -1
	}
	prof := make([]float64, 2*radius+1)
	pts := make([]pt, 0, refineSamples)
	for i := range refineSamples {
		t := 0.08 + 0.84*(float64(i)+0.5)/refineSamples
		base := lerp(a, b, t)
		ok := true
		for si := range prof {
			s := float64(si - radius)
			var sum, cnt float64
			for j := -refineAlong; j <= refineAlong; j++ {
				c := base.add(n.scale(s)).add(d.scale(float64(j)))
				x, y := int(math.Floor(c.x)), int(math.Floor(c.y))
				if x < 0 || y < 0 || x >= p.w || y >= p.h {
					continue
				}
				sum += float64(p.y[y*p.ys+x])
				cnt++
			}
			if cnt == 0 {
				ok = false
				break
			}
			prof[si] = sum / cnt
		}
		if !ok {
			continue
		}
		bestS, bestD := -1, 0.0
		for si := 1; si < len(prof)-1; si++ {
			if dv := pol * (prof[si+1] - prof[si-1]); dv > bestD {
				bestS, bestD = si, dv
			}
		}
		if bestS < 2 || bestS > len(prof)-3 || bestD < refineMinStep {
			continue
		}
		// Parabola through the derivative at bestS-1, bestS, bestS+1.
		dm := pol * (prof[bestS] - prof[bestS-2])
		dp := pol * (prof[bestS+2] - prof[bestS])
		off := 0.0
		if den := dm - 2*bestD + dp; den < 0 {
			off = 0.5 * (dm - dp) / den
		}
		pts = append(pts, base.add(n.scale(float64(bestS-radius)+off)))
	}
	return fitLine(pts)
}

// fitLine fits a line through pts by total least squares, twice dropping
// points far from the previous fit. It needs at least a third of a side.
func fitLine(pts []pt) (line, bool) {
	minPts := refineSamples / 3
	var l line
	for iter := range 3 {
		if len(pts) < minPts {
			return line{}, false
		}
		var m pt
		for _, q := range pts {
			m = m.add(q)
		}
		m = m.scale(1 / float64(len(pts)))
		var sxx, sxy, syy float64
		for _, q := range pts {
			dx, dy := q.x-m.x, q.y-m.y
			sxx += dx * dx
			sxy += dx * dy
			syy += dy * dy
		}
		// Direction: principal eigenvector of the scatter matrix.
		theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
		dir := pt{math.Cos(theta), math.Sin(theta)}
		nrm := dir.perp()
		l = line{nrm, nrm.dot(m)}
		if iter == 2 {
			break
		}
		res := make([]float64, len(pts))
		for i, q := range pts {
			res[i] = math.Abs(q.dot(nrm) - l.c)
		}
		sorted := slices.Clone(res)
		slices.Sort(sorted)
		limit := math.Max(1.5, 2.5*sorted[len(sorted)/2])
		kept := pts[:0:0]
		for i, q := range pts {
			if res[i] <= limit {
				kept = append(kept, q)
			}
		}
		pts = kept
	}
	return l, true
}
