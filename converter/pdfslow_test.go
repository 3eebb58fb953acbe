package converter

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"strings"
)

// Crafted PDFs whose shape makes a PDF library work hard while staying
// under the converter's input size limit (DefaultMaxInputBytes): many tiny
// objects, huge page trees, deep nesting, long content streams, many xref
// sections, object-stream chains. TestPDFDeadlineOvershoot runs them.

// slowPDF is one crafted input.
type slowPDF struct {
	name string
	data []byte
}

// pdfWriter writes numbered objects and a classic xref table.
type pdfWriter struct {
	b       bytes.Buffer
	offsets []int // offsets[i] is object i+1's offset
}

func newPDFWriter() *pdfWriter {
	w := &pdfWriter{}
	w.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

// obj appends the next object and returns its number.
func (w *pdfWriter) obj(body string) int {
	w.offsets = append(w.offsets, w.b.Len())
	n := len(w.offsets)
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", n, body)
	return n
}

// reserve appends a placeholder offset for an object written later with set.
func (w *pdfWriter) reserve() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets)
}

func (w *pdfWriter) set(n int, body string) {
	w.offsets[n-1] = w.b.Len()
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", n, body)
}

// finish writes the xref table and trailer with root as the catalog.
func (w *pdfWriter) finish(root int) []byte {
	xref := w.b.Len()
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, root, xref)
	return w.b.Bytes()
}

// onePage writes a catalog and one page with the given content object and
// resources, returning the catalog's number.
func (w *pdfWriter) onePage(content int, resources string) int {
	pages := w.reserve()
	page := w.obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << %s >> /Contents %d 0 R >>", pages, resources, content))
	w.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	return w.obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
}

func streamBody(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}

// manyObjectsPDF is one page plus n tiny unreferenced objects.
func manyObjectsPDF(n int) []byte {
	w := newPDFWriter()
	for i := range n {
		w.obj(fmt.Sprintf("<</A %d>>", i))
	}
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	return w.finish(w.onePage(content, ""))
}

// flatPagesPDF has n pages as direct kids of one page tree node, all
// sharing one content stream.
func flatPagesPDF(n int) []byte {
	w := newPDFWriter()
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	pages := w.reserve()
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", w.obj(fmt.Sprintf("<</Type/Page/Parent %d 0 R/MediaBox[0 0 612 792]/Contents %d 0 R>>", pages, content)))
	}
	w.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	return w.finish(w.obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages)))
}

// deepPagesPDF has a page tree that is a chain of depth intermediate nodes
// with one page at the bottom.
func deepPagesPDF(depth int) []byte {
	w := newPDFWriter()
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	nodes := make([]int, depth)
	for i := range nodes {
		nodes[i] = w.reserve()
	}
	page := w.obj(fmt.Sprintf("<</Type/Page/Parent %d 0 R/MediaBox[0 0 612 792]/Contents %d 0 R>>", nodes[depth-1], content))
	for i, n := range nodes {
		kid, parent := page, ""
		if i+1 < depth {
			kid = nodes[i+1]
		}
		if i > 0 {
			parent = fmt.Sprintf("/Parent %d 0 R", nodes[i-1])
		}
		w.set(n, fmt.Sprintf("<</Type/Pages%s/Kids[%d 0 R]/Count 1>>", parent, kid))
	}
	return w.finish(w.obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", nodes[0])))
}

// deepNestingPDF has n objects each nesting arrays and dicts depth levels
// deep, all referenced from the page's resources.
func deepNestingPDF(n, depth int) []byte {
	w := newPDFWriter()
	nest := strings.Repeat("[<</K ", depth/2) + "1" + strings.Repeat(">>]", depth/2)
	refs := make([]string, n)
	for i := range n {
		refs[i] = fmt.Sprintf("/P%d %d 0 R", i, w.obj(nest))
	}
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	return w.finish(w.onePage(content, "/Properties << "+strings.Join(refs, " ")+" >>"))
}

// refChainPDF is a chain of n objects, each an array holding a reference to
// the next; the page's resources hold the head.
func refChainPDF(n int) []byte {
	w := newPDFWriter()
	first := len(w.offsets) + 1
	for i := range n {
		if i+1 < n {
			w.obj(fmt.Sprintf("[%d 0 R]", first+i+1))
		} else {
			w.obj("[1]")
		}
	}
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	return w.finish(w.onePage(content, fmt.Sprintf("/Properties << /P %d 0 R >>", first)))
}

// longContentPDF is one page with an uncompressed content stream of about
// size bytes of path operators.
func longContentPDF(size int) []byte {
	op := []byte("1 2 m 3 4 l 5 6 7 8 9 10 c h S\n")
	w := newPDFWriter()
	content := w.obj(streamBody("", bytes.Repeat(op, size/len(op))))
	return w.finish(w.onePage(content, ""))
}

// inflatingContentPDF is one page whose Flate content stream inflates to
// about size bytes.
func inflatingContentPDF(size int) []byte {
	op := []byte("1 2 m 3 4 l 5 6 7 8 9 10 c h S\n")
	w := newPDFWriter()
	content := w.obj(streamBody("/Filter /FlateDecode", deflate(bytes.Repeat(op, size/len(op)))))
	return w.finish(w.onePage(content, ""))
}

// hugeArrayPDF has one object that is an array of n integers, referenced
// from the page.
func hugeArrayPDF(n int) []byte {
	var a strings.Builder
	a.WriteString("[")
	for i := range n {
		fmt.Fprintf(&a, "%d ", i%10)
	}
	a.WriteString("]")
	w := newPDFWriter()
	arr := w.obj(a.String())
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	return w.finish(w.onePage(content, fmt.Sprintf("/Properties << /A %d 0 R >>", arr)))
}

// hugeDictPDF has one dictionary of n keys, referenced from the page.
func hugeDictPDF(n int) []byte {
	var d strings.Builder
	d.WriteString("<<")
	for i := range n {
		fmt.Fprintf(&d, "/K%d %d ", i, i%10)
	}
	d.WriteString(">>")
	w := newPDFWriter()
	dict := w.obj(d.String())
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	return w.finish(w.onePage(content, fmt.Sprintf("/Properties << /D %d 0 R >>", dict)))
}

// manyXRefSectionsPDF is a one-page PDF followed by n incremental updates,
// each rewriting one object with its own xref section and /Prev link.
func manyXRefSectionsPDF(n int) []byte {
	w := newPDFWriter()
	content := w.obj(streamBody("", []byte("0 0 m 10 10 l S")))
	root := w.onePage(content, "")
	data := w.finish(root)
	b := bytes.NewBuffer(data)
	prev := bytes.LastIndex(data, []byte("xref\n"))
	size := len(w.offsets) + 1
	for i := range n {
		off := b.Len()
		fmt.Fprintf(b, "%d 0 obj\n<</U %d>>\nendobj\n", size, i)
		xref := b.Len()
		fmt.Fprintf(b, "xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
			size, off, size+1, root, prev, xref)
		prev = xref
	}
	return b.Bytes()
}

// objStmPDF puts n small objects into object streams of per objects each,
// each stream extending the previous one (/Extends), indexed by one xref
// stream. Objects 1-4 are the catalog, page tree, page and content.
func objStmPDF(n, per int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	type entry struct {
		typ byte
		f2  uint32
		f3  uint16
	}
	entries := []entry{{typ: 0, f3: 65535}}
	add := func(body string) {
		num := len(entries)
		entries = append(entries, entry{typ: 1, f2: uint32(b.Len())})
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
	}
	add("<< /Type /Catalog /Pages 2 0 R >>")
	add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>")
	add(streamBody("", []byte("0 0 m 10 10 l S")))
	first := len(entries)
	streams := (n + per - 1) / per
	// Object numbers: the n small objects come first, then the streams.
	stmBase := first + n
	for s := range streams {
		for k := range min(per, n-s*per) {
			entries = append(entries, entry{typ: 2, f2: uint32(stmBase + s), f3: uint16(k)})
		}
	}
	// Stream objects, written in order after the small objects' entries.
	for s := range streams {
		var head, body strings.Builder
		count := min(per, n-s*per)
		for k := range count {
			fmt.Fprintf(&head, "%d %d ", first+s*per+k, body.Len())
			fmt.Fprintf(&body, "<</V %d>> ", k)
		}
		ext := ""
		if s > 0 {
			ext = fmt.Sprintf(" /Extends %d 0 R", stmBase+s-1)
		}
		num := len(entries)
		entries = append(entries, entry{typ: 1, f2: uint32(b.Len())})
		data := head.String() + body.String()
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d%s /Length %d >>\nstream\n%s\nendstream\nendobj\n",
			num, count, head.Len(), ext, len(data), data)
	}
	xrefNum := len(entries)
	entries = append(entries, entry{typ: 1, f2: uint32(b.Len())})
	var x bytes.Buffer
	for _, e := range entries {
		x.WriteByte(e.typ)
		_ = binary.Write(&x, binary.BigEndian, e.f2)
		_ = binary.Write(&x, binary.BigEndian, e.f3)
	}
	xdata := deflate(x.Bytes())
	xoff := entries[xrefNum].f2
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		xrefNum, len(entries), len(xdata), xdata)
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xoff)
	return b.Bytes()
}

// slowPDFs returns the crafted inputs, each under limit bytes. Under the
// race detector, which slows building and parsing them about tenfold, only
// those that overshot the deadline before the checks of pdfshape.go and
// intakePDF are built.
func slowPDFs(limit int) []slowPDF {
	all := []struct {
		name  string
		race  bool
		build func() []byte
	}{
		{"many-objects-450k", false, func() []byte { return manyObjectsPDF(450_000) }},
		{"flat-pages-100k", false, func() []byte { return flatPagesPDF(100_000) }},
		{"flat-pages-250k", false, func() []byte { return flatPagesPDF(250_000) }},
		{"deep-page-tree-10k", false, func() []byte { return deepPagesPDF(10_000) }},
		{"deep-nesting-60x80k", false, func() []byte { return deepNestingPDF(80_000, 60) }},
		{"reference-chain-400k", false, func() []byte { return refChainPDF(400_000) }},
		{"long-content-25MB", true, func() []byte { return longContentPDF(25 << 20) }},
		{"inflating-content-60MB", true, func() []byte { return inflatingContentPDF(60 << 20) }},
		{"huge-array-4M", true, func() []byte { return hugeArrayPDF(4_000_000) }},
		{"xref-repair-450k", false, func() []byte {
			// A wrong startxref sends pdfcpu's reader to its repair scan.
			b := manyObjectsPDF(450_000)
			i := bytes.LastIndex(b, []byte("startxref\n"))
			return append(b[:i], "startxref\n12\n%%EOF\n"...)
		}},
		{"huge-dict-1M", false, func() []byte { return hugeDictPDF(1_000_000) }},
		{"xref-sections-100k", false, func() []byte { return manyXRefSectionsPDF(100_000) }},
		{"object-streams-400k-of-4", false, func() []byte { return objStmPDF(400_000, 4) }},
		{"object-streams-400k-of-1000", true, func() []byte { return objStmPDF(400_000, 1000) }},
	}
	var out []slowPDF
	for _, s := range all {
		if raceEnabled && !s.race {
			continue
		}
		if data := s.build(); len(data) <= limit {
			out = append(out, slowPDF{s.name, data})
		}
	}
	return out
}
