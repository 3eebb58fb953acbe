package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// ErrNoPreview: the page is not one embedded photo or scan (a PDF kept as
// it came, with text or drawings): there is no image to show for it.
var ErrNoPreview = errors.New("converter: no image for this page")

// maxPreviewBytes bounds the image returned for one page.
const maxPreviewBytes = 16 << 20

// PageImage returns the image making up page n (1-based) of a PDF Coffre
// produced from photos: the cleaned page as stored (JPEG), and its media
// type. It works in memory only. ErrNoPreview when the page holds no
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
	// The largest JPEG image of the page: Coffre's pages are one image each.
	var best []byte
	var bestArea int
	for _, o := range xobjs {
		sd, _, err := m.DereferenceStreamDict(o)
		if err != nil || sd == nil || !isDCT(sd.Dict) || len(sd.Raw) == 0 || len(sd.Raw) > maxPreviewBytes {
			continue
		}
		if st := sd.Dict.NameEntry("Subtype"); st == nil || *st != "Image" {
			continue
		}
		w, h := sd.Dict.IntEntry("Width"), sd.Dict.IntEntry("Height")
		if w == nil || h == nil {
			continue
		}
		if a := *w * *h; best == nil || a > bestArea {
			best, bestArea = sd.Raw, a
		}
	}
	if best == nil {
		return nil, "", fmt.Errorf("%w: page %d", ErrNoPreview, n)
	}
	return bytes.Clone(best), "image/jpeg", nil
}
