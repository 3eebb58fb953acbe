package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
)

// The catalogue tests: every language says everything, every word is
// used, every word used exists, the journal knows every event, and the
// vocabulary is one.

var placeholder = regexp.MustCompile(`\{[0-9]\}`)

func placeholders(s string) string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	return strings.Join(slicesCompact(p), "")
}

func slicesCompact(p []string) []string {
	out := p[:0]
	for i, s := range p {
		if i == 0 || s != p[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// Every catalogue has every key of the reference (French) catalogue with
// the same placeholders, no key French lacks, and declares its name and
// direction. (Plural forms are checked by package i18n: a language has
// the forms its CLDR rules need.)
func TestCataloguesComplete(t *testing.T) {
	fr := i18n.Get(i18n.Default)
	if len(i18n.Codes()) < 2 {
		t.Fatalf("catalogues: %v, want at least fr and en", i18n.Codes())
	}
	for _, code := range i18n.Codes() {
		c := i18n.Get(code)
		if n, _ := c.Own("_name"); n == "" {
			t.Errorf("%s: _name is required", code)
		}
		if d, _ := c.Own("_dir"); d != "ltr" && d != "rtl" {
			t.Errorf("%s: _dir must be ltr or rtl", code)
		}
		if s, _ := c.Own("_status"); strings.TrimSpace(s) == "" {
			t.Errorf("%s: _status (review status) is required", code)
		}
		if m := c.Missing(); len(m) > 0 {
			t.Errorf("%s: %d keys missing (they would show in French): %s", code, len(m), strings.Join(m, ", "))
		}
		// A language the vault does not name types in names them itself.
		own := map[string]bool{}
		if d := locFor(code).domainLang(); code != d && !strings.HasPrefix(code, d+"-") {
			for _, k := range typeKeys() {
				own[k] = true
				if _, ok := c.Own(k); !ok {
					t.Errorf("%s: missing %q (the vault names types in French and English only)", code, k)
				}
			}
		}
		for _, k := range fr.Keys() {
			v, _ := fr.Own(k)
			w, ok := c.Own(k)
			switch {
			case i18n.IsForm(k):
				// A plural form: the language has it when its rules use it.
			case !ok:
				// Listed by Missing above.
			case strings.TrimSpace(w) == "":
				t.Errorf("%s: empty %q", code, k)
			case !strings.HasPrefix(k, "_") && placeholders(v) != placeholders(w):
				t.Errorf("%s: %q has placeholders %q, French has %q", code, k, placeholders(w), placeholders(v))
			}
		}
		for _, k := range c.Keys() {
			base := k
			if i18n.IsForm(k) {
				base = k[:strings.LastIndexByte(k, '.')]
				// A form may leave the count out ("once"), nothing else.
				if w, _ := c.Own(k); strings.TrimPrefix(placeholders(w), "{0}") != strings.TrimPrefix(placeholders(mustOwn(c, base)), "{0}") {
					t.Errorf("%s: plural form %q has other placeholders than %q", code, k, base)
				}
			}
			if _, ok := fr.Own(base); !ok && !own[k] {
				t.Errorf("%s: %q is not in the French catalogue", code, k)
			}
		}
	}
}

// typeKeys are the keys naming the vault's categories and paper types
// ("cat.<id>", "type.<id>").
func typeKeys() []string {
	var out []string
	for _, c := range vault.Categories() {
		out = append(out, "cat."+c.ID)
	}
	for _, d := range vault.DocTypes() {
		out = append(out, "type."+d.ID)
	}
	return out
}

func mustOwn(c *i18n.Catalogue, k string) string {
	s, _ := c.Own(k)
	return s
}

// usage is what the code says of the catalogue.
type usage struct {
	literals map[string]bool   // every string literal of Go, templates and scripts
	asked    map[string]string // key-like literals passed to T & co → where
	done     map[string]bool   // names given to redirectDone / ?done=
}

var keyLike = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_-]+)+\.?$`)

// askers are the functions whose string arguments are catalogue keys.
var askers = map[string]bool{"T": true, "Forms": true, "FormsJSON": true, "newPage": true, "dropPage": true,
	"fieldErr": true, "newErr": true, "renderSheet": true, "Has": true, "Lookup": true}

func scanUsage(t *testing.T) usage {
	t.Helper()
	u := usage{literals: map[string]bool{}, asked: map[string]string{}, done: map[string]bool{}}
	fset := token.NewFileSet()
	for _, dir := range []string{".", "./i18n", "../notify", "../cmd/coffre"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING {
						u.literals[s] = true
					}
				case *ast.CallExpr:
					name := ""
					switch fn := x.Fun.(type) {
					case *ast.Ident:
						name = fn.Name
					case *ast.SelectorExpr:
						name = fn.Sel.Name
					}
					for i, a := range x.Args {
						lit, ok := a.(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						s, _ := strconv.Unquote(lit.Value)
						if askers[name] && keyLike.MatchString(s) {
							u.asked[s] = fset.Position(lit.Pos()).String()
						}
						if name == "redirectDone" && i == 2 {
							u.done[s] = true
						}
					}
				}
				return true
			})
		}
	}
	tmplKey := regexp.MustCompile(`L\.(?:T|Forms) "([^"]+)"`)
	quoted := regexp.MustCompile(`"([^"{}<>\s]+)"|'([^'{}<>\s]+)'`)
	doneName := regexp.MustCompile(`done=([a-z]+)`)
	scan := func(name, text string) {
		for _, m := range tmplKey.FindAllStringSubmatch(text, -1) {
			u.asked[m[1]] = name
		}
		for _, m := range quoted.FindAllStringSubmatch(text, -1) {
			u.literals[m[1]+m[2]] = true
		}
		for _, m := range doneName.FindAllStringSubmatch(text, -1) {
			u.done[m[1]] = true
		}
	}
	for _, sub := range []fs.FS{templatesFS, staticFS} {
		err := fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(sub, p)
			scan(p, string(b))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// families are the keys built at run time from a prefix and a code: each
// lists the codes the code can produce, taken from the code that produces
// them, so that a key under a prefix is used exactly when its code exists.
func families(t *testing.T, u usage) map[string][]string {
	kinds := journalKinds(t)
	var profiles []string
	for _, p := range converter.Profiles() {
		profiles = append(profiles, p.ID)
	}
	var weak []string
	for _, s := range []string{"short", "aaaaaaaaaaaa", "0612345678", "azertyuiop", "motdepasse"} {
		weak = append(weak, vault.WeakSecretReason(vault.CheckSecret([]byte(s))))
	}
	// Every code the converter has, but unknown_profile: the edge checks
	// a profile before converting and never says that code (words.go).
	var conv []string
	for _, c := range append(converter.ErrorCodes(), converter.Code(&converter.TooLargeError{MaxPages: 1})) {
		if c != "unknown_profile" {
			conv = append(conv, c)
		}
	}
	var months, days, kindsN, channels, done []string
	for m := 1; m <= 12; m++ {
		months = append(months, strconv.Itoa(m))
	}
	for _, d := range vault.ConsentDays {
		days = append(days, strconv.Itoa(d))
	}
	for _, k := range notify.Kinds {
		kindsN = append(kindsN, string(k))
	}
	for _, c := range []notify.Channel{notify.ChannelEmail, notify.ChannelPush, notify.ChannelSMS} {
		channels = append(channels, string(c))
	}
	for d := range u.done {
		done = append(done, d)
	}
	return map[string][]string{
		"ev.":               kinds,
		"ev.actor.":         {vault.ActorOwner, vault.ActorWorker, vault.ActorSystem},
		"portal.":           profiles,
		"secret.weak.":      weak,
		"convert.":          conv,
		"month.":            months,
		"days.":             days,
		"done.":             done,
		"notifset.kind.":    kindsN,
		"notifset.channel.": channels,
		"requests.status.":  {vault.RequestPending, vault.RequestAccepted, vault.RequestDeclined, vault.RequestFulfilled},
		"api.storage.":      storageFields,
		"check.":            converter.CheckCodes(),
		"kept.":             converter.CheckCodes(),
		"redo.reason.":      vault.RedoReasons,
		"redo.why.":         vault.RedoReasons,
		"redo.status.":      {vault.RedoOpen, vault.RedoForwarded, vault.RedoClosed},
	}
}

// journalKinds lists the vault's journal event kinds: every string
// constant named Event… in package vault (a kind another branch adds is
// found too).
func journalKinds(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob("../vault/*.go")
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Event") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, s)
					}
				}
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d journal kinds: the scan is broken", len(out))
	}
	return out
}

// Every key the code asks for exists; every key of the catalogue is used
// (by Go, a template or a script, or built from a prefix and a code the
// code produces); every code of a family has its key.
func TestCatalogueKeysUsed(t *testing.T) {
	fr := i18n.Get(i18n.Default)
	u := scanUsage(t)
	if len(u.asked) < 200 {
		t.Fatalf("found only %d keys asked for: the scan is broken", len(u.asked))
	}
	for k, where := range u.asked {
		if strings.HasSuffix(k, ".") {
			continue // a prefix completed at run time
		}
		if !fr.Has(k) {
			t.Errorf("%s: message %q is used but not in fr.json", where, k)
		}
	}
	fam := families(t, u)
	for prefix, codes := range fam {
		if len(codes) == 0 {
			t.Errorf("family %q: no codes found", prefix)
		}
		for _, c := range codes {
			if !fr.Has(prefix + c) {
				t.Errorf("%q is produced by the code but not in fr.json", prefix+c)
			}
		}
	}
	// Optional families: a catalogue may name a category or a paper type in
	// its own words ("cat.<id>", "type.<id>"; loc.Category, loc.DocType),
	// else the vault's names are used.
	optional := map[string][]string{}
	for _, c := range vault.Categories() {
		optional["cat."] = append(optional["cat."], c.ID)
	}
	for _, d := range vault.DocTypes() {
		optional["type."] = append(optional["type."], d.ID)
	}
	used := func(k string) bool {
		if u.literals[k] {
			return true
		}
		for prefix, codes := range optional {
			for _, c := range codes {
				if k == prefix+c {
					return true
				}
			}
		}
		for prefix, codes := range fam {
			if strings.HasPrefix(k, prefix) {
				for _, c := range codes {
					if k == prefix+c {
						return true
					}
				}
			}
		}
		return false
	}
	for _, k := range fr.Keys() {
		base := k
		if i18n.IsForm(k) {
			base = k[:strings.LastIndexByte(k, '.')]
		} else if strings.HasPrefix(k, "ev.") && strings.HasSuffix(k, ".you") {
			base = strings.TrimSuffix(k, ".you")
		}
		if strings.HasPrefix(k, "_") || used(base) {
			continue
		}
		t.Errorf("message %q is in the catalogue but nothing uses it", k)
	}
}
