package seal

// The recovery-code checksum is a shortened Reed–Solomon code over GF(32)
// with two check symbols: a codeword c_0…c_27 satisfies
//
//	Σ c_i·α^i = 0   and   Σ c_i·α^(2i) = 0
//
// for α a primitive element of GF(32) (field polynomial x^5 + x^2 + 1).
// The parity-check matrix has any two columns linearly independent (a
// Vandermonde minor with distinct nonzero α^i, i < 31), so the minimum
// distance is 3: every error touching one or two symbols — any single
// substitution, any transposition, adjacent or not — is detected, and a
// random string passes with probability 1/1024. This is error detection for
// people typing, not cryptography.

const gfPoly = 0x25 // x^5 + x^2 + 1, primitive over GF(2)

// gfExp[i] = α^i for i in [0, 62); gfLog[x] = log_α(x) for x ≠ 0.
var gfExp, gfLog = gfTables()

func gfTables() (exp [62]byte, log [32]byte) {
	x := byte(1)
	for i := 0; i < 31; i++ {
		exp[i], exp[i+31] = x, x
		log[x] = byte(i)
		x <<= 1
		if x&0x20 != 0 {
			x ^= gfPoly
		}
	}
	return exp, log
}

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// gfDiv returns a/b for b ≠ 0.
func gfDiv(a, b byte) byte {
	if a == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+31-int(gfLog[b])]
}

// gfAlphaPow returns α^e for e ≥ 0.
func gfAlphaPow(e int) byte { return gfExp[e%31] }

// syndromes returns Σ s_i·α^i and Σ s_i·α^(2i); both are zero for a codeword.
func syndromes(sym []byte) (s1, s2 byte) {
	for i, v := range sym {
		s1 ^= gfMul(v, gfAlphaPow(i))
		s2 ^= gfMul(v, gfAlphaPow(2*i))
	}
	return s1, s2
}

// checkSymbols returns the two symbols p, q that, appended to data at
// positions n and n+1 (n = len(data), n+2 ≤ 31), make a codeword. They solve
//
//	p·α^n     + q·α^(n+1)   = A = Σ d_i·α^i
//	p·α^(2n)  + q·α^(2n+2)  = B = Σ d_i·α^(2i)
//
// by Cramer's rule (subtraction is XOR in characteristic 2); the
// determinant α^(3n+1)·(α+1) is nonzero.
func checkSymbols(data []byte) (p, q byte) {
	n := len(data)
	A, B := syndromes(data)
	a, b := gfAlphaPow(n), gfAlphaPow(n+1)
	c, d := gfAlphaPow(2*n), gfAlphaPow(2*n+2)
	det := gfMul(a, d) ^ gfMul(b, c)
	p = gfDiv(gfMul(A, d)^gfMul(b, B), det)
	q = gfDiv(gfMul(a, B)^gfMul(c, A), det)
	return p, q
}
