package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// PDF intake: read with pdfcpu (relaxed validation) behind recover, refuse
// password-protected files and active content (JavaScript, embedded files,
// launch actions, rich media), strip forms, automatic actions and metadata.

var pdfcpuInit sync.Once

// pdfConfig returns a pdfcpu configuration that never touches the disk
// (pdfcpu would otherwise create a configuration directory) with resource
// limits scaled to maxStream, the largest input accepted.
func pdfConfig(maxStream int64) *model.Configuration {
	pdfcpuInit.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Cmd = model.VALIDATE
	conf.Optimize = false
	conf.OptimizeBeforeWriting = false
	conf.CreateBookmarks = false
	conf.WriteObjectStream = true
	conf.WriteXRefStream = true
	// Consolidating page resources parses every page's decoded content
	// stream, without a way to stop at the request's deadline: a page with
	// a 150 KB Flate stream inflating to 60 MB kept a core busy 8 s.
	conf.OptimizeResourceDicts = false
	conf.Offline = true
	conf.Limits = model.ResourceLimits{
		MaxStreamBytes:       maxStream,
		MaxDecodeBytes:       64 << 20,
		MaxImagePixels:       64 << 20,
		MaxImageBytes:        256 << 20,
		MaxObjectCount:       500_000,
		MaxObjectStreamCount: 100_000,
		MaxObjectStreamFirst: 4 << 20,
		MaxXRefEntries:       500_000,
		MaxRecursionDepth:    64,
	}
	return conf
}

// pdfSafe turns a panic inside pdfcpu into ErrMalformedPDF. Use it as
// `defer pdfSafe(&err)` in every function that calls pdfcpu.
func pdfSafe(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: internal error in PDF library: %v", ErrMalformedPDF, r)
	}
}

// readPDF parses and validates a PDF. It returns ErrEncryptedPDF when a
// password is needed to open it, ErrMalformedPDF when it cannot be read.
// A PDF that opens without a password (an owner password only restricts
// printing or copying) is read and will be written without encryption.
func readPDF(ctx context.Context, data []byte, maxStream int64) (m *model.Context, err error) {
	defer pdfSafe(&err)
	conf := pdfConfig(max(maxStream, int64(len(data))))
	m, err = pdfcpu.ReadWithContext(ctx, &ctxReader{ctx: ctx, r: bytes.NewReader(data)}, conf)
	if err != nil {
		return nil, classifyPDFError(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := api.ValidateContext(m); err != nil {
		return nil, classifyPDFError(ctx, err)
	}
	if m.PageCount <= 0 {
		return nil, fmt.Errorf("%w: no pages", ErrMalformedPDF)
	}
	return m, nil
}

func classifyPDFError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	switch {
	case errors.Is(err, pdfcpu.ErrWrongPassword), errors.Is(err, pdfcpu.ErrEncrypted),
		errors.Is(err, pdfcpu.ErrUnsupportedEncryptionFeature),
		strings.Contains(strings.ToLower(err.Error()), "password"):
		return fmt.Errorf("%w (%v)", ErrEncryptedPDF, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformedPDF, err)
}

// maxNesting bounds the walk into direct objects; pdfcpu's parser already
// refuses deeper nesting (MaxRecursionDepth), so reaching it is suspicious.
const maxNesting = 100

// activeSubtypes maps annotation subtypes refused as active content.
var activeSubtypes = map[string]string{
	"FileAttachment": "an attached file",
	"RichMedia":      "rich media",
	"3D":             "3D content",
	"Movie":          "a movie",
	"Sound":          "a sound",
	"Screen":         "multimedia",
}

// Link actions kept: navigation inside the document (GoTo, Named) and URI
// actions whose scheme is in linkSchemes; any other /A action is removed
// (GoToR, SubmitForm, ImportData, a URI to file:, javascript:, smb:,
// data:... or a relative one). Launch actions are refused outright by
// checkActive, whatever they launch.
var (
	navActions  = map[string]bool{"GoTo": true, "Named": true}
	linkSchemes = map[string]bool{"http": true, "https": true, "mailto": true}
)

// safeAction reports whether an action dictionary may stay in the output.
func safeAction(m *model.Context, ad types.Dict) bool {
	switch s := nameEntry(ad, "S"); {
	case navActions[s]:
		return true
	case s == "URI":
		return safeURI(m, ad["URI"])
	}
	return false
}

// safeURI reports whether a URI action's target is an absolute http,
// https or mailto URI.
func safeURI(m *model.Context, o types.Object) bool {
	o, err := m.Dereference(o)
	if err != nil || o == nil {
		return false
	}
	s, err := types.StringOrHexLiteral(o)
	if err != nil || s == nil {
		return false
	}
	u, err := url.Parse(*s)
	return err == nil && linkSchemes[strings.ToLower(u.Scheme)]
}

// checkActive reports the first active content found in any object, as an
// error wrapping ErrActivePDF.
func checkActive(m *model.Context) error {
	for _, e := range m.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		if what := findActive(e.Object, 0); what != "" {
			return fmt.Errorf("%w: %s", ErrActivePDF, what)
		}
	}
	return nil
}

func findActive(o types.Object, depth int) string {
	if depth > maxNesting {
		return "suspiciously deep nesting"
	}
	var d types.Dict
	switch v := o.(type) {
	case types.Dict:
		d = v
	case types.StreamDict:
		d = v.Dict
	case types.Array:
		for _, x := range v {
			if w := findActive(x, depth+1); w != "" {
				return w
			}
		}
		return ""
	default:
		return ""
	}
	s := nameEntry(d, "S")
	switch {
	case s == "JavaScript", d.HasEntry("JS"):
		return "JavaScript"
	case s == "Launch":
		return "a launch action"
	case nameEntry(d, "Type") == "EmbeddedFile", d.HasEntry("EF"), d.HasEntry("EmbeddedFiles"):
		return "an embedded file"
	case d.HasEntry("JavaScript") && nameEntry(d, "Type") != "Catalog":
		return "JavaScript"
	}
	if what, ok := activeSubtypes[nameEntry(d, "Subtype")]; ok {
		return what
	}
	for _, v := range d {
		if w := findActive(v, depth+1); w != "" {
			return w
		}
	}
	return ""
}

// nameEntry returns the name value of key in d ("" if absent or not a name).
func nameEntry(d types.Dict, key string) string {
	if v, ok := d[key].(types.Name); ok {
		return v.Value()
	}
	return ""
}

// catalogStrip are the document catalog entries removed from input PDFs:
// automatic actions, forms (their widgets keep their appearance), metadata,
// and structures that do not survive merging.
var catalogStrip = []string{
	"OpenAction", "AA", "AcroForm", "Metadata", "PieceInfo", "SpiderInfo", "Perms",
	"Legal", "Collection", "Names", "Dests", "Outlines", "StructTreeRoot", "MarkInfo",
	"PageLabels", "Threads", "URI", "Requirements", "AF", "DSS", "Extensions",
}

// sanitizePDF removes automatic actions, forms, metadata and thumbnails,
// unsafe link actions, and the metadata segments (EXIF, XMP, ICC-less
// comments) of embedded JPEG images. checkActive must have passed.
func sanitizePDF(m *model.Context) (err error) {
	defer pdfSafe(&err)
	root, err := m.Catalog()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedPDF, err)
	}
	for _, k := range catalogStrip {
		root.Delete(k)
	}
	m.Info = nil
	for objNr, e := range m.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		switch v := e.Object.(type) {
		case types.Dict:
			stripDict(m, v, 0)
		case types.StreamDict:
			stripDict(m, v.Dict, 0)
			if isDCT(v.Dict) && v.Raw != nil {
				if clean, changed := stripJPEGMetadata(v.Raw); changed {
					v.Raw = clean
					n := int64(len(clean))
					v.StreamLength = &n
					v.Update("Length", types.Integer(n))
					m.Table[objNr].Object = v
				}
			}
		case types.Array:
			stripArray(m, v, 0)
		}
	}
	return nil
}

func stripDict(m *model.Context, d types.Dict, depth int) {
	if depth > maxNesting {
		return
	}
	for _, k := range []string{"AA", "Metadata", "PieceInfo", "Thumb", "LastModified"} {
		d.Delete(k)
	}
	if a, ok := d["A"]; ok {
		if ad, err := m.DereferenceDict(a); err != nil || ad == nil || !safeAction(m, ad) {
			d.Delete("A")
		}
	}
	if s := nameEntry(d, "S"); s == "URI" || navActions[s] {
		d.Delete("Next") // no chained actions
		if s == "URI" && !safeURI(m, d["URI"]) {
			// An action object no longer linked from anywhere keeps no target.
			d.Delete("URI")
		}
	}
	for _, v := range d {
		switch x := v.(type) {
		case types.Dict:
			stripDict(m, x, depth+1)
		case types.Array:
			stripArray(m, x, depth+1)
		}
	}
}

func stripArray(m *model.Context, a types.Array, depth int) {
	if depth > maxNesting {
		return
	}
	for _, v := range a {
		switch x := v.(type) {
		case types.Dict:
			stripDict(m, x, depth+1)
		case types.Array:
			stripArray(m, x, depth+1)
		}
	}
}

// isDCT reports whether a stream's only filter is DCTDecode.
func isDCT(d types.Dict) bool {
	switch f := d["Filter"].(type) {
	case types.Name:
		return f.Value() == "DCTDecode"
	case types.Array:
		if len(f) == 1 {
			if n, ok := f[0].(types.Name); ok {
				return n.Value() == "DCTDecode"
			}
		}
	}
	return false
}

// stripJPEGMetadata removes APP1-APP13, APP15 and COM segments (EXIF, GPS,
// XMP, maker notes, comments) from a JPEG stream before its first scan.
// APP0 (JFIF) and APP14 (Adobe colour transform) are kept because they
// change how pixels decode; so is APP2 when it holds an ICC profile.
func stripJPEGMetadata(b []byte) ([]byte, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return b, false
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	changed := false
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return b, false
		}
		mk := b[i+1]
		if mk == 0xDA || mk == 0xD9 {
			break
		}
		if mk == 0xFF || mk == 0x01 || (mk >= 0xD0 && mk <= 0xD7) {
			out = append(out, b[i:i+2]...)
			i += 2
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return b, false
		}
		seg := b[i : i+2+n]
		drop := (mk >= 0xE1 && mk <= 0xED) || mk == 0xEF || mk == 0xFE
		if mk == 0xE2 && bytes.HasPrefix(seg[4:], []byte("ICC_PROFILE\x00")) {
			drop = false
		}
		if drop {
			changed = true
		} else {
			out = append(out, seg...)
		}
		i += 2 + n
	}
	if !changed {
		return b, false
	}
	return append(out, b[i:]...), true
}

// pdfPart is an input PDF after checks and sanitizing, serialized again
// by pdfcpu so it can be merged (and re-read) any number of times.
type pdfPart struct {
	data  []byte
	pages int
}

// intakePDF reads, checks and sanitizes an input PDF. Once ctx has ended,
// any error is ctx's (a read cut short by the deadline is not damage).
func intakePDF(ctx context.Context, data []byte, maxStream int64) (part pdfPart, err error) {
	defer func() {
		if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
			part, err = pdfPart{}, ctxErr
		}
	}()
	defer pdfSafe(&err)
	if err := checkPDFShape(data); err != nil {
		return part, err
	}
	m, err := readPDF(ctx, data, maxStream)
	if err != nil {
		return part, err
	}
	// The stages below take no ctx: stop between them.
	if err := ctx.Err(); err != nil {
		return part, err
	}
	if err := checkActive(m); err != nil {
		return part, err
	}
	if err := ctx.Err(); err != nil {
		return part, err
	}
	if err := sanitizePDF(m); err != nil {
		return part, err
	}
	if err := ctx.Err(); err != nil {
		return part, err
	}
	out, err := writePDFContext(m)
	if err != nil {
		return part, err
	}
	return pdfPart{data: out, pages: m.PageCount}, nil
}

// writePDFContext serializes a pdfcpu context.
func writePDFContext(m *model.Context) (out []byte, err error) {
	defer pdfSafe(&err)
	if m.Optimize == nil {
		// pdfcpu's write statistics need an optimization context when
		// there is a read context; a built document has neither.
		m.Read = nil
	}
	var buf bytes.Buffer
	if err := api.WriteContext(m, &buf); err != nil {
		return nil, fmt.Errorf("%w: write: %v", ErrMalformedPDF, err)
	}
	return buf.Bytes(), nil
}
