package api

// Passkeys (WebAuthn, github.com/go-webauthn/webauthn). The relying party
// is the configured public URL: its host is the RP ID, its origin the only
// origin accepted; an address (no host name) cannot be an RP ID, and then
// passkeys are off (passkeys_unavailable, and the pages show none).
//
// Every ceremony is options then answer. The options' challenge is kept in
// the database (vault.SaveCeremony), bound to the session (or, before
// signing in, to the browser's ceremony cookie) and to the ceremony's
// purpose, for vault.CeremonyTTL; the answer takes it (once, whatever the
// outcome), and go-webauthn checks the origin, the RP ID, the challenge,
// the signature, user verification and the backup flags. The vault then
// checks the signature counter and opens the PRF wrap.
//
// The PRF extension is asked with one fixed salt, so that a credential
// always gives the same output: the browser sends it with the answer, and
// it goes straight to the vault (an argument, never stored, never logged).
//
// Sign-in (anonymous): POST /passkeys/login/options, POST /passkeys/login;
// when the passkey does not open the vault by itself (no PRF, or keys
// rotated since) the answer is needs_secret with a ticket, and POST
// /passkeys/login/secret opens it with the secret (and re-enrols it with
// the PRF output, if any). Owners and workers alike: the user handle says
// which.
//
// Managing (a session): GET /passkeys; POST /passkeys/options and POST
// /passkeys add one, DELETE /passkeys/{id} removes one (both need a
// confirmed session); POST /passkeys/{id}/unlock/options and POST
// /passkeys/{id}/unlock give a passkey its PRF wrap (a registration whose
// authenticator answers PRF only at sign-in, or a re-enrolment). POST
// /reauth/passkey/options and POST /reauth/passkey confirm the session
// with a fresh assertion (sudo).

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/coffre/coffre/vault"
)

// Ceremony purposes (what a challenge may be answered for).
const (
	purposeLogin       = "login"
	purposeLoginSecret = "login-secret"
	purposeRegister    = "register"
	purposeUnlock      = "unlock"
	purposeConfirm     = "confirm"
)

// prfSalt is the one PRF input Coffre asks for, at registration and at
// every sign-in: the same credential gives the same output.
var prfSalt = func() []byte {
	h := sha256.Sum256([]byte("coffre-passkey-prf-v1"))
	return h[:]
}()

// newWebAuthn is the relying party of baseURL, or nil when its host is an
// IP address (WebAuthn needs a domain).
func newWebAuthn(baseURL string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	if host == "" || net.ParseIP(host) != nil {
		return nil, nil
	}
	yes := true
	return webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: "Coffre",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: &yes,
			UserVerification: protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: vault.CeremonyTTL, TimeoutUVD: vault.CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: vault.CeremonyTTL, TimeoutUVD: vault.CeremonyTTL},
		},
	})
}

// Errors of the passkey routes (words in the catalogues, apierror.*).
var (
	errPasskeysOff     = newErr(http.StatusNotFound, "passkeys_unavailable", "apierror.passkeys_unavailable")
	errPasskeyExpired  = newErr(http.StatusBadRequest, "passkey_expired", "apierror.passkey_expired")
	errPasskeyRefused  = newErr(http.StatusBadRequest, "passkey_refused", "apierror.passkey_refused")
	errPasskeyUnknown  = newErr(http.StatusUnauthorized, "passkey_unknown", "apierror.passkey_unknown")
	errPasskeyReplay   = newErr(http.StatusUnauthorized, "passkey_replay", "apierror.passkey_replay")
	errPasskeyNoPRF    = newErr(http.StatusUnprocessableEntity, "passkey_no_prf", "apierror.passkey_no_prf")
	errPasskeyName     = fieldErr("name", "apierror.passkey_name")
	errPasskeyNone     = newErr(http.StatusNotFound, "no_passkey", "apierror.no_passkey")
	errTooManyPasskeys = newErr(http.StatusConflict, "too_many_passkeys", "apierror.too_many_passkeys")
	errPasskeyTicket   = fieldErr("ticket", "apierror.passkey_ticket")
	errPasskeySecret   = fieldErr("secret", "apierror.passkey_secret")
)

// passkeyErr maps what the vault says of a passkey to the API's errors.
func passkeyErr(err error) error {
	switch {
	case errors.Is(err, vault.ErrPasskeyReplay):
		return errPasskeyReplay
	case errors.Is(err, vault.ErrTooManyPasskeys):
		return errTooManyPasskeys
	case errors.Is(err, vault.ErrNotFound):
		return errPasskeyUnknown
	}
	return err
}

// waUser is a principal as go-webauthn sees it.
type waUser struct {
	handle        []byte
	name, display string
	creds         []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.display }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func waCredential(c vault.PasskeyCredential) webauthn.Credential {
	ts := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		ts[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.CredentialID, PublicKey: c.PublicKey, AttestationType: "none", Transport: ts,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: true,
			BackupEligible: c.BackupEligible, BackupState: c.BackupState},
		Authenticator: webauthn.Authenticator{SignCount: c.SignCount},
	}
}

// principalUser is the signed-in principal with its passkeys.
func (s *server) principalUser(c *gin.Context) (*waUser, []vault.PasskeyCredential, error) {
	ctx, p := c.Request.Context(), principal(c)
	creds, err := s.v.PasskeyCredentials(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	u := &waUser{handle: p.UserHandle(), name: "Coffre", display: "Coffre"}
	switch p.Kind() {
	case vault.KindOwner:
		if prof, err := s.v.OwnerProfile(ctx, p); err == nil {
			u.name, u.display = prof.Identifier, prof.Identifier
			if prof.DisplayName != "" {
				u.display = prof.DisplayName
			}
		}
	case vault.KindWorker:
		if info, err := s.v.WorkerInfo(ctx, p.ID()); err == nil && info.Name != "" {
			u.name, u.display = info.Name, info.Name
		}
	}
	for _, cr := range creds {
		u.creds = append(u.creds, waCredential(cr))
	}
	return u, creds, nil
}

// Before signing in, a ceremony is bound to the browser by a random
// cookie (HttpOnly, SameSite=Strict, short-lived).
func (s *server) ceremonyCookie() string {
	if s.secure {
		return "__Host-coffre_ceremony"
	}
	return "coffre_ceremony"
}

// browserBinding returns this browser's ceremony binding, making one when
// make is set (else "" when the browser has none).
func (s *server) browserBinding(c *gin.Context, make bool) string {
	if ck, err := c.Request.Cookie(s.ceremonyCookie()); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil && len(b) == 32 {
			return "browser:" + ck.Value
		}
	}
	if !make {
		return ""
	}
	v := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	// #nosec G124 -- Secure whenever the base URL is https, as the session cookie
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.ceremonyCookie(), Value: v, Path: "/", MaxAge: int((2 * vault.CeremonyTTL).Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
	return "browser:" + v
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails
	return b
}

// saveCeremony keeps go-webauthn's session data of a ceremony.
func (s *server) saveCeremony(c *gin.Context, sd *webauthn.SessionData, binding, purpose string) error {
	ch, err := base64.RawURLEncoding.DecodeString(sd.Challenge)
	if err != nil {
		return err
	}
	data, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	return s.v.SaveCeremony(c.Request.Context(), ch, binding, purpose, data)
}

// takeCeremony takes the ceremony whose challenge the browser's answer
// signed (clientDataJSON), for binding and purpose.
func (s *server) takeCeremony(c *gin.Context, challenge, binding, purpose string) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	ch, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(challenge, "="))
	if err != nil || binding == "" {
		return sd, errPasskeyExpired
	}
	data, err := s.v.TakeCeremony(c.Request.Context(), ch, binding, purpose)
	if errors.Is(err, vault.ErrNotFound) || errors.Is(err, vault.ErrInvalid) {
		return sd, errPasskeyExpired
	}
	if err != nil {
		return sd, err
	}
	if err := json.Unmarshal(data, &sd); err != nil {
		return sd, err
	}
	return sd, nil
}

// credentialReq carries a browser's answer (PublicKeyCredential as JSON,
// parsed by go-webauthn) and, when adding a passkey, its device name.
type credentialReq struct {
	Credential json.RawMessage `json:"credential"`
	Name       string          `json:"name,omitempty"`
}

func (s *server) readCredential(c *gin.Context) (credentialReq, error) {
	var req credentialReq
	if err := decodeJSON(c, &req); err != nil {
		return req, err
	}
	if len(req.Credential) == 0 {
		return req, errPasskeyRefused
	}
	return req, nil
}

// readAssertion parses an assertion and takes its ceremony.
func (s *server) readAssertion(c *gin.Context, binding, purpose string) (*protocol.ParsedCredentialAssertionData, webauthn.SessionData, error) {
	req, err := s.readCredential(c)
	if err != nil {
		return nil, webauthn.SessionData{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Credential)
	if err != nil {
		return nil, webauthn.SessionData{}, errPasskeyRefused
	}
	sd, err := s.takeCeremony(c, parsed.Response.CollectedClientData.Challenge, binding, purpose)
	return parsed, sd, err
}

// prfOutput is the PRF result an answer carried (nil: none).
func prfOutput(ext protocol.AuthenticationExtensionsClientOutputs) []byte {
	if ext.PRF == nil || ext.PRF.Results == nil || len(ext.PRF.Results.First) == 0 {
		return nil
	}
	return ext.PRF.Results.First
}

// prfExtension asks the PRF output of the fixed salt.
func prfExtension() webauthn.ExtensionOption {
	return webauthn.WithExtensionPRF(protocol.PRFValues{First: prfSalt})
}

// requirePasskeys refuses every passkey route when passkeys are off.
func (s *server) requirePasskeys() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.wa == nil {
			writeError(c, s.log, errPasskeysOff)
		}
	}
}

// passkeyRoutes registers the passkey routes: anon for signing in, a for
// a session (owners and workers).
func (s *server) passkeyRoutes(g, a *gin.RouterGroup) {
	g.POST("/passkeys/login/options", s.requirePasskeys(), s.limit(s.ceremonies), s.passkeyLoginOptions)
	g.POST("/passkeys/login", s.requirePasskeys(), s.limit(s.login), s.passkeyLogin)
	g.POST("/passkeys/login/secret", s.requirePasskeys(), s.limit(s.login), s.passkeyLoginSecret)

	a.GET("/passkeys", s.listPasskeys)
	p := a.Group("", s.requirePasskeys())
	p.POST("/passkeys/options", s.passkeyAddOptions) // confirmed
	p.POST("/passkeys", s.addPasskey)                // confirmed
	p.DELETE("/passkeys/:id", s.removePasskey)       // confirmed
	p.POST("/passkeys/:id/unlock/options", s.passkeyUnlockOptions)
	p.POST("/passkeys/:id/unlock", s.passkeyUnlock)
	p.POST("/reauth/passkey/options", s.limit(s.ceremonies), s.reauthPasskeyOptions)
	p.POST("/reauth/passkey", s.limit(s.login), s.reauthPasskey)
}

// passkeyLoginOptions: the options of a sign-in with any passkey of this
// site (discoverable credentials; the page may ask for them in the
// browser's autofill, "conditional mediation").
func (s *server) passkeyLoginOptions(c *gin.Context) {
	binding := s.browserBinding(c, true)
	opts, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired),
		webauthn.WithAssertionExtensions(prfExtension()))
	if err == nil {
		err = s.saveCeremony(c, sd, binding, purposeLogin)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, opts)
}

// passkeyLoginResp answers a passkey sign-in.
type passkeyLoginResp struct {
	// Status is "signed_in" (Session set, Next where to go) or
	// "needs_secret" (the passkey signed in; POST /passkeys/login/secret
	// with Ticket and the secret opens the vault).
	Status  string       `json:"status"`
	Session *sessionJSON `json:"session,omitempty"`
	Next    string       `json:"next,omitempty"`
	Ticket  string       `json:"ticket,omitempty"`
}

// passkeyLogin checks a sign-in answer and opens the vault.
func (s *server) passkeyLogin(c *gin.Context) {
	binding := s.browserBinding(c, false)
	parsed, sd, err := s.readAssertion(c, binding, purposeLogin)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	var lookup error
	_, cred, err := s.wa.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
		pc, err := s.v.PasskeyByCredential(ctx, rawID)
		if err != nil {
			lookup = err
			return nil, err
		}
		return &waUser{handle: pc.UserHandle, creds: []webauthn.Credential{waCredential(pc)}}, nil
	}, sd, parsed)
	if err != nil {
		if lookup != nil && (errors.Is(lookup, vault.ErrNotFound) || errors.Is(lookup, vault.ErrInvalid)) {
			writeError(c, s.log, errPasskeyUnknown)
			return
		}
		if lookup != nil {
			writeError(c, s.log, lookup)
			return
		}
		writeError(c, s.log, errPasskeyRefused)
		return
	}
	a := vault.PasskeyAssertion{CredentialID: cred.ID, SignCount: parsed.Response.AuthenticatorData.Counter, PRF: prfOutput(parsed.ClientExtensionResults)}
	p, device, err := s.v.LoginWithPasskey(ctx, a, s.loginClient(c))
	if errors.Is(err, vault.ErrPasskeyNeedsSecret) {
		ticket := randomBytes(32)
		if err := s.v.SaveCeremony(ctx, ticket, binding, purposeLoginSecret, cred.ID); err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, passkeyLoginResp{Status: "needs_secret", Ticket: base64.RawURLEncoding.EncodeToString(ticket)})
		return
	}
	if err != nil {
		writeError(c, s.log, passkeyErr(err))
		return
	}
	s.passkeySignedIn(c, p, device)
}

// passkeySignedIn starts the session of a passkey sign-in and answers.
func (s *server) passkeySignedIn(c *gin.Context, p *vault.Principal, device string) {
	next := "/papers"
	if p.Kind() == vault.KindOwner {
		c.Set(ctxDevice, device) // the owner's device cookie, as at a secret login
	} else {
		next = "/pro"
	}
	out, err := s.startSession(c, p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.rememberAccountLang(c, p)
	if out.RecoverySheetDue {
		next = "/account"
	}
	c.JSON(http.StatusOK, passkeyLoginResp{Status: "signed_in", Session: &out, Next: next})
}

type passkeySecretReq struct {
	Ticket string `json:"ticket"`
	Secret string `json:"secret"`
	// PRF is the PRF output of the same sign-in (base64url), when the
	// browser got one: the passkey is then (re-)enrolled to open the vault.
	PRF string `json:"prf,omitempty"`
}

// passkeyLoginSecret opens the vault of a passkey that signed in but does
// not open it by itself, with the secret (once).
func (s *server) passkeyLoginSecret(c *gin.Context) {
	var req passkeySecretReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	secret := []byte(req.Secret)
	defer wipe(secret)
	ticket, err := base64.RawURLEncoding.DecodeString(req.Ticket)
	if err != nil || len(ticket) != 32 {
		writeError(c, s.log, errPasskeyTicket)
		return
	}
	if len(secret) == 0 {
		writeError(c, s.log, errPasskeySecret)
		return
	}
	var prf []byte
	if req.PRF != "" {
		if prf, err = base64.RawURLEncoding.DecodeString(req.PRF); err != nil || len(prf) != vault.PRFOutputSize {
			writeError(c, s.log, fieldErr("prf", "apierror.passkey_refused"))
			return
		}
		defer wipe(prf)
	}
	ctx, binding := c.Request.Context(), s.browserBinding(c, false)
	credID, err := s.v.TakeCeremony(ctx, ticket, binding, purposeLoginSecret)
	if err != nil {
		if errors.Is(err, vault.ErrNotFound) || errors.Is(err, vault.ErrInvalid) {
			err = errPasskeyExpired
		}
		writeError(c, s.log, err)
		return
	}
	p, device, err := s.v.UnlockWithPasskeySecret(ctx, vault.PasskeySecret{CredentialID: credID, Secret: secret, PRF: prf}, s.loginClient(c))
	if err != nil {
		if errors.Is(err, vault.ErrWrongSecret) {
			// A typo: the same ticket serves again (the throttle counts).
			_ = s.v.SaveCeremony(ctx, ticket, binding, purposeLoginSecret, credID)
		}
		writeError(c, s.log, passkeyErr(err))
		return
	}
	s.passkeySignedIn(c, p, device)
}

// passkeyJSON is a passkey as its owner sees it.
type passkeyJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Unlocks: it opens the vault with no secret; Reenrol: it will ask the
	// new secret once (keys rotated since).
	Unlocks  bool       `json:"unlocks"`
	Reenrol  bool       `json:"reenrol,omitempty"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

func passkeyOut(k vault.Passkey) passkeyJSON {
	out := passkeyJSON{ID: k.ID, Name: k.Name, Unlocks: k.Unlocks, Reenrol: k.Reenrol, Created: k.Created.UTC()}
	if !k.LastUsed.IsZero() {
		u := k.LastUsed.UTC()
		out.LastUsed = &u
	}
	return out
}

// listPasskeys: the caller's passkeys.
func (s *server) listPasskeys(c *gin.Context) {
	list, err := s.v.Passkeys(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]passkeyJSON, 0, len(list))
	for _, k := range list {
		out = append(out, passkeyOut(k))
	}
	c.JSON(http.StatusOK, gin.H{"passkeys": out})
}

// passkeyAddOptions: the options of a registration (needs confirmation).
func (s *server) passkeyAddOptions(c *gin.Context) {
	p := principal(c)
	if !p.IsConfirmed() {
		writeError(c, s.log, errConfirmRequired)
		return
	}
	u, creds, err := s.principalUser(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, cr := range u.creds {
		exclude = append(exclude, cr.Descriptor())
	}
	yes := true
	opts, sd, err := s.wa.BeginRegistration(u, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: &yes,
			UserVerification: protocol.VerificationRequired,
		}),
		webauthn.WithExtensions(prfExtension()))
	if err == nil {
		err = s.saveCeremony(c, sd, p.SessionBinding(), purposeRegister)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, opts)
}

// addedPasskey answers a registration. PRF: the authenticator has the PRF
// extension; when Unlocks is false but PRF is true, the page asks one
// assertion (POST /passkeys/{id}/unlock) to get the output.
type addedPasskey struct {
	passkeyJSON
	PRF bool `json:"prf"`
}

// addPasskey checks a registration answer and enrols the passkey.
func (s *server) addPasskey(c *gin.Context) {
	p := principal(c)
	if !p.IsConfirmed() {
		writeError(c, s.log, errConfirmRequired)
		return
	}
	req, err := s.readCredential(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len([]rune(name)) > vault.MaxPasskeyName || strings.ContainsFunc(name, unicode.IsControl) {
		writeError(c, s.log, errPasskeyName)
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	if err != nil {
		writeError(c, s.log, errPasskeyRefused)
		return
	}
	sd, err := s.takeCeremony(c, parsed.Response.CollectedClientData.Challenge, p.SessionBinding(), purposeRegister)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	u, _, err := s.principalUser(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	cred, err := s.wa.CreateCredential(u, sd, parsed)
	if err != nil {
		writeError(c, s.log, errPasskeyRefused)
		return
	}
	ext := parsed.ClientExtensionResults
	prf := prfOutput(ext)
	defer wipe(prf)
	ts := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		ts = append(ts, string(t))
	}
	ctx := c.Request.Context()
	id, err := s.v.AddPasskey(ctx, p, vault.NewPasskey{
		CredentialID: cred.ID, PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, Transports: ts,
		Name: name, PRF: prf,
	})
	if errors.Is(err, vault.ErrInvalid) {
		err = errPasskeyRefused
	}
	if err != nil {
		writeError(c, s.log, passkeyErr(err))
		return
	}
	out := addedPasskey{passkeyJSON: passkeyJSON{ID: id, Name: name, Unlocks: prf != nil, Created: time.Now().UTC()}}
	out.PRF = prf != nil || (ext.PRF != nil && ext.PRF.Enabled != nil && *ext.PRF.Enabled)
	c.JSON(http.StatusCreated, out)
}

// removePasskey removes one of the caller's passkeys (needs confirmation).
func (s *server) removePasskey(c *gin.Context) {
	if err := s.v.RemovePasskey(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// userWith is the principal's user restricted to one passkey (id), or
// errPasskeyNone.
func (s *server) userWith(c *gin.Context, id string) (*waUser, error) {
	u, creds, err := s.principalUser(c)
	if err != nil {
		return nil, err
	}
	if id == "" {
		if len(u.creds) == 0 {
			return nil, errPasskeyNone
		}
		return u, nil
	}
	for i, cr := range creds {
		if cr.ID == id {
			u.creds = u.creds[i : i+1]
			return u, nil
		}
	}
	return nil, errPasskeyNone
}

// assertionOptions starts an assertion of the principal's passkeys (one
// when id is set) for purpose.
func (s *server) assertionOptions(c *gin.Context, id, purpose string) {
	u, err := s.userWith(c, id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	opts, sd, err := s.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired),
		webauthn.WithAssertionExtensions(prfExtension()))
	if err == nil {
		err = s.saveCeremony(c, sd, principal(c).SessionBinding(), purpose)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, opts)
}

// checkAssertion checks an assertion of the principal's passkeys (one
// when id is set) for purpose and returns what the vault needs.
func (s *server) checkAssertion(c *gin.Context, id, purpose string) (vault.PasskeyAssertion, error) {
	parsed, sd, err := s.readAssertion(c, principal(c).SessionBinding(), purpose)
	if err != nil {
		return vault.PasskeyAssertion{}, err
	}
	u, err := s.userWith(c, id)
	if err != nil {
		return vault.PasskeyAssertion{}, err
	}
	cred, err := s.wa.ValidateLogin(u, sd, parsed)
	if err != nil {
		return vault.PasskeyAssertion{}, errPasskeyRefused
	}
	return vault.PasskeyAssertion{CredentialID: cred.ID, SignCount: parsed.Response.AuthenticatorData.Counter,
		PRF: prfOutput(parsed.ClientExtensionResults)}, nil
}

// passkeyUnlockOptions: an assertion of one passkey, for its PRF output.
func (s *server) passkeyUnlockOptions(c *gin.Context) {
	s.assertionOptions(c, c.Param("id"), purposeUnlock)
}

// passkeyUnlock gives a passkey its PRF wrap: from now on it opens the
// vault with no secret.
func (s *server) passkeyUnlock(c *gin.Context) {
	a, err := s.checkAssertion(c, c.Param("id"), purposeUnlock)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	defer wipe(a.PRF)
	if a.PRF == nil {
		writeError(c, s.log, errPasskeyNoPRF)
		return
	}
	if err := s.v.EnrolPasskeyPRF(c.Request.Context(), principal(c), a); err != nil {
		writeError(c, s.log, passkeyErr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"unlocks": true})
}

// reauthPasskeyOptions: an assertion of any of the caller's passkeys, to
// confirm the session.
func (s *server) reauthPasskeyOptions(c *gin.Context) {
	s.assertionOptions(c, "", purposeConfirm)
}

// reauthPasskey confirms the session with a fresh passkey assertion, like
// POST /reauth with the secret.
func (s *server) reauthPasskey(c *gin.Context) {
	a, err := s.checkAssertion(c, "", purposeConfirm)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	defer wipe(a.PRF)
	if err := s.confirm(c, vault.PasskeyProof(a)); err != nil {
		writeError(c, s.log, passkeyErr(err))
		return
	}
	c.JSON(http.StatusOK, reauthResp{ConfirmedUntil: principal(c).ConfirmedUntil().UTC()})
}
