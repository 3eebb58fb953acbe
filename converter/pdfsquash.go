package converter

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"io"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/draw"

	"github.com/coffre/coffre/converter/internal/jpegdec"
	"github.com/coffre/coffre/converter/internal/jpegenc"
)

// Re-compressing the images inside an input PDF when the size cap requires
// it. Pure Go cannot rasterize PDF pages, so only the page images are
// touched: JPEG (DCTDecode) images and 8-bit Flate images without a
// predictor, in DeviceGray, DeviceRGB or a 1- or 3-component ICCBased
// colour space, are decoded (pixel budget first), optionally scaled down,
// and re-encoded as JPEG when that is smaller. Vector pages, fonts and
// other image kinds (1-bit, JBIG2, JPX, indexed, CMYK, masks) stay as they
// are; if they alone exceed the cap, the result is ErrTooLarge.

// squashStep is one step of the PDF fit-to-size ladder.
type squashStep struct {
	quality int
	scale   float64
}

var squashLadder = []squashStep{{60, 1}, {45, 0.75}, {38, 0.6}, {32, 0.5}}

// squashPDF re-encodes part's page images at step s.
func squashPDF(ctx context.Context, part pdfPart, s squashStep, maxPixels int64) (out pdfPart, err error) {
	defer pdfSafe(&err)
	m, err := rereadPDF(ctx, part.data)
	if err != nil {
		return part, err
	}
	for objNr, e := range m.Table {
		if err := ctx.Err(); err != nil {
			return part, err
		}
		if e == nil || e.Free {
			continue
		}
		sd, ok := e.Object.(types.StreamDict)
		if !ok || nameEntry(sd.Dict, "Subtype") != "Image" {
			continue
		}
		if squashed, ok := squashImage(ctx, m, sd, s, maxPixels); ok {
			m.Table[objNr].Object = squashed
		}
	}
	if err := ctx.Err(); err != nil {
		return part, err
	}
	data, err := writePDFContext(m)
	if err != nil {
		return part, err
	}
	return pdfPart{data: data, pages: part.pages}, nil
}

// squashImage returns a smaller re-encoding of an image XObject, if it can.
func squashImage(ctx context.Context, m *model.Context, sd types.StreamDict, s squashStep, maxPixels int64) (types.StreamDict, bool) {
	d := sd.Dict
	if b := d.BooleanEntry("ImageMask"); b != nil && *b {
		return sd, false
	}
	if d.HasEntry("Decode") || sd.Raw == nil {
		return sd, false
	}
	bpc, w, h := d.IntEntry("BitsPerComponent"), d.IntEntry("Width"), d.IntEntry("Height")
	if bpc == nil || *bpc != 8 || w == nil || h == nil || *w <= 0 || *h <= 0 || int64(*w)*int64(*h) > maxPixels {
		return sd, false
	}
	comps := colorComponents(m, d["ColorSpace"])
	if comps != 1 && comps != 3 {
		return sd, false
	}
	var img image.Image
	switch {
	case isDCT(d):
		cfg, err := jpegdec.DecodeConfig(bytes.NewReader(sd.Raw))
		if err != nil || cfg.Width != *w || cfg.Height != *h {
			return sd, false
		}
		img, err = jpegdec.Decode(&ctxReader{ctx: ctx, r: bytes.NewReader(sd.Raw)}, 0)
		if err != nil {
			return sd, false
		}
		if _, cmyk := img.(*image.CMYK); cmyk || (comps == 1) != isGray(img) {
			return sd, false
		}
	case nameEntry(d, "Filter") == "FlateDecode" && !hasPredictor(d):
		pix, ok := inflateExact(sd.Raw, *w**h*comps)
		if !ok {
			return sd, false
		}
		if comps == 1 {
			img = &image.Gray{Pix: pix, Stride: *w, Rect: image.Rect(0, 0, *w, *h)}
		} else {
			rgba := image.NewRGBA(image.Rect(0, 0, *w, *h))
			for i, j := 0, 0; i < len(pix); i, j = i+3, j+4 {
				rgba.Pix[j], rgba.Pix[j+1], rgba.Pix[j+2], rgba.Pix[j+3] = pix[i], pix[i+1], pix[i+2], 255
			}
			img = rgba
		}
	default:
		return sd, false
	}
	if s.scale < 1 {
		img = resize(img, s.scale)
	}
	var buf bytes.Buffer
	if err := jpegenc.Encode(&buf, img, &jpegenc.Options{Quality: s.quality}); err != nil || buf.Len() >= len(sd.Raw) {
		return sd, false
	}
	b := img.Bounds()
	nd := d.Clone().(types.Dict)
	nd.Delete("DecodeParms")
	nd["Filter"] = types.Name("DCTDecode")
	nd["Width"] = types.Integer(b.Dx())
	nd["Height"] = types.Integer(b.Dy())
	n := int64(buf.Len())
	nd["Length"] = types.Integer(n)
	return types.StreamDict{
		Dict: nd, Raw: buf.Bytes(), StreamLength: &n,
		FilterPipeline: []types.PDFFilter{{Name: "DCTDecode"}},
	}, true
}

func isGray(img image.Image) bool {
	_, ok := img.(*image.Gray)
	return ok
}

// colorComponents returns 1 or 3 for grey and RGB colour spaces (device or
// ICC-based), 0 for anything else.
func colorComponents(m *model.Context, cs types.Object) int {
	o, err := m.Dereference(cs)
	if err != nil {
		return 0
	}
	switch v := o.(type) {
	case types.Name:
		switch v.Value() {
		case "DeviceGray":
			return 1
		case "DeviceRGB":
			return 3
		}
	case types.Array:
		if len(v) == 2 {
			if n, ok := v[0].(types.Name); ok && n.Value() == "ICCBased" {
				if isd, _, err := m.DereferenceStreamDict(v[1]); err == nil && isd != nil {
					if c := isd.IntEntry("N"); c != nil && (*c == 1 || *c == 3) {
						return *c
					}
				}
			}
		}
	}
	return 0
}

func hasPredictor(d types.Dict) bool {
	dp, ok := d["DecodeParms"].(types.Dict)
	if !ok {
		return d.HasEntry("DecodeParms")
	}
	p := dp.IntEntry("Predictor")
	return p != nil && *p > 1
}

// inflateExact inflates zlib data that must produce exactly n bytes,
// reading at most n+1 so a bomb cannot grow memory.
func inflateExact(raw []byte, n int) ([]byte, bool) {
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, false
	}
	defer zr.Close()
	out := make([]byte, n+1)
	got, err := io.ReadFull(zr, out)
	if got != n || (err != io.ErrUnexpectedEOF && err != io.EOF) {
		return nil, false
	}
	return out[:n], true
}

// resize scales img by s (< 1) with bilinear filtering, into a Gray image
// for grey sources and RGBA otherwise.
func resize(img image.Image, s float64) image.Image {
	b := img.Bounds()
	w := max(16, int(math.Round(float64(b.Dx())*s)))
	h := max(16, int(math.Round(float64(b.Dy())*s)))
	var dst draw.Image
	if isGray(img) {
		dst = image.NewGray(image.Rect(0, 0, w, h))
	} else {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
