package api

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// The edge says what the domain packages return as codes and numbers:
// converter errors, weak secrets, the recovery sheet's words, the
// suggested secret and portal names, all from the catalogue (package
// i18n).

// conversionMessage explains a converter error with what to do
// ("convert.<code>"); "" for other errors.
func (l loc) conversionMessage(err error) string {
	code := converter.Code(err)
	if code == "" || code == "unknown_profile" {
		return ""
	}
	var tl *converter.TooLargeError
	if errors.As(err, &tl) {
		if tl.MaxPages > 0 {
			return l.T("convert.too_many_pages", tl.Pages, tl.MaxPages)
		}
		if tl.FromPDF {
			return l.T("convert.too_large_pdf", tl.Page, l.decimalSize(tl.Limit))
		}
		return l.T("convert.too_large", tl.Page, l.decimalSize(tl.Limit))
	}
	if code == "no_input" {
		return l.T("convert.no_input")
	}
	which := l.T("convert.thisfile")
	var ie *converter.InputError
	if errors.As(err, &ie) {
		name := strings.TrimSpace(ie.Name)
		if name == "" {
			name = strconv.Itoa(ie.Index + 1)
		}
		which = l.T("convert.file", name)
	}
	if l.c.Has("convert." + code) {
		return l.T("convert."+code, which)
	}
	return l.T("convert.failed")
}

// decimalSize says a byte limit as portals state them (decimal units:
// "2 Mo", "1,5 Mo", "60 Ko").
func (l loc) decimalSize(n int64) string {
	if n >= 1_000_000 {
		s := strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64)
		s = strings.TrimSuffix(s, ".0")
		return l.T("fmt.mb", strings.Replace(s, ".", l.T("fmt.decimal"), 1))
	}
	return l.T("fmt.kb", (n+999)/1000)
}

// secretAdvice explains why a secret was refused, ending with a tip; ""
// for other errors.
func (l loc) secretAdvice(err error) string {
	if !isWeakSecret(err) {
		return ""
	}
	if r := vault.WeakSecretReason(err); r != "" && l.c.Has("secret.weak."+r) {
		return l.T("secret.weak."+r) + " " + l.T("secret.tip")
	}
	return l.T("secret.refused")
}

// sheetText is the recovery sheet's wording in l's language.
func (l loc) sheetText() vault.SheetText {
	return vault.SheetText{
		Title: l.T("sheetpdf.title"), Intro: l.T("sheetpdf.intro"),
		Identifier: l.T("sheetpdf.identifier"), Code: l.T("sheetpdf.code"),
		QR: l.T("sheetpdf.qr"), How: l.T("sheetpdf.how"),
		Steps: []string{l.T("sheetpdf.step1"), l.T("sheetpdf.step2"), l.T("sheetpdf.step3")},
		Notes: []string{l.T("sheetpdf.keep"), l.T("sheetpdf.never")},
	}
}

// recoverySheet writes the sheet PDF in l's language, the identifier as
// the owner typed it.
func (l loc) recoverySheet(w io.Writer, identifier string, code seal.RecoveryCode) error {
	return vault.RecoverySheet(w, identifier, code, l.sheetText())
}

// suggestion is a secret idea made of words of l's language.
func (l loc) suggestion() string {
	s, _ := vault.SuggestPassphrase(l.c.Words())
	return s
}

// keptSuggestion is the suggestion a form carried back ("suggested") when
// it is one this language could have made (words of its list, as many as
// a suggestion has), else a new one: a form shown again to correct a
// mistake keeps the words she may have started to copy.
func (l loc) keptSuggestion(s string) string {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) != len(strings.Fields(l.suggestion())) {
		return l.suggestion()
	}
	list := l.c.Words()
	for _, w := range words {
		if !slices.Contains(list, w) {
			return l.suggestion()
		}
	}
	return strings.Join(words, " ")
}

// sameSecret reports whether two typings of a secret are the same secret
// as the vault derives it (vault.FoldSecret: a hamza, a Persian or an
// Arabic yeh, a keyboard's variant of a letter are the same key): the
// check that both fields match must not refuse what the vault would
// accept as one secret.
func sameSecret(a, b []byte) bool {
	return vault.FoldSecret(string(a)) == vault.FoldSecret(string(b))
}

// Portal is a converter profile's name in the person's language
// ("portal.<id>"), the profile's own name when the catalogue has none.
func (l loc) Portal(p converter.Profile) string {
	if s, ok := l.c.Lookup("portal." + p.ID); ok {
		return s
	}
	return p.Name
}

// ExplainConversion says a converter error in lang ("fr", "en", …) with
// what to do, for the command line (a generic sentence for other errors).
func ExplainConversion(err error, lang string) string {
	l := locFor(lang)
	if m := l.conversionMessage(err); m != "" {
		return m
	}
	return l.T("convert.failed")
}

// ExplainSecret says why a secret was refused in lang, for the command
// line; "" for other errors.
func ExplainSecret(err error, lang string) string {
	return locFor(lang).secretAdvice(err)
}

// ExplainCheck says what to do about a readability finding of the
// converter ("check.<code>") in lang, for the command line.
func ExplainCheck(code, lang string) string { return locFor(lang).T("check." + code) }
