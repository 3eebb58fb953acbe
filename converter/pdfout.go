package converter

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Output assembly with pdfcpu: image pages are built as pdfcpu objects,
// input PDFs are merged in with pdfcpu's merge, and the whole document is
// validated (and optimized when PDFs were merged) before pdfcpu writes it.

// Page geometry in PDF points (1/72 inch).
const (
	ptPerMM     = 72 / 25.4
	a4WidthPt   = 210 * ptPerMM
	a4HeightPt  = 297 * ptPerMM
	cardLongMM  = 85.6 // ISO/IEC 7810 ID-1
	cardShortMM = 53.98
)

// pdfImage is an encoded image ready to become an image XObject.
type pdfImage struct {
	data   []byte
	filter string // "DCTDecode", "CCITTFaxDecode" or "FlateDecode"
	w, h   int
	gray   bool // DeviceGray (else DeviceRGB)
	bpc    int  // bits per component: 8, or 1 for black and white
	// mask: a 1-bit /ImageMask (CCITT G4) whose black pixels are painted
	// black over what is below (mixed raster content's text layer).
	mask bool
}

// placement puts an image on a page, in points from the bottom-left corner.
type placement struct {
	img        *pdfImage
	x, y, w, h float64
}

// pageLayout is one output page made of images.
type pageLayout struct {
	width, height float64
	items         []placement
}

// pdfBuilder accumulates the output document.
type pdfBuilder struct {
	m      *model.Context
	merged bool
}

func newPDFBuilder(maxStream int64) (b *pdfBuilder, err error) {
	defer pdfSafe(&err)
	// Reading an empty document (rather than creating a context from
	// scratch) gives pdfcpu's merge and optimizer the state they expect.
	m, err := pdfcpu.Read(bytes.NewReader(emptyPDF()), pdfConfig(maxStream))
	if err != nil {
		return nil, fmt.Errorf("converter: new PDF: %w", err)
	}
	return &pdfBuilder{m: m}, nil
}

// emptyPDF is a document with an empty page tree.
func emptyPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	off1 := b.Len()
	b.WriteString("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	off2 := b.Len()
	b.WriteString("2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 3\n0000000000 65535 f \n%010d 00000 n \n%010d 00000 n \n", off1, off2)
	fmt.Fprintf(&b, "trailer\n<</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// pagesRoot returns the page tree root dict and its reference.
func pagesRoot(m *model.Context) (types.Dict, types.IndirectRef, error) {
	root, err := m.Catalog()
	if err != nil {
		return nil, types.IndirectRef{}, fmt.Errorf("converter: PDF catalog: %w", err)
	}
	ref, ok := root["Pages"].(types.IndirectRef)
	if !ok {
		return nil, ref, fmt.Errorf("converter: PDF catalog without page tree")
	}
	d, err := m.DereferenceDict(ref)
	if err != nil || d == nil {
		return nil, ref, fmt.Errorf("converter: PDF page tree: %v", err)
	}
	return d, ref, nil
}

// addPage appends a page of images.
func (b *pdfBuilder) addPage(p pageLayout) (err error) {
	defer pdfSafe(&err)
	xr := b.m.XRefTable
	pages, pagesRef, err := pagesRoot(b.m)
	if err != nil {
		return err
	}
	xobjects := types.Dict{}
	var content bytes.Buffer
	for i, it := range p.items {
		ref, err := b.addImage(it.img)
		if err != nil {
			return err
		}
		name := "Im" + strconv.Itoa(i)
		xobjects[name] = *ref
		fill := ""
		if it.img.mask {
			fill = "0 g "
		}
		fmt.Fprintf(&content, "q %s%s 0 0 %s %s %s cm /%s Do Q\n", fill, num(it.w), num(it.h), num(it.x), num(it.y), name)
	}
	csd, err := xr.NewStreamDictForBuf(content.Bytes())
	if err != nil {
		return err
	}
	if err := csd.Encode(); err != nil {
		return err
	}
	cref, err := xr.IndRefForNewObject(*csd)
	if err != nil {
		return err
	}
	page := types.Dict{
		"Type":      types.Name("Page"),
		"Parent":    pagesRef,
		"MediaBox":  types.Array{types.Integer(0), types.Integer(0), types.Float(round2(p.width)), types.Float(round2(p.height))},
		"Resources": types.Dict{"XObject": xobjects},
		"Contents":  *cref,
	}
	pref, err := xr.IndRefForNewObject(page)
	if err != nil {
		return err
	}
	kids, _ := pages["Kids"].(types.Array)
	pages["Kids"] = append(kids, *pref)
	count := 0
	if c, ok := pages["Count"].(types.Integer); ok {
		count = c.Value()
	}
	pages["Count"] = types.Integer(count + 1)
	xr.PageCount++
	return nil
}

func (b *pdfBuilder) addImage(img *pdfImage) (*types.IndirectRef, error) {
	cs := "DeviceRGB"
	if img.gray {
		cs = "DeviceGray"
	}
	d := types.Dict{
		"Type":             types.Name("XObject"),
		"Subtype":          types.Name("Image"),
		"Width":            types.Integer(img.w),
		"Height":           types.Integer(img.h),
		"ColorSpace":       types.Name(cs),
		"BitsPerComponent": types.Integer(img.bpc),
		"Filter":           types.Name(img.filter),
	}
	if img.mask {
		delete(d, "ColorSpace")
		d["ImageMask"] = types.Boolean(true)
		d["BitsPerComponent"] = types.Integer(1)
	}
	var parms types.Dict
	if img.filter == "CCITTFaxDecode" {
		parms = types.Dict{"K": types.Integer(-1), "Columns": types.Integer(img.w), "Rows": types.Integer(img.h)}
		d["DecodeParms"] = parms
	}
	n := int64(len(img.data))
	d["Length"] = types.Integer(n)
	sd := types.StreamDict{
		Dict:           d,
		Raw:            img.data,
		StreamLength:   &n,
		FilterPipeline: []types.PDFFilter{{Name: img.filter, DecodeParms: parms}},
	}
	return b.m.XRefTable.IndRefForNewObject(sd)
}

// addPDF merges a sanitized input PDF's pages at the end.
func (b *pdfBuilder) addPDF(part pdfPart) error {
	return b.addPDFContext(context.Background(), part)
}

// addPDFContext is addPDF stopping when ctx ends.
func (b *pdfBuilder) addPDFContext(ctx context.Context, part pdfPart) (err error) {
	defer pdfSafe(&err)
	src, err := rereadPDF(ctx, part.data)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := pdfcpu.MergeXRefTables("", src, b.m, false, false); err != nil {
		return fmt.Errorf("%w: merge: %v", ErrMalformedPDF, err)
	}
	b.merged = true
	return nil
}

// rereadPDF reads and validates a PDF written by pdfcpu (a pdfPart),
// stopping when ctx ends.
func rereadPDF(ctx context.Context, data []byte) (m *model.Context, err error) {
	defer pdfSafe(&err)
	m, err = pdfcpu.ReadWithContext(ctx, &ctxReader{ctx: ctx, r: bytes.NewReader(data)}, pdfConfig(int64(len(data))))
	if err == nil {
		if err = ctx.Err(); err != nil {
			return nil, err
		}
		err = api.ValidateContext(m)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("%w: re-read: %v", ErrMalformedPDF, err)
	}
	return m, nil
}

// bytes validates, optimizes when PDFs were merged, and writes the document
// with a neutral Producer.
func (b *pdfBuilder) bytes() ([]byte, error) {
	return b.bytesContext(context.Background())
}

// bytesContext is bytes stopping between stages when ctx ends.
func (b *pdfBuilder) bytesContext(ctx context.Context) (out []byte, err error) {
	defer pdfSafe(&err)
	if b.merged {
		if err := api.OptimizeContext(b.m); err != nil {
			return nil, fmt.Errorf("%w: optimize: %v", ErrMalformedPDF, err)
		}
	}
	b.m.Info = nil
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := api.ValidateContext(b.m); err != nil {
		return nil, fmt.Errorf("%w: output does not validate: %v", ErrMalformedPDF, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err = writePDFContext(b.m)
	if err != nil {
		return nil, err
	}
	return neutralProducer(out), nil
}

// neutralProducer replaces pdfcpu's "/Producer(pdfcpu vX.Y.Z ...)" in the
// plain-text info dictionary with "(Coffre)" padded with spaces, so that
// every byte offset stays valid.
func neutralProducer(pdf []byte) []byte {
	key := []byte("/Producer(pdfcpu")
	i := bytes.Index(pdf, key)
	if i < 0 {
		return pdf
	}
	start := i + len("/Producer")
	end := bytes.IndexByte(pdf[start:], ')')
	if end < 0 || end > 64 || bytes.ContainsAny(pdf[start+1:start+end], "\\()") {
		return pdf
	}
	end += start + 1 // just past ')'
	repl := []byte("(Coffre)")
	copy(pdf[start:], repl)
	for j := start + len(repl); j < end; j++ {
		pdf[j] = ' '
	}
	return pdf
}

// num formats a coordinate for a content stream.
func num(f float64) string {
	return strconv.FormatFloat(round2(f), 'f', -1, 64)
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}
