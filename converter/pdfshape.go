package converter

import (
	"bytes"
	"fmt"
	"io"
)

// Deadline helpers for pdfcpu: shape checks run on a PDF's bytes before
// pdfcpu reads it, for shapes that pdfcpu parses without looking at the
// request's deadline, and a reader that fails once the deadline has passed
// (pdfcpu's xref repair scans the whole file and skips the objects it
// cannot parse, including those refused for the deadline, so only a failing
// read stops it).

// Seek makes ctxReader an io.ReadSeeker for pdfcpu.
func (c *ctxReader) Seek(offset int64, whence int) (int64, error) {
	return c.r.Seek(offset, whence)
}

var _ io.ReadSeeker = (*ctxReader)(nil)

// maxContainerElements bounds the elements of one array or dictionary
// (nested ones included). pdfcpu parses an array without checking its
// context: 4 million elements kept a core busy 2.5 s (6 s on a loaded
// server) past the deadline. A page tree node listing 100,000 pages has
// 300,000 tokens.
const maxContainerElements = 500_000

// checkPDFShape refuses, with ErrMalformedPDF, a PDF with an array or
// dictionary of more than maxContainerElements tokens. It skips stream
// data and string literals; it is a lexical scan, not a parser, and errs
// on the side of accepting.
func checkPDFShape(data []byte) error {
	depth, count := 0, 0
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case isPDFSpace(c):
			i++
			continue
		case c == '%': // comment
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
			continue
		case c == '(':
			i = skipStringLiteral(data, i)
		case c == '[':
			depth++
			i++
		case c == ']':
			depth = max(0, depth-1)
			i++
		case c == '<' && i+1 < len(data) && data[i+1] == '<':
			depth++
			i += 2
		case c == '>' && i+1 < len(data) && data[i+1] == '>':
			depth = max(0, depth-1)
			i += 2
		case c == '<': // hex string
			if j := bytes.IndexByte(data[i:], '>'); j >= 0 {
				i += j + 1
			} else {
				i = len(data)
			}
		case c == '/': // name
			i++
			for i < len(data) && isPDFRegular(data[i]) {
				i++
			}
		default:
			start := i
			for i < len(data) && isPDFRegular(data[i]) {
				i++
			}
			if i == start {
				i++ // a lone delimiter such as ')' or '{'
			}
			switch string(data[start:i]) {
			case "stream":
				// Skip the data up to endstream, which closes any
				// container left open by damage.
				if j := bytes.Index(data[i:], []byte("endstream")); j >= 0 {
					i += j + len("endstream")
				} else {
					i = len(data)
				}
				depth = 0
			case "endobj", "obj", "xref", "trailer":
				depth = 0
			}
		}
		if depth == 0 {
			count = 0
			continue
		}
		if count++; count > maxContainerElements {
			return fmt.Errorf("%w: an array or dictionary with over %d elements", ErrMalformedPDF, maxContainerElements)
		}
	}
	return nil
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFRegular(c byte) bool {
	if isPDFSpace(c) {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}

// skipStringLiteral returns the index just past the literal string that
// starts at data[i] == '(' (balanced parentheses, backslash escapes).
func skipStringLiteral(data []byte, i int) int {
	level := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '(':
			level++
		case ')':
			if level--; level == 0 {
				return i + 1
			}
		}
	}
	return i
}
