package jpegdec

import (
	"errors"
	"image"
	"io"
)

// mcuRect is a rectangle of MCUs: [x0, x1) × [y0, y1).
type mcuRect struct{ x0, y0, x1, y1 int }

// errRegionDone ends a sequential scan below the region asked for.
var errRegionDone = errors.New("jpegdec: region decoded")

// DecodeRegion is Decode restricted to r, a rectangle in the stored
// image's full-scale pixels: the result's bounds are r scaled down by
// 2^shift (rounded outwards) and clipped to the image, and its pixels are
// those Decode(shift) gives there. Only the blocks covering r go through
// the inverse DCT, and a sequential image's entropy-coded data is read
// only down to r's last row of MCUs. With lumaOnly, a YCbCr image is
// returned as its Y plane (*image.Gray) and its chroma is not
// reconstructed. A 4-component image is decoded whole (then cropped).
func DecodeRegion(rd io.Reader, shift int, r image.Rectangle, lumaOnly bool) (image.Image, error) {
	if shift < 0 || shift > 3 {
		return nil, UnsupportedError("scale")
	}
	if r.Empty() {
		return nil, UnsupportedError("empty region")
	}
	d := decoder{shift: uint(shift), want: r, hasWant: true, lumaOnly: lumaOnly}
	return d.decode(rd, false)
}
