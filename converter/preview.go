package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/ccitt"
	"golang.org/x/image/draw"

	"github.com/coffre/coffre/converter/internal/jpegenc"
)

// ErrNoPreview: the page is not one embedded photo or scan (a PDF kept as
// it came, with text or drawings): there is no image to show for it.
var ErrNoPreview = errors.New("converter: no image for this page")

// maxPreviewBytes bounds the image returned for one page.
const maxPreviewBytes = 16 << 20

// PageImage returns the image making up page n (1-based) of a PDF Coffre
// produced from photos: the cleaned page as stored (JPEG), or for a text
// page's mixed raster content (and black and white pages) the page drawn
// in memory from its text mask and background, as a 150 DPI JPEG; and its
// media type. It works in memory only. ErrNoPreview when the page holds no
// single image (or n is out of range), ErrMalformedPDF for a damaged PDF.
func PageImage(ctx context.Context, pdf []byte, n int) (img []byte, mediaType string, err error) {
	defer pdfSafe(&err)
	m, err := readPDF(ctx, pdf, int64(len(pdf)))
	if err != nil {
		return nil, "", err
	}
	if n < 1 || n > m.PageCount {
		return nil, "", fmt.Errorf("%w: page %d of %d", ErrNoPreview, n, m.PageCount)
	}
	_, _, attrs, err := m.PageDict(n, false)
	if err != nil || attrs == nil || attrs.Resources == nil {
		return nil, "", fmt.Errorf("%w: page %d: no resources", ErrNoPreview, n)
	}
	xobjs, err := m.DereferenceDict(attrs.Resources["XObject"])
	if err != nil {
		return nil, "", fmt.Errorf("%w: page %d: %v", ErrNoPreview, n, err)
	}
	// The largest JPEG image of the page: Coffre's pages are one image
	// each, or a text mask (CCITT G4) over an optional JPEG background.
	var best, mask []byte
	var bestArea, maskArea, mw, mh int
	for _, o := range xobjs {
		sd, _, err := m.DereferenceStreamDict(o)
		if err != nil || sd == nil || len(sd.Raw) == 0 || len(sd.Raw) > maxPreviewBytes {
			continue
		}
		if st := sd.Dict.NameEntry("Subtype"); st == nil || *st != "Image" {
			continue
		}
		w, h := sd.Dict.IntEntry("Width"), sd.Dict.IntEntry("Height")
		if w == nil || h == nil || *w <= 0 || *h <= 0 {
			continue
		}
		a := *w * *h
		switch {
		case isDCT(sd.Dict):
			if best == nil || a > bestArea {
				best, bestArea = sd.Raw, a
			}
		case isG4(sd.Dict, *w, *h) && a <= maxPreviewMaskPixels:
			if mask == nil || a > maskArea {
				mask, maskArea, mw, mh = sd.Raw, a, *w, *h
			}
		}
	}
	if mask != nil && maskArea > bestArea {
		img, err := maskPreview(ctx, mask, mw, mh, best)
		if err != nil {
			return nil, "", fmt.Errorf("%w: page %d: %v", ErrNoPreview, n, err)
		}
		return img, "image/jpeg", nil
	}
	if best == nil {
		return nil, "", fmt.Errorf("%w: page %d", ErrNoPreview, n)
	}
	return bytes.Clone(best), "image/jpeg", nil
}

// maxPreviewMaskPixels bounds a G4 image decoded for a preview (A4 at
// 600 DPI).
const maxPreviewMaskPixels = 35_000_000

// isG4 reports whether d is a 1-bit CCITT Group 4 image of w×h pixels as
// Coffre writes them (K −1, Columns w, no other filter).
func isG4(d types.Dict, w, h int) bool {
	f, ok := d["Filter"].(types.Name)
	if !ok || f.Value() != "CCITTFaxDecode" {
		return false
	}
	if bpc := d.IntEntry("BitsPerComponent"); bpc != nil && *bpc != 1 {
		return false
	}
	parms, ok := d["DecodeParms"].(types.Dict)
	if !ok {
		return false
	}
	k, cols := parms.IntEntry("K"), parms.IntEntry("Columns")
	if k == nil || *k >= 0 || cols == nil || *cols != w {
		return false
	}
	if b := parms.BooleanEntry("BlackIs1"); b != nil && *b {
		return false
	}
	if rows := parms.IntEntry("Rows"); rows != nil && *rows != h {
		return false
	}
	return true
}

// maskPreview renders a page of mixed raster content (or black and white)
// as a JPEG: the G4 image at half its resolution (a 300 DPI mask gives a
// 150 DPI preview), black where it is black, over the background bg (a
// JPEG, or nil for white paper).
func maskPreview(ctx context.Context, g4 []byte, w, h int, bg []byte) ([]byte, error) {
	full := image.NewGray(image.Rect(0, 0, w, h))
	if err := ccitt.DecodeIntoGray(full, bytes.NewReader(g4), ccitt.MSB, ccitt.Group4, &ccitt.Options{}); err != nil {
		return nil, fmt.Errorf("decode G4: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k := 1
	if w >= 1600 {
		k = 2
	}
	pw, ph := w/k, h/k
	out := image.NewGray(image.Rect(0, 0, pw, ph))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	if bg != nil {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(bg)); err == nil && int64(cfg.Width)*int64(cfg.Height) <= maxPreviewMaskPixels {
			if b, err := jpeg.Decode(bytes.NewReader(bg)); err == nil {
				draw.BiLinear.Scale(out, out.Rect, b, b.Bounds(), draw.Src, nil)
			}
		}
	}
	// Each preview pixel: the background darkened by the share of black
	// mask pixels in its k×k block.
	for y := range ph {
		dst := out.Pix[y*out.Stride : y*out.Stride+pw]
		for x := range dst {
			black := 0
			for yy := y * k; yy < (y+1)*k; yy++ {
				for _, v := range full.Pix[yy*full.Stride+x*k : yy*full.Stride+(x+1)*k] {
					if v < 128 {
						black++
					}
				}
			}
			dst[x] = uint8(int(dst[x]) * (k*k - black) / (k * k))
		}
	}
	var buf bytes.Buffer
	if err := jpegenc.Encode(&buf, out, &jpegenc.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("encode preview: %w", err)
	}
	return buf.Bytes(), nil
}
