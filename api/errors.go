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
	// Message is for the person, in the request's language (from the
	// catalogue, package i18n).
	Message string `json:"message"`
	// Field names the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
}

// apiError is an error decided by the HTTP layer itself (bad JSON, missing
// CSRF token, …), already carrying its status and the catalogue key of its
// message.
type apiError struct {
	status     int
	code       string
	key        string
	field      string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return "api: " + e.code }

// message says the error in l's language.
func (e *apiError) message(l loc) string { return l.T(e.key) }

func newErr(status int, code, key string) *apiError {
	return &apiError{status: status, code: code, key: key}
}

// fieldErr is a 422 about one field of the request.
func fieldErr(field, key string) *apiError {
	e := newErr(http.StatusUnprocessableEntity, "invalid", key)
	e.field = field
	return e
}

// Messages shared by several errors.
const (
	msgNotFound = "api.not_found"
	msgInvalid  = "api.invalid"
	msgInternal = "api.internal"
)

// Errors of the HTTP layer.
var (
	errNoSession     = newErr(http.StatusUnauthorized, "no_session", "api.no_session.please_log_again")
	errForbidden     = newErr(http.StatusForbidden, "forbidden", "api.forbidden.action_available_account")
	errCSRF          = newErr(http.StatusForbidden, "csrf", "api.csrf.request_did_come")
	errBadOrigin     = newErr(http.StatusForbidden, "cross_origin", "api.cross_origin.requests_other_sites")
	errTooLarge      = newErr(http.StatusRequestEntityTooLarge, "too_large", "api.too_large.what_sent_too")
	errMediaType     = newErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "api.unsupported_media_type.send_json")
	errNotMultipart  = newErr(http.StatusUnsupportedMediaType, "multipart_refused", "api.multipart_refused.address_does_take")
	errMalformedForm = newErr(http.StatusBadRequest, "malformed_form", "api.malformed_form.form_damaged_reload")
	errMultipartType = newErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "api.unsupported_media_type.send_multipart")
	errMalformedJSON = newErr(http.StatusBadRequest, "malformed_json", "api.malformed_json.request_body_valid")
	errOneValue      = newErr(http.StatusBadRequest, "malformed_json", "api.malformed_json.send_exactly_one")
	errRateLimited   = newErr(http.StatusTooManyRequests, "throttled", "api.throttled.too_many_attempts")
	// errConfirmRequired: a sensitive action needs the secret (or the
	// recovery code) again, through POST /api/v1/reauth (confirm.go).
	errConfirmRequired = newErr(http.StatusForbidden, "reauth_required", "api.reauth_required.protect_vault_confirm")
	// errSecretChangeRequired: a worker saw the owner's secret typed (a
	// vault a worker created, an assisted recovery); her session may only
	// change it (POST /api/v1/secret) or end (secret_gate.go).
	errSecretChangeRequired = newErr(http.StatusForbidden, "secret_change_required", "api.secret_change_required.typed_in_front")
	errNotFound             = &apiError{status: http.StatusNotFound, code: "not_found", key: msgNotFound}
	errNoPages              = newErr(http.StatusUnprocessableEntity, "no_pages", "api.no_pages.add_least_one")
	errTooManyPage          = newErr(http.StatusRequestEntityTooLarge, "too_many_pages", "api.too_many_pages.too_many_pages")
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
	logFailure(log, c, e, err)
	if e.retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	l := apiLoc(c)
	detail := errorDetail{Code: e.code, Message: e.message(l), Field: e.field}
	if cm := l.conversionMessage(err); cm != "" {
		detail.Message = cm
	}
	if sm := l.secretAdvice(err); sm != "" {
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
		return newErr(http.StatusUnprocessableEntity, "weak_secret", "api.weak_secret.secret_too_easy")
	case errors.Is(err, vault.ErrConfirmRequired):
		return errConfirmRequired
	case errors.Is(err, vault.ErrWrongSecret):
		return newErr(http.StatusUnauthorized, "wrong_secret", "api.wrong_secret.wrong_identifier_secret")
	case errors.Is(err, vault.ErrWrongRecoveryCode):
		return newErr(http.StatusUnauthorized, "wrong_recovery_code", "api.wrong_recovery_code.wrong_identifier_recovery")
	case errors.Is(err, seal.ErrRecoveryCodeChecksum), errors.Is(err, seal.ErrRecoveryCodeMalformed):
		e := fieldErr("recovery_code", "api.recovery_code.recovery_code_has")
		return e
	case errors.Is(err, vault.ErrSendInProgress):
		// The same pages sent twice at once (a double tap, a retry): the
		// first send goes on.
		return &apiError{status: http.StatusConflict, code: "conflict", key: "error.sendinprogress"}
	case errors.Is(err, vault.ErrPendingFull):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_many_pages", key: "error.pendingfull"}
	case errors.Is(err, vault.ErrConflict):
		return newErr(http.StatusConflict, "conflict", "api.conflict.already_exists")
	case errors.Is(err, converter.ErrInputTooLarge):
		return errTooLarge
	case errors.Is(err, converter.ErrUnknownProfile):
		return fieldErr("profile", "api.profile.unknown_portal_profile")
	case isConverterErr(err):
		return &apiError{status: http.StatusUnprocessableEntity, code: "conversion", key: msgInvalid}
	case errors.Is(err, vault.ErrSameSecret):
		e := fieldErr("new_secret", "api.same_secret.choose_different")
		e.code = "same_secret"
		return e
	case errors.Is(err, vault.ErrNoShareCode):
		// Unknown, expired, used, or its worker disabled: one answer.
		return &apiError{status: http.StatusNotFound, code: "no_share_code", key: "error.nosharecode"}
	case errors.Is(err, vault.ErrShareCodeMalformed):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", field: "code", key: "error.sharecodeform"}
	case errors.Is(err, vault.ErrShareCodeUsed):
		return &apiError{status: http.StatusConflict, code: "already_shared", key: "error.sharecodeused"}
	case errors.Is(err, vault.ErrNoOrganisation):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", field: "organisation", key: "error.noorg"}
	case errors.Is(err, vault.ErrNothingChosen):
		return fieldErr("documents", "api.documents.tick_papers_share")
	case errors.Is(err, vault.ErrInvalid):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", key: msgInvalid}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", key: msgInternal}
	}
	return &apiError{status: http.StatusInternalServerError, code: "internal", key: msgInternal}
}

var converterErrors = []error{
	converter.ErrNoInput, converter.ErrUnsupported, converter.ErrInputTooLarge,
	converter.ErrImageTooLarge, converter.ErrMalformedImage, converter.ErrEncryptedPDF,
	converter.ErrMalformedPDF, converter.ErrActivePDF, converter.ErrTooLarge, converter.ErrBadCorners,
}

func isConverterErr(err error) bool {
	for _, s := range converterErrors {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// logger is what the handlers log with (*slog.Logger).
type logger interface {
	Error(msg string, args ...any)
	Warn(msg string, args ...any)
	Info(msg string, args ...any)
}

// logFailure logs a server-side failure: at ERROR a fault; at WARN a
// request turned away at capacity (503 busy, which an operator watches but
// which is the limits doing their job) or one its client stopped waiting
// for. Client errors (4xx) are not logged.
func logFailure(log logger, c *gin.Context, e *apiError, err error) {
	switch {
	case e.status < 500:
	case e.code == "busy" || errors.Is(err, context.Canceled):
		log.Warn("request turned away", "route", routeOf(c), "code", e.code)
	default:
		log.Error("request failed", "route", routeOf(c), "err", err.Error())
	}
}

// routeOf is the route template of the request, never its raw path.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "(unmatched)"
}
