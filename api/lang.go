package api

import (
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
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
// parameter, then the language cookie, then Accept-Language, then French.
func langMiddleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxLang, negotiateLang(c))
		c.Next()
	}
}

func negotiateLang(c *gin.Context) string {
	if l, ok := knownLang(c.Query("lang")); ok {
		return l
	}
	if ck, err := c.Request.Cookie(langCookie); err == nil {
		if l, ok := knownLang(ck.Value); ok {
			return l
		}
	}
	return fromAcceptLanguage(c.GetHeader("Accept-Language"))
}

// lang returns the language chosen for this request.
func lang(c *gin.Context) string {
	if l := c.GetString(ctxLang); l != "" {
		return l
	}
	return langFR
}

// knownLang maps "fr", "fr-FR", "EN", … to a supported language.
func knownLang(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	base, _, _ := strings.Cut(s, "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case langFR:
		return langFR, true
	case langEN:
		return langEN, true
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
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "", false
	}
	return langCodes[i], true
}

// fromAcceptLanguage is the API's language for an Accept-Language header:
// the best match Coffre speaks, French when none.
func fromAcceptLanguage(h string) string {
	if code, ok := acceptedLang(h); ok {
		if l, ok := knownLang(code); ok {
			return l
		}
	}
	return langFR
}

// msg is a message in both languages.
type msg struct{ en, fr string }

func (m msg) in(l string) string {
	if l == langEN {
		return m.en
	}
	return m.fr
}
