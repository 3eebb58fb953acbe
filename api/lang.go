package api

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
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

// fromAcceptLanguage picks the supported language with the highest q value
// (first listed wins ties); French when none is supported.
func fromAcceptLanguage(h string) string {
	best, bestQ := langFR, -1.0
	for _, part := range strings.Split(h, ",") {
		if len(part) > 100 {
			continue
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		l, ok := knownLang(tag)
		if ok && q > 0 && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// msg is a message in both languages.
type msg struct{ en, fr string }

func (m msg) in(l string) string {
	if l == langEN {
		return m.en
	}
	return m.fr
}
