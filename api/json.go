package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 64 << 10

// decodeJSON reads exactly one JSON object into dst: Content-Type must be
// application/json (415), the body at most maxJSONBody bytes (413), unknown
// fields and trailing data are refused (400).
func decodeJSON(c *gin.Context, dst any) error {
	if !hasMediaType(c.Request, "application/json") {
		return errMediaType
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return errOneValue
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be absent
// (no body leaves dst as is).
func decodeOptionalJSON(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return nil
	}
	return decodeJSON(c, dst)
}

// jsonError turns a decoding error into a 400 (or 413) without echoing the
// offending values.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, errSlowBody):
		return errSlowBody
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.As(err, &te):
		e := newErr(http.StatusBadRequest, "malformed_json", "api.malformed_json.field_has_wrong")
		e.field = te.Field
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		e := newErr(http.StatusBadRequest, "unknown_field", "api.unknown_field.request_has_field")
		e.field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return e
	case errors.Is(err, io.EOF):
		return newErr(http.StatusBadRequest, "malformed_json", "api.malformed_json.request_body_empty")
	}
	return errMalformedJSON
}

// hasMediaType reports whether the request's Content-Type is mt.
func hasMediaType(r *http.Request, mt string) bool {
	got, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && got == mt
}
