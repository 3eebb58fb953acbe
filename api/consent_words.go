package api

import (
	"context"

	"github.com/coffre/coffre/vault"
)

// Saying in words what a consent covers, the same on the owner's pages and
// in the JSON API: the papers chosen (by title), the types whose papers
// added later are shared (with the end date), and, for consents granted
// before types existed, whole categories with their real reach.

// scopeWords lists, in the person's language, what k lets its grantee
// read. titles maps the ids of documents the caller can see to their
// titles; a chosen document missing from it (deleted) is left out.
func scopeWords(l loc, k vault.Consent, titles map[string]string) []string {
	out := []string{}
	for _, d := range k.Scope.Documents {
		if t, ok := titles[d]; ok {
			out = append(out, t)
		}
	}
	until := l.Date(k.Expires)
	for _, t := range k.Scope.Types {
		out = append(out, l.T("share.future", l.DocType(t), until))
	}
	for _, cat := range k.Scope.Categories {
		out = append(out, l.T("share.allof", l.Category(cat), until))
	}
	return out
}

// docTitles maps the ids of the documents p can read to their titles as
// the pages show them (empty when the list fails: words then leave the
// papers out rather than fail the page).
func (s *server) docTitles(ctx context.Context, l loc, p *vault.Principal) map[string]string {
	titles := map[string]string{}
	if docs, err := s.v.List(ctx, p); err == nil {
		for _, d := range docs {
			titles[d.ID] = l.DocTitle(d)
		}
	}
	return titles
}
