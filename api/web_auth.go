package api

import (
	"context"
	"time"

	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// Signing in, signing up, recovery and signing out, as pages.

// authForm is what the sign-in, sign-up and recovery forms show again after
// an error (never the secret).
type authForm struct {
	Identifier, Name, Next string
	// Kind is who signs in on the page ("owner", "worker"): where a
	// passkey sign-in goes next.
	Kind string
	// Suggestion is a passphrase idea for sign-up.
	Suggestion string
	// Orgs are the organisations a person may allow to help with recovery.
	Orgs []vault.Organisation
}

// nextPath is where to go after signing in.
func nextPath(c *gin.Context, def string) string {
	n := localPath(c.Query("next"))
	if v := c.PostForm("next"); v != "" {
		n = localPath(v)
	}
	if n == "/" {
		return def
	}
	return n
}

func (s *server) webLoginForm(c *gin.Context) {
	p := s.newPage(c, "login.title")
	p.Data = authForm{Next: localPath(c.Query("next")), Kind: string(vault.KindOwner)}
	s.render(c, http.StatusOK, "login", p)
}

// webLogin: an owner signs in with identifier and secret.
func (s *server) webLogin(c *gin.Context) {
	ident, secret := strings.TrimSpace(c.PostForm("identifier")), []byte(c.PostForm("secret"))
	defer wipe(secret)
	p := s.newPage(c, "login.title")
	p.Data = authForm{Identifier: ident, Next: localPath(c.PostForm("next")), Kind: string(vault.KindOwner)}
	if ident == "" || len(secret) == 0 {
		p.Error = p.L.T("login.missing")
		s.render(c, http.StatusUnprocessableEntity, "login", p)
		return
	}
	pr, err := s.loginOwnerFrom(c.Request.Context(), c, ident, secret)
	if err != nil {
		p.Error = s.errorText(p.L, err)
		s.render(c, classify(err).status, "login", p)
		return
	}
	out, err := s.startSession(c, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	s.rememberAccountLang(c, pr)
	if out.SecretChangeDue {
		// A worker saw the secret typed: a new one first (secret_gate.go).
		c.Redirect(http.StatusSeeOther, secretDuePath)
		return
	}
	if out.RecoverySheetDue {
		// An assisted recovery cancelled the sheet: make a new one first.
		c.Redirect(http.StatusSeeOther, "/account")
		return
	}
	c.Redirect(http.StatusSeeOther, nextPath(c, "/papers"))
}

func (s *server) webWorkerLoginForm(c *gin.Context) {
	p := s.newPage(c, "prologin.title")
	p.Data = authForm{Next: localPath(c.Query("next")), Kind: string(vault.KindWorker)}
	s.render(c, http.StatusOK, "prologin", p)
}

// webWorkerLogin: a social worker signs in with e-mail, secret and, when
// enrolled, a one-time code.
func (s *server) webWorkerLogin(c *gin.Context) {
	email, secret := strings.TrimSpace(c.PostForm("email")), []byte(c.PostForm("secret"))
	defer wipe(secret)
	p := s.newPage(c, "prologin.title")
	p.Data = authForm{Identifier: email, Next: localPath(c.PostForm("next")), Kind: string(vault.KindWorker)}
	if email == "" || len(secret) == 0 {
		p.Error = p.L.T("prologin.missing")
		s.render(c, http.StatusUnprocessableEntity, "prologin", p)
		return
	}
	pr, err := s.v.LoginWorker(c.Request.Context(), email, secret, strings.TrimSpace(c.PostForm("totp")), c.ClientIP())
	if err != nil {
		p.Error = s.errorText(p.L, err)
		s.render(c, classify(err).status, "prologin", p)
		return
	}
	if _, err := s.startSession(c, pr); err != nil {
		s.webError(c, err)
		return
	}
	s.rememberAccountLang(c, pr) // a worker: forgets the last owner's language
	c.Redirect(http.StatusSeeOther, nextPath(c, "/pro"))
}

// signupForm prepares the sign-up form (alone, or by a worker).
func (s *server) signupForm(c *gin.Context, f authForm) authForm {
	if f.Suggestion == "" {
		// A form shown again (a mistake to correct) keeps the words she
		// may have started to copy.
		f.Suggestion = webLang(c).keptSuggestion(c.PostForm("suggested"))
	}
	if orgs, err := s.v.Organisations(c.Request.Context()); err == nil {
		f.Orgs = orgs
	}
	return f
}

func (s *server) webSignupForm(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if pr := principal(c); pr != nil {
		// Signed in already: Back from her recovery sheet came here, and
		// the form sent again (the browser kept what she typed, and an old
		// form token) ended on "this request does not come from Coffre's
		// page" (newcomer's review). Her sheet, while she has not kept it;
		// otherwise her papers.
		switch _, unkept := s.keptSheet(c); {
		case unkept:
			c.Redirect(http.StatusSeeOther, "/sheet")
		case pr.Kind() == vault.KindWorker:
			c.Redirect(http.StatusSeeOther, "/pro")
		default:
			c.Redirect(http.StatusSeeOther, "/papers")
		}
		return
	}
	p := s.newPage(c, "signup.title")
	p.Data = s.signupForm(c, authForm{})
	s.render(c, http.StatusOK, "signup", p)
}

// sheetData is the page showing a new recovery code once.
type sheetData struct {
	Identifier string
	// Shown is the identifier as the person typed it ("06 12 34 56 78"),
	// "" when not known.
	Shown string
	Code  string
	// Groups is the code cut in groups of four, for reading aloud.
	Groups []string
	// Next is where the "continue" button goes.
	Next string
	// ByWorker is set when a worker created the vault for the person.
	ByWorker bool
	// AfterRecovery is set when the code replaces one just used.
	AfterRecovery bool
	// NoticeKey is a catalogue key shown above the sheet ("" for none),
	// e.g. after the owner's keys were changed.
	NoticeKey string
	// Made is when the code was made (showSheet sets it): the code is
	// shown again only for sheetShownFor after.
	Made time.Time
}

func newSheetData(ident string, code seal.RecoveryCode, next string) sheetData {
	str := code.String()
	return sheetData{Identifier: ident, Code: str, Groups: strings.Split(str, "-"), Next: next}
}

// webSignup creates a vault: by the person alone (a session starts), or by a
// signed-in worker with the person present (the person types the secret).
// The recovery code is shown once, with a button to print the sheet.
func (s *server) webSignup(c *gin.Context) {
	by := principal(c)
	if by != nil && by.Kind() != vault.KindWorker {
		c.Redirect(http.StatusSeeOther, "/papers")
		return
	}
	page, tmpl := "signup.title", "signup"
	if by != nil {
		page, tmpl = "prosignup.title", "prosignup"
	}
	p := s.newPage(c, page)
	ident := strings.TrimSpace(c.PostForm("identifier"))
	name := strings.TrimSpace(c.PostForm("name"))
	secret, again := []byte(c.PostForm("secret")), []byte(c.PostForm("secret2"))
	defer wipe(secret)
	defer wipe(again)
	p.Data = s.signupForm(c, authForm{Identifier: ident, Name: name})
	fail := func(status int, msg string) {
		p.Error = msg
		s.render(c, status, tmpl, p)
	}
	norm, err := vault.NormalizeIdentifier(ident)
	if err != nil {
		fail(http.StatusUnprocessableEntity, p.L.T("signup.badidentifier"))
		return
	}
	if !sameSecret(secret, again) {
		fail(http.StatusUnprocessableEntity, p.L.T("signup.mismatch"))
		return
	}
	if err := vault.CheckSecret(secret); err != nil {
		fail(http.StatusUnprocessableEntity, p.L.secretAdvice(err))
		return
	}
	org := ""
	if c.PostForm("assisted") != "" {
		org = c.PostForm("org")
	}
	ctx := c.Request.Context()
	ownerID, code, err := s.v.SignUp(ctx, vault.NewOwner{
		Identifier: ident, Secret: secret, Lang: p.L.Lang(), DisplayName: name, AssistedRecoveryOrg: org,
	}, by)
	if errors.Is(err, vault.ErrConflict) && by == nil {
		// "It exists already" said nothing of what, nor what to do: her
		// number has a vault; she opens it, or recovers it.
		fail(http.StatusConflict, p.L.T("signup.taken", p.L.T("login.forgot")))
		return
	}
	if err != nil {
		fail(classify(err).status, s.errorText(p.L, err))
		return
	}
	if by != nil {
		// The worker never sees the recovery code: the person makes the
		// sheet at first sign-in (RecoverySheetDue).
		p = s.newPage(c, "procreated.title")
		p.Data = authForm{Identifier: ident}
		s.render(c, http.StatusCreated, "procreated", p)
		return
	}
	sd := newSheetData(norm, code, "/papers")
	sd.Shown = ident
	owner, err := s.v.Unlock(ctx, ownerID, secret)
	if err == nil {
		_, err = s.startSession(c, owner)
	}
	if err != nil {
		s.webError(c, err)
		return
	}
	s.showSheet(c, sd)
}

// webSheet renders the recovery sheet PDF from the code the page holds
// (shown once; nothing is stored), to print at once.
func (s *server) webSheet(c *gin.Context) {
	if principal(c) == nil {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	l := webLang(c)
	ident := strings.TrimSpace(c.PostForm("identifier"))
	if _, err := vault.NormalizeIdentifier(ident); err != nil {
		s.webError(c, identifierErr(err))
		return
	}
	code, err := seal.ParseRecoveryCode(c.PostForm("code"))
	if err != nil {
		s.webError(c, err)
		return
	}
	var buf bytes.Buffer
	if err := l.recoverySheet(&buf, ident, code); err != nil {
		s.webError(c, err)
		return
	}
	c.Header("Content-Disposition", `inline; filename="`+l.T("sheet.filename")+`"`)
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

func (s *server) webRecoverForm(c *gin.Context) {
	p := s.newPage(c, "recover.title")
	p.Data = authForm{}
	s.render(c, http.StatusOK, "recover", p)
}

// webRecover: a person who forgot the secret sets a new one with the code
// of the recovery sheet; every paper is kept.
func (s *server) webRecover(c *gin.Context) {
	ident := strings.TrimSpace(c.PostForm("identifier"))
	secret, again := []byte(c.PostForm("secret")), []byte(c.PostForm("secret2"))
	defer wipe(secret)
	defer wipe(again)
	p := s.newPage(c, "recover.title")
	p.Data = authForm{Identifier: ident}
	fail := func(status int, msg string) {
		p.Error = msg
		s.render(c, status, "recover", p)
	}
	if !sameSecret(secret, again) {
		fail(http.StatusUnprocessableEntity, p.L.T("signup.mismatch"))
		return
	}
	if _, err := seal.ParseRecoveryCode(c.PostForm("code")); err != nil {
		fail(classify(err).status, s.errorText(p.L, err))
		return
	}
	if err := vault.CheckSecret(secret); err != nil {
		fail(http.StatusUnprocessableEntity, p.L.secretAdvice(err))
		return
	}
	pr, code, err := s.v.Recover(c.Request.Context(), ident, c.PostForm("code"), secret, c.ClientIP())
	if err != nil {
		fail(classify(err).status, s.errorText(p.L, err))
		return
	}
	if _, err := s.startSession(c, pr); err != nil {
		s.webError(c, err)
		return
	}
	// The code just used no longer works: show the new one until kept.
	norm, _ := vault.NormalizeIdentifier(ident) // Recover accepted it
	sd := newSheetData(norm, code, "/papers")
	sd.Shown, sd.AfterRecovery = ident, true
	s.showSheet(c, sd)
}

// webLogout ends this session (or every session, with all=1).
func (s *server) webLogout(c *gin.Context) {
	pr := principal(c)
	if pr != nil {
		var err error
		if c.PostForm("all") != "" {
			// Her live links too, when she ticks it: one a thief made
			// with the session alone outlives every session (attacker's
			// review).
			// Stopped once every session is ended, so that none makes
			// another meanwhile (attacker's review).
			err = s.v.EndAllSessions(c.Request.Context(), pr)
			if err == nil && c.PostForm("links") != "" && pr.Kind() == vault.KindOwner {
				err = s.stopLiveLinks(c.Request.Context(), pr)
			}
		} else {
			err = s.v.EndSession(c.Request.Context(), c.GetString(ctxToken))
		}
		if err != nil {
			s.webError(c, err)
			return
		}
	}
	s.clearCookie(c)
	s.clearSheet(c)
	s.clearSealed(c, s.linkCookie())
	s.setAcctLang(c, "")
	redirectDone(c, "/", "loggedout")
}

// stopLiveLinks revokes every drop link of the owner that still takes
// papers (each journaled, as from « Liens d'envoi »). Callers end the
// sessions first; the list is read again until a pass finds none live, so
// that a link a request already under way made meanwhile is stopped too.
func (s *server) stopLiveLinks(ctx context.Context, owner *vault.Principal) error {
	for range 3 {
		ls, err := s.v.DropLinks(ctx, owner, owner.ID())
		if err != nil {
			return err
		}
		now := s.v.Now()
		stopped := 0
		for _, l := range ls {
			if l.Revoked || !now.Before(l.Expires) || l.MaxUses > 0 && l.Uses >= l.MaxUses {
				continue
			}
			if err := s.v.RevokeDropLink(ctx, owner, l.ID); err != nil {
				return err
			}
			stopped++
		}
		if stopped == 0 {
			return nil
		}
	}
	return nil
}
