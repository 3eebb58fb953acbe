package api

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// sessionJSON describes the caller's session. The CSRF token goes with every
// state-changing request (X-CSRF-Token).
type sessionJSON struct {
	Kind            string    `json:"kind"`
	ID              string    `json:"id"`
	OrgID           string    `json:"org_id,omitempty"`
	Name            string    `json:"name,omitempty"`
	OrgName         string    `json:"org_name,omitempty"`
	CSRFToken       string    `json:"csrf_token"`
	IdleExpires     time.Time `json:"idle_expires"`
	AbsoluteExpires time.Time `json:"absolute_expires"`
	// RecoverySheetDue tells an owner whose recovery code was cancelled by
	// an assisted recovery, or whose vault a worker created, to make a new
	// sheet (POST /recovery-code, confirmed).
	RecoverySheetDue bool `json:"recovery_sheet_due,omitempty"`
	// ConfirmedUntil: the session may do what needs confirmation until
	// then (absent when it may not; POST /reauth).
	ConfirmedUntil *time.Time `json:"confirmed_until,omitempty"`
	// SecretChangeDue: a worker saw the owner's secret typed; the session
	// may only change it (POST /secret) or end (secret_gate.go).
	SecretChangeDue bool `json:"secret_change_due,omitempty"`
}

func (s *server) sessionOut(c *gin.Context, p *vault.Principal, sess vault.Session) sessionJSON {
	out := sessionJSON{
		Kind: string(p.Kind()), ID: p.ID(), OrgID: p.OrgID(), CSRFToken: sess.CSRF,
		IdleExpires: sess.IdleExpires.UTC(), AbsoluteExpires: sess.AbsoluteExpires.UTC(),
	}
	switch p.Kind() {
	case vault.KindWorker:
		if info, err := s.v.WorkerInfo(c.Request.Context(), p.ID()); err == nil {
			out.Name, out.OrgName = info.Name, info.OrgName
		}
	case vault.KindOwner:
		// Best effort: a failed look-up only delays the reminder.
		out.RecoverySheetDue, _ = s.v.RecoverySheetDue(c.Request.Context(), p)
		out.SecretChangeDue = p.SecretChangeDue()
	}
	if until := p.ConfirmedUntil(); !until.IsZero() {
		u := until.UTC()
		out.ConfirmedUntil = &u
	}
	return out
}

// startSession opens a session for p and hands its cookie to the browser.
func (s *server) startSession(c *gin.Context, p *vault.Principal) (sessionJSON, error) {
	// A session this browser held before ends: one browser, one session.
	if ck, err := c.Request.Cookie(s.cookie); err == nil && ck.Value != "" {
		_ = s.v.EndSession(c.Request.Context(), ck.Value)
	}
	token, sess, err := s.v.StartSession(c.Request.Context(), p)
	if err != nil {
		return sessionJSON{}, err
	}
	s.setSessionCookie(c, token, sess)
	s.setDeviceCookie(c, c.GetString(ctxDevice)) // after the session's: device.go
	c.Set(ctxToken, token)                       // what this request shows next belongs to the new session
	return s.sessionOut(c, p, sess), nil
}

// wipe overwrites a secret held in memory once it is no longer needed.
func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

type loginReq struct {
	Identifier string `json:"identifier"`
	Secret     string `json:"secret"`
}

// loginOwner: an owner logs in with identifier and secret.
func (s *server) loginOwner(c *gin.Context) {
	var req loginReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if req.Identifier == "" || req.Secret == "" {
		writeError(c, s.log, fieldErr("secret", "api.secret.enter_identifier_secret"))
		return
	}
	s.signIn(c, req.Secret, func(ctx context.Context, secret []byte) (*vault.Principal, error) {
		return s.loginOwnerFrom(ctx, c, req.Identifier, secret)
	})
}

// signIn unlocks a principal with a secret (wiped afterwards), starts its
// session and answers with it; any failure goes through writeError.
func (s *server) signIn(c *gin.Context, secret string, unlock func(ctx context.Context, secret []byte) (*vault.Principal, error)) {
	b := []byte(secret)
	defer wipe(b)
	p, err := unlock(c.Request.Context(), b)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.startSession(c, p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type workerLoginReq struct {
	Email  string `json:"email"`
	Secret string `json:"secret"`
	TOTP   string `json:"totp"`
}

// loginWorker: a worker logs in with email, secret and, if enrolled, TOTP.
func (s *server) loginWorker(c *gin.Context) {
	var req workerLoginReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if req.Email == "" || req.Secret == "" {
		writeError(c, s.log, fieldErr("secret", "api.secret.enter_email_secret"))
		return
	}
	s.signIn(c, req.Secret, func(ctx context.Context, secret []byte) (*vault.Principal, error) {
		return s.v.LoginWorker(ctx, req.Email, secret, req.TOTP, c.ClientIP())
	})
}

type recoverReq struct {
	Identifier   string `json:"identifier"`
	RecoveryCode string `json:"recovery_code"`
	NewSecret    string `json:"new_secret"`
}

// recoverResp is the session opened by a recovery, with the new recovery
// code that replaced the one just used (shown once, never stored).
type recoverResp struct {
	sessionJSON
	Identifier    string    `json:"identifier"`
	RecoveryCode  string    `json:"recovery_code"`
	RecoverySheet sheetLink `json:"recovery_sheet"`
}

// recoverOwner: an owner who forgot the secret sets a new one with the
// recovery code; every document is kept. A session starts, and the answer
// holds the new recovery code: the one used stops working.
func (s *server) recoverOwner(c *gin.Context) {
	var req recoverReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if req.Identifier == "" || req.RecoveryCode == "" || req.NewSecret == "" {
		writeError(c, s.log, fieldErr("recovery_code", "api.recovery_code.enter_identifier_recovery"))
		return
	}
	if _, err := seal.ParseRecoveryCode(req.RecoveryCode); err != nil {
		writeError(c, s.log, err)
		return
	}
	secret := []byte(req.NewSecret)
	defer wipe(secret)
	p, code, err := s.v.Recover(c.Request.Context(), req.Identifier, req.RecoveryCode, secret, c.ClientIP())
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.startSession(c, p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ident, _ := vault.NormalizeIdentifier(req.Identifier) // Recover accepted it
	c.JSON(http.StatusOK, recoverResp{
		sessionJSON: out, Identifier: ident, RecoveryCode: code.String(),
		RecoverySheet: sheetLink{Method: http.MethodPost, URL: "/api/v1/recovery-sheet"},
	})
}

type signUpReq struct {
	Identifier          string `json:"identifier"`
	Secret              string `json:"secret"`
	Lang                string `json:"lang"`
	DisplayName         string `json:"display_name"`
	AssistedRecoveryOrg string `json:"assisted_recovery_org"`
}

type signUpResp struct {
	OwnerID    string `json:"owner_id"`
	Identifier string `json:"identifier"`
	// RecoveryCode is shown once and never stored: the client prints it
	// through POST /recovery-sheet. Absent when a worker created the
	// vault: the worker never sees it, the owner makes the sheet at first
	// sign-in (RecoverySheetDue).
	RecoveryCode  string       `json:"recovery_code,omitempty"`
	RecoverySheet *sheetLink   `json:"recovery_sheet,omitempty"`
	Session       *sessionJSON `json:"session,omitempty"`
	// RecoverySheetDue: the owner will be asked to make the sheet.
	RecoverySheetDue bool `json:"recovery_sheet_due,omitempty"`
}

type sheetLink struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// signUp creates a vault: by the person alone (a session starts for the new
// owner) or by a logged-in worker with the person present (the person types
// the secret; the worker's session stays the worker's). The response holds
// the recovery code, shown once — only to the person signing up alone: a
// worker never sees it.
func (s *server) signUp(c *gin.Context) {
	var req signUpReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	by := principal(c)
	if by != nil && by.Kind() != vault.KindWorker {
		writeError(c, s.log, errForbidden)
		return
	}
	ident, err := vault.NormalizeIdentifier(req.Identifier)
	if err != nil {
		writeError(c, s.log, identifierErr(err))
		return
	}
	l := req.Lang
	if l == "" {
		l = lang(c)
	} else if kl, ok := knownLang(l); ok {
		l = kl
	} else {
		writeError(c, s.log, fieldErr("lang", "api.lang.language_fr_en"))
		return
	}
	secret := []byte(req.Secret)
	defer wipe(secret)
	if err := vault.CheckSecret(secret); err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	ownerID, code, err := s.v.SignUp(ctx, vault.NewOwner{
		Identifier: strings.TrimSpace(req.Identifier), Secret: secret, Lang: l, DisplayName: req.DisplayName,
		AssistedRecoveryOrg: req.AssistedRecoveryOrg,
	}, by)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	resp := signUpResp{OwnerID: ownerID, Identifier: ident, RecoverySheetDue: by != nil}
	if by == nil {
		resp.RecoveryCode = code.String()
		resp.RecoverySheet = &sheetLink{Method: http.MethodPost, URL: "/api/v1/recovery-sheet"}
		p, err := s.v.Unlock(ctx, ownerID, secret)
		if err == nil {
			var out sessionJSON
			if out, err = s.startSession(c, p); err == nil {
				resp.Session = &out
			}
		}
		if err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	c.JSON(http.StatusCreated, resp)
}

// identifierErr explains a refused identifier.
func identifierErr(err error) error {
	if isInvalid(err) {
		return fieldErr("identifier", "api.identifier.identifier_french_mobile")
	}
	return err
}

type sheetReq struct {
	Identifier   string `json:"identifier"`
	RecoveryCode string `json:"recovery_code"`
	Lang         string `json:"lang"`
}

// recoverySheet renders the recovery sheet PDF from the identifier and code
// the client sends back right after sign-up. Nothing is stored or looked
// up: the code exists only in the client's memory and on the paper.
func (s *server) recoverySheet(c *gin.Context) {
	var req sheetReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if _, err := vault.NormalizeIdentifier(req.Identifier); err != nil {
		writeError(c, s.log, identifierErr(err))
		return
	}
	code, err := seal.ParseRecoveryCode(req.RecoveryCode)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	l := apiLoc(c)
	if cat := catalogueFor(req.Lang); cat != nil {
		l = loc{cat}
	}
	var buf bytes.Buffer
	// The identifier as the person typed it ("06 12 34 56 78").
	if err := l.recoverySheet(&buf, strings.TrimSpace(req.Identifier), code); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Content-Disposition", attachment(l.T("sheet.filename")))
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// sessionInfo returns the caller's session (and its CSRF token).
func (s *server) sessionInfo(c *gin.Context) {
	c.JSON(http.StatusOK, s.sessionOut(c, principal(c), session(c)))
}

// logout ends this session.
func (s *server) logout(c *gin.Context) {
	if err := s.v.EndSession(c.Request.Context(), c.GetString(ctxToken)); err != nil {
		writeError(c, s.log, err)
		return
	}
	s.clearCookie(c)
	c.Status(http.StatusNoContent)
}

type logoutEverywhereReq struct {
	// StopLinks also stops her drop links that still take papers (each
	// journaled), as the page's box does: one a thief made with a session
	// alone outlives every session. A worker has no links of its own.
	StopLinks bool `json:"stop_links"`
}

// logoutEverywhere ends every session of the caller, on every device, and
// the owner's live drop links too when stop_links is set (the body is
// optional).
func (s *server) logoutEverywhere(c *gin.Context) {
	var req logoutEverywhereReq
	if err := decodeOptionalJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	p := principal(c)
	if err := s.v.EndAllSessions(c.Request.Context(), p); err != nil {
		writeError(c, s.log, err)
		return
	}
	// Once every session is ended, so that none makes another meanwhile
	// (attacker's review: links made during the stop survived it).
	if req.StopLinks && p.Kind() == vault.KindOwner {
		if err := s.stopLiveLinks(c.Request.Context(), p); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	s.clearCookie(c)
	c.Status(http.StatusNoContent)
}

type changeSecretReq struct {
	CurrentSecret string `json:"current_secret"`
	NewSecret     string `json:"new_secret"`
	// StopLinks also stops her drop links that still take papers (each
	// journaled): one a thief made with a session alone outlives them.
	StopLinks bool `json:"stop_links"`
}

// changeSecret replaces the owner's secret; the current one is asked again
// (through the login throttle). Every other session of the owner ends,
// and her live drop links too when stop_links is set.
func (s *server) changeSecret(c *gin.Context) {
	var req changeSecretReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if !s.allow(c, s.login) {
		return
	}
	cur, nw := []byte(req.CurrentSecret), []byte(req.NewSecret)
	defer wipe(cur)
	defer wipe(nw)
	p := principal(c)
	ctx := c.Request.Context()
	if len(cur) == 0 {
		writeError(c, s.log, fieldErr("current_secret", "api.current_secret.enter_current_secret"))
		return
	}
	if err := vault.CheckSecret(nw); err != nil {
		writeError(c, s.log, err)
		return
	}
	// The current secret goes through the login throttle, and confirms
	// the session.
	if err := s.confirm(c, vault.SecretProof(cur)); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := s.v.ChangeSecret(ctx, p, nw); err != nil {
		writeError(c, s.log, err)
		return
	}
	// Once the other sessions are ended (ChangeSecret), so that none
	// makes another meanwhile (attacker's review).
	if req.StopLinks {
		if err := s.stopLiveLinks(ctx, p); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	c.Status(http.StatusNoContent)
}

type assistedRecoveryReq struct {
	OrgID string `json:"org_id"`
}

// setAssistedRecovery lets the owner opt in to (org_id) or out of ("")
// assisted recovery by an organisation.
func (s *server) setAssistedRecovery(c *gin.Context) {
	var req assistedRecoveryReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := s.v.SetAssistedRecovery(c.Request.Context(), principal(c), req.OrgID); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type assistedRecoverReq struct {
	OrgRecoveryKey  string `json:"org_recovery_key"`
	OwnerIdentifier string `json:"owner_identifier"`
	NewSecret       string `json:"new_secret"`
}

// assistedRecover: a worker, with the person present and the organisation's
// recovery key, sets a new secret the person types. Journaled for the owner;
// no session is opened for anyone.
func (s *server) assistedRecover(c *gin.Context) {
	var req assistedRecoverReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if !s.allow(c, s.login) {
		return
	}
	secret := []byte(req.NewSecret)
	defer wipe(secret)
	if err := vault.CheckSecret(secret); err != nil {
		writeError(c, s.log, err)
		return
	}
	if _, err := s.v.AssistedRecover(c.Request.Context(), principal(c), req.OrgRecoveryKey, req.OwnerIdentifier, secret); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
