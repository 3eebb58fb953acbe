package i18n

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// Every plural message has, in every language, each form CLDR's rules use
// for that language's whole counts, and no form the language never uses.
func TestPluralFormsComplete(t *testing.T) {
	keys := PluralKeys()
	if len(keys) < 8 {
		t.Fatalf("only %d plural keys found: %v", len(keys), keys)
	}
	for _, code := range Codes() {
		c := Get(code)
		need := c.NeededForms()
		for _, k := range keys {
			if _, ok := c.Own(k); !ok {
				t.Errorf("%s: plural message %q missing", code, k)
				continue
			}
			for form := range need {
				if form == "other" {
					continue
				}
				if _, ok := c.Own(k + "." + form); !ok {
					t.Errorf("%s: %q has no %q form (CLDR uses it for %s)", code, k, form, examples(c, form))
				}
			}
			for _, form := range PluralCategories[:5] {
				if _, ok := c.Own(k + "." + form); ok && !need[form] {
					t.Errorf("%s: %q has a %q form, which %s never uses", code, k, form, code)
				}
			}
		}
	}
}

func examples(c *Catalogue, form string) string {
	var out []string
	for n := int64(0); n < 200 && len(out) < 4; n++ {
		if c.Category(n) == form {
			out = append(out, strconv.FormatInt(n, 10))
		}
	}
	return strings.Join(out, ", ")
}

// The counts people see: "1 minute", "2 minutes" in French and English,
// and French 0 is singular (CLDR: i = 0,1).
func TestPluralCounts(t *testing.T) {
	for _, tc := range []struct {
		lang, key string
		n         int
		want      string
	}{
		{"fr", "error.throttled", 1, "Réessayez dans 1 minute."},
		{"fr", "error.throttled", 2, "Réessayez dans 2 minutes."},
		{"en", "error.throttled", 1, "Try again in 1 minute."},
		{"en", "error.throttled", 2, "Try again in 2 minutes."},
		{"en", "error.throttled", 0, "Try again in 0 minutes."},
		{"fr", "papers.pages", 0, "0 page"},
		{"fr", "papers.pages", 1, "1 page"},
		{"fr", "papers.pages", 21, "21 pages"},
		{"en", "papers.pages", 1, "1 page"},
		{"en", "papers.pages", 3, "3 pages"},
	} {
		if got := Get(tc.lang).T(tc.key, tc.n); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s(%d) = %q, want it to contain %q", tc.lang, tc.key, tc.n, got, tc.want)
		}
	}
}

// A language with more forms is written with more keys and gets them:
// Arabic (zero, one, two, few, many, other) and Ukrainian (one, few, many).
func TestPluralManyForms(t *testing.T) {
	fsys := fstest.MapFS{
		"fr.json": {Data: []byte(`{"_name":"Français","_dir":"ltr","n":"{0} pages","n.one":"{0} page"}`)},
		"ar.json": {Data: []byte(`{"_name":"العربية","_dir":"rtl","n":"other {0}","n.zero":"zero {0}","n.one":"one {0}","n.two":"two {0}","n.few":"few {0}","n.many":"many {0}"}`)},
		"uk.json": {Data: []byte(`{"_name":"Українська","_dir":"ltr","n":"other {0}","n.one":"one {0}","n.few":"few {0}","n.many":"many {0}"}`)},
	}
	saved := cats().all
	loaded, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	use(loaded)
	defer use(saved)
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"ar", 0, "zero 0"}, {"ar", 1, "one 1"}, {"ar", 2, "two 2"}, {"ar", 3, "few 3"}, {"ar", 10, "few 10"},
		{"ar", 11, "many 11"}, {"ar", 99, "many 99"}, {"ar", 100, "other 100"}, {"ar", 103, "few 103"},
		{"uk", 1, "one 1"}, {"uk", 21, "one 21"}, {"uk", 2, "few 2"}, {"uk", 24, "few 24"}, {"uk", 5, "many 5"},
		{"uk", 11, "many 11"}, {"uk", 12, "many 12"},
		{"fr", 0, "0 page"}, {"fr", 2, "2 pages"},
	} {
		if got := loaded[tc.lang].T("n", tc.n); got != tc.want {
			t.Errorf("%s n(%d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	need := loaded["ar"].NeededForms()
	var forms []string
	for f := range need {
		forms = append(forms, f)
	}
	sort.Strings(forms)
	if strings.Join(forms, ",") != "few,many,one,other,two,zero" {
		t.Errorf("Arabic needs %v", forms)
	}
	if f := loaded["uk"].Forms("n"); len(f) != 4 || f["few"] != "few {0}" {
		t.Errorf("Ukrainian forms for scripts: %v", f)
	}
}

// No message says "1 minutes": every message filled with the count 1
// reads in the singular (a plural noun right after "1" is a missing
// ".one" form). A heuristic: "fois" and "mois" are the same in both
// numbers, and a few verbs and pronouns ending in s follow a {0} that is a
// name, not a count ("{0} asks you", "{0} vous demande").
func TestNoOnePlural(t *testing.T) {
	onePlural := regexp.MustCompile(`(^|[^0-9,.])1 ([\p{L}]+[sx])\b`)
	invariable := map[string]bool{"fois": true, "mois": true, "is": true, "has": true, "was": true,
		"asks": true, "ends": true, "expires": true, "vous": true,
		"es": true, "mes": true, "más": true} // Spanish "is", "month", "more"
	for _, code := range Codes() {
		c := Get(code)
		for _, k := range c.Keys() {
			if strings.HasPrefix(k, "_") || IsForm(k) {
				continue
			}
			s := c.T(k, 1, "X", "Y", "Z", "W")
			for _, m := range onePlural.FindAllStringSubmatch(s, -1) {
				if !invariable[strings.ToLower(m[2])] {
					t.Errorf("%s: %q with 1 reads %q", code, k, s)
				}
			}
		}
	}
}

// Arguments are filled in one pass: a name holding "{1}" stays as typed.
func TestFillOnePass(t *testing.T) {
	if got := fill("{0} et {1}", []any{"{1}", "Awa"}); got != "{1} et Awa" {
		t.Fatalf("fill = %q", got)
	}
	if got := fill("{0} {9} {x} {", []any{"a"}); got != "a {9} {x} {" {
		t.Fatalf("fill = %q", got)
	}
}

// Each language has its own word list for suggested secrets, in its own
// words: English words for English.
func TestWordLists(t *testing.T) {
	fr, en := Get("fr").Words(), Get("en").Words()
	if len(fr) < 2048 || len(en) < 2048 {
		t.Fatalf("word lists: fr %d, en %d words (at least 2048 each)", len(fr), len(en))
	}
	inFR := map[string]bool{}
	for _, w := range fr {
		inFR[w] = true
	}
	shared := 0
	seen := map[string]bool{}
	for _, w := range en {
		if seen[w] {
			t.Errorf("en: %q twice", w)
		}
		seen[w] = true
		if !regexp.MustCompile(`^[a-z]{3,9}$`).MatchString(w) {
			t.Errorf("en: %q is not 3 to 9 lower-case letters", w)
		}
		if inFR[w] {
			shared++
		}
	}
	// Words such as "table" or "piano" are both; a list of French words
	// would share most.
	if shared > len(en)/10 {
		t.Errorf("%d of the %d English words are in the French list", shared, len(en))
	}
	for _, w := range []string{"apple", "garden", "water", "kitten"} {
		if !seen[w] {
			t.Errorf("en: common word %q missing", w)
		}
	}
}

// Tags as browsers and people write them reach the right catalogue: Dari
// by fa-AF, fa, prs or prs-AF; easy-read French only by its own tag; a
// catalogue's missing keys are listed (and shown in French).
func TestForAndMissing(t *testing.T) {
	fsys := fstest.MapFS{
		"fr.json":        {Data: []byte(`{"_name":"Français","_dir":"ltr","_status":"reference","a":"A","b":"B {0}","n":"{0} pages","n.one":"{0} page"}`)},
		"fa-AF.json":     {Data: []byte(`{"_name":"دری","_dir":"rtl","_status":"draft","a":"آ","n":"{0} صفحه","n.one":"{0} صفحه"}`)},
		"fr-x-falc.json": {Data: []byte(`{"_name":"Français facile","_dir":"ltr","_status":"draft","a":"A","b":"B {0}","n":"{0} pages","n.one":"{0} page"}`)},
	}
	loaded, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	saved := cats().all
	use(loaded)
	defer use(saved)
	for in, want := range map[string]string{"fa-AF": "fa-AF", "fa-af": "fa-AF", "FA_AF": "fa-AF", "prs": "fa-AF",
		"prs-AF": "fa-AF", "fa": "fa-AF", "fa-IR": "fa-AF", "fr-x-falc": "fr-x-falc", "FR-X-FALC": "fr-x-falc",
		"fr": "fr", "fr-FR": "fr", "fr-CA": "fr"} {
		c := For(in)
		if c == nil || c.Code != want {
			t.Errorf("For(%q) = %v, want %s", in, c, want)
		}
	}
	if c := For("ps"); c != nil {
		t.Errorf("For(ps) = %s, want none", c.Code)
	}
	dari := Get("fa-AF")
	if got := strings.Join(dari.Missing(), ","); got != "b" {
		t.Errorf("fa-AF missing %q, want b", got)
	}
	if got := dari.T("b", "x"); got != "B x" {
		t.Errorf("a missing key in fa-AF = %q, want the French", got)
	}
	if dari.Dir != "rtl" || dari.Status != "draft" || dari.Name != "دری" {
		t.Errorf("fa-AF metadata %q %q %q", dari.Dir, dari.Status, dari.Name)
	}
	// Easy-read French counts as French (0 and 1 singular), Dari as Persian.
	if got := Get("fr-x-falc").T("n", 0); got != "0 page" {
		t.Errorf("fr-x-falc n(0) = %q", got)
	}
	if got := Get("fr-x-falc").Category(1); got != "one" {
		t.Errorf("fr-x-falc 1 is %q", got)
	}
	if got := dari.Category(2); got != "other" {
		t.Errorf("fa-AF 2 is %q", got)
	}
}

// easyReadFaults lists the messages of c that break the measurable rules
// of easy-read French (package doc): a sentence longer than 15 words, a
// semicolon or an ellipsis.
func easyReadFaults(c *Catalogue) []string {
	split := regexp.MustCompile(`[.!?:]\s+|\n`)
	var out []string
	for _, k := range c.Keys() {
		if strings.HasPrefix(k, "_") || k == "export.readme" {
			continue
		}
		v, _ := c.Own(k)
		if strings.ContainsAny(v, ";…") {
			out = append(out, k+": "+v)
			continue
		}
		for _, s := range split.Split(v, -1) {
			if n := len(strings.Fields(s)); n > 15 {
				out = append(out, k+": "+strconv.Itoa(n)+" words: "+s)
				break
			}
		}
	}
	return out
}

// Easy-read French keeps its measurable rules in every message; plain
// French, which the check must catch, does not.
func TestEasyReadRules(t *testing.T) {
	falc := Get("fr-x-falc")
	if falc == nil {
		t.Fatal("no easy-read French catalogue (fr-x-falc)")
	}
	for _, f := range easyReadFaults(falc) {
		t.Errorf("fr-x-falc: %s", f)
	}
	if n := len(easyReadFaults(Get("fr"))); n < 10 {
		t.Errorf("the check finds only %d faults in plain French: it is broken", n)
	}
	// Words a newcomer on a phone stumbled on, said otherwise in
	// easy-read ("si vous voulez", "lien pour envoyer", "plus valable").
	for _, k := range falc.Keys() {
		v, _ := falc.Own(k)
		for _, hard := range []string{"facultatif", "d'envoi", "expiré"} {
			if strings.Contains(strings.ToLower(v), hard) && k != "api.key.bad_upload_key" && k != "api.label.check_label_duration" {
				t.Errorf("fr-x-falc %s says %q: %s", k, hard, v)
			}
		}
	}
	// Easy-read French is its own text where plain French is hard.
	for _, k := range []string{"home.lead", "signup.lead", "sheet.lead", "add.lead", "sheetpdf.intro", "links.lead", "secret.why"} {
		a, _ := falc.Own(k)
		b, _ := Get("fr").Own(k)
		if a == b {
			t.Errorf("fr-x-falc %q is the plain French text", k)
		}
	}
}

// A catalogue made at run time (the tests' pseudo-locale) is found by its
// tag and counts with its base language's rules; a code taken is refused.
func TestRegister(t *testing.T) {
	saved := cats().all
	defer use(saved)
	if err := Register("fr", map[string]string{"a": "b"}); err == nil {
		t.Error("Register(fr) replaced French")
	}
	if err := Register("not a tag!", map[string]string{"a": "b"}); err == nil {
		t.Error("Register accepted a malformed tag")
	}
	if err := Register("fr-x-pseudo", map[string]string{"_name": "Pseudo", "n": "{0} págéés", "n.one": "{0} págé"}); err != nil {
		t.Fatal(err)
	}
	c := For("FR-X-PSEUDO")
	if c == nil || c.T("n", 0) != "0 págé" || c.T("n", 2) != "2 págéés" || c.T("home.title") != Get("fr").T("home.title") {
		t.Fatalf("pseudo-locale: %v", c)
	}
}

// Pashto is "ps", right to left, reached by the tags browsers send and by
// the ISO codes of its varieties, and counts with CLDR's Pashto rules:
// one for 1 only.
func TestPashto(t *testing.T) {
	for _, in := range []string{"ps", "PS", "ps-AF", "ps_PK", "pus", "pbt", "pbt-AF", "pbu", "pst"} {
		if c := For(in); c == nil || c.Code != "ps" {
			t.Errorf("For(%q) = %v, want ps", in, c)
		}
	}
	ps := Get("ps")
	if ps == nil {
		t.Fatal("no ps catalogue")
	}
	if ps.Dir != "rtl" || ps.Name != "پښتو" || !strings.HasPrefix(ps.Status, "draft") {
		t.Errorf("ps metadata %q %q %q", ps.Dir, ps.Name, ps.Status)
	}
	for n, want := range map[int64]string{0: "other", 1: "one", 2: "other", 21: "other"} {
		if got := ps.Category(n); got != want {
			t.Errorf("ps %d is %q, want %q", n, got, want)
		}
	}
	if got := ps.T("papers.pages", 1); got != "1 پاڼه" {
		t.Errorf("ps papers.pages(1) = %q", got)
	}
	if got := ps.T("papers.pages", 3); got != "3 پاڼې" {
		t.Errorf("ps papers.pages(3) = %q", got)
	}
}

// TestRightToLeftArgumentsIsolated: in Arabic, Dari and Pashto a name or a number
// put into a sentence is isolated (U+2068 … U+2069), so that a Latin name
// ending in a full stop cannot carry the sentence's quotes to the wrong
// side; left-to-right languages get their arguments as they are.
func TestRightToLeftArgumentsIsolated(t *testing.T) {
	for _, code := range []string{"ar", "fa-AF", "ps"} {
		if got, want := Lang(code).T("fmt.quoted", "Léa M."), "«\u2068Léa M.\u2069»"; got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
		// A number or an Arabic-script word is placed by the bidirectional
		// algorithm alone; an argument already isolated is not wrapped twice.
		if got := Lang(code).T("fmt.quoted", "ورقه ۷"); strings.ContainsAny(got, "\u2068\u2069") {
			t.Errorf("%s: right-to-left argument isolated: %q", code, got)
		}
		if one, many := Lang(code).T("papers.pages", 1), Lang(code).T("papers.pages", 7); one == many || strings.ContainsAny(many, "\u2068\u2069") {
			t.Errorf("%s: 1 → %q, 7 → %q", code, one, many)
		}
		inner := Lang(code).T("fmt.quoted", "Léa")
		if got := Lang(code).T("fmt.quoted", inner); strings.Count(got, "\u2068") != 1 {
			t.Errorf("%s: wrapped twice: %q", code, got)
		}
	}
	for _, code := range []string{"fr", "en", "uk"} {
		if got := Lang(code).T("fmt.quoted", "Léa"); strings.ContainsAny(got, "\u2068\u2069") {
			t.Errorf("%s: left-to-right message isolated: %q", code, got)
		}
	}
}
