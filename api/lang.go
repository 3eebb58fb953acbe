package api

import (
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"github.com/coffre/coffre/api/i18n"
)

// Languages the service speaks to people. French is the default.
const (
	langFR = "fr"
	langEN = "en"
)

// langCookie remembers a person's choice of language.
const langCookie = "coffre_lang"

const ctxLang = "coffre.lang"

// langMiddleware decides the language of messages: the `lang` query
// parameter, then the language cookie, then Accept-Language, then French
// (the same order as the pages, webLang).
func langMiddleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxLang, negotiateLang(c))
		c.Next()
	}
}

func negotiateLang(c *gin.Context) string {
	for _, v := range []string{c.Query("lang"), cookieValue(c, langCookie)} {
		if cat := i18n.For(v); cat != nil {
			return cat.Code
		}
	}
	if code, ok := acceptedLang(c.GetHeader("Accept-Language")); ok {
		return code
	}
	return webDefaultLang
}

// lang returns the catalogue code chosen for this request.
func lang(c *gin.Context) string {
	if l := c.GetString(ctxLang); l != "" {
		return l
	}
	return webDefaultLang
}

// apiLoc is the catalogue of this request's language.
func apiLoc(c *gin.Context) loc { return locFor(lang(c)) }

// knownLang maps "fr", "fr-FR", "EN", "prs", … to a language an owner's
// account can have: any catalogue's (her e-mails, messages and the pages of
// her upload links follow it).
func knownLang(s string) (string, bool) {
	if c := i18n.For(s); c != nil {
		return c.Code, true
	}
	return "", false
}

// One Accept-Language matcher for the JSON API and the pages:
// golang.org/x/text/language parses the header (q values, wildcards,
// malformed parts) and matches it against the page catalogues the way the
// Unicode CLDR says (en-GB and en-US are English, sr-Latn is not sr-Cyrl,
// regions and scripts weigh in), instead of two hand-written parsers that
// each split on commas and compared base subtags.
var langCodes, langMatcher = newLangMatcher(catalogueCodes)

// maxAcceptLanguage bounds the header parsed (browsers send well under 200
// bytes); a longer one is ignored.
const maxAcceptLanguage = 1 << 10

// newLangMatcher matches among codes, the default language first (what the
// matcher falls back to).
func newLangMatcher(codes []string) ([]string, language.Matcher) {
	ordered := []string{webDefaultLang}
	for _, c := range codes {
		if c != webDefaultLang {
			ordered = append(ordered, c)
		}
	}
	tags := make([]language.Tag, len(ordered))
	for i, c := range ordered {
		tags[i] = language.Make(c)
	}
	return ordered, language.NewMatcher(tags)
}

// acceptedLang returns the catalogue code that best matches an
// Accept-Language header; false when the header names no language Coffre
// speaks (or is malformed, or refuses every one with q=0).
func acceptedLang(header string) (string, bool) {
	if header == "" || len(header) > maxAcceptLanguage {
		return "", false
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	// Codes x/text does not match (Dari's "prs", Pashto's varieties):
	// their catalogue's tag.
	for i, t := range tags {
		if a, ok := i18n.Alias[strings.ToLower(t.String())]; ok {
			tags[i] = language.Make(a)
		} else if b, _ := t.Base(); b.String() == "prs" || i18n.Alias[b.String()] == "ps" {
			tags[i] = language.Make(i18n.Alias[b.String()])
		}
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "", false
	}
	return langCodes[i], true
}
