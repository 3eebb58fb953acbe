package api

import (
	"errors"
	"math"
	"testing"

	"github.com/coffre/coffre/converter"
)

// FuzzParseCorners: whatever a page's corners say, parsing never panics;
// it gives four finite-or-refused points or ErrBadCorners, nothing else.
func FuzzParseCorners(f *testing.F) {
	for _, s := range []string{"", "null", `[[1,2],[3,4],[5,6],[7,8]]`, `[[1e999,2],[3,4],[5,6],[7,8]]`, `[[NaN,2]]`,
		`[["1","2"],[3,4],[5,6],[7,8]]`, `[[1,2,3],[3,4],[5,6],[7,8]]`, `[[1,2],[3,4],[5,6],[7,8]] []`, `{"x":1}`, `[[-0,1e-400],[3,4],[5,6],[7,8]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseCorners(s)
		if err != nil {
			if !errors.Is(err, converter.ErrBadCorners) || q != nil {
				t.Fatalf("%q: %v, %v", s, q, err)
			}
			return
		}
		if q == nil {
			return
		}
		for _, p := range q {
			if math.IsNaN(p.X) || math.IsInf(p.X, 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
				t.Fatalf("%q: not finite %v", s, q)
			}
		}
		if _, err := converter.CheckCorners(*q, 1200, 1600); err != nil && !errors.Is(err, converter.ErrBadCorners) {
			t.Fatalf("%q: CheckCorners %v", s, err)
		}
	})
}
