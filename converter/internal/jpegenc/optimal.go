package jpegenc

import (
	"math"
	"sort"
)

// optimalSpec returns the Huffman table for the symbol frequencies freq
// (freq[256] is ignored), built as ITU-T T.81 Annex K.2 describes
// (Figures K.1 to K.4): code lengths from the classic merge of the two
// least frequent symbols, a reserved symbol so that no code is all ones,
// then codes longer than 16 bits moved up the tree (Figure K.3). Symbols
// that never occur get no code. At least one symbol must occur.
func optimalSpec(freq *[257]int64) huffmanSpec {
	// maxLen bounds the code lengths before the limit to 16: a Huffman
	// tree of n leaves whose weights sum to W is at most log_φ(W) deep,
	// under 90 for any int64 sum.
	const maxLen = 96
	var (
		f        [257]int64
		codesize [257]int
		others   [257]int
	)
	copy(f[:256], freq[:256])
	f[256] = 1 // the reserved symbol (K.2: "one code point is reserved")
	for i := range others {
		others[i] = -1
	}
	for {
		// c1: the least frequent symbol (the highest value on ties, as
		// Figure K.1 and libjpeg); c2: the next least frequent.
		c1, c2 := -1, -1
		v := int64(math.MaxInt64)
		for i := range f {
			if f[i] > 0 && f[i] <= v {
				v, c1 = f[i], i
			}
		}
		v = math.MaxInt64
		for i := range f {
			if f[i] > 0 && f[i] <= v && i != c1 {
				v, c2 = f[i], i
			}
		}
		if c2 < 0 {
			break
		}
		// c1 and c2 index f (found in it above); others holds indices of f.
		f[c1] += f[c2] // #nosec G602 -- c1, c2 ∈ [0, 257)
		f[c2] = 0      // #nosec G602 -- idem
		codesize[c1]++ // #nosec G602 -- idem
		for others[c1] >= 0 {
			c1 = others[c1]
			codesize[c1]++
		}
		others[c1] = c2
		codesize[c2]++ // #nosec G602 -- idem
		for others[c2] >= 0 {
			c2 = others[c2]
			codesize[c2]++
		}
	}
	var bits [maxLen + 1]int
	for _, n := range codesize {
		if n > 0 {
			bits[min(n, maxLen)]++
		}
	}
	// Figure K.3: no code longer than 16 bits.
	for i := maxLen; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	// Remove the reserved symbol's code: the longest one.
	i := 16
	for i > 0 && bits[i] == 0 {
		i--
	}
	bits[i]--
	var s huffmanSpec
	for l := 1; l <= 16; l++ {
		s.count[l-1] = byte(bits[l]) // #nosec G115 -- at most 256 codes of one length
	}
	// Figure K.4 lists the symbols by code length, then value; listing
	// them by decreasing frequency gives the same lengths to the same
	// symbols except among equal lengths cut by Figure K.3, where a more
	// frequent symbol now keeps the shorter code.
	for sym := range 256 {
		if codesize[sym] > 0 {
			s.value = append(s.value, byte(sym))
		}
	}
	sort.SliceStable(s.value, func(i, j int) bool { return freq[s.value[i]] > freq[s.value[j]] })
	return s
}
