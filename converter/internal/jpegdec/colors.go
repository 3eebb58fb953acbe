// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegdec

import (
	"image"
	"image/color"
	"io"
)

// applyBlack combines d.img3 and d.blackPix into a CMYK image. The formula
// used depends on whether the JPEG image is stored as CMYK or YCbCrK,
// indicated by the APP14 (Adobe) metadata.
//
// Adobe CMYK JPEG images are inverted, where 255 means no ink instead of full
// ink, so we apply "v = 255 - v" at various points. Note that a double
// inversion is a no-op, so inversions might be implicit in the code below.
func (d *decoder) applyBlack() (image.Image, error) {
	if !d.adobeTransformValid {
		return nil, UnsupportedError("unknown color model: 4-component JPEG doesn't have Adobe APP14 metadata")
	}

	// If the 4-component JPEG image isn't explicitly marked as "Unknown (RGB
	// or CMYK)" as per
	// https://www.sno.phy.queensu.ca/~phil/exiftool/TagNames/JPEG.html#Adobe
	// we assume that it is YCbCrK. This matches libjpeg's jdapimin.c.
	if d.adobeTransform != adobeTransformUnknown {
		// Convert the YCbCr part of the YCbCrK to RGB, invert the RGB to get
		// CMY, and patch in the original K. The RGB to CMY inversion cancels
		// out the 'Adobe inversion' described in the applyBlack doc comment
		// above, so in practice, only the fourth channel (black) is inverted.
		bounds := d.img3.Bounds()
		img := image.NewRGBA(bounds)
		drawYCbCr(img, d.img3)
		for iBase, y := 0, bounds.Min.Y; y < bounds.Max.Y; iBase, y = iBase+img.Stride, y+1 {
			for i, x := iBase+3, bounds.Min.X; x < bounds.Max.X; i, x = i+4, x+1 {
				img.Pix[i] = 255 - d.blackPix[(y-bounds.Min.Y)*d.blackStride+(x-bounds.Min.X)]
			}
		}
		return &image.CMYK{
			Pix:    img.Pix,
			Stride: img.Stride,
			Rect:   img.Rect,
		}, nil
	}

	// The first three channels (cyan, magenta, yellow) of the CMYK
	// were decoded into d.img3, but each channel was decoded into a separate
	// []byte slice, and some channels may be subsampled. We interleave the
	// separate channels into an image.CMYK's single []byte slice containing 4
	// contiguous bytes per pixel.
	bounds := d.img3.Bounds()
	img := image.NewCMYK(bounds)

	translations := [4]struct {
		src    []byte
		stride int
	}{
		{d.img3.Y, d.img3.YStride},
		{d.img3.Cb, d.img3.CStride},
		{d.img3.Cr, d.img3.CStride},
		{d.blackPix, d.blackStride},
	}
	for t, translation := range translations {
		subsample := d.comp[t].h != d.comp[0].h || d.comp[t].v != d.comp[0].v
		for iBase, y := 0, bounds.Min.Y; y < bounds.Max.Y; iBase, y = iBase+img.Stride, y+1 {
			sy := y - bounds.Min.Y
			if subsample {
				sy /= 2
			}
			for i, x := iBase+t, bounds.Min.X; x < bounds.Max.X; i, x = i+4, x+1 {
				sx := x - bounds.Min.X
				if subsample {
					sx /= 2
				}
				img.Pix[i] = 255 - translation.src[sy*translation.stride+sx]
			}
		}
	}
	return img, nil
}

func (d *decoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobeTransformValid && d.adobeTransform == adobeTransformUnknown {
		// https://www.sno.phy.queensu.ca/~phil/exiftool/TagNames/JPEG.html#Adobe
		// says that 0 means Unknown (and in practice RGB) and 1 means YCbCr.
		return true
	}
	return d.comp[0].c == 'R' && d.comp[1].c == 'G' && d.comp[2].c == 'B'
}

func (d *decoder) convertToRGB() (image.Image, error) {
	cScale := d.comp[0].h / d.comp[1].h
	bounds := d.img3.Bounds()
	img := image.NewRGBA(bounds)
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		po := img.PixOffset(bounds.Min.X, y)
		yo := d.img3.YOffset(bounds.Min.X, y)
		co := d.img3.COffset(bounds.Min.X, y)
		for i, iMax := 0, bounds.Max.X-bounds.Min.X; i < iMax; i++ {
			img.Pix[po+4*i+0] = d.img3.Y[yo+i]
			img.Pix[po+4*i+1] = d.img3.Cb[co+i/cScale]
			img.Pix[po+4*i+2] = d.img3.Cr[co+i/cScale]
			img.Pix[po+4*i+3] = 255
		}
	}
	return img, nil
}

// Decode reads a JPEG image from r and returns it as an [image.Image],
// scaled down by 2^shift (shift in 0..3): each dimension of the result is
// ceil(dimension / 2^shift). The image's memory is that of the scaled size.
func Decode(r io.Reader, shift int) (image.Image, error) {
	if shift < 0 || shift > 3 {
		return nil, UnsupportedError("scale")
	}
	d := decoder{shift: uint(shift)}
	return d.decode(r, false)
}

// DecodeConfig returns the color model and dimensions of a JPEG image without
// decoding the entire image.
func DecodeConfig(r io.Reader) (image.Config, error) {
	h, err := DecodeHeader(r)
	return h.Config, err
}

// Header is what a JPEG's markers say up to its frame header.
type Header struct {
	image.Config
	// Progressive: the frame is progressive (SOF2). The decoder then keeps
	// every coefficient of every component, at full size whatever the
	// scale, until the last scan.
	Progressive bool
	// CoeffBytes is the memory those coefficients take: 256 bytes an 8×8
	// block of each component (0 unless Progressive).
	CoeffBytes int64
}

// DecodeHeader reads r's markers up to the frame header with the
// decoder's own parser (a header read any other way may disagree with the
// decoder on a crafted file: a stray byte between segments, which the
// decoder skips) and returns the image's dimensions, colour model and
// whether, and at what memory cost, it is progressive.
func DecodeHeader(r io.Reader) (Header, error) {
	var d decoder
	if _, err := d.decode(r, true); err != nil {
		return Header{}, err
	}
	h := Header{Config: image.Config{Width: d.width, Height: d.height}, Progressive: d.progressive}
	switch d.nComp {
	case 1:
		h.ColorModel = color.GrayModel
	case 3:
		h.ColorModel = color.YCbCrModel
		if d.isRGB() {
			h.ColorModel = color.RGBAModel
		}
	case 4:
		h.ColorModel = color.CMYKModel
	default:
		return Header{}, FormatError("missing SOF marker")
	}
	if d.progressive {
		// As processSOS allocates d.progCoeffs.
		h0, v0 := int64(d.comp[0].h), int64(d.comp[0].v)
		mxx := (int64(d.width) + 8*h0 - 1) / (8 * h0)
		myy := (int64(d.height) + 8*v0 - 1) / (8 * v0)
		for i := range d.nComp {
			h.CoeffBytes += mxx * myy * int64(d.comp[i].h) * int64(d.comp[i].v) * 4 * blockSize
		}
	}
	return h, nil
}

// drawYCbCr converts src into dst (same bounds), replacing the standard
// library's internal imageutil.DrawYCbCr.
func drawYCbCr(dst *image.RGBA, src *image.YCbCr) {
	b := src.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		p := dst.PixOffset(b.Min.X, y)
		for x := b.Min.X; x < b.Max.X; x++ {
			yi, ci := src.YOffset(x, y), src.COffset(x, y)
			r, g, bb := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
			dst.Pix[p+0], dst.Pix[p+1], dst.Pix[p+2], dst.Pix[p+3] = r, g, bb, 255
			p += 4
		}
	}
}
