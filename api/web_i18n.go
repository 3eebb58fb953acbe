package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// The web pages speak through message catalogues, one JSON file per
// language in i18n/ (fr.json is the default and the reference). Adding a
// language is adding a file: its "_name" (the language's own name), "_dir"
// ("ltr" or "rtl": Arabic, Dari and Pashto are right-to-left) and the
// messages. A key missing from a catalogue falls back to French.
// Placeholders are {0}, {1}, … in the message.

//go:embed i18n/*.json
var i18nFS embed.FS

// webDefaultLang is the language of the pages when nothing else decides.
const webDefaultLang = "fr"

// catalogue is one language's messages.
type catalogue struct {
	Code string
	Name string
	Dir  string
	msgs map[string]string
}

// catalogues is every embedded language, by code, loaded once.
var catalogues, catalogueCodes = mustLoadCatalogues(i18nFS)

func mustLoadCatalogues(fsys fs.FS) (map[string]*catalogue, []string) {
	cats, err := loadCatalogues(fsys)
	if err != nil {
		panic(err)
	}
	codes := make([]string, 0, len(cats))
	for code := range cats {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return cats, codes
}

func loadCatalogues(fsys fs.FS) (map[string]*catalogue, error) {
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, err
	}
	cats := map[string]*catalogue{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("api: catalogue %s: %w", f, err)
		}
		code := strings.TrimSuffix(path.Base(f), ".json")
		c := &catalogue{Code: code, Name: m["_name"], Dir: m["_dir"], msgs: m}
		if c.Dir != "rtl" {
			c.Dir = "ltr"
		}
		if c.Name == "" {
			c.Name = code
		}
		cats[code] = c
	}
	if cats[webDefaultLang] == nil {
		return nil, fmt.Errorf("api: no %s catalogue", webDefaultLang)
	}
	return cats, nil
}

// loc is what a page uses to speak: the chosen catalogue.
type loc struct {
	c *catalogue
}

// T returns the message for key with {0}, {1}, … replaced by args. A key
// missing everywhere shows as the key itself (tests catch it).
//
// When the first argument is a count that the catalogue's "_one" lists
// (French "0,1", English "1"), the message "<key>.one" is used if there is
// one: "1 page", "3 pages".
func (l loc) T(key string, args ...any) string {
	if len(args) > 0 && l.one(args[0]) {
		if s, ok := l.lookup(key + ".one"); ok {
			return fill(s, args)
		}
	}
	s, ok := l.lookup(key)
	if !ok {
		return key
	}
	return fill(s, args)
}

// Plural is the raw message (placeholders left in) for a count of n, for
// scripts that fill it in.
func (l loc) Plural(key string, n int) string {
	if l.one(n) {
		if s, ok := l.lookup(key + ".one"); ok {
			return s
		}
	}
	s, _ := l.lookup(key)
	return s
}

// One is the catalogue's list of singular counts (for scripts).
func (l loc) One() string {
	if v, ok := l.c.msgs["_one"]; ok {
		return v
	}
	return "1"
}

func (l loc) one(arg any) bool {
	n, ok := arg.(int)
	if !ok {
		return false
	}
	for _, v := range strings.Split(l.One(), ",") {
		if strings.TrimSpace(v) == strconv.Itoa(n) {
			return true
		}
	}
	return false
}

func (l loc) lookup(key string) (string, bool) {
	if s, ok := l.c.msgs[key]; ok {
		return s, true
	}
	s, ok := catalogues[webDefaultLang].msgs[key]
	return s, ok
}

func fill(s string, args []any) string {
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}

// Lang is the language code (for lang="…" and messages from the domain).
func (l loc) Lang() string { return l.c.Code }

// Dir is "ltr" or "rtl".
func (l loc) Dir() string { return l.c.Dir }

// domainLang is the language the vault and the converter speak to this
// person: they know French and English.
func (l loc) domainLang() string {
	if l.c.Code == langEN {
		return langEN
	}
	if l.c.Code == langFR {
		return langFR
	}
	return langEN
}

// Other languages, for the switch.
func (l loc) Others() []*catalogue {
	var out []*catalogue
	for _, code := range catalogueCodes {
		if code != l.c.Code {
			out = append(out, catalogues[code])
		}
	}
	return out
}

// webLang chooses the page language: ?lang=, then the language cookie,
// then Accept-Language among the catalogues, then French.
func webLang(c *gin.Context) loc {
	for _, v := range []string{c.Query("lang"), cookieValue(c, langCookie)} {
		if cat := catalogueFor(v); cat != nil {
			return loc{cat}
		}
	}
	if code, ok := acceptedLang(c.GetHeader("Accept-Language")); ok {
		return loc{catalogues[code]}
	}
	return loc{catalogues[webDefaultLang]}
}

// catalogueFor maps "fr", "fr-FR", "EN" … to a catalogue, nil if none.
func catalogueFor(tag string) *catalogue {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "" || len(tag) > 35 {
		return nil
	}
	if c := catalogues[tag]; c != nil {
		return c
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	return catalogues[base]
}

func cookieValue(c *gin.Context, name string) string {
	ck, err := c.Request.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// switchLang remembers the chosen language in a cookie (a year) and goes
// back to the page the person was on.
func (s *server) switchLang(c *gin.Context) {
	cat := catalogueFor(c.Query("to"))
	if cat == nil {
		cat = catalogues[webDefaultLang]
	}
	// #nosec G124 -- Secure follows the base URL's scheme (https in production); the cookie holds a language code only.
	http.SetCookie(c.Writer, &http.Cookie{
		Name: langCookie, Value: cat.Code, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	c.Redirect(http.StatusSeeOther, localPath(c.Query("back")))
}

// localPath keeps a redirect target on this site: an absolute path (with
// an optional query), never "//host", a scheme, a user or a host. The
// target is parsed with net/url, and refused outright when it holds a
// backslash, a control character or white space anywhere, raw or
// percent-encoded in its path (browsers drop tabs and newlines and read
// "\" as "/", so "/\t/evil.example" would leave the site). Anything
// refused is "/".
func localPath(p string) string {
	if len(p) > 512 || !strings.HasPrefix(p, "/") || !safeURLChars(p) {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || !safeURLChars(u.Path) {
		return "/"
	}
	return p
}

// safeURLChars reports whether s holds no backslash, control character or
// white space.
func safeURLChars(s string) bool {
	for _, r := range s {
		if r == '\\' || r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) ||
			unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
