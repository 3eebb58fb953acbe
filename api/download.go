package api

import (
	"errors"
	"mime"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/vault"
)

// isInvalid reports a vault ErrInvalid.
func isInvalid(err error) bool { return errors.Is(err, vault.ErrInvalid) }

// attachment is a Content-Disposition header value that makes browsers save
// the response under name (made safe) rather than display it.
func attachment(name string) string {
	v := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if v == "" {
		return `attachment; filename="document.pdf"`
	}
	return v
}

// safeFilename turns a document title into a file name: accents dropped,
// only letters, digits, spaces, dots, dashes and underscores kept, at most
// 80 characters, with ext appended. An empty result becomes "document".
func safeFilename(title, ext string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(title) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining accent: dropped
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '_' || r == '.':
			b.WriteRune(r)
		case r == '\'' || r == '/' || r == '\\' || unicode.IsSpace(r):
			b.WriteRune(' ')
		}
		if b.Len() >= 80 {
			break
		}
	}
	name := strings.Join(strings.Fields(b.String()), " ")
	name = strings.Trim(name, ". ")
	if name == "" {
		name = "document"
	}
	return name + ext
}
