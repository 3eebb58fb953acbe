package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

// errorBody is the JSON shape of every error response:
// {"error":{"code":"…","message":"…"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	// Code is stable and meant for programs (not_found, csrf, …).
	Code string `json:"code"`
	// Message is for the person, in French or English.
	Message string `json:"message"`
	// Field names the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
}

// apiError is an error decided by the HTTP layer itself (bad JSON, missing
// CSRF token, …), already carrying its status and message.
type apiError struct {
	status     int
	code       string
	m          msg
	field      string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return "api: " + e.code }

func newErr(status int, code string, en, fr string) *apiError {
	return &apiError{status: status, code: code, m: msg{en, fr}}
}

// fieldErr is a 422 about one field of the request.
func fieldErr(field, en, fr string) *apiError {
	e := newErr(http.StatusUnprocessableEntity, "invalid", en, fr)
	e.field = field
	return e
}

// Messages shared by several errors.
var (
	msgNotFound = msg{"Not found, or you do not have access to it.", "Introuvable, ou vous n'y avez pas accès."}
	msgInvalid  = msg{"The request is not valid.", "La demande n'est pas valable."}
	msgInternal = msg{"Something went wrong on our side. Please try again later.", "Un problème est survenu de notre côté. Réessayez plus tard."}
)

// Errors of the HTTP layer.
var (
	errNoSession = newErr(http.StatusUnauthorized, "no_session",
		"Please log in again.", "Veuillez vous reconnecter.")
	errForbidden = newErr(http.StatusForbidden, "forbidden",
		"This action is not available to your account.", "Cette action n'est pas possible avec votre compte.")
	errCSRF = newErr(http.StatusForbidden, "csrf",
		"This request did not come from Coffre's own page. Reload the page and try again.",
		"Cette demande ne vient pas de la page de Coffre. Rechargez la page et réessayez.")
	errBadOrigin = newErr(http.StatusForbidden, "cross_origin",
		"Requests from other sites are refused.", "Les demandes venant d'autres sites sont refusées.")
	errTooLarge = newErr(http.StatusRequestEntityTooLarge, "too_large",
		"What you sent is too large.", "Ce que vous avez envoyé est trop volumineux.")
	errMediaType = newErr(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Wrong content type: send JSON (application/json).", "Mauvais type de contenu : envoyez du JSON (application/json).")
	errNotMultipart = newErr(http.StatusUnsupportedMediaType, "multipart_refused",
		"This address does not take files: send the form as the page does.", "Cette adresse ne prend pas de fichiers : envoyez le formulaire comme le fait la page.")
	errMalformedForm = newErr(http.StatusBadRequest, "malformed_form",
		"The form is damaged. Reload the page and try again.", "Le formulaire est abîmé. Rechargez la page et réessayez.")
	errMultipartType = newErr(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Wrong content type: send the pages as multipart/form-data.", "Mauvais type de contenu : envoyez les pages en multipart/form-data.")
	errMalformedJSON = newErr(http.StatusBadRequest, "malformed_json",
		"The request body is not valid JSON.", "Le corps de la demande n'est pas du JSON valide.")
	errOneValue = newErr(http.StatusBadRequest, "malformed_json",
		"Send exactly one JSON object.", "Envoyez exactement un objet JSON.")
	errRateLimited = newErr(http.StatusTooManyRequests, "throttled",
		"Too many attempts. Wait a moment and try again.", "Trop de tentatives. Patientez un peu et réessayez.")
	// errConfirmRequired: a sensitive action needs the secret (or the
	// recovery code) again, through POST /api/v1/reauth (confirm.go).
	errConfirmRequired = newErr(http.StatusForbidden, "reauth_required",
		"To protect your vault, confirm with your secret first.",
		"Pour protéger votre coffre, confirmez d'abord avec votre secret.")
	errNotFound    = &apiError{status: http.StatusNotFound, code: "not_found", m: msgNotFound}
	errNoPages     = newErr(http.StatusUnprocessableEntity, "no_pages", "Add at least one page.", "Ajoutez au moins une page.")
	errTooManyPage = newErr(http.StatusRequestEntityTooLarge, "too_many_pages",
		"Too many pages in one sending.", "Trop de pages en un seul envoi.")
)

// writeError is the one place where errors become HTTP responses. Domain
// errors that could reveal whether something exists (not found, no access,
// no such drop link) all become the same 404.
func writeError(c *gin.Context, log logger, err error) {
	e := classify(err)
	c.Set(ctxErrorCode, e.code)
	if ws, ok := c.Get(ctxWebErrors); ok {
		// A page route: the person gets a page, never raw JSON.
		if s, ok := ws.(*server); ok {
			if e.retryAfter > 0 {
				c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
			}
			s.webError(c, err)
			return
		}
	}
	if e.status >= 500 {
		log.Error("request failed", "route", routeOf(c), "err", err.Error())
	}
	if e.retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	l := lang(c)
	detail := errorDetail{Code: e.code, Message: e.m.in(l), Field: e.field}
	if cm := converterMessage(err, l); cm != "" {
		detail.Message = cm
	}
	if sm := secretMessage(err, l); sm != "" {
		detail.Message = sm
	}
	c.AbortWithStatusJSON(e.status, errorBody{Error: detail})
}

// classify maps an error to its status, code and message.
func classify(err error) *apiError {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, vault.ErrNotFound), errors.Is(err, vault.ErrNoAccess),
		errors.Is(err, vault.ErrNoLink), errors.Is(err, vault.ErrExpired):
		return errNotFound
	case isThrottled(err):
		e := *errRateLimited
		e.retryAfter = retryAfter(err)
		return &e
	case isNoSession(err):
		return errNoSession
	case isWeakSecret(err):
		return newErr(http.StatusUnprocessableEntity, "weak_secret",
			"This secret is too easy to guess.", "Ce secret est trop facile à deviner.")
	case errors.Is(err, vault.ErrConfirmRequired):
		return errConfirmRequired
	case errors.Is(err, vault.ErrWrongSecret):
		return newErr(http.StatusUnauthorized, "wrong_secret",
			"Wrong identifier or secret.", "Identifiant ou secret incorrect.")
	case errors.Is(err, vault.ErrWrongRecoveryCode):
		return newErr(http.StatusUnauthorized, "wrong_recovery_code",
			"Wrong identifier or recovery code.", "Identifiant ou code de secours incorrect.")
	case errors.Is(err, seal.ErrRecoveryCodeChecksum), errors.Is(err, seal.ErrRecoveryCodeMalformed):
		e := fieldErr("recovery_code",
			"This recovery code has a typo: check it against your recovery sheet.",
			"Ce code de secours contient une faute de frappe : vérifiez-le sur votre feuille de secours.")
		return e
	case errors.Is(err, vault.ErrConflict):
		return newErr(http.StatusConflict, "conflict",
			"This already exists.", "Cela existe déjà.")
	case errors.Is(err, converter.ErrInputTooLarge):
		return newErr(http.StatusRequestEntityTooLarge, "too_large", errTooLarge.m.en, errTooLarge.m.fr)
	case errors.Is(err, converter.ErrUnknownProfile):
		return fieldErr("profile", "Unknown portal profile.", "Profil de portail inconnu.")
	case isConverterErr(err):
		return &apiError{status: http.StatusUnprocessableEntity, code: "conversion", m: msgInvalid}
	case errors.Is(err, vault.ErrNoShareCode):
		// Unknown, expired, used, or its worker disabled: one answer.
		return &apiError{status: http.StatusNotFound, code: "no_share_code", m: catMsg("error.nosharecode")}
	case errors.Is(err, vault.ErrShareCodeMalformed):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", field: "code", m: catMsg("error.sharecodeform")}
	case errors.Is(err, vault.ErrShareCodeUsed):
		return &apiError{status: http.StatusConflict, code: "already_shared", m: catMsg("error.sharecodeused")}
	case errors.Is(err, vault.ErrNoOrganisation):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", field: "organisation", m: catMsg("error.noorg")}
	case errors.Is(err, vault.ErrNothingChosen):
		return fieldErr("documents", "Tick the papers to share, or choose to share the papers you add later.",
			"Cochez les papiers à partager, ou choisissez de partager ceux que vous ajouterez.")
	case errors.Is(err, vault.ErrInvalid):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", m: msgInvalid}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", m: msgInternal}
	}
	return &apiError{status: http.StatusInternalServerError, code: "internal", m: msgInternal}
}

// catMsg is a message of the catalogues (i18n/*.json), in English and
// French, for errors that pages and the JSON API say alike.
func catMsg(key string) msg {
	return msg{en: catalogues[langEN].msgs[key], fr: catalogues[langFR].msgs[key]}
}

var converterErrors = []error{
	converter.ErrNoInput, converter.ErrUnsupported, converter.ErrInputTooLarge,
	converter.ErrImageTooLarge, converter.ErrMalformedImage, converter.ErrEncryptedPDF,
	converter.ErrMalformedPDF, converter.ErrActivePDF, converter.ErrTooLarge,
}

func isConverterErr(err error) bool {
	for _, s := range converterErrors {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// converterMessage is the converter's own plain-language explanation of one
// of its errors, "" for other errors.
func converterMessage(err error, l string) string {
	if !isConverterErr(err) {
		return ""
	}
	return converter.Message(err, l)
}

// logger is what the handlers log with (*slog.Logger).
type logger interface {
	Error(msg string, args ...any)
	Warn(msg string, args ...any)
	Info(msg string, args ...any)
}

// routeOf is the route template of the request, never its raw path.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "(unmatched)"
}
