package api

import (
	"net/http"
	"slices"
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

type scopeJSON struct {
	Documents  []string `json:"documents"`
	Categories []string `json:"categories"`
}

type consentJSON struct {
	ID        string      `json:"id"`
	OwnerID   string      `json:"owner_id"`
	OwnerName string      `json:"owner_name,omitempty"`
	Grantee   granteeJSON `json:"grantee"`
	Scope     scopeJSON   `json:"scope"`
	Purpose   string      `json:"purpose"`
	Created   time.Time   `json:"created"`
	Expires   time.Time   `json:"expires"`
	Revoked   *time.Time  `json:"revoked,omitempty"`
	Live      bool        `json:"live"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func consentOut(k vault.Consent) consentJSON {
	out := consentJSON{
		ID: k.ID, OwnerID: k.OwnerID, OwnerName: k.OwnerName,
		Grantee: granteeJSON{Kind: string(k.Grantee.Kind), ID: k.Grantee.ID, Name: k.GranteeName},
		Scope:   scopeJSON{Documents: nonNil(k.Scope.Documents), Categories: nonNil(k.Scope.Categories)},
		Purpose: k.Purpose, Created: k.Created.UTC(), Expires: k.Expires.UTC(), Live: k.Live,
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
// documents and/or categories, for a purpose, for 1, 31, 182 or 365 days.
func (s *server) grantConsent(c *gin.Context) {
	var req grantReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	kind := vault.RecipientKind(req.Grantee.Kind)
	switch {
	case kind != vault.KindWorker && kind != vault.KindOrganisation || req.Grantee.ID == "":
		writeError(c, s.log, fieldErr("grantee", "Choose a worker or an organisation.", "Choisissez un travailleur social ou une structure."))
		return
	case !slices.Contains(vault.ConsentDays, req.Days):
		writeError(c, s.log, fieldErr("days", "A consent lasts 1, 31, 182 or 365 days.", "Un consentement dure 1, 31, 182 ou 365 jours."))
		return
	case len(req.Scope.Documents) == 0 && len(req.Scope.Categories) == 0:
		writeError(c, s.log, fieldErr("scope", "Choose documents or categories to share.", "Choisissez des documents ou des catégories à partager."))
		return
	case strings.TrimSpace(req.Purpose) == "" || len(req.Purpose) > maxPurposeLen:
		writeError(c, s.log, fieldErr("purpose", "Say what the access is for (500 characters at most).", "Indiquez à quoi sert l'accès (500 caractères au plus)."))
		return
	case len(req.ShowName) > maxPurposeLen:
		writeError(c, s.log, fieldErr("show_name", "The name is too long.", "Le nom est trop long."))
		return
	}
	for _, cat := range req.Scope.Categories {
		if _, ok := vault.CategoryByID(cat); !ok {
			writeError(c, s.log, fieldErr("scope", "Unknown category.", "Catégorie inconnue."))
			return
		}
	}
	k, err := s.v.GrantConsent(c.Request.Context(), principal(c), vault.NewConsent{
		Grantee: vault.Grantee{Kind: kind, ID: req.Grantee.ID},
		Scope:   vault.Scope{Documents: req.Scope.Documents, Categories: req.Scope.Categories},
		Purpose: strings.TrimSpace(req.Purpose), Days: req.Days, ShowName: req.ShowName,
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, consentOut(k))
}

// listConsents: an owner's consents, or the live ones granted to a worker
// (or their organisation).
func (s *server) listConsents(c *gin.Context) {
	ks, err := s.v.Consents(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]consentJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, consentOut(k))
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
