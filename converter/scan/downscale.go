package scan

import "context"

// small is a reduced copy of the photo for page detection: each pixel is the
// mean of a k×k block of the source (the source's last partial blocks are
// dropped), so small coordinate u maps to source coordinate u·k.
type small struct {
	w, h, k int
	y       []float32
	cb, cr  []float32 // nil for grey sources
}

// detectLong is the long side, in pixels, of the detection copy.
const detectLong = 512

func newSmall(ctx context.Context, p *planes) (*small, error) {
	long := max(p.w, p.h)
	k := max(1, (long+detectLong-1)/detectLong)
	s := &small{w: max(1, p.w/k), h: max(1, p.h/k), k: k}
	kx, ky := min(k, p.w), min(k, p.h)
	s.y = make([]float32, s.w*s.h)
	acc := make([]uint32, s.w)
	// Blocks of 4 rows or more average two rows of each block: detection
	// needs the block's mean, not every pixel (the copy is blurred before
	// use), and reading fewer rows saves most of the memory traffic.
	rstep := 1
	if ky >= 4 {
		rstep = ky / 2
	}
	inv := 1 / float32(kx*((ky+rstep-1)/rstep))
	for oy := 0; oy < s.h; oy++ {
		if oy&31 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		clear(acc)
		for j := rstep / 2; j < ky; j += rstep {
			row := p.y[(oy*ky+j)*p.ys:]
			addBlocks(acc, row[:s.w*kx], kx)
		}
		out := s.y[oy*s.w : oy*s.w+s.w]
		for i, v := range acc {
			out[i] = float32(v) * inv
		}
	}
	if p.hasChroma() {
		s.cb = downChroma(p, p.cb, s, kx, ky)
		s.cr = downChroma(p, p.cr, s, kx, ky)
	}
	return s, nil
}

// addBlocks adds to acc[i] the sum of row[i*k : (i+1)*k].
func addBlocks(acc []uint32, row []byte, k int) {
	switch k {
	case 8:
		for i := range acc {
			b := (*[8]byte)(row[i*8:])
			acc[i] += uint32(b[0]) + uint32(b[1]) + uint32(b[2]) + uint32(b[3]) +
				uint32(b[4]) + uint32(b[5]) + uint32(b[6]) + uint32(b[7])
		}
	case 4:
		for i := range acc {
			b := (*[4]byte)(row[i*4:])
			acc[i] += uint32(b[0]) + uint32(b[1]) + uint32(b[2]) + uint32(b[3])
		}
	case 2:
		for i := range acc {
			b := (*[2]byte)(row[i*2:])
			acc[i] += uint32(b[0]) + uint32(b[1])
		}
	default:
		for i := range acc {
			var sum uint32
			for _, v := range row[i*k : i*k+k] {
				sum += uint32(v)
			}
			acc[i] += sum
		}
	}
}

// downChroma averages chroma samples under each small pixel's block (2×2
// of them spread over the block when it holds more: detection only needs
// the block's colour).
func downChroma(p *planes, plane []byte, s *small, kx, ky int) []float32 {
	out := make([]float32, s.w*s.h)
	// Sample columns: two per block (or one), as offsets into a row.
	xa, xb := make([]int, s.w), make([]int, s.w)
	for ox := range s.w {
		x0 := ox * kx / p.hdiv
		x1 := max(x0+1, min(p.cw, (ox+1)*kx/p.hdiv))
		xa[ox], xb[ox] = x0+(x1-x0)/4, x0+(3*(x1-x0))/4
	}
	for oy := range s.h {
		y0 := oy * ky / p.vdiv
		y1 := max(y0+1, min(p.ch, (oy+1)*ky/p.vdiv))
		ra := plane[(y0+(y1-y0)/4)*p.cs:]
		rb := plane[(y0+(3*(y1-y0))/4)*p.cs:]
		o := out[oy*s.w : oy*s.w+s.w]
		for ox := range o {
			a, b := xa[ox], xb[ox]
			o[ox] = float32(uint32(ra[a])+uint32(ra[b])+uint32(rb[a])+uint32(rb[b])) * 0.25
		}
	}
	return out
}
