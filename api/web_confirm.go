package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// The owner's pages that need confirmation (confirm.go): the encrypted
// export and key rotation. The new recovery sheet and account deletion
// are in web_sharing.go.

// accountFail shows the account page again with the error on top.
func (s *server) accountFail(c *gin.Context, err error) {
	s.renderAccount(c, classify(err).status, err)
}

// webExport confirms the owner, then hands the encrypted export (it holds
// the owner's key) to the API's download, which the now confirmed session
// may fetch.
func (s *server) webExport(c *gin.Context) {
	if !s.webConfirm(c, s.accountFail) {
		return
	}
	c.Redirect(http.StatusSeeOther, "/api/v1/export?format=age")
}

func (s *server) webKeysForm(c *gin.Context) {
	p := s.newPage(c, "keys.title")
	p.Nav = "account"
	p.Data = p.L.suggestion()
	s.render(c, http.StatusOK, "keys", p)
}

// webRotateKeys gives the vault new keys, a new secret and a new recovery
// sheet, shown once.
func (s *server) webRotateKeys(c *gin.Context) {
	fail := func(c *gin.Context, err error) {
		p := s.newPage(c, "keys.title")
		p.Nav = "account"
		p.Data = p.L.suggestion()
		p.Error = s.errorText(p.L, err)
		s.render(c, classify(err).status, "keys", p)
	}
	secret, again := []byte(c.PostForm("secret")), []byte(c.PostForm("secret2"))
	defer wipe(secret)
	defer wipe(again)
	if !sameSecret(secret, again) {
		fail(c, fieldErr("secret2", "api.secret2.two_secrets_same"))
		return
	}
	if err := vault.CheckSecret(secret); err != nil {
		fail(c, err)
		return
	}
	if !s.webConfirm(c, fail) {
		return
	}
	ctx, pr := c.Request.Context(), principal(c)
	code, err := s.v.RotateKeys(ctx, pr, secret)
	if err != nil {
		fail(c, err)
		return
	}
	prof, err := s.v.OwnerProfile(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	sd := newSheetData(prof.Identifier, code, "/papers")
	sd.NoticeKey = "keys.done"
	s.showSheet(c, sd) // POST-redirect-GET: a reload shows the sheet again
}
