package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

type granteeJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// scopeJSON is what a consent covers: chosen documents; types whose papers
// the owner adds until expiry are shared too (an explicit choice, never
// "other"); categories only on consents granted before types existed
// (read-only: a grant naming one is refused).
type scopeJSON struct {
	Documents  []string `json:"documents"`
	Types      []string `json:"types"`
	Categories []string `json:"categories"`
}

type consentJSON struct {
	ID        string      `json:"id"`
	OwnerID   string      `json:"owner_id"`
	OwnerName string      `json:"owner_name,omitempty"`
	Grantee   granteeJSON `json:"grantee"`
	Scope     scopeJSON   `json:"scope"`
	// ScopeText says the scope in words, in the caller's language.
	ScopeText []string   `json:"scope_text"`
	Purpose   string     `json:"purpose"`
	Created   time.Time  `json:"created"`
	Expires   time.Time  `json:"expires"`
	Revoked   *time.Time `json:"revoked,omitempty"`
	Live      bool       `json:"live"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func consentOut(k vault.Consent, words []string) consentJSON {
	out := consentJSON{
		ID: k.ID, OwnerID: k.OwnerID, OwnerName: k.OwnerName,
		Grantee: granteeJSON{Kind: string(k.Grantee.Kind), ID: k.Grantee.ID, Name: k.GranteeName},
		Scope: scopeJSON{Documents: nonNil(k.Scope.Documents), Types: nonNil(k.Scope.Types),
			Categories: nonNil(k.Scope.Categories)},
		ScopeText: nonNil(words), Purpose: k.Purpose, Created: k.Created.UTC(), Expires: k.Expires.UTC(), Live: k.Live,
	}
	if !k.Revoked.IsZero() {
		r := k.Revoked.UTC()
		out.Revoked = &r
	}
	return out
}

type grantReq struct {
	Grantee  granteeJSON `json:"grantee"`
	Scope    scopeJSON   `json:"scope"`
	Purpose  string      `json:"purpose"`
	Days     int         `json:"days"`
	ShowName string      `json:"show_name"`
}

// maxPurposeLen bounds free texts (purpose, message, names).
const maxPurposeLen = 500

// grantConsent: the owner lets a worker or an organisation read chosen
// documents and/or the papers of named types she adds, for a purpose, for
// 1, 31, 182 or 365 days. Whole categories are refused.
func (s *server) grantConsent(c *gin.Context) {
	var req grantReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	kind := vault.RecipientKind(req.Grantee.Kind)
	if kind != vault.KindWorker && kind != vault.KindOrganisation || req.Grantee.ID == "" {
		writeError(c, s.log, fieldErr("grantee", "api.grantee.choose_worker_organisation"))
		return
	}
	if err := checkGrant(req.Scope, req.Purpose, req.Days, req.ShowName); err != nil {
		writeError(c, s.log, err)
		return
	}
	k, err := s.v.GrantConsent(c.Request.Context(), principal(c), vault.NewConsent{
		Grantee: vault.Grantee{Kind: kind, ID: req.Grantee.ID},
		Scope:   vault.Scope{Documents: req.Scope.Documents, Types: req.Scope.Types},
		Purpose: strings.TrimSpace(req.Purpose), Days: req.Days, ShowName: req.ShowName,
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, s.consentWithWords(c, k))
}

// consentWithWords is consentOut with the scope said in the caller's
// language.
func (s *server) consentWithWords(c *gin.Context, k vault.Consent) consentJSON {
	l := webLang(c)
	return consentOut(k, scopeWords(l, k, s.docTitles(c.Request.Context(), l, principal(c))))
}

// listConsents: an owner's consents, or the live ones granted to a worker
// (or their organisation).
func (s *server) listConsents(c *gin.Context) {
	ks, err := s.v.Consents(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	l := webLang(c)
	titles := s.docTitles(c.Request.Context(), l, principal(c))
	out := make([]consentJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, consentOut(k, scopeWords(l, k, titles)))
	}
	c.JSON(http.StatusOK, gin.H{"consents": out})
}

// revokeConsent ends a consent now: the grantee's next request fails.
func (s *server) revokeConsent(c *gin.Context) {
	if err := s.v.RevokeConsent(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
