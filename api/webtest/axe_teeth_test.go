package webtest

import "testing"

// The accessibility check has teeth: a page broken on purpose (form fields
// without labels, text without contrast) fails it.
func TestAxeFindsViolations(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	p := b.person("tester")
	p.open(srv.URL + "/login")
	if vs := p.axeViolations(); len(vs) != 0 {
		t.Fatalf("the sign-in page has violations: %+v", vs)
	}
	eval[bool](p, `document.querySelectorAll('label').forEach(l => l.remove());
		document.querySelector('main h1').style.color = '#ddd'; true`)
	found := map[string]string{}
	for _, v := range p.axeViolations() {
		found[v.ID] = v.Impact
	}
	if found["label"] != "critical" || found["color-contrast"] != "serious" {
		t.Fatalf("axe found %v; want a critical label and a serious color-contrast violation", found)
	}
}
