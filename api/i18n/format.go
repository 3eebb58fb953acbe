package i18n

import (
	"strconv"
	"time"
	_ "time/tzdata" // dates are said in Paris time wherever the server runs
	"unicode"
	"unicode/utf8"
)

// Zone is where the people Coffre serves live: dates are said in it.
var Zone = func() *time.Location {
	if z, err := time.LoadLocation("Europe/Paris"); err == nil {
		return z
	}
	return time.UTC
}()

// day says the day of the month ("1er" in French, from "fmt.first").
func (c *Catalogue) day(t time.Time) string {
	if t.Day() == 1 {
		return c.T("fmt.first")
	}
	return strconv.Itoa(t.Day())
}

// Date says a day ("3 mars 2026", "March 3, 2026"); "" for the zero time.
func (c *Catalogue) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Zone)
	return c.T("fmt.date", c.day(t), c.T("month."+strconv.Itoa(int(t.Month()))), t.Year())
}

// DateTime says a day and time ("3 mars 2026 à 14 h 02").
func (c *Catalogue) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Zone)
	return c.T("fmt.datetime", c.Date(t), t.Hour(), twoDigits(t.Minute()))
}

// When says a day and time, the year only when it is not now's ("3 mars
// à 14 h 02").
func (c *Catalogue) When(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Zone)
	if t.Year() != now.In(Zone).Year() {
		return c.DateTime(t)
	}
	d := c.T("fmt.day", c.day(t), c.T("month."+strconv.Itoa(int(t.Month()))))
	return c.T("fmt.datetime", d, t.Hour(), twoDigits(t.Minute()))
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// MidSentence is a name as it reads inside a sentence of c's language: a
// catalogue's "type.*" names are written as headings ("Permiso de
// residencia"), a sentence says "su permiso de residencia". The first
// letter is lowered only when the second is lower case too (an acronym
// such as "RIB" or "CAF" stays); Turkish lowers "İ" to "i". Scripts
// without case are unchanged.
func (c *Catalogue) MidSentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); !unicode.IsLower(r2) {
		return s
	}
	lower := unicode.ToLower(r)
	if c != nil && c.Code == "tr" {
		lower = unicode.TurkishCase.ToLower(r)
	}
	return string(lower) + s[n:]
}
