package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/coffre/coffre/converter"
)

// Page corners placed by the person (issue 17 §2): when the check is unsure
// of a page's outline, the person drags its four corners on the photo; the
// corners travel with the page (header X-Page-Corners on a page's upload
// or check, "corners" in the helper's send and the owner's form) as JSON,
// [[x,y],[x,y],[x,y],[x,y]] in the photo's pixels, and the converter uses
// them instead of its own detection. Here only their shape is checked
// (four pairs of numbers); the converter checks that they outline a page
// inside the photo (converter.CheckCorners). Every refusal wraps
// converter.ErrBadCorners, which the person reads in her language.

// cornersHeader carries a page's corners on its upload or check.
const cornersHeader = "X-Page-Corners"

// maxCornersBytes bounds one page's corners as sent (four pairs of numbers
// with a few decimals fit in well under 200 bytes).
const maxCornersBytes = 400

// parseCorners reads one page's corners; "" or null is none.
func parseCorners(s string) (*[4]converter.Point, error) {
	if s == "" || s == "null" {
		return nil, nil
	}
	if len(s) > maxCornersBytes {
		return nil, fmt.Errorf("%w: %d bytes", converter.ErrBadCorners, len(s))
	}
	var raw [][]json.Number
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: not four pairs of numbers", converter.ErrBadCorners)
	}
	if len(raw) != 4 {
		return nil, fmt.Errorf("%w: %d corners", converter.ErrBadCorners, len(raw))
	}
	var q [4]converter.Point
	for i, p := range raw {
		if len(p) != 2 {
			return nil, fmt.Errorf("%w: corner %d is not a pair", converter.ErrBadCorners, i+1)
		}
		x, err1 := strconv.ParseFloat(string(p[0]), 64)
		y, err2 := strconv.ParseFloat(string(p[1]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: corner %d out of range", converter.ErrBadCorners, i+1)
		}
		q[i] = converter.Point{X: x, Y: y}
	}
	return &q, nil
}

// cornersJSON is how corners are answered (the check's, full size).
func cornersJSON(c *[4]converter.Point) [][2]float64 {
	if c == nil {
		return nil
	}
	out := make([][2]float64, 4)
	for i, p := range c {
		out[i] = [2]float64{p.X, p.Y}
	}
	return out
}

// formCorners gives the owner's form's pages their corners: the field
// "corners" is a JSON array with one entry per page, in order, null for a
// page without.
func formCorners(up *upload) error {
	f, ok := up.fields["corners"]
	if !ok || f == "" {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(f), &list); err != nil || len(list) > len(up.pages) {
		return fmt.Errorf("%w: not one entry per page", converter.ErrBadCorners)
	}
	for i, raw := range list {
		q, err := parseCorners(string(bytes.TrimSpace(raw)))
		if err != nil {
			return err
		}
		up.pages[i].Corners = q
	}
	return nil
}
