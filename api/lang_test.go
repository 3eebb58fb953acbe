package api

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestLanguageMatcherFollowsCLDR: the one Accept-Language matcher picks a
// catalogue the way CLDR matching does, which splitting on "-" and
// comparing base subtags cannot: Taiwanese Chinese reads Traditional,
// mainland Chinese Simplified, Angolan Portuguese the European catalogue.
func TestLanguageMatcherFollowsCLDR(t *testing.T) {
	codes, m := newLangMatcher([]string{"en", "fr", "pt-BR", "pt-PT", "zh-Hans", "zh-Hant"})
	saved, savedCodes := langMatcher, langCodes
	langMatcher, langCodes = m, codes
	defer func() { langMatcher, langCodes = saved, savedCodes }()
	for h, want := range map[string]string{
		"zh-TW":                "zh-Hant",
		"zh-CN":                "zh-Hans",
		"zh":                   "zh-Hans",
		"pt-AO":                "pt-PT",
		"pt":                   "pt-BR",
		"de,en;q=0.5,fr;q=0.8": "fr",
		"en-GB":                "en",
		"de":                   "",
		"":                     "",
	} {
		got, ok := acceptedLang(h)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("Accept-Language %q: %q, want %q", h, got, want)
		}
	}
}

// TestPagesAndAPIAgreeOnLanguage: for every header, the pages (webLang)
// and the JSON API (negotiateLang) answer in the same language.
func TestPagesAndAPIAgreeOnLanguage(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, h := range []string{
		"", "en", "en-GB,en;q=0.9", "de-DE,de;q=0.9", "de,en;q=0.5,fr;q=0.8", "de,en;q=0.9,fr;q=0.8",
		"fr-FR", "en;q=0", "en;q=abc", "EN-us", "*", "en;q=0.5,fr;q=0.5", "fr-CA;q=0.2, en-AU",
		"x-klingon,en;q=0.1", "zz-ZZ, fr;q=0.1", string(make([]byte, 5000)),
	} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/", nil)
		c.Request.Header.Set("Accept-Language", h)
		if page, api := webLang(c).c.Code, negotiateLang(c); page != api {
			t.Errorf("Accept-Language %.40q: pages in %s, API in %s", h, page, api)
		}
	}
}

// TestLanguageMatcherDari: Dari arrives as fa-AF, fa, prs or prs-AF and
// reaches the fa-AF catalogue; Arabic from anywhere reaches ar; plain
// French never chooses easy-read French, which only its own tag chooses.
func TestLanguageMatcherDari(t *testing.T) {
	codes, m := newLangMatcher([]string{"ar", "en", "fa-AF", "fr", "fr-x-falc"})
	saved, savedCodes := langMatcher, langCodes
	langMatcher, langCodes = m, codes
	defer func() { langMatcher, langCodes = saved, savedCodes }()
	for h, want := range map[string]string{
		"fa-AF":          "fa-AF",
		"fa":             "fa-AF",
		"prs":            "fa-AF",
		"prs-AF,en;q=.5": "fa-AF",
		"ar-MA":          "ar",
		"ar-SY,fr;q=0.5": "ar",
		"fr-FR":          "fr",
		"fr":             "fr",
		"fr-x-falc":      "fr", // chosen in the menu, not by a header
		"de":             "",
	} {
		got, ok := acceptedLang(h)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("Accept-Language %q: %q, want %q", h, got, want)
		}
	}
}

// TestLanguageMatcherPashto: Pashto arrives as ps, ps-AF, ps-PK, pus or
// the code of one of its varieties (pbt, pbu, pst) and reaches the ps
// catalogue, never Dari's.
func TestLanguageMatcherPashto(t *testing.T) {
	codes, m := newLangMatcher([]string{"ar", "en", "fa-AF", "fr", "ps"})
	saved, savedCodes := langMatcher, langCodes
	langMatcher, langCodes = m, codes
	defer func() { langMatcher, langCodes = saved, savedCodes }()
	for h, want := range map[string]string{
		"ps":              "ps",
		"ps-AF":           "ps",
		"ps-PK,en;q=.5":   "ps",
		"pus":             "ps",
		"pbt-AF,fr;q=0.5": "ps",
		"pst":             "ps",
		"pbu":             "ps",
		"fa-AF,ps;q=0.5":  "fa-AF",
		"de,ps;q=0.3":     "ps",
	} {
		got, ok := acceptedLang(h)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("Accept-Language %q: %q, want %q", h, got, want)
		}
	}
}
