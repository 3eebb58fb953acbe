package api_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/coffre/coffre/api/i18n"
)

var secretHintRE = regexp.MustCompile(`id="secret-hint">([^<]*)<`)

// suggestedWords finds, in text, a run of 4 consecutive words of list (the
// suggested secret), nil if there is none.
func suggestedWords(text string, list map[string]bool) []string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) })
	for i := 0; i+4 <= len(words); i++ {
		run := words[i : i+4]
		if list[run[0]] && list[run[1]] && list[run[2]] && list[run[3]] {
			return run
		}
	}
	return nil
}

// TestSignupSuggestsWordsOfTheLanguage: the sign-up page (and the JSON
// API's passphrase) in Dari, Arabic, Ukrainian, Spanish, Turkish and
// Romanian suggests four words of that language's own list, not the French
// one it fell back to before; easy-read French keeps the French list.
func TestSignupSuggestsWordsOfTheLanguage(t *testing.T) {
	e := newEnv(t, envOptions{})
	fr := map[string]bool{}
	for _, w := range i18n.Get("fr").Words() {
		fr[w] = true
	}
	for _, code := range []string{"fa-AF", "ar", "uk", "es", "tr", "ro", "fr-x-falc"} {
		t.Run(code, func(t *testing.T) {
			list := map[string]bool{}
			for _, w := range i18n.Get(code).Words() {
				list[w] = true
			}
			c := e.client()
			c.lang = code
			for range 5 {
				r := want(t, c.get(t, "/signup?lang="+code), http.StatusOK, "sign-up page")
				m := secretHintRE.FindSubmatch(r.body)
				if m == nil {
					t.Fatalf("no secret hint on the sign-up page:\n%s", r.body)
				}
				hint := html.UnescapeString(string(m[1]))
				got := suggestedWords(hint, list)
				if got == nil {
					t.Fatalf("the hint %q suggests no 4 words of the %s list", hint, code)
				}
				inFR := 0
				for _, w := range got {
					if fr[w] {
						inFR++
					}
				}
				if code != "fr-x-falc" && inFR == 4 {
					t.Errorf("%s: %q are all French words", code, got)
				}

				var p struct {
					Passphrase string `json:"passphrase"`
				}
				want(t, c.get(t, "/api/v1/passphrase?lang="+code), http.StatusOK, "passphrase").json(t, &p)
				if ws := strings.Fields(p.Passphrase); len(ws) != 4 || suggestedWords(p.Passphrase, list) == nil {
					t.Errorf("API passphrase %q: not 4 words of the %s list", p.Passphrase, code)
				}
			}
		})
	}
}
