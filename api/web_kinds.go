package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// Papers that arrive from a helper: marked new until the owner opens them,
// and filed in one tap when the helper could not say what they are. The
// owner's list and the paper's page offer a few likely types as big
// buttons with pictograms (the types the link asked for first, then common
// ones); one tap files the paper (type, category and, for a title the
// server made, a title in the owner's language), journaled by the vault;
// the page that follows offers to undo it, and the paper's page can always
// change the type again.

// commonTypes are offered after the link's own types, most asked first.
var commonTypes = []string{"bulletin-paie", "avis-impot", "attestation-caf", "quittance-loyer", "carte-identite", "titre-sejour", "rib", "justificatif-domicile"}

// maxSuggestions bounds the one-tap buttons of a paper.
const maxSuggestions = 4

// unfiled reports whether a paper's type is unknown ("" or the catalogue's
// "other", which reads the same).
func unfiled(docType string) bool { return docType == "" || docType == "other" }

// suggestions are the likely types of an unfiled paper: the link's
// requested types first, then common ones; nil for a filed paper.
func suggestions(d vault.Document) []string {
	if !unfiled(d.Type) {
		return nil
	}
	var out []string
	for _, t := range slices.Concat(d.Hints, commonTypes) {
		if len(out) == maxSuggestions {
			break
		}
		if _, ok := vault.DocTypeByID(t); ok && !unfiled(t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// untypedTitle titles a paper of no known type that the server made (a
// helper's paper), in language l.
func untypedTitle(l loc) string { return l.T("drop.untypedtitle") }

// madeTitle reports whether title is one the server makes for a paper of
// docType, in any language: the type's name, the untyped title, or the
// generic "Papier".
func madeTitle(title, docType string) bool {
	title = strings.TrimSpace(title)
	if title == "" {
		return true
	}
	for _, code := range catalogueCodes {
		l := locFor(code)
		if strings.EqualFold(title, untypedTitle(l)) {
			return true
		}
		if !unfiled(docType) && strings.EqualFold(title, l.DocType(docType)) {
			return true
		}
	}
	if t, ok := vault.DocTypeByID(docType); ok && !unfiled(docType) {
		for _, lab := range t.Label {
			if strings.EqualFold(title, lab) {
				return true
			}
		}
	}
	return strings.EqualFold(title, "Papier") || strings.EqualFold(title, "Paper")
}

// ownerLoc speaks the owner's own language (her account's), for what the
// server writes into her vault; the page's language otherwise.
func (s *server) ownerLoc(c *gin.Context) loc {
	if prof, err := s.v.OwnerProfile(c.Request.Context(), principal(c)); err == nil {
		if cat := catalogueFor(prof.Lang); cat != nil {
			return loc{cat}
		}
	}
	return webLang(c)
}

// filedNote is what the page shown after a filing says, with its undo.
type filedNote struct {
	DocID string
	// Back is where the undo returns ("list" for her list).
	Back string
	// Type is the type it was filed under, Was the one it had ("" for none).
	Type, Was string
}

// filedFrom reads the note of a filing from the query (?done=filed&doc=…
// &was=…): only for one of the owner's papers, only with a known type.
func (s *server) filedFrom(c *gin.Context) *filedNote {
	if c.Query("done") != "filed" {
		return nil
	}
	was := c.Query("was")
	if was == "none" {
		was = ""
	} else if _, ok := vault.DocTypeByID(was); !ok {
		return nil
	}
	d, err := s.v.Document(c.Request.Context(), principal(c), c.Query("doc"))
	if err != nil || d.Type == was {
		return nil
	}
	back := ""
	if c.Request.URL.Path == "/papers" {
		back = "list"
	}
	return &filedNote{DocID: d.ID, Type: d.Type, Was: was, Back: back}
}

// webFile files one of the owner's papers under the type tapped (or, to
// undo, back under the one it had), then shows where she was: her list
// (back=list) or the paper's page, with the undo.
func (s *server) webFile(c *gin.Context) {
	ctx, pr, id := c.Request.Context(), principal(c), c.Param("id")
	typ := c.PostForm("type")
	if typ != "" {
		if _, ok := vault.DocTypeByID(typ); !ok || len(typ) > 64 {
			s.webError(c, fieldErr("type", "api.type.unknown_paper_type"))
			return
		}
	}
	cur, err := s.v.Document(ctx, pr, id)
	if err != nil {
		s.webError(c, err)
		return
	}
	back := "/papers/" + cur.ID
	if c.PostForm("back") == "list" {
		back = "/papers"
	}
	if typ == cur.Type { // a double tap, or the page reloaded: nothing to do
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	// A title the server made follows the type, in the owner's language;
	// a title she wrote stays hers.
	title := ""
	if madeTitle(cur.Title, cur.Type) {
		ol := s.ownerLoc(c)
		if unfiled(typ) {
			title = untypedTitle(ol)
		} else {
			title = ol.DocType(typ)
		}
	}
	if err := s.v.FileDocument(ctx, pr, cur.ID, typ, title); err != nil {
		s.webError(c, err)
		return
	}
	if c.PostForm("undo") != "" {
		redirectDone(c, back, "unfiled")
		return
	}
	was := cur.Type
	if was == "" {
		was = "none"
	}
	c.Redirect(http.StatusSeeOther, back+"?done=filed&doc="+cur.ID+"&was="+was+"#paper-"+cur.ID)
}

// kindArgs is what the "kindbuttons" template needs: one paper's one-tap
// buttons, on her list (List) or on the paper's page.
type kindArgs struct {
	L    loc
	CSRF string
	Doc  docRow
	List bool
}

func newKindArgs(p *page, d docRow, list bool) kindArgs {
	return kindArgs{L: p.L, CSRF: p.CSRF, Doc: d, List: list}
}
