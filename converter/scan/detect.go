package scan

import "math"

// quadCandidate is a page outline on the detection copy.
type quadCandidate struct {
	corners [4]pt // TL, TR, BR, BL on the detection copy
	score   float64
	// minFrac is the smallest supported fraction of the four sides.
	minFrac float64
	// brighter reports whether the inside is brighter than the outside.
	brighter bool
}

const (
	minQuadArea    = 0.08 // of the image area
	maxOppositeDeg = 30   // opposite sides at most this far from parallel
	minAdjacentDeg = 40   // adjacent sides at least this far from parallel
	minSideFrac    = 0.5  // every side at least half supported by edges
	cornerMargin   = 0.03 // corners may lie this fraction outside the image
)

// findQuad returns the best page outline among the Hough lines, or false.
func findQuad(e *edgeMap, lines []*houghLine) (quadCandidate, bool) {
	type pair struct{ a, b int }
	var pairs []pair
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if angleDiff(lines[i].theta, lines[j].theta) <= maxOppositeDeg {
				pairs = append(pairs, pair{i, j})
			}
		}
	}
	w, h := float64(e.w), float64(e.h)
	mx, my := cornerMargin*w, cornerMargin*h
	inside := func(p pt) bool { return p.x >= -mx && p.y >= -my && p.x <= w+mx && p.y <= h+my }
	var best quadCandidate
	found := false
	for pi, A := range pairs {
		for _, B := range pairs[pi+1:] {
			ls := [4]*houghLine{lines[A.a], lines[B.a], lines[A.b], lines[B.b]}
			ok := true
			for _, a := range []*houghLine{ls[0], ls[2]} {
				for _, b := range []*houghLine{ls[1], ls[3]} {
					if a == b || angleDiff(a.theta, b.theta) < minAdjacentDeg {
						ok = false
					}
				}
			}
			if !ok {
				continue
			}
			// Corner k joins side k-1 and side k: side k runs from corner k to k+1.
			var q [4]pt
			for k := range 4 {
				c, ok2 := intersect(ls[(k+3)%4].line, ls[k].line)
				if !ok2 || !inside(c) {
					ok = false
					break
				}
				q[k] = c
			}
			if !ok || !convex(q) || quadArea(q) < minQuadArea*w*h {
				continue
			}
			cand, ok := scoreQuad(q, ls)
			if ok && (!found || cand.score > best.score) {
				best, found = cand, true
			}
		}
	}
	if found {
		best.corners = orderQuad(best.corners)
	}
	return best, found
}

// scoreQuad scores an outline whose side k (corner k to k+1) lies on ls[k]:
// supported perimeter minus unsupported perimeter, halved when the sides
// disagree on whether the inside is brighter.
func scoreQuad(q [4]pt, ls [4]*houghLine) (quadCandidate, bool) {
	centre := q[0].add(q[1]).add(q[2]).add(q[3]).scale(0.25)
	var supported, total float64
	minFrac := 1.0
	nBright := 0
	for k := range 4 {
		a, b := q[k], q[(k+1)%4]
		length := a.dist(b)
		pos, neg := ls[k].segSupport(a, b)
		s := float64(max(pos, neg))
		frac := s / length
		if frac < minSideFrac {
			return quadCandidate{}, false
		}
		minFrac = math.Min(minFrac, frac)
		supported += s
		total += length
		// Inward is +n when the centre lies on the +n side of the line.
		inPlus := centre.dot(ls[k].n) > ls[k].c
		if (pos >= neg) == inPlus {
			nBright++
		}
	}
	score := supported - (total - supported)
	consistent := nBright == 0 || nBright == 4
	if !consistent {
		score /= 2
	}
	return quadCandidate{corners: q, score: score, minFrac: minFrac, brighter: nBright >= 2}, true
}
