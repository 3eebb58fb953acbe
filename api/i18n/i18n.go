// Package i18n is Coffre's one message catalogue: every word a person
// reads — pages, API error messages, the journal, notifications in every
// channel, the recovery sheet, portal names and the word lists of the
// suggested secret — comes from the files of this folder, one JSON file per
// language (fr.json is the default and the reference) and one word list per
// language (words_<code>.txt). Domain packages (vault, notify's queue,
// converter) return codes and parameters; the edge (package api, notify's
// renderer, the command line) says them with a Catalogue.
//
// # Format
//
// A catalogue is a flat JSON object of keys to messages, so that branches
// adding keys merge line by line. Three metadata keys start with "_":
// "_name" is the language's own name in its own script (the language menu
// shows it), "_dir" is "ltr" or "rtl", and "_status" says who checked the
// words ("reference", "draft (machine translation, not reviewed)",
// "reviewed by a native speaker"…). Placeholders are positional: {0}, {1},
// … A key missing from a catalogue falls back to French, and Missing lists
// it: the catalogue tests require every shipped catalogue to be complete.
//
// # Languages and their codes
//
// A catalogue's file name is its BCP 47 tag, which is also the page's
// lang="…": fr (the reference), en, es, uk, tr, ro, ar (Arabic, right to left),
// fa-AF (Dari, right to left), ps (Pashto, right to left) and fr-x-falc
// (easy-read French). Dari is "fa-AF",
// not its ISO 639-3 code "prs": golang.org/x/text/language matches "fa",
// "fa-IR" and "fa-AF" to fa-AF but does not know "prs" (it matches nothing),
// and browsers, screen readers and speech voices know Dari as fa-AF; "prs"
// and "prs-AF" are mapped to it by hand (Alias). Easy-read French is a
// private-use variant of French, so that "fr" and "fr-FR" choose plain
// French and only an explicit choice (the menu, ?lang=fr-x-falc) chooses it.
// Pashto is "ps", as browsers and voices know it; x/text matches "ps",
// "pus" and "ps-AF" to it, and the codes of its varieties ("pbt", "pst")
// are mapped by hand. Plural forms follow the base language's CLDR rules
// (fr for fr-x-falc, fa for fa-AF, ps: one and other).
//
// # Easy-read French (FALC)
//
// fr-x-falc is written after Inclusion Europe's European standards for
// making information easy to read and understand ("Information for all",
// 2009) and their French version ("L'information pour tous", Facile à lire
// et à comprendre). The rules applied to every message:
//
//   - one idea per sentence, short sentences (about 15 words at most);
//   - everyday words; a hard word that must stay (secret, code) is said the
//     same way everywhere;
//   - speak to the person directly ("vous"), in the active voice, in the
//     present tense where possible;
//   - positive sentences; no double negation, no passive, no subjunctive
//     where a plain form exists;
//   - no abbreviation and no percentage; numbers written as digits;
//   - the same word for the same thing on every page (papier, lien d'envoi,
//     partage: the retired words are refused as in French);
//   - instructions as a list of steps, in the order of doing them;
//   - no special characters such as ";" or "…" in sentences.
//
// The pictograms on every action come from the pages (an icon per button)
// and are the same in every language.
//
// # Plurals
//
// A message that depends on a count has its CLDR plural forms as sibling
// keys: the bare key is the "other" form, "<key>.zero", "<key>.one",
// "<key>.two", "<key>.few" and "<key>.many" the others, each language
// giving the forms its CLDR rules use ("papers.pages.one": "{0} page",
// "papers.pages": "{0} pages"; Arabic or Ukrainian give more). T picks the
// form from its first argument when that is an integer. The choice of form
// is never made here by hand: it is CLDR's, through
// github.com/nicksnyder/go-i18n/v2, chosen over golang.org/x/text/feature/plural
// because its rules are generated from a current CLDR (x/text's tables are
// CLDR 32, from 2017, without French "many" for instance), the same
// generation the browsers' Intl.PluralRules follow, which the pages'
// scripts use with the forms the server gives them (Forms): the server
// and the scripts choose alike. go-i18n is used only to choose the form;
// its message format is not, so the catalogues stay flat with {0}.
//
// # Word lists
//
// words_fr.txt is a hand-made list of common French words without accents
// (each checked against Debian's wfrench). words_en.txt holds the words of
// the Electronic Frontier Foundation's large wordlist for passphrases
// (https://www.eff.org/dice, CC BY 3.0 US) that SCOWL (Kevin Atkinson,
// sizes 10 to 35) counts as common English, less words that could distress
// the people Coffre serves (violence, illness, police, money, borders…),
// chosen by hand; Words falls back to French for a language without a list
// (a catalogue's list is words_<code>.txt: fr-x-falc has none and suggests
// French words).
//
// words_es.txt, words_ro.txt, words_tr.txt, words_uk.txt, words_ar.txt
// and words_fa-AF.txt are drafts, machine-made and not yet reviewed by
// native speakers: common, concrete, easy-to-spell words (nouns mostly:
// objects, food, animals, nature, colours, everyday places; some verbs and
// adjectives), 3 to 9 letters, lower case, written for each language and
// then cleaned by hand of every word that could distress (violence,
// illness, death, police, prison, borders, money, religion, politics, sex,
// insults, family ties — and, for Ukrainian, sirens, shelters, shells and
// floods), of words that differ from another only by a diacritic or a
// keyboard variant, and of most inflected doubles (Romanian definite and
// plural forms, Spanish and Romanian gender pairs); some derived words
// stay beside their base (Arabic broken plurals, Turkish -li and -lik
// words), for a reviewer to thin. Each word left was then checked with a Debian
// spelling dictionary (hunspell -l, aspell list), and every word the
// dictionary did not know was dropped:
//
//	list   dictionary                     checked  rejected  kept
//	es     hunspell-es 7.5 (es_ES)           2509       394  2115
//	uk     hunspell-uk 7.5 (uk_UA)           2236       120  2116
//	tr     hunspell-tr 7.5 (tr_TR)           2150        46  2104
//	ro     hunspell-ro 7.5 (ro_RO)           2119        47  2072
//	ar     hunspell-ar 3.2 (ar)              2218       116  2102
//	fa-AF  aspell-fa 0.11 (aspell list)      2676       599  2077
//
// Spanish is written without accents or ñ (any keyboard types it): most of
// its rejections are words whose correct spelling has one (arbol, limon).
// Ukrainian's dictionary refused Russian words (арбуз, кресло); its list
// has no apostrophe word. Romanian keeps its letters (ă â î ș ț, comma
// below); Turkish its own (ç ğ ı ö ş ü). Arabic has no harakat and no
// word beginning with the article ال. Debian has no Dari dictionary:
// aspell-fa is Iranian Persian, and refused Dari words such as کچالو
// (potato), کیله (banana), حویلی (courtyard) and most numbers, so the Dari
// list leans on the words Dari and Iranian Persian share, with Persian
// letters (ی, ک); a Dari speaker's review should bring the Dari words
// back. scripts/check-wordlists.sh re-runs the dictionaries over the
// lists. No test needs a dictionary: TestWordListsOfEachLanguage checks
// each list's size, script, letters and folds, and a few denied words.
//
// A suggested Arabic or Dari secret opens the vault whichever keyboard
// types it later: the vault folds Persian and Arabic letters, digits,
// tatweel and harakat before deriving (vault.FoldSecret), and no two words
// of a list fold to one.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/bidi"
)

//go:embed *.json words_*.txt
var files embed.FS

// Default is the language when nothing else decides, and the reference
// catalogue every other one is checked against.
const Default = "fr"

// PluralCategories are CLDR's plural categories, "other" last: the bare key.
var PluralCategories = []string{"zero", "one", "two", "few", "many", "other"}

// Catalogue is one language's messages.
type Catalogue struct {
	// Code is the catalogue's file name ("fr", "en").
	Code string
	// Name is the language's own name ("Français").
	Name string
	// Dir is "ltr" or "rtl".
	Dir string
	// Status is the catalogue's review status ("_status").
	Status string

	msgs      map[string]string
	words     []string
	localizer *goi18n.Localizer
}

// set is every catalogue, replaced whole (Register) and read without
// locks.
type set struct {
	all   map[string]*Catalogue
	lower map[string]*Catalogue // by lower-case code
	codes []string
}

var current atomic.Pointer[set]

// cats is the current set of catalogues.
func cats() *set { return current.Load() }

// Alias maps tags that golang.org/x/text/language does not match to a
// catalogue's code: Dari's ISO 639-3 code, plain Persian (Farsi, close
// enough to Dari to be read), and Pashto's ISO 639-2 code and the ISO 639-3
// codes of its varieties (Southern, Northern, Central: one written
// language).
var Alias = map[string]string{"prs": "fa-AF", "prs-af": "fa-AF", "fa": "fa-AF",
	"pus": "ps", "pbt": "ps", "pbu": "ps", "pst": "ps"}

func init() {
	m, err := load(files)
	if err != nil {
		panic(err)
	}
	use(m)
}

// use makes m the catalogues.
func use(m map[string]*Catalogue) {
	s := &set{all: m, lower: map[string]*Catalogue{}}
	for code, c := range m {
		s.codes = append(s.codes, code)
		s.lower[strings.ToLower(code)] = c
	}
	sort.Strings(s.codes)
	current.Store(s)
}

// load reads every catalogue and word list of fsys.
func load(fsys fs.FS) (map[string]*Catalogue, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	bundle := goi18n.NewBundle(language.Make(Default))
	out := map[string]*Catalogue{}
	for _, f := range names {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: catalogue %s: %w", f, err)
		}
		code := strings.TrimSuffix(path.Base(f), ".json")
		c, err := build(bundle, code, m)
		if err != nil {
			return nil, fmt.Errorf("i18n: catalogue %s: %w", f, err)
		}
		if w, err := fs.ReadFile(fsys, "words_"+code+".txt"); err == nil {
			c.words = strings.Fields(string(w))
		}
		out[code] = c
	}
	if out[Default] == nil {
		return nil, fmt.Errorf("i18n: no %s catalogue", Default)
	}
	return out, nil
}

// build makes the catalogue of code from its messages.
func build(bundle *goi18n.Bundle, code string, m map[string]string) (*Catalogue, error) {
	tag, err := language.Parse(code)
	if err != nil {
		return nil, err
	}
	c := &Catalogue{Code: code, Name: m["_name"], Dir: m["_dir"], Status: m["_status"], msgs: m}
	if c.Dir != "rtl" {
		c.Dir = "ltr"
	}
	if c.Name == "" {
		c.Name = code
	}
	// The probe message names each form by its CLDR category: asking for
	// it with a count gives the category CLDR chooses. Plural rules are
	// the base language's (fr-x-falc counts as fr).
	base, _ := tag.Base()
	ptag := language.Make(base.String())
	if err := bundle.AddMessages(ptag, &goi18n.Message{ID: probeID,
		Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}); err != nil {
		return nil, err
	}
	c.localizer = goi18n.NewLocalizer(bundle, ptag.String())
	return c, nil
}

// Register adds a catalogue made at run time: the tests' pseudo-locale
// (French 40 % longer, with accents) that shows overflow before
// translators do. It must be called before any message is asked for
// (catalogues are read without locks); its code must be new and its tag
// valid (a private-use one, "fr-x-pseudo", keeps it out of
// Accept-Language matching).
func Register(code string, msgs map[string]string) error {
	if cats().all[code] != nil || cats().lower[strings.ToLower(code)] != nil {
		return fmt.Errorf("i18n: catalogue %s exists", code)
	}
	m := make(map[string]string, len(msgs))
	for k, v := range msgs {
		m[k] = v
	}
	c, err := build(goi18n.NewBundle(language.Make(Default)), code, m)
	if err != nil {
		return fmt.Errorf("i18n: catalogue %s: %w", code, err)
	}
	next := make(map[string]*Catalogue, len(cats().all)+1)
	for k, v := range cats().all {
		next[k] = v
	}
	next[code] = c
	use(next)
	return nil
}

const probeID = "plural-category"

// Get is the catalogue of code ("fr", "en"), nil when there is none.
func Get(code string) *Catalogue { return cats().all[code] }

// Lang is the catalogue of code, or the default one.
func Lang(code string) *Catalogue {
	if c := cats().all[code]; c != nil {
		return c
	}
	return cats().all[Default]
}

// For maps a language tag as people and browsers write it ("fr",
// "fr-FR", "EN", "en_GB", "fa-af", "prs") to a catalogue, nil if none: the
// catalogue of that exact code, else of an alias, else of its base
// language.
func For(tag string) *Catalogue {
	tag = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(tag)), "_", "-")
	if tag == "" || len(tag) > 35 {
		return nil
	}
	if c := cats().lower[tag]; c != nil {
		return c
	}
	if a, ok := Alias[tag]; ok && cats().all[a] != nil {
		return cats().all[a]
	}
	base, _, _ := strings.Cut(tag, "-")
	if c := cats().lower[base]; c != nil {
		return c
	}
	if a, ok := Alias[base]; ok {
		return cats().all[a]
	}
	return nil
}

// Missing lists the keys of the reference catalogue that this one lacks
// (plural forms aside: TestPluralFormsComplete checks those), sorted. They
// show in French.
func (c *Catalogue) Missing() []string {
	var out []string
	for _, k := range cats().all[Default].Keys() {
		if IsForm(k) {
			continue
		}
		if _, ok := c.msgs[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// Codes lists every catalogue's code, sorted.
func Codes() []string { return append([]string(nil), cats().codes...) }

// T returns the message for key with {0}, {1}, … replaced by args. When
// the first argument is an integer, the plural form CLDR gives that count
// in this language is used ("<key>.one", "<key>.few", … or the bare key).
// A key missing everywhere shows as the key itself (tests catch it).
func (c *Catalogue) T(key string, args ...any) string {
	if len(args) > 0 {
		if n, ok := count(args[0]); ok {
			if s, ok := c.plural(key, n); ok {
				return fill(s, c.isolated(key, args))
			}
		}
	}
	s, ok := c.Lookup(key)
	if !ok {
		return key
	}
	return fill(s, c.isolated(key, args))
}

// isolated wraps each argument of a right-to-left message that holds a
// left-to-right letter (a Latin name, an identifier, an organisation) in
// Unicode's first-strong isolate (U+2068 … U+2069), as CLDR and ICU's
// message formatting do: inside an Arabic or Dari sentence it keeps its own
// direction and cannot pull the sentence's punctuation or words around it
// ("«Léa M.»" stays in place). Numbers and Arabic-script words need no
// isolate (the bidirectional algorithm already places them), and an
// argument whose left-to-right words are already isolated is not wrapped
// twice. Left-to-right messages,
// and a right-to-left language's message that falls back to French, are
// left as they are. Character classes are golang.org/x/text/unicode/bidi's.
func (c *Catalogue) isolated(key string, args []any) []any {
	if _, own := c.msgs[key]; c.Dir != "rtl" || len(args) == 0 || !own {
		return args
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if s, ok := a.(string); ok && needsIsolate(s) {
			out[i] = "\u2068" + s + "\u2069"
		}
	}
	return out
}

// needsIsolate reports whether s has a strong left-to-right character
// outside the isolates it already holds.
func needsIsolate(s string) bool {
	depth := 0
	for _, r := range s {
		switch {
		case r >= '\u2066' && r <= '\u2068':
			depth++
		case r == '\u2069' && depth > 0:
			depth--
		case depth == 0:
			if p, _ := bidi.LookupRune(r); p.Class() == bidi.L {
				return true
			}
		}
	}
	return false
}

// Has reports whether key has a message here or in French.
func (c *Catalogue) Has(key string) bool {
	_, ok := c.Lookup(key)
	return ok
}

// Lookup is the raw message of key (placeholders left in), falling back to
// French.
func (c *Catalogue) Lookup(key string) (string, bool) {
	if s, ok := c.msgs[key]; ok {
		return s, true
	}
	s, ok := cats().all[Default].msgs[key]
	return s, ok
}

// Own is the raw message of key in this catalogue only (no fallback).
func (c *Catalogue) Own(key string) (string, bool) {
	s, ok := c.msgs[key]
	return s, ok
}

// Keys lists this catalogue's own keys, sorted.
func (c *Catalogue) Keys() []string {
	out := make([]string, 0, len(c.msgs))
	for k := range c.msgs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// plural is the form of key for n: the catalogue that has key chooses it
// with its own CLDR rules.
func (c *Catalogue) plural(key string, n int64) (string, bool) {
	cat := c
	if _, ok := c.msgs[key]; !ok {
		cat = cats().all[Default]
		if _, ok := cat.msgs[key]; !ok {
			return "", false
		}
	}
	if form := cat.Category(n); form != "other" {
		if s, ok := cat.msgs[key+"."+form]; ok {
			return s, true
		}
	}
	return cat.msgs[key], true
}

// Category is the CLDR plural category of the integer n in this language:
// "zero", "one", "two", "few", "many" or "other".
func (c *Catalogue) Category(n int64) string {
	if n >= 0 && n < int64(len(c.smallCats())) {
		return c.smallCats()[n]
	}
	return c.category(n)
}

func (c *Catalogue) category(n int64) string {
	s, err := c.localizer.Localize(&goi18n.LocalizeConfig{
		MessageID: probeID, PluralCount: n, TemplateParser: template.IdentityParser{},
	})
	if err != nil || s == "" {
		return "other"
	}
	return s
}

// smallCats caches the categories of 0…999 (every count a page shows).
var smallCache sync.Map // code → []string

func (c *Catalogue) smallCats() []string {
	if v, ok := smallCache.Load(c.Code); ok {
		return v.([]string)
	}
	out := make([]string, 1000)
	for i := range out {
		out[i] = c.category(int64(i))
	}
	smallCache.Store(c.Code, out)
	return out
}

// Forms gives a script what it needs to say key for any count: the
// message of each plural category this language has for key, "other"
// being the bare key. The script picks the category with the browser's
// Intl.PluralRules for the page's language (CLDR, like Category).
func (c *Catalogue) Forms(key string) map[string]string {
	cat := c
	if _, ok := c.msgs[key]; !ok {
		cat = cats().all[Default]
	}
	out := map[string]string{}
	for _, form := range PluralCategories {
		k := key
		if form != "other" {
			k += "." + form
		}
		if s, ok := cat.msgs[k]; ok {
			out[form] = s
		}
	}
	return out
}

// FormsJSON is Forms as JSON, for a data- attribute.
func (c *Catalogue) FormsJSON(key string) string {
	b, _ := json.Marshal(c.Forms(key))
	return string(b)
}

// NeededForms is the set of plural categories CLDR gives to whole counts
// in this language (0 to 9 999: every count Coffre shows stays far below;
// past it, a missing form falls back to the bare "other" key).
func (c *Catalogue) NeededForms() map[string]bool {
	out := map[string]bool{}
	for _, f := range c.smallCats() {
		out[f] = true
	}
	for n := int64(1000); n < 10000; n++ {
		out[c.category(n)] = true
	}
	return out
}

// PluralKeys lists the keys of the reference catalogue that have plural
// forms (a sibling "<key>.<category>"), sorted.
func PluralKeys() []string {
	seen := map[string]bool{}
	for k := range cats().all[Default].msgs {
		if base, form, ok := splitForm(k); ok && form != "" {
			seen[base] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// splitForm splits "x.one" into "x" and "one"; form is "" for a key
// without a category suffix.
func splitForm(k string) (base, form string, ok bool) {
	i := strings.LastIndexByte(k, '.')
	if i < 0 {
		return k, "", true
	}
	for _, f := range PluralCategories[:len(PluralCategories)-1] {
		if k[i+1:] == f {
			return k[:i], f, true
		}
	}
	return k, "", true
}

// IsForm reports whether key is a plural form of another key ("x.one").
func IsForm(key string) bool {
	_, form, _ := splitForm(key)
	return form != ""
}

// Words is this language's word list for suggested secrets (French when
// the language has none).
func (c *Catalogue) Words() []string {
	if len(c.words) > 0 {
		return c.words
	}
	if w := cats().all[wordsFallback[c.Code]]; w != nil && len(w.words) > 0 {
		return w.words
	}
	return cats().all[Default].words
}

// wordsFallback names the list a language without its own borrows: Pashto
// speakers get Dari words, in their script, until a Pashto list is written
// (Dari is the language Afghans share; French words would be unreadable).
var wordsFallback = map[string]string{"ps": "fa-AF"}

// count reads an integer argument.
func count(a any) (int64, bool) {
	switch n := a.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case uint:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), true
	}
	return 0, false
}

// fill replaces {0}, {1}, … in one pass, so that an argument holding
// "{1}" (a name someone typed) is never filled in turn.
func fill(s string, args []any) string {
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		n, err := strconv.Atoi(s[i+1 : i+j])
		if err != nil || n < 0 || n >= len(args) || s[i+1] == '+' || s[i+1] == '-' {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		fmt.Fprint(&b, args[n])
		s = s[i+j+1:]
	}
}
