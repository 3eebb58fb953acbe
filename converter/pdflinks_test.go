package converter

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// outputURIs returns every URI action target left in a PDF, and the
// action types (/S) found, read back with pdfcpu.
func outputURIs(t *testing.T, pdf []byte) (uris, actions []string) {
	t.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(pdf), pdfConfig(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(o types.Object, depth int)
	walk = func(o types.Object, depth int) {
		if depth > 32 {
			return
		}
		var d types.Dict
		switch v := o.(type) {
		case types.Dict:
			d = v
		case types.StreamDict:
			d = v.Dict
		case types.Array:
			for _, x := range v {
				walk(x, depth+1)
			}
			return
		default:
			return
		}
		if s := nameEntry(d, "S"); s != "" {
			actions = append(actions, s)
		}
		if u, ok := d["URI"]; ok {
			if s, err := types.StringOrHexLiteral(u); err == nil && s != nil {
				uris = append(uris, *s)
			}
		}
		for _, v := range d {
			walk(v, depth+1)
		}
	}
	// Objects inside object streams load when dereferenced.
	for nr, e := range ctx.Table {
		if e == nil || e.Free {
			continue
		}
		o, err := ctx.Dereference(*types.NewIndirectRef(nr, derefGen(e.Generation)))
		if err != nil {
			t.Fatalf("object %d: %v", nr, err)
		}
		walk(o, 0)
	}
	slices.Sort(uris)
	return uris, actions
}

func derefGen(g *int) int {
	if g == nil {
		return 0
	}
	return *g
}

// TestPDFLinkSchemes: a PDF's links survive intake only when they lead to
// http, https or mailto; links to files, scripts, network shares, data or
// other documents (GoToR) are dropped, and a launch action is refused.
func TestPDFLinkSchemes(t *testing.T) {
	targets := []struct {
		action string
		kept   string // the URI left in the output, "" when dropped
	}{
		{"/S /URI /URI (https://www.caf.fr/allocataires)", "https://www.caf.fr/allocataires"},
		{"/S /URI /URI (http://example.org/a)", "http://example.org/a"},
		{"/S /URI /URI (mailto:accueil@ccas.example)", "mailto:accueil@ccas.example"},
		{"/S /URI /URI (HTTPS://EXAMPLE.ORG/UPPER)", "HTTPS://EXAMPLE.ORG/UPPER"},
		{"/S /URI /URI <68747470733a2f2f6865782e6578616d706c652f>", "https://hex.example/"},
		{"/S /URI /URI (file:///etc/passwd)", ""},
		{"/S /URI /URI (FILE:///C:/Windows/System32/calc.exe)", ""},
		{"/S /URI /URI (javascript:app.alert\\(1\\))", ""},
		{"/S /URI /URI (smb://attacker.example/share/x)", ""},
		{"/S /URI /URI (\\\\\\\\attacker.example\\\\share)", ""},
		{"/S /URI /URI (data:text/html,<script>x</script>)", ""},
		{"/S /URI /URI ( javascript:x)", ""},
		{"/S /URI /URI (relative/page.html)", ""},
		{"/S /URI /URI (ms-msdt:/id PCWDiagnostic)", ""},
		{"/S /GoToR /F (http://attacker.example/x.pdf) /D [0 /Fit]", ""},
		{"/S /SubmitForm /F (https://attacker.example/collect)", ""},
	}
	// Objects 1-5: catalog, pages, font, page, content; from 6 the link
	// annotations, half with their action inline, half with an action
	// object of its own.
	var annots, objs []string
	for i, tg := range targets {
		nr := 6 + len(objs)
		annots = append(annots, fmt.Sprintf("%d 0 R", nr))
		rect := fmt.Sprintf("/Rect [0 %d 100 %d]", 20*i, 20*i+10)
		if i%2 == 0 {
			objs = append(objs, fmt.Sprintf("<< /Type /Annot /Subtype /Link %s /A << %s >> >>", rect, tg.action))
		} else {
			objs = append(objs, fmt.Sprintf("<< /Type /Annot /Subtype /Link %s /A %d 0 R >>", rect, nr+1), "<< "+tg.action+" >>")
		}
	}
	input := buildPDF(append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R /Annots [" + strings.Join(annots, " ") + "] >>",
		stream("", []byte("BT /F1 24 Tf 72 700 Td (Liens) Tj ET")),
	}, objs...)...)

	pdf, _ := convert(t, nil, Options{}, Input{Name: "links.pdf", Data: input})
	uris, actions := outputURIs(t, pdf)
	var want []string
	for _, tg := range targets {
		if tg.kept != "" {
			want = append(want, tg.kept)
		}
	}
	slices.Sort(want)
	if fmt.Sprint(uris) != fmt.Sprint(want) {
		t.Errorf("links left in the output:\n got %q\nwant %q", uris, want)
	}
	for _, a := range actions {
		if a != "URI" {
			t.Errorf("action /%s left in the output", a)
		}
	}
	for _, bad := range []string{"passwd", "calc.exe", "javascript", "attacker", "script", "ms-msdt"} {
		if bytes.Contains(bytes.ToLower(pdf), []byte(bad)) {
			t.Errorf("output contains %q", bad)
		}
	}
	checkPDF(t, pdf)

	// A launch action is refused, whatever it launches (a URL included).
	launch := simplePDF(1, "", "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Launch /F (https://example.org/x) >> >>")
	if _, err := (&Converter{}).Convert(t.Context(), []Input{{Data: launch}}, Options{}, &bytes.Buffer{}); err == nil {
		t.Error("a PDF with a launch action was accepted")
	}
}
