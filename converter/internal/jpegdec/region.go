package jpegdec

import (
	"errors"
	"image"
	"io"
)

// MaxScans is the most scans (SOS markers) an image may have. A
// progressive encoder writes about 10 (libjpeg's default script: 10,
// mozjpeg's: up to 12); each scan visits every block of its components.
const MaxScans = 64

// mcuRect is a rectangle of MCUs: [x0, x1) × [y0, y1).
type mcuRect struct{ x0, y0, x1, y1 int }

// errRegionDone ends a sequential scan below the region asked for.
var errRegionDone = errors.New("jpegdec: region decoded")

// DecodeRegion is Decode restricted to r, a rectangle in the stored
// image's full-scale pixels: the result's bounds are r scaled down by
// 2^shift (rounded outwards) and clipped to the image, and its pixels are
// those Decode(shift) gives there. Only the blocks covering r go through
// the inverse DCT. With lumaOnly, a YCbCr image is
// returned as its Y plane (*image.Gray) and its chroma is not
// reconstructed. A 4-component image is decoded whole (then cropped).
//
// idx, when not nil, is the Index that DecodeIndexed gave for the same
// data: each row of MCUs is then read from the region's left edge to its
// right edge only, and only down to r's last row, and rd must be an
// io.Seeker. An index that does not fit the image is not used.
func DecodeRegion(rd io.Reader, shift int, r image.Rectangle, lumaOnly bool, idx *Index) (image.Image, error) {
	if shift < 0 || shift > 3 {
		return nil, UnsupportedError("scale")
	}
	if r.Empty() {
		return nil, UnsupportedError("empty region")
	}
	d := decoder{shift: uint(shift), want: r, hasWant: true, lumaOnly: lumaOnly}
	if _, ok := rd.(io.Seeker); ok {
		d.useIndex = idx
	}
	return d.decode(rd, false)
}

// DecodeIndexed is Decode, also returning an Index of the entropy-coded
// data for DecodeRegion (nil for a progressive image, one of more than one
// scan, or a 4-component one). With keepLuma,
// and a reduced scale (shift > 0), the index also keeps the luma blocks'
// coefficients when they fit in MaxKeptCoefficients: a luma-only
// DecodeRegion at a larger scale then reconstructs the region from them
// without reading the entropy-coded data again (same pixels).
func DecodeIndexed(rd io.Reader, shift int, keepLuma bool) (image.Image, *Index, error) {
	if shift < 0 || shift > 3 {
		return nil, nil, UnsupportedError("scale")
	}
	d := decoder{shift: uint(shift), indexing: true, keepLuma: keepLuma && shift > 0}
	img, err := d.decode(rd, false)
	if err != nil {
		return nil, nil, err
	}
	if d.scans != 1 || d.indexUnfit {
		// A second scan may change what the first drew (a region would
		// show the first's pixels: attacker's review), and a state the
		// index cannot hold would desynchronise it.
		return img, nil, nil
	}
	return img, d.index, nil
}

// Index is the entropy decoder's state at the start of every MCU of a
// sequential image's single scan: a region can be decoded from its left
// edge on each row instead of from the start of the data.
type Index struct {
	width, height, nComp, ri, mxx, myy int
	states                             []mcuState
	luma                               *lumaCoefs
}

// MaxKeptCoefficients bounds the luma coefficients an Index keeps (2 bytes
// each): 16 Mi, 32 MiB, a 12 MP photo's blocks with every coefficient set
// (a document's photo keeps a fifth of that).
const MaxKeptCoefficients = 16 << 20

// lumaCoefs are the quantised coefficients of every luma block of a
// sequential scan, as decoded: for each block its last zig-zag index,
// then its coefficients 0..last in zig-zag order; mcu[i] is the offset of
// MCU i's first luma block.
type lumaCoefs struct {
	mcu  []uint32
	data []int16
}

// add appends block b (natural order, zero after zig-zag index last); false
// when it does not fit (a value beyond int16, or over MaxKeptCoefficients).
func (l *lumaCoefs) add(b *block, last int32) bool {
	n, m := len(l.data), int(last)+2
	if n+m > MaxKeptCoefficients {
		return false
	}
	if n+m > cap(l.data) {
		l.data = append(l.data[:cap(l.data)], make([]int16, cap(l.data)/2+64)...)
	}
	l.data = l.data[:n+m]
	d := l.data[n : n+m : n+m]
	d[0] = int16(last)
	var bad int32
	t := d[1:]
	for zig := range t {
		v := b[unzig[zig&63]&63] // last < 64: the masks only drop bounds checks
		bad |= v ^ int32(int16(v))
		t[zig] = int16(v)
	}
	return bad == 0
}

// regionFromLuma reconstructs the region's luma blocks from idx's kept
// coefficients into d.img1.
func (d *decoder) regionFromLuma(idx *Index) error {
	c := &d.comp[0]
	l := idx.luma
	var b block
	for my := d.region.y0; my < d.region.y1; my++ {
		for mx := d.region.x0; mx < d.region.x1; mx++ {
			off := int(l.mcu[my*idx.mxx+mx])
			for j := 0; j < c.h*c.v; j++ {
				if off >= len(l.data) {
					return FormatError("bad kept coefficients")
				}
				last := int32(l.data[off])
				if last < 0 || last >= blockSize || off+2+int(last) > len(l.data) {
					return FormatError("bad kept coefficients")
				}
				b = block{}
				for zig, v := range l.data[off+1 : off+2+int(last)] {
					b[unzig[zig]] = int32(v)
				}
				off += 2 + int(last)
				if err := d.reconstructBlock(&b, c.h*mx+j%c.h, c.v*my+j/c.h, 0, last); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// mcuState is the decoder's state before an MCU: the offset of the next
// byte to read, the bit accumulator and the DC predictors.
type mcuState struct {
	off int64
	a   uint32
	n   int8
	dc  [3]int16
}

// matches reports whether idx was made for an image with d's layout.
func (idx *Index) matches(d *decoder, mxx, myy int) bool {
	return idx.width == d.width && idx.height == d.height && idx.nComp == d.nComp && idx.ri == d.ri &&
		idx.mxx == mxx && idx.myy == myy && len(idx.states) == mxx*myy
}

// resume moves the decoder to the state st.
func (d *decoder) resume(st *mcuState) error {
	s, ok := d.r.(io.Seeker)
	if !ok {
		return UnsupportedError("index without a seekable reader")
	}
	if st.off < 0 {
		return FormatError("bad index")
	}
	if _, err := s.Seek(st.off, io.SeekStart); err != nil {
		return err
	}
	d.read = st.off
	d.bytes.i, d.bytes.j, d.bytes.nUnreadable = 0, 0, 0
	d.bits = bits{a: st.a, n: int32(st.n)}
	if st.n > 0 {
		d.bits.m = 1 << (st.n - 1)
	}
	return nil
}
