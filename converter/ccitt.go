package converter

import (
	"context"
	"encoding/binary"
	"image"
)

// A CCITT Group 4 (ITU-T T.6) encoder for 1-bit pages: PDF's CCITTFaxDecode
// filter with K=-1, typically 2-4 times smaller than Flate on text. The code
// tables below are those of golang.org/x/image/ccitt (BSD licence, Copyright
// 2019 The Go Authors), whose decoder the tests use to check round trips.

// g4code is a bit code: the nBits low bits of bits, most significant first.
type g4code struct {
	bits  uint32
	nBits uint32
}

// Mode codes (T.6 Table 1).
var (
	g4Pass  = g4code{0x1, 4} // 0001
	g4Horiz = g4code{0x1, 3} // 001
	g4Vert  = [7]g4code{     // index a1-b1+3
		{0x2, 7}, // VL3 0000010
		{0x2, 6}, // VL2 000010
		{0x2, 3}, // VL1 010
		{0x1, 1}, // V0 1
		{0x3, 3}, // VR1 011
		{0x3, 6}, // VR2 000011
		{0x3, 7}, // VR3 0000011
	}
	g4EOL = g4code{0x1, 12} // 000000000001
)

// g4Writer packs codes MSB first.
type g4Writer struct {
	out   []byte
	acc   uint64
	nBits uint32
}

func (w *g4Writer) put(c g4code) {
	w.acc = w.acc<<c.nBits | uint64(c.bits)
	w.nBits += c.nBits
	for w.nBits >= 8 {
		w.nBits -= 8
		w.out = append(w.out, byte(w.acc>>w.nBits))
	}
}

func (w *g4Writer) flush() []byte {
	if w.nBits > 0 {
		w.out = append(w.out, byte(w.acc<<(8-w.nBits)))
		w.nBits = 0
	}
	return w.out
}

// putRun writes a run length with the white or black tables.
func (w *g4Writer) putRun(n int, white bool) {
	term, makeup := &blackEncodeTable2, &blackEncodeTable3
	if white {
		term, makeup = &whiteEncodeTable2, &whiteEncodeTable3
	}
	for n >= 2560 {
		w.put(makeup[39])
		n -= 2560
	}
	if n >= 64 {
		w.put(makeup[n/64-1])
		n %= 64
	}
	w.put(term[n])
}

// changes appends to dst the positions x where row[x] differs in colour
// from row[x-1] (row[-1] being white), then two sentinels at width.
// Black is a byte < 128.
func changes(dst []int, row []byte) []int {
	white := true
	n := len(row)
	for x := 0; x < n; {
		// Runs of 0 or 255 (a bilevel page is mostly white) go 8 bytes
		// at a time.
		if x+8 <= n {
			word := binary.LittleEndian.Uint64(row[x:])
			if white && word == ^uint64(0) || !white && word == 0 {
				x += 8
				continue
			}
		}
		if (row[x] >= 128) != white {
			dst = append(dst, x)
			white = !white
		}
		x++
	}
	return append(dst, n, n)
}

// encodeG4 encodes a grey image whose pixels are 0 (black) or 255 (white)
// (any value < 128 counts as black) as CCITT Group 4 with an end-of-block,
// matching the PDF parameters /K -1 /Columns w /Rows h /BlackIs1 false.
func encodeG4(ctx context.Context, img *image.Gray) ([]byte, error) {
	b := img.Bounds()
	e := newG4Encoder(b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if y&63 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		off := img.PixOffset(b.Min.X, y)
		e.row(img.Pix[off : off+b.Dx()])
	}
	return e.finish(), nil
}

// g4Encoder codes a page row by row, so a page produced a row at a time
// (the text mask) is never held whole.
type g4Encoder struct {
	w        *g4Writer
	ref, cur []int
	width    int
}

// newG4Encoder starts a page width pixels wide; rows is a hint for the
// output's size.
func newG4Encoder(width, rows int) *g4Encoder {
	return &g4Encoder{
		w:     &g4Writer{out: make([]byte, 0, width*rows/32+64)},
		ref:   []int{width, width}, // imaginary all-white line
		width: width,
	}
}

// row codes the next row (width bytes, black < 128).
func (e *g4Encoder) row(r []byte) {
	e.cur = changes(e.cur[:0], r)
	encodeG4Row(e.w, e.ref, e.cur, e.width)
	e.ref, e.cur = e.cur, e.ref
}

// finish ends the page (end-of-block) and returns its code.
func (e *g4Encoder) finish() []byte {
	e.w.put(g4EOL)
	e.w.put(g4EOL)
	return e.w.flush()
}

// encodeG4Row codes one line given the change positions of the reference
// line and of the coding line (both ending with two sentinels at width).
// Changes at even indices turn black, at odd indices turn white.
func encodeG4Row(w *g4Writer, ref, cur []int, width int) {
	a0, white := -1, true
	ai, bi := 0, 0 // search starts in cur and ref
	for a0 < width {
		for cur[ai] <= a0 && ai < len(cur)-2 {
			ai++
		}
		a1 := cur[ai]
		// b1: first change on ref right of a0 turning to the colour opposite
		// a0's (black changes are at even indices when a0 is white).
		for bi > 0 && ref[bi-1] > a0 {
			bi--
		}
		for ref[bi] <= a0 || (bi%2 == 0) != white {
			if bi >= len(ref)-2 {
				break
			}
			bi++
		}
		b1, b2 := ref[bi], ref[min(bi+1, len(ref)-1)]
		switch {
		case b2 < a1:
			w.put(g4Pass)
			a0 = b2
		case a1-b1 >= -3 && a1-b1 <= 3:
			w.put(g4Vert[a1-b1+3])
			a0 = a1
			white = !white
		default:
			a2 := cur[min(ai+1, len(cur)-1)]
			w.put(g4Horiz)
			w.putRun(a1-max(a0, 0), white)
			w.putRun(a2-a1, !white)
			a0 = a2
		}
	}
}

// whiteEncodeTable2 represents Table 2 for a white run.
var whiteEncodeTable2 = [...]g4code{
	0:  {0x0035, 8}, // "00110101"
	1:  {0x0007, 6}, // "000111"
	2:  {0x0007, 4}, // "0111"
	3:  {0x0008, 4}, // "1000"
	4:  {0x000b, 4}, // "1011"
	5:  {0x000c, 4}, // "1100"
	6:  {0x000e, 4}, // "1110"
	7:  {0x000f, 4}, // "1111"
	8:  {0x0013, 5}, // "10011"
	9:  {0x0014, 5}, // "10100"
	10: {0x0007, 5}, // "00111"
	11: {0x0008, 5}, // "01000"
	12: {0x0008, 6}, // "001000"
	13: {0x0003, 6}, // "000011"
	14: {0x0034, 6}, // "110100"
	15: {0x0035, 6}, // "110101"
	16: {0x002a, 6}, // "101010"
	17: {0x002b, 6}, // "101011"
	18: {0x0027, 7}, // "0100111"
	19: {0x000c, 7}, // "0001100"
	20: {0x0008, 7}, // "0001000"
	21: {0x0017, 7}, // "0010111"
	22: {0x0003, 7}, // "0000011"
	23: {0x0004, 7}, // "0000100"
	24: {0x0028, 7}, // "0101000"
	25: {0x002b, 7}, // "0101011"
	26: {0x0013, 7}, // "0010011"
	27: {0x0024, 7}, // "0100100"
	28: {0x0018, 7}, // "0011000"
	29: {0x0002, 8}, // "00000010"
	30: {0x0003, 8}, // "00000011"
	31: {0x001a, 8}, // "00011010"
	32: {0x001b, 8}, // "00011011"
	33: {0x0012, 8}, // "00010010"
	34: {0x0013, 8}, // "00010011"
	35: {0x0014, 8}, // "00010100"
	36: {0x0015, 8}, // "00010101"
	37: {0x0016, 8}, // "00010110"
	38: {0x0017, 8}, // "00010111"
	39: {0x0028, 8}, // "00101000"
	40: {0x0029, 8}, // "00101001"
	41: {0x002a, 8}, // "00101010"
	42: {0x002b, 8}, // "00101011"
	43: {0x002c, 8}, // "00101100"
	44: {0x002d, 8}, // "00101101"
	45: {0x0004, 8}, // "00000100"
	46: {0x0005, 8}, // "00000101"
	47: {0x000a, 8}, // "00001010"
	48: {0x000b, 8}, // "00001011"
	49: {0x0052, 8}, // "01010010"
	50: {0x0053, 8}, // "01010011"
	51: {0x0054, 8}, // "01010100"
	52: {0x0055, 8}, // "01010101"
	53: {0x0024, 8}, // "00100100"
	54: {0x0025, 8}, // "00100101"
	55: {0x0058, 8}, // "01011000"
	56: {0x0059, 8}, // "01011001"
	57: {0x005a, 8}, // "01011010"
	58: {0x005b, 8}, // "01011011"
	59: {0x004a, 8}, // "01001010"
	60: {0x004b, 8}, // "01001011"
	61: {0x0032, 8}, // "00110010"
	62: {0x0033, 8}, // "00110011"
	63: {0x0034, 8}, // "00110100"
}

// whiteEncodeTable3 represents Table 3 for a white run.
var whiteEncodeTable3 = [...]g4code{
	0:  {0x001b, 5},  // "11011"
	1:  {0x0012, 5},  // "10010"
	2:  {0x0017, 6},  // "010111"
	3:  {0x0037, 7},  // "0110111"
	4:  {0x0036, 8},  // "00110110"
	5:  {0x0037, 8},  // "00110111"
	6:  {0x0064, 8},  // "01100100"
	7:  {0x0065, 8},  // "01100101"
	8:  {0x0068, 8},  // "01101000"
	9:  {0x0067, 8},  // "01100111"
	10: {0x00cc, 9},  // "011001100"
	11: {0x00cd, 9},  // "011001101"
	12: {0x00d2, 9},  // "011010010"
	13: {0x00d3, 9},  // "011010011"
	14: {0x00d4, 9},  // "011010100"
	15: {0x00d5, 9},  // "011010101"
	16: {0x00d6, 9},  // "011010110"
	17: {0x00d7, 9},  // "011010111"
	18: {0x00d8, 9},  // "011011000"
	19: {0x00d9, 9},  // "011011001"
	20: {0x00da, 9},  // "011011010"
	21: {0x00db, 9},  // "011011011"
	22: {0x0098, 9},  // "010011000"
	23: {0x0099, 9},  // "010011001"
	24: {0x009a, 9},  // "010011010"
	25: {0x0018, 6},  // "011000"
	26: {0x009b, 9},  // "010011011"
	27: {0x0008, 11}, // "00000001000"
	28: {0x000c, 11}, // "00000001100"
	29: {0x000d, 11}, // "00000001101"
	30: {0x0012, 12}, // "000000010010"
	31: {0x0013, 12}, // "000000010011"
	32: {0x0014, 12}, // "000000010100"
	33: {0x0015, 12}, // "000000010101"
	34: {0x0016, 12}, // "000000010110"
	35: {0x0017, 12}, // "000000010111"
	36: {0x001c, 12}, // "000000011100"
	37: {0x001d, 12}, // "000000011101"
	38: {0x001e, 12}, // "000000011110"
	39: {0x001f, 12}, // "000000011111"
}

// blackEncodeTable2 represents Table 2 for a black run.
var blackEncodeTable2 = [...]g4code{
	0:  {0x0037, 10}, // "0000110111"
	1:  {0x0002, 3},  // "010"
	2:  {0x0003, 2},  // "11"
	3:  {0x0002, 2},  // "10"
	4:  {0x0003, 3},  // "011"
	5:  {0x0003, 4},  // "0011"
	6:  {0x0002, 4},  // "0010"
	7:  {0x0003, 5},  // "00011"
	8:  {0x0005, 6},  // "000101"
	9:  {0x0004, 6},  // "000100"
	10: {0x0004, 7},  // "0000100"
	11: {0x0005, 7},  // "0000101"
	12: {0x0007, 7},  // "0000111"
	13: {0x0004, 8},  // "00000100"
	14: {0x0007, 8},  // "00000111"
	15: {0x0018, 9},  // "000011000"
	16: {0x0017, 10}, // "0000010111"
	17: {0x0018, 10}, // "0000011000"
	18: {0x0008, 10}, // "0000001000"
	19: {0x0067, 11}, // "00001100111"
	20: {0x0068, 11}, // "00001101000"
	21: {0x006c, 11}, // "00001101100"
	22: {0x0037, 11}, // "00000110111"
	23: {0x0028, 11}, // "00000101000"
	24: {0x0017, 11}, // "00000010111"
	25: {0x0018, 11}, // "00000011000"
	26: {0x00ca, 12}, // "000011001010"
	27: {0x00cb, 12}, // "000011001011"
	28: {0x00cc, 12}, // "000011001100"
	29: {0x00cd, 12}, // "000011001101"
	30: {0x0068, 12}, // "000001101000"
	31: {0x0069, 12}, // "000001101001"
	32: {0x006a, 12}, // "000001101010"
	33: {0x006b, 12}, // "000001101011"
	34: {0x00d2, 12}, // "000011010010"
	35: {0x00d3, 12}, // "000011010011"
	36: {0x00d4, 12}, // "000011010100"
	37: {0x00d5, 12}, // "000011010101"
	38: {0x00d6, 12}, // "000011010110"
	39: {0x00d7, 12}, // "000011010111"
	40: {0x006c, 12}, // "000001101100"
	41: {0x006d, 12}, // "000001101101"
	42: {0x00da, 12}, // "000011011010"
	43: {0x00db, 12}, // "000011011011"
	44: {0x0054, 12}, // "000001010100"
	45: {0x0055, 12}, // "000001010101"
	46: {0x0056, 12}, // "000001010110"
	47: {0x0057, 12}, // "000001010111"
	48: {0x0064, 12}, // "000001100100"
	49: {0x0065, 12}, // "000001100101"
	50: {0x0052, 12}, // "000001010010"
	51: {0x0053, 12}, // "000001010011"
	52: {0x0024, 12}, // "000000100100"
	53: {0x0037, 12}, // "000000110111"
	54: {0x0038, 12}, // "000000111000"
	55: {0x0027, 12}, // "000000100111"
	56: {0x0028, 12}, // "000000101000"
	57: {0x0058, 12}, // "000001011000"
	58: {0x0059, 12}, // "000001011001"
	59: {0x002b, 12}, // "000000101011"
	60: {0x002c, 12}, // "000000101100"
	61: {0x005a, 12}, // "000001011010"
	62: {0x0066, 12}, // "000001100110"
	63: {0x0067, 12}, // "000001100111"
}

// blackEncodeTable3 represents Table 3 for a black run.
var blackEncodeTable3 = [...]g4code{
	0:  {0x000f, 10}, // "0000001111"
	1:  {0x00c8, 12}, // "000011001000"
	2:  {0x00c9, 12}, // "000011001001"
	3:  {0x005b, 12}, // "000001011011"
	4:  {0x0033, 12}, // "000000110011"
	5:  {0x0034, 12}, // "000000110100"
	6:  {0x0035, 12}, // "000000110101"
	7:  {0x006c, 13}, // "0000001101100"
	8:  {0x006d, 13}, // "0000001101101"
	9:  {0x004a, 13}, // "0000001001010"
	10: {0x004b, 13}, // "0000001001011"
	11: {0x004c, 13}, // "0000001001100"
	12: {0x004d, 13}, // "0000001001101"
	13: {0x0072, 13}, // "0000001110010"
	14: {0x0073, 13}, // "0000001110011"
	15: {0x0074, 13}, // "0000001110100"
	16: {0x0075, 13}, // "0000001110101"
	17: {0x0076, 13}, // "0000001110110"
	18: {0x0077, 13}, // "0000001110111"
	19: {0x0052, 13}, // "0000001010010"
	20: {0x0053, 13}, // "0000001010011"
	21: {0x0054, 13}, // "0000001010100"
	22: {0x0055, 13}, // "0000001010101"
	23: {0x005a, 13}, // "0000001011010"
	24: {0x005b, 13}, // "0000001011011"
	25: {0x0064, 13}, // "0000001100100"
	26: {0x0065, 13}, // "0000001100101"
	27: {0x0008, 11}, // "00000001000"
	28: {0x000c, 11}, // "00000001100"
	29: {0x000d, 11}, // "00000001101"
	30: {0x0012, 12}, // "000000010010"
	31: {0x0013, 12}, // "000000010011"
	32: {0x0014, 12}, // "000000010100"
	33: {0x0015, 12}, // "000000010101"
	34: {0x0016, 12}, // "000000010110"
	35: {0x0017, 12}, // "000000010111"
	36: {0x001c, 12}, // "000000011100"
	37: {0x001d, 12}, // "000000011101"
	38: {0x001e, 12}, // "000000011110"
	39: {0x001f, 12}, // "000000011111"
}
