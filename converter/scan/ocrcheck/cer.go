// Package ocrcheck measures how legible a rendered page is: it runs the
// tesseract OCR engine on an image and computes the character error rate of
// its text against the page's known text. Tests of the scanner and the
// converter use it; it is not used in production.
package ocrcheck

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	dotLeaders = regexp.MustCompile(`\.{2,}`)
	spaces     = regexp.MustCompile(`\s+`)
)

// Normalize prepares text for comparison: runs of two or more dots (dot
// leaders) are removed, runs of white space (including line breaks) become
// one space, and the ends are trimmed.
func Normalize(s string) string {
	s = dotLeaders.ReplaceAllString(s, "")
	s = spaces.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// Levenshtein returns the edit distance between a and b in runes
// (insertions, deletions and substitutions each cost 1).
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i, ca := range ra {
		cur[0] = i + 1
		for j, cb := range rb {
			cost := 1
			if ca == cb {
				cost = 0
			}
			cur[j+1] = min(prev[j+1]+1, cur[j]+1, prev[j]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// CER is the character error rate of got against truth: the edit distance
// between the normalized texts divided by the normalized truth's length in
// runes. An empty truth gives 0 for an empty got and 1 otherwise.
func CER(got, truth string) float64 {
	g, t := Normalize(got), Normalize(truth)
	n := utf8.RuneCountInString(t)
	if n == 0 {
		if g == "" {
			return 0
		}
		return 1
	}
	return float64(Levenshtein(g, t)) / float64(n)
}
