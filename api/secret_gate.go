package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// The secret someone else saw. When a worker created the owner's vault, or
// reset her secret in an assisted recovery, the worker was there when the
// secret was typed (and may have watched). Until the owner chooses a new
// one, each session she starts (vault.Principal.SecretChangeDue) may only
// change it or end: the JSON API answers anything else 403
// secret_change_required, and the pages send her to /account/secret. A
// worker who signs in with what they watched meets the same wall, and
// once she has changed it, what they watched opens nothing.

// secretDueRoutes are the JSON routes a session with a secret due may use.
var secretDueRoutes = map[string]bool{
	"GET /api/v1/session":            true,
	"POST /api/v1/logout":            true,
	"POST /api/v1/logout-everywhere": true,
	"POST /api/v1/secret":            true,
	"POST /api/v1/recovery-sheet":    true, // renders a code the client already holds
}

// secretGate refuses every other JSON route to an owner whose secret
// change is due.
func (s *server) secretGate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := principal(c); p.SecretChangeDue() && !secretDueRoutes[c.Request.Method+" "+c.FullPath()] {
			writeError(c, s.log, errSecretChangeRequired)
		}
	}
}

// secretDuePath is the page where the owner chooses her new secret.
const secretDuePath = "/account/secret"

// webSecretGate sends an owner whose secret change is due to the page
// that changes it, from every owner page but that one.
func (s *server) webSecretGate() gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		if !p.SecretChangeDue() || c.FullPath() == secretDuePath {
			return
		}
		if safeMethod(c.Request.Method) {
			c.Redirect(http.StatusSeeOther, secretDuePath)
			c.Abort()
			return
		}
		s.webError(c, errSecretChangeRequired)
		c.Abort()
	}
}

// The page itself.

type secretForm struct {
	// Due: the change is required (a worker saw the secret), not chosen.
	Due bool
	// Suggestion is a passphrase idea.
	Suggestion string
}

func newSecretForm(l loc, pr *vault.Principal) secretForm {
	return secretForm{Due: pr.SecretChangeDue(), Suggestion: l.suggestion()}
}

func (s *server) webSecretForm(c *gin.Context) {
	p := s.newPage(c, "secret.title")
	p.Nav = "account"
	p.Data = newSecretForm(p.L, principal(c))
	s.render(c, http.StatusOK, "secret", p)
}

// webChangeSecret: the owner types her current secret (it confirms the
// session, through the login throttle) and a new one twice.
func (s *server) webChangeSecret(c *gin.Context) {
	pr := principal(c)
	p := s.newPage(c, "secret.title")
	p.Nav = "account"
	p.Data = newSecretForm(p.L, pr)
	cur, nw, again := []byte(c.PostForm("current")), []byte(c.PostForm("secret")), []byte(c.PostForm("secret2"))
	defer wipe(cur)
	defer wipe(nw)
	defer wipe(again)
	fail := func(status int, msg string) {
		p.Error = msg
		s.render(c, status, "secret", p)
	}
	switch {
	case len(cur) == 0 || len(nw) == 0:
		fail(http.StatusUnprocessableEntity, p.L.T("secret.missing"))
		return
	case !sameSecret(nw, again):
		fail(http.StatusUnprocessableEntity, p.L.T("signup.mismatch"))
		return
	}
	if err := vault.CheckSecret(nw); err != nil {
		fail(http.StatusUnprocessableEntity, p.L.secretAdvice(err))
		return
	}
	if err := s.confirm(c, vault.SecretProof(cur)); err != nil {
		fail(classify(err).status, s.errorText(p.L, err))
		return
	}
	creds, _ := s.v.PasskeyCredentials(c.Request.Context(), pr)
	if err := s.v.ChangeSecret(c.Request.Context(), pr, nw); err != nil {
		fail(classify(err).status, s.errorText(p.L, err))
		return
	}
	// Her links that still take papers, when she ticks it: a new secret
	// ends every other session, but a link a thief made with a session
	// alone would outlive them (as « log out everywhere » offers). Stopped
	// once the other sessions are ended, so that none can make another
	// meanwhile (attacker's review: links made during the stop survived).
	if c.PostForm("links") != "" {
		if err := s.stopLiveLinks(c.Request.Context(), pr); err != nil {
			fail(classify(err).status, s.errorText(p.L, err))
			return
		}
	}
	if due, _ := s.v.RecoverySheetDue(c.Request.Context(), pr); due {
		c.Redirect(http.StatusSeeOther, "/account") // then the recovery sheet
		return
	}
	if len(creds) > 0 {
		// The passkeys went with the old secret: her account page says so,
		// where she adds this phone's again.
		redirectDone(c, "/account", "passkeysgone")
		return
	}
	c.Redirect(http.StatusSeeOther, "/papers")
}
