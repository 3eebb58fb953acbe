package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/gen2brain/heic"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/coffre/coffre/converter/internal/jpegdec"
)

// Image decoding. Each format's own decoder is called directly: never the
// image.Decode registry, where pdfcpu registers a TIFF decoder that
// allocates gigabytes on a crafted header. Each format's DecodeConfig runs
// first and the pixel budget is checked before any pixel is allocated.

// decodePlan is what DecodeConfig and the metadata tell before decoding.
type decodePlan struct {
	format      Format
	cfg         image.Config // full-size dimensions, as stored (before orientation)
	shift       int          // JPEG only: decode at 1/2^shift scale
	orientation int          // EXIF orientation to apply after decoding (1..8)
	progressive bool         // progressive JPEG (keeps all coefficients in memory)
	coeffs      int64        // a progressive JPEG's coefficient bytes (jpegdec.Header)
	memory      int64        // estimated peak bytes to decode, orient and scan
	corners     *[4]Point    // placed by the person, validated (full size, upright)
}

// decodedSize returns the decoded image's width and height before orientation.
func (p decodePlan) decodedSize() (int, int) {
	n := 1 << p.shift
	return (p.cfg.Width + n - 1) / n, (p.cfg.Height + n - 1) / n
}

// planDecode reads the header of an image of format f and decides the decode
// scale: a JPEG is decoded at the smallest of 1, 1/2, 1/4, 1/8 whose short
// side stays at least minShort pixels (0 keeps full size) and whose pixel
// count fits maxPixels. Other formats must fit maxPixels at full size.
func planDecode(data []byte, f Format, maxPixels int64, minShort int, targetPixels int64) (decodePlan, error) {
	p := decodePlan{format: f, orientation: exifOrientation(data, f)}
	hdr, err := decodeHeader(data, f)
	if err != nil {
		return p, err
	}
	cfg := hdr.Config
	p.cfg = cfg
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 {
		return p, fmt.Errorf("%w: %s header gives %d×%d pixels", ErrMalformedImage, f, w, h)
	}
	tooLarge := func() error {
		return fmt.Errorf("%w: %d×%d pixels (limit %d million)", ErrImageTooLarge, w, h, maxPixels/1_000_000)
	}
	// Guard against overflow before multiplying.
	if w > 1<<20 || h > 1<<20 {
		return p, tooLarge()
	}
	bpp := bytesPerPixel(cfg.ColorModel)
	if f == FormatJPEG {
		if w*h > 4*maxPixels {
			return p, tooLarge()
		}
		p.progressive, p.coeffs = hdr.Progressive, hdr.CoeffBytes
		// A progressive image keeps every coefficient of every component
		// at full size until its last scan (256 bytes an 8×8 block),
		// whatever the scale it is decoded at: 6 bytes a pixel for
		// 4:2:0, 12 for 4:4:4, 16 for CMYK. A 1 KB file can claim
		// gigabytes (attacker's review); beyond what 4:2:0 takes at
		// maxPixels, it is too large.
		if p.progressive && p.coeffs > 6*maxPixels {
			return p, tooLarge()
		}
		short := min(w, h)
		for p.shift < 3 {
			n := int64(1) << p.shift
			if ((w+n-1)/n)*((h+n-1)/n) > maxPixels {
				p.shift++ // must shrink to fit the budget
				continue
			}
			if next := 2 * n; minShort > 0 && (short+next-1)/next >= int64(minShort) {
				p.shift++ // the target needs fewer pixels than the photo has
				continue
			}
			break
		}
		dw, dh := p.decodedSize()
		if int64(dw)*int64(dh) > maxPixels {
			return p, tooLarge()
		}
	} else if w*h > maxPixels || float64(w*h)*bpp > float64(4*maxPixels) {
		return p, tooLarge()
	}
	dw, dh := p.decodedSize()
	decoded := int64(float64(int64(dw)*int64(dh)) * bpp)
	mem := decoded
	if p.orientation > 1 {
		mem += decoded
	}
	if p.progressive {
		mem += p.coeffs
	} else if f == FormatJPEG {
		// The entropy decoder's index: 24 bytes per MCU (8×8 pixels at
		// least).
		mem += w * h * 3 / 8
	}
	if f == FormatHEIC {
		mem += w * h * 4 // the decoder's own working memory
	}
	// The scanner's working set: a grey copy and the target page.
	mem += int64(dw)*int64(dh) + targetPixels*8
	p.memory = mem
	return p, nil
}

// bytesPerPixel estimates the decoded size per pixel of a colour model.
func bytesPerPixel(m color.Model) float64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 2 // 4:2:0 is 1.5, 4:4:4 is 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// decodeConfig calls format f's own DecodeConfig.
func decodeConfig(data []byte, f Format) (image.Config, error) {
	h, err := decodeHeader(data, f)
	return h.Config, err
}

// decodeHeader is decodeConfig with, for a JPEG, whether it is progressive
// and the memory its coefficients take (read by the decoder's own parser,
// so a stray byte between segments cannot hide a progressive frame from
// the memory check: attacker's review).
func decodeHeader(data []byte, f Format) (jpegdec.Header, error) {
	r := bytes.NewReader(data)
	var cfg image.Config
	var err error
	switch f {
	case FormatJPEG:
		var h jpegdec.Header
		if h, err = jpegdec.DecodeHeader(r); err != nil {
			return h, decodeError(f, err)
		}
		return h, nil
	case FormatPNG:
		cfg, err = png.DecodeConfig(r)
	case FormatWebP:
		cfg, err = webp.DecodeConfig(r)
	case FormatTIFF:
		cfg, err = tiff.DecodeConfig(r)
	case FormatHEIC:
		cfg, err = heicDecodeConfig(data)
	default:
		return jpegdec.Header{}, unsupported(string(f) + " is not an image format")
	}
	if err != nil {
		return jpegdec.Header{}, decodeError(f, err)
	}
	return jpegdec.Header{Config: cfg}, nil
}

// heicDecodeConfig hands the decoder the whole file: its own config reader
// only reads the first 32 KiB, which misses metadata placed after it.
func heicDecodeConfig(data []byte) (cfg image.Config, err error) {
	if err := heicSandboxed(); err != nil {
		return cfg, err
	}
	defer recoverAs(&err, ErrMalformedImage)
	return heic.DecodeConfig(bytes.NewReader(data))
}

// heicSandboxed refuses HEIC when the heic package found a system libheif
// and would decode in native code, outside its WASM sandbox and outside
// the converter's memory accounting. Coffre is built with -tags nodynamic
// (scripts/test.sh, the Dockerfile, the README), which never loads it.
func heicSandboxed() error {
	if heic.Dynamic() == nil {
		return unsupported("HEIC: this build would decode it with the system's libheif; build Coffre with -tags nodynamic")
	}
	return nil
}

// decodeImage decodes data according to plan and applies its orientation.
func decodeImage(ctx context.Context, data []byte, plan decodePlan) (image.Image, error) {
	img, _, err := decodeImageIndexed(ctx, data, plan)
	return img, err
}

// decodeImageIndexed is decodeImage, also returning a sequential JPEG's
// index for decodeRegion (else nil).
func decodeImageIndexed(ctx context.Context, data []byte, plan decodePlan) (img image.Image, idx *jpegdec.Index, err error) {
	defer recoverAs(&err, ErrMalformedImage)
	img, idx, err = decodeRaw(ctx, data, plan)
	if err != nil {
		return nil, nil, err
	}
	img, err = orient(ctx, img, plan.orientation)
	if err != nil {
		return nil, nil, err
	}
	return img, idx, nil
}

// decodeRaw decodes data according to plan, before orientation.
func decodeRaw(ctx context.Context, data []byte, plan decodePlan) (img image.Image, idx *jpegdec.Index, err error) {
	r := &ctxReader{ctx: ctx, r: bytes.NewReader(data)}
	switch plan.format {
	case FormatJPEG:
		img, idx, err = jpegdec.DecodeIndexed(r, plan.shift, plan.shift > 0)
	case FormatPNG:
		img, err = png.Decode(r)
	case FormatWebP:
		img, err = webp.Decode(r)
	case FormatTIFF:
		img, err = tiff.Decode(r)
	case FormatHEIC:
		if err := heicSandboxed(); err != nil {
			return nil, nil, err
		}
		img, err = heic.Decode(r)
	default:
		return nil, nil, unsupported(string(plan.format) + " is not an image format")
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		return nil, nil, decodeError(plan.format, err)
	}
	dw, dh := plan.decodedSize()
	if b := img.Bounds(); b.Dx() != dw || b.Dy() != dh {
		// HEIC: the decoder applies the container's rotation, which may swap
		// the sides; anything else would be a decoder bug.
		if plan.format != FormatHEIC || b.Dx() != dh || b.Dy() != dw {
			return nil, nil, fmt.Errorf("%w: %s decoded to %v, header said %d×%d", ErrMalformedImage, plan.format, b, dw, dh)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return img, idx, nil
}

// decodeError classifies a decoder's error.
func decodeError(f Format, err error) error {
	var (
		jpegU jpegdec.UnsupportedError
		pngU  png.UnsupportedError
		tiffU tiff.UnsupportedError
	)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &jpegU), errors.As(err, &pngU), errors.As(err, &tiffU):
		return fmt.Errorf("%w: %s (%v)", ErrUnsupportedVariant, f, err)
	case errors.Is(err, heic.ErrDecode) && f == FormatHEIC:
		return fmt.Errorf("%w: HEIF image the decoder cannot read (%v)", ErrMalformedImage, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformedImage, err)
}

// ctxReader stops reading when ctx ends, so a decoder halts promptly.
type ctxReader struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

var _ io.ReaderAt = (*ctxReader)(nil)

// recoverAs turns a panic in third-party code into an error wrapping kind.
func recoverAs(err *error, kind error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: internal error in decoder: %v", kind, r)
	}
}

// orientRect maps r, a rectangle of a w×h image as stored, to the same
// pixels after EXIF orientation o (see orient).
func orientRect(r image.Rectangle, w, h, o int) image.Rectangle {
	x0, y0, x1, y1 := r.Min.X, r.Min.Y, r.Max.X, r.Max.Y
	switch o {
	case 2:
		return image.Rect(w-x1, y0, w-x0, y1)
	case 3:
		return image.Rect(w-x1, h-y1, w-x0, h-y0)
	case 4:
		return image.Rect(x0, h-y1, x1, h-y0)
	case 5:
		return image.Rect(y0, x0, y1, x1)
	case 6:
		return image.Rect(h-y1, x0, h-y0, x1)
	case 7:
		return image.Rect(h-y1, w-x1, h-y0, w-x0)
	case 8:
		return image.Rect(y0, w-x1, y1, w-x0)
	}
	return r
}

// inverseOrientation is the orientation that undoes o.
func inverseOrientation(o int) int {
	switch o {
	case 6:
		return 8
	case 8:
		return 6
	}
	return o
}

// decodeRegion decodes the part of a JPEG photo that covers r, a rectangle
// of the photo decoded by plan and turned upright, with only its luma when
// lumaOnly. It returns the image, upright, and the position of its
// top-left pixel (Bounds().Min) in the upright photo. The result's pixels
// are those decodeImage gives there (a subsampled colour image turned by
// an orientation loses an odd last row or column, as in orient).
func decodeRegion(ctx context.Context, data []byte, plan decodePlan, r image.Rectangle, lumaOnly bool, idx *jpegdec.Index) (img image.Image, off image.Point, err error) {
	defer recoverAs(&err, ErrMalformedImage)
	if plan.format != FormatJPEG {
		return nil, off, fmt.Errorf("converter: internal: region of a %s image", plan.format)
	}
	dw, dh := plan.decodedSize()
	uw, uh := dw, dh
	if plan.orientation >= 5 {
		uw, uh = dh, dw
	}
	if !lumaOnly && plan.orientation > 1 {
		// Whole chroma samples (orient keeps a subsampled YCbCr image as
		// it is only from an even corner).
		r = image.Rect(r.Min.X&^3, r.Min.Y&^3, (r.Max.X+3)&^3, (r.Max.Y+3)&^3)
	}
	r = r.Intersect(image.Rect(0, 0, uw, uh))
	if r.Empty() {
		return nil, off, fmt.Errorf("converter: internal: empty region")
	}
	stored := orientRect(r, uw, uh, inverseOrientation(plan.orientation))
	n := 1 << plan.shift
	full := image.Rect(stored.Min.X*n, stored.Min.Y*n, stored.Max.X*n, stored.Max.Y*n)
	img, err = jpegdec.DecodeRegion(&ctxReader{ctx: ctx, r: bytes.NewReader(data)}, plan.shift, full, lumaOnly, idx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, off, ctxErr
		}
		return nil, off, decodeError(plan.format, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, off, err
	}
	b := img.Bounds()
	if plan.orientation <= 1 {
		return img, b.Min, nil // the image keeps its place
	}
	off = orientRect(b, dw, dh, plan.orientation).Min
	img, err = orient(ctx, img, plan.orientation)
	return img, off, err
}
