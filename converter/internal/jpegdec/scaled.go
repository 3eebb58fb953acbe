package jpegdec

// Reduced-size inverse DCTs. An 8-point DCT block restricted to its n lowest
// frequencies and evaluated at the centres of n equal pixel groups gives the
// block scaled down by 8/n (the approach of libjpeg's jidctred.c): for n=4,
//
//	g(m) = Σ_{u<4} C(u)/2 · F(u) · cos((2m+1)uπ/8),  C(0) = 1/√2, C(u>0) = 1,
//
// applied to rows then columns. With c0 = 1/(2√2) = cos(π/4)/2,
// h1 = cos(π/8)/2 and h3 = cos(3π/8)/2:
//
//	e0 = c0(F0+F2), e1 = c0(F0−F2), o0 = h1·F1 + h3·F3, o1 = h3·F1 − h1·F3
//	g0 = e0+o0, g1 = e1+o1, g2 = e1−o1, g3 = e0−o0.
//
// For n=2: g0 = c0(F0+F1), g1 = c0(F0−F1).

const (
	fix   = 13
	fixC0 = 2896 // round(8192 · cos(π/4)/2)
	fixH1 = 3784 // round(8192 · cos(π/8)/2)
	fixH3 = 1567 // round(8192 · cos(3π/8)/2)
	// rowKeep is the number of fractional bits kept between the passes.
	rowKeep = 4
)

// lowZigs[n] lists, in increasing zig-zag order, the zig-zag indices of
// the n×n lowest frequencies (n = 2, 4), DC first.
var lowZigs = func() (l [5][]int32) {
	for _, n := range []int{2, 4} {
		for zig, nat := range unzig {
			if nat%8 < n && nat/8 < n {
				l[n] = append(l[n], int32(zig))
			}
		}
	}
	return l
}()

// dequantLow dequantizes the n×n lowest-frequency coefficients of b in place
// (n = 2 or 4) and reports whether any AC coefficient among them is
// non-zero. The coefficients after zig-zag index last are zero, so only
// those up to it are visited.
func dequantLow(b *block, qt *block, n int, last int32) (ac bool) {
	b[0] *= qt[0]
	for _, zig := range lowZigs[n][1:] {
		if zig > last {
			break
		}
		if k := unzig[zig]; b[k] != 0 {
			b[k] *= qt[zig]
			ac = true
		}
	}
	return ac
}

// idct4 writes the 4×4 downscaled pixels of the dequantized block b to dst.
func idct4(b *block, dst []byte, stride int) {
	var r [4][4]int32
	for v := 0; v < 4; v++ {
		f := b[8*v : 8*v+4 : 8*v+4]
		e0 := fixC0 * (f[0] + f[2])
		e1 := fixC0 * (f[0] - f[2])
		o0 := fixH1*f[1] + fixH3*f[3]
		o1 := fixH3*f[1] - fixH1*f[3]
		const s, rnd = fix - rowKeep, 1 << (fix - rowKeep - 1)
		r[v][0] = (e0 + o0 + rnd) >> s
		r[v][1] = (e1 + o1 + rnd) >> s
		r[v][2] = (e1 - o1 + rnd) >> s
		r[v][3] = (e0 - o0 + rnd) >> s
	}
	const s, rnd = fix + rowKeep, 1 << (fix + rowKeep - 1)
	for m := 0; m < 4; m++ {
		e0 := fixC0 * (r[0][m] + r[2][m])
		e1 := fixC0 * (r[0][m] - r[2][m])
		o0 := fixH1*r[1][m] + fixH3*r[3][m]
		o1 := fixH3*r[1][m] - fixH1*r[3][m]
		dst[m] = clampLevel((e0 + o0 + rnd) >> s)
		dst[stride+m] = clampLevel((e1 + o1 + rnd) >> s)
		dst[2*stride+m] = clampLevel((e1 - o1 + rnd) >> s)
		dst[3*stride+m] = clampLevel((e0 - o0 + rnd) >> s)
	}
}

// idct2 writes the 2×2 downscaled pixels of the dequantized block b to dst.
func idct2(b *block, dst []byte, stride int) {
	// c0² = 1/8.
	f00, f01, f10, f11 := b[0], b[1], b[8], b[9]
	a, d := f00+f10, f00-f10
	dst[0] = clampLevel((a + f01 + f11 + 4) >> 3)
	dst[1] = clampLevel((a - f01 - f11 + 4) >> 3)
	dst[stride] = clampLevel((d + f01 - f11 + 4) >> 3)
	dst[stride+1] = clampLevel((d - f01 + f11 + 4) >> 3)
}

// fillBlock writes the n×n flat block of the given DC value to dst.
func fillBlock(dc int32, n int, dst []byte, stride int) {
	v := clampLevel((dc + 4) >> 3)
	for y := 0; y < n; y++ {
		row := dst[y*stride : y*stride+n]
		for x := range row {
			row[x] = v
		}
	}
}
