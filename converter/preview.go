package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
)

// ErrNoPreview: the page is not one embedded photo or scan (a PDF kept as
// it came, with text or drawings): there is no image to show for it.
var ErrNoPreview = errors.New("converter: no image for this page")

// maxPreviewBytes bounds the image returned for one page.
const maxPreviewBytes = 16 << 20

// PageImage returns the image making up page n (1-based) of a PDF Coffre
// produced from photos: the cleaned page as stored (JPEG, or PNG), and its
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
	imgs, err := pdfcpu.ExtractPageImages(m, n, false)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrNoPreview, err)
	}
	var best []byte
	var bestType string
	var bestArea int
	for _, im := range imgs {
		if im.Reader == nil || im.Thumb || im.IsImgMask {
			continue
		}
		var mt string
		switch im.FileType {
		case "jpg", "jpeg":
			mt = "image/jpeg"
		case "png":
			mt = "image/png"
		default:
			continue
		}
		b, err := io.ReadAll(io.LimitReader(im.Reader, maxPreviewBytes+1))
		if err != nil || len(b) > maxPreviewBytes {
			continue
		}
		if a := im.Width * im.Height; best == nil || a > bestArea {
			best, bestType, bestArea = b, mt, a
		}
	}
	if best == nil {
		return nil, "", fmt.Errorf("%w: page %d", ErrNoPreview, n)
	}
	return bytes.Clone(best), bestType, nil
}
