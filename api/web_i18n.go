package api

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// The web pages speak through the message catalogues of package i18n
// (api/i18n: one JSON file per language, fr.json the default and the
// reference, CLDR plural forms as "<key>.one", "<key>.few", …).

// webDefaultLang is the language of the pages when nothing else decides.
const webDefaultLang = i18n.Default

// catalogue is one language's messages.
type catalogue = i18n.Catalogue

// catalogueCodes is every embedded language, sorted.
var catalogueCodes = i18n.Codes()

// loc is what a page uses to speak: the chosen catalogue.
type loc struct {
	c *catalogue
}

// locFor is the catalogue of a language code (French when unknown).
func locFor(code string) loc { return loc{i18n.Lang(code)} }

// T returns the message for key with {0}, {1}, … replaced by args; an
// integer first argument chooses the CLDR plural form ("1 page", "3
// pages"). A key missing everywhere shows as the key itself (tests catch
// it).
func (l loc) T(key string, args ...any) string { return l.c.T(key, args...) }

// Forms is the JSON of key's plural forms by CLDR category, for scripts
// that count (they choose with Intl.PluralRules, as the server does).
func (l loc) Forms(key string) string { return l.c.FormsJSON(key) }

// Lang is the language code (for lang="…" and messages from the domain).
func (l loc) Lang() string { return l.c.Code }

// Dir is "ltr" or "rtl".
func (l loc) Dir() string { return l.c.Dir }

// domainLang is the language of the data the vault still holds in two
// languages (the names of paper types and categories, vault/catalogue.json)
// and of an owner's account: French for French and easy-read French,
// English for any other (a catalogue names types in its own words with
// "type.<id>" and "cat.<id>" keys, which loc.DocType and loc.Category
// prefer).
func (l loc) domainLang() string {
	if l.c.Code == langFR || strings.HasPrefix(l.c.Code, langFR+"-") {
		return langFR
	}
	return langEN
}

// AccountLangs are the languages an account's messages can be in, each
// named in itself (from its catalogue's "_name"): every catalogue's.
func (l loc) AccountLangs() []*catalogue { return l.Langs() }

// Name is the language's own name ("العربية").
func (l loc) Name() string { return l.c.Name }

// Langs is every language, for the menu, each named in itself.
func (l loc) Langs() []*catalogue {
	out := make([]*catalogue, 0, len(catalogueCodes))
	for _, code := range catalogueCodes {
		out = append(out, i18n.Get(code))
	}
	return out
}

// LangOf is the catalogue of code (nil when Coffre has none): a person's
// language named in itself on a worker's page.
func (l loc) LangOf(code string) *catalogue {
	if code == "" {
		return nil
	}
	return catalogueFor(code)
}

// Other languages, for the switch.
func (l loc) Others() []*catalogue {
	var out []*catalogue
	for _, code := range catalogueCodes {
		if code != l.c.Code {
			out = append(out, i18n.Get(code))
		}
	}
	return out
}

// ownLang is the language a person chose for herself (the cookie, then
// Accept-Language, then French), whatever ?lang= asks for one page: a
// worker who shows a page in the person's language reads the way back in
// her own.
func ownLang(c *gin.Context) loc {
	for _, v := range []string{cookieValue(c, langCookie), cookieValue(c, acctLangCookie)} {
		if cat := catalogueFor(v); cat != nil {
			return loc{cat}
		}
	}
	if code, ok := acceptedLang(c.GetHeader("Accept-Language")); ok {
		return locFor(code)
	}
	return locFor(webDefaultLang)
}

// webLang chooses the page language: ?lang=, then the language cookie,
// then Accept-Language among the catalogues, then French.
func webLang(c *gin.Context) loc {
	for _, v := range []string{c.Query("lang"), cookieValue(c, langCookie), cookieValue(c, acctLangCookie)} {
		if cat := catalogueFor(v); cat != nil {
			return loc{cat}
		}
	}
	if code, ok := acceptedLang(c.GetHeader("Accept-Language")); ok {
		return loc{i18n.Lang(code)}
	}
	return loc{i18n.Lang(webDefaultLang)}
}

// catalogueFor maps "fr", "fr-FR", "EN" … to a catalogue, nil if none.
func catalogueFor(tag string) *catalogue { return i18n.For(tag) }

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
		cat = i18n.Lang(webDefaultLang)
	}
	s.setLangCookie(c, cat.Code)
	c.Redirect(http.StatusSeeOther, localPath(c.Query("back")))
}

// setLangCookie remembers a language on this browser for a year.
func (s *server) setLangCookie(c *gin.Context, code string) {
	// #nosec G124 -- Secure follows the base URL's scheme (https in production); the cookie holds a language code only.
	http.SetCookie(c.Writer, &http.Cookie{
		Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// acctLangCookie holds, for one browser session, the language of the
// account signed in (a new phone, a borrowed one reads in her language,
// not the phone's). A language chosen on the browser (langCookie) comes
// first; signing out forgets it, so the next person on a shared phone or
// a kiosk reads in her own (and does not learn the last one's).
const acctLangCookie = "coffre_acct_lang"

// rememberAccountLang: a signed-in owner's account language, for the rest
// of this browser session; anyone else signing in clears it.
func (s *server) rememberAccountLang(c *gin.Context, p *vault.Principal) {
	code := ""
	if p != nil && p.Kind() == vault.KindOwner {
		if prof, err := s.v.OwnerProfile(c.Request.Context(), p); err == nil {
			if cat := catalogueFor(prof.Lang); cat != nil {
				code = cat.Code
			}
		}
	}
	s.setAcctLang(c, code)
}

// setAcctLang sets the session's account language ("" forgets it).
func (s *server) setAcctLang(c *gin.Context, code string) {
	// #nosec G124 -- Secure follows the base URL's scheme (https in production); the cookie holds a language code only.
	ck := &http.Cookie{Name: acctLangCookie, Value: code, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
	if code == "" {
		ck.MaxAge = -1
	}
	http.SetCookie(c.Writer, ck)
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
