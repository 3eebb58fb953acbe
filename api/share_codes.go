package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// Share codes (vault/share_codes.go): a worker shows a short code and its
// QR code, an address of this server (shareCodePath + code); the owner who
// scans or types it shares with that worker, or the worker's organisation,
// of her own accord.

// shareCodePath is where a share code's address leads (the owner's page).
const shareCodePath = "/s/"

// shareCodeURL is the address a code's QR code holds.
func (s *server) shareCodeURL(code string) string { return s.baseURL + shareCodePath + code }

type shareCodeJSON struct {
	// Code is the code as read aloud and typed ("K7QM-2XPD").
	Code string `json:"code"`
	// URL is what the QR code holds.
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// createShareCode: a worker gets a new code (their previous unused one
// stops working).
func (s *server) createShareCode(c *gin.Context) {
	sc, err := s.v.NewShareCode(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, shareCodeJSON{Code: sc.Display(), URL: s.shareCodeURL(sc.Code), Expires: sc.Expires.UTC()})
}

type shareTargetJSON struct {
	Worker granteeJSON `json:"worker"`
	// Organisation is the worker's organisation when it can receive
	// papers (absent otherwise).
	Organisation *granteeJSON `json:"organisation,omitempty"`
	Expires      time.Time    `json:"expires"`
}

// lookupShareCode: an owner learns who a code designates. Counted against
// her and her address; unknown, expired and used codes get one answer.
func (s *server) lookupShareCode(c *gin.Context) {
	t, err := s.v.LookupShareCode(c.Request.Context(), principal(c), c.Param("code"), c.ClientIP())
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := shareTargetJSON{Worker: granteeJSON{Kind: string(vault.KindWorker), ID: t.WorkerID, Name: t.WorkerName}, Expires: t.Expires.UTC()}
	if t.OrgID != "" {
		out.Organisation = &granteeJSON{Kind: string(vault.KindOrganisation), ID: t.OrgID, Name: t.OrgName}
	}
	c.JSON(http.StatusOK, out)
}

type codeShareReq struct {
	// Organisation: share with the worker's whole organisation.
	Organisation bool      `json:"organisation"`
	Scope        scopeJSON `json:"scope"`
	Purpose      string    `json:"purpose"`
	Days         int       `json:"days"`
	ShowName     string    `json:"show_name"`
}

// shareWithCode: the owner shares with the worker a code designates (or
// their organisation). Needs confirmation, like every grant.
func (s *server) shareWithCode(c *gin.Context) {
	var req codeShareReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := checkGrant(req.Scope, req.Purpose, req.Days, req.ShowName); err != nil {
		writeError(c, s.log, err)
		return
	}
	k, err := s.v.ShareWithCode(c.Request.Context(), principal(c), vault.CodeShare{
		Code: c.Param("code"), ClientIP: c.ClientIP(), Organisation: req.Organisation,
		Scope:   vault.Scope{Documents: req.Scope.Documents, Types: req.Scope.Types},
		Purpose: strings.TrimSpace(req.Purpose), Days: req.Days, ShowName: req.ShowName,
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, s.consentWithWords(c, k))
}

// checkGrant checks what a grant asks for, field by field, before the
// vault sees it.
func checkGrant(scope scopeJSON, purpose string, days int, showName string) error {
	switch {
	case !slices.Contains(vault.ConsentDays, days):
		return fieldErr("days", "api.days.sharing_lasts")
	case len(scope.Categories) > 0:
		return fieldErr("scope", "api.scope.whole_category_longer")
	case len(scope.Documents) == 0 && len(scope.Types) == 0:
		return fieldErr("scope", "api.scope.choose_papers_types")
	case strings.TrimSpace(purpose) == "" || len(purpose) > maxPurposeLen:
		return fieldErr("purpose", "api.purpose.say_what_sharing")
	case len(showName) > maxPurposeLen:
		return fieldErr("show_name", "api.show_name.name_too_long")
	}
	for _, t := range scope.Types {
		if _, ok := vault.DocTypeByID(t); !ok || t == "other" {
			return fieldErr("scope", "api.scope.papers_type_shared")
		}
	}
	return nil
}
