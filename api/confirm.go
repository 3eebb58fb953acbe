package api

// Confirmation ("sudo mode"): a session alone — cookie and CSRF token —
// cannot mint a recovery code, export the keys, delete the account or a
// paper, opt
// into assisted recovery, change storage, change the secret, rotate the
// keys, grant a consent, accept a request, add or remove a passkey
// (owners and workers), or add an address for alerts or turn titles on in
// them (notifications.go, vault.CanWidenAlerts). The vault refuses those with
// vault.ErrConfirmRequired (403 reauth_required) unless the person proved
// the secret, the recovery code (owners) or a passkey in this session
// within vault.ConfirmWindow: POST /api/v1/reauth, POST
// /api/v1/reauth/passkey (passkeys.go), or the `confirm_secret` field of
// the web forms. Checked through the login throttle.

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

type reauthReq struct {
	Secret       string `json:"secret"`
	RecoveryCode string `json:"recovery_code"`
}

type reauthResp struct {
	// ConfirmedUntil is when the confirmation stops counting.
	ConfirmedUntil time.Time `json:"confirmed_until"`
}

// reauth: the owner or worker types the secret again (an owner may give the
// recovery code instead); for the next minutes this session may do what
// needs confirmation.
func (s *server) reauth(c *gin.Context) {
	var req reauthReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	var proof vault.Proof
	switch {
	case req.Secret != "" && req.RecoveryCode != "":
		writeError(c, s.log, fieldErr("secret", "api.secret.send_secret_recovery"))
		return
	case req.Secret != "":
		b := []byte(req.Secret)
		defer wipe(b)
		proof = vault.SecretProof(b)
	case req.RecoveryCode != "":
		proof = vault.RecoveryCodeProof(req.RecoveryCode)
	default:
		writeError(c, s.log, fieldErr("secret", "api.secret.enter_secret"))
		return
	}
	if err := s.confirm(c, proof); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, reauthResp{ConfirmedUntil: principal(c).ConfirmedUntil().UTC()})
}

// confirm checks proof for the request's owner or worker and marks the
// session confirmed. This is the one place the API confirms (a passkey
// assertion is one more vault.Proof).
func (s *server) confirm(c *gin.Context, proof vault.Proof) error {
	return s.v.ConfirmSession(c.Request.Context(), principal(c), proof, c.ClientIP())
}

// webConfirm confirms the owner with the form's confirm_secret field (a
// secret typed is always checked; none is fine only while the session is
// confirmed). On failure fail shows the error, in the person's language,
// and webConfirm returns false.
func (s *server) webConfirm(c *gin.Context, fail func(*gin.Context, error)) bool {
	secret := []byte(c.PostForm("confirm_secret"))
	defer wipe(secret)
	if len(secret) == 0 {
		if principal(c).IsConfirmed() {
			return true
		}
		c.Set(ctxConfirmFailed, true)
		fail(c, errConfirmRequired)
		return false
	}
	if err := s.confirm(c, vault.SecretProof(secret)); err != nil {
		if errors.Is(err, vault.ErrWrongSecret) {
			// Not "wrong identifier or secret": this form asks no identifier.
			err = errConfirmWrong
		}
		c.Set(ctxConfirmFailed, true)
		fail(c, err)
		return false
	}
	return true
}

// errConfirmWrong: the secret typed in a form's confirmation field is not
// hers (the page says so beside the field, and puts the cursor there).
var errConfirmWrong = &apiError{status: http.StatusUnauthorized, code: "wrong_secret", field: "confirm_secret", key: "confirm.wrong"}

// ctxConfirmFailed marks a request whose confirmation failed: the page
// puts its message beside the secret field (page.ConfirmFailed).
const ctxConfirmFailed = "coffre.confirmFailed"

type rotateKeysReq struct {
	NewSecret string `json:"new_secret"`
}

// rotateKeysResp is the new recovery code, shown once: the old sheet, the
// old secret and the old keys open nothing any more.
type rotateKeysResp struct {
	Identifier    string    `json:"identifier"`
	RecoveryCode  string    `json:"recovery_code"`
	RecoverySheet sheetLink `json:"recovery_sheet"`
}

// rotateKeys: "I think someone saw my secret". New identity, secret and
// recovery code; every other session ends. Needs confirmation.
func (s *server) rotateKeys(c *gin.Context) {
	var req rotateKeysReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	secret := []byte(req.NewSecret)
	defer wipe(secret)
	if len(secret) == 0 {
		writeError(c, s.log, fieldErr("new_secret", "api.new_secret.choose_new_secret"))
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	code, err := s.v.RotateKeys(ctx, p, secret)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	prof, err := s.v.OwnerProfile(ctx, p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, rotateKeysResp{Identifier: prof.Identifier, RecoveryCode: code.String(),
		RecoverySheet: sheetLink{Method: http.MethodPost, URL: "/api/v1/recovery-sheet"}})
}
