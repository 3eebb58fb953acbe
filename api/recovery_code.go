package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// newRecoveryCodeResp is a new recovery code, shown once and never stored.
type newRecoveryCodeResp struct {
	Identifier    string    `json:"identifier"`
	RecoveryCode  string    `json:"recovery_code"`
	RecoverySheet sheetLink `json:"recovery_sheet"`
}

// newRecoveryCode replaces the owner's recovery code (a lost sheet, or one
// cancelled by an assisted recovery): the old code stops working and the
// new one is answered once, to print through POST /recovery-sheet.
func (s *server) newRecoveryCode(c *gin.Context) {
	ctx, p := c.Request.Context(), principal(c)
	prof, err := s.v.OwnerProfile(ctx, p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	code, err := s.v.NewRecoveryCode(ctx, p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, newRecoveryCodeResp{
		Identifier: prof.Identifier, RecoveryCode: code.String(),
		RecoverySheet: sheetLink{Method: http.MethodPost, URL: "/api/v1/recovery-sheet"},
	})
}
