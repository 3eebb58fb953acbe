package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

type categoryJSON struct {
	ID    string        `json:"id"`
	Label string        `json:"label"`
	Types []docTypeJSON `json:"types"`
}

type docTypeJSON struct {
	ID         string `json:"id"`
	Category   string `json:"category"`
	Label      string `json:"label"`
	NoticeDays int    `json:"notice_days,omitempty"`
	RenewalURL string `json:"renewal_url,omitempty"`
}

func docTypeOut(t vault.DocType, l string) docTypeJSON {
	return docTypeJSON{ID: t.ID, Category: t.Category, Label: t.Label[l], NoticeDays: t.NoticeDays, RenewalURL: t.RenewalURL}
}

// catalogue lists categories and their document types, labelled in the
// request's language.
func (s *server) catalogue(c *gin.Context) {
	l := lang(c)
	cats := vault.Categories()
	out := make([]categoryJSON, 0, len(cats))
	idx := map[string]int{}
	for _, cat := range cats {
		idx[cat.ID] = len(out)
		out = append(out, categoryJSON{ID: cat.ID, Label: cat.Label[l], Types: []docTypeJSON{}})
	}
	for _, t := range vault.DocTypes() {
		if i, ok := idx[t.Category]; ok {
			out[i].Types = append(out[i].Types, docTypeOut(t, l))
		}
	}
	c.JSON(http.StatusOK, gin.H{"categories": out})
}

type profileJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Formats  []string `json:"formats"`
	MaxBytes int64    `json:"max_bytes"`
	MaxPages int      `json:"max_pages,omitempty"`
	Color    string   `json:"color"`
	DPI      int      `json:"dpi"`
}

// profiles lists the portal profiles downloads can be re-fitted to.
func (s *server) profiles(c *gin.Context) {
	ps := converter.Profiles()
	out := make([]profileJSON, 0, len(ps))
	l := apiLoc(c)
	for _, p := range ps {
		out = append(out, profileJSON{ID: p.ID, Name: l.Portal(p), Formats: p.Formats, MaxBytes: p.MaxBytes,
			MaxPages: p.MaxPages, Color: string(p.Color), DPI: p.DPI})
	}
	c.JSON(http.StatusOK, gin.H{"profiles": out})
}

// passphrase proposes an easy passphrase of words of the request's
// language.
func (s *server) passphrase(c *gin.Context) {
	p, err := vault.SuggestPassphrase(apiLoc(c).c.Words())
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"passphrase": p})
}
