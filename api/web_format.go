package api

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault"
)

// Formatting helpers the templates call on the page's loc.

// Date says a day in the person's language ("3 mars 2026").
func (l loc) Date(t time.Time) string { return l.c.Date(t) }

// DateTime says a day and time ("3 mars 2026 à 14 h 02").
func (l loc) DateTime(t time.Time) string { return l.c.DateTime(t) }

// ISODate is the value of a date field (YYYY-MM-DD).
func (l loc) ISODate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

// Category is a category's name: the catalogue's own translation when it
// has one ("cat.<id>"), else the vault's label.
func (l loc) Category(id string) string {
	if s := l.T("cat." + id); s != "cat."+id {
		return s
	}
	if c, ok := vault.CategoryByID(id); ok {
		return capitalize(c.Label[l.domainLang()])
	}
	return id
}

// DocType is a document type's name, capitalised.
func (l loc) DocType(id string) string {
	if s := l.T("type." + id); s != "type."+id {
		return s
	}
	if t, ok := vault.DocTypeByID(id); ok {
		return capitalize(t.Label[l.domainLang()])
	}
	return id
}

// Size says a byte count ("350 Ko", "1,5 Mo").
func (l loc) Size(n int64) string {
	switch {
	case n >= 1<<20:
		return l.T("fmt.mb", strings.Replace(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".", l.T("fmt.decimal"), 1))
	case n >= 1<<10:
		return l.T("fmt.kb", n>>10)
	}
	return l.T("fmt.b", n)
}

// Days says a consent's duration.
func (l loc) Days(d int) string {
	return l.T("days." + strconv.Itoa(d))
}

// categoryIcons maps categories to pictograms of the sprite.
var categoryIcons = map[string]string{
	"identity": "id", "residence": "passport", "income": "money", "tax": "tax", "housing": "house",
	"family": "family", "health": "health", "bank": "bank", "employment": "work", "other": "doc",
}

// CategoryIcon is the pictogram name of a category.
func (l loc) CategoryIcon(id string) string {
	if n, ok := categoryIcons[id]; ok {
		return n
	}
	return "doc"
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// DocTitle is a paper's title; a title Coffre gave (its type's name, as a
// helper's paper is titled, or a generic title) is said in the reader's
// language.
func (l loc) DocTitle(d vault.Document) string {
	if key, ok := defaultTitleKey(d.Title); ok {
		return l.T(key)
	}
	if unfiled(d.Type) {
		return d.Title
	}
	for _, code := range catalogueCodes {
		if strings.EqualFold(d.Title, locFor(code).DocType(d.Type)) {
			return l.DocType(d.Type)
		}
	}
	if t, ok := vault.DocTypeByID(d.Type); ok {
		for _, lab := range t.Label {
			if strings.EqualFold(lab, d.Title) {
				return l.DocType(d.Type)
			}
		}
	}
	return d.Title
}

// defaultTitleKey is the catalogue key of a title Coffre gave a paper
// (in whichever language it was given), so that it reads in the reader's
// language: "Papier reçu par un lien d'envoi" for a helper's unnamed paper.
func defaultTitleKey(title string) (string, bool) {
	for _, key := range []string{"drop.untypedtitle", "api.defaulttitle"} {
		for _, code := range catalogueCodes {
			if s, ok := i18n.Get(code).Own(key); ok && strings.EqualFold(s, title) {
				return key, true
			}
		}
	}
	return "", false
}

// DocTypes names several document types, in a list of the language: the
// Arabic comma in right-to-left scripts ("، "), ", " elsewhere.
func (l loc) DocTypes(ids []string) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		names = append(names, l.DocType(id))
	}
	sep := ", "
	if l.c.Dir == "rtl" {
		sep = "، "
	}
	return strings.Join(names, sep)
}
