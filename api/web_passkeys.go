package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// The passkeys on the pages: the owner's account page and the worker's
// (GET /pro/account) list them with their device name, what they do and
// their last use, and remove one with a confirmed form (the secret, or a
// passkey by the button static/passkey.js adds). Adding one, signing in
// and confirming with one are ceremonies the page's script runs against
// the JSON routes (passkeys.go): WebAuthn needs a script.

// proAccountData is the worker's account page.
type proAccountData struct {
	PasskeyList []vault.Passkey
}

// webProAccount is the worker's account page.
func (s *server) webProAccount(c *gin.Context) {
	s.renderProAccount(c, http.StatusOK, nil)
}

func (s *server) renderProAccount(c *gin.Context, status int, err error) {
	p := s.newPage(c, "proaccount.title")
	p.Nav = "proaccount"
	if err != nil {
		p.Error = s.errorText(p.L, err)
	}
	var d proAccountData
	d.PasskeyList, _ = s.v.Passkeys(c.Request.Context(), principal(c))
	p.Data = d
	s.render(c, status, "proaccount", p)
}

// webRemovePasskey removes one of the person's passkeys, once confirmed:
// it no longer signs in, and its wrap of the key is gone.
func (s *server) webRemovePasskey(c *gin.Context) {
	back, fail := "/account", s.accountFail
	if principal(c).Kind() == vault.KindWorker {
		back = "/pro/account"
		fail = func(c *gin.Context, err error) { s.renderProAccount(c, classify(err).status, err) }
	}
	if !s.webConfirm(c, fail) {
		return
	}
	if err := s.v.RemovePasskey(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	redirectDone(c, back, "passkeyremoved")
}
