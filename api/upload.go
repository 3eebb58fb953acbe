package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// maxFieldBytes bounds each text field of a multipart upload; maxFields
// their number.
const (
	maxFieldBytes = 4 << 10
	maxFields     = 16
	// multipartOverhead is allowed above Limits.TotalBytes for boundaries,
	// part headers and fields.
	multipartOverhead = 256 << 10
	pageField         = "page"
)

// upload is a multipart upload read into memory: its pages and fields.
type upload struct {
	pages  []converter.Input
	fields map[string]string
}

// readUpload streams a multipart/form-data body part by part with
// mime/multipart.Reader under http.MaxBytesReader: pages (parts named
// "page", or any file part) are read into memory only, each capped at
// Limits.PageBytes, at most Limits.Parts of them; text fields must be among
// allowed. Nothing is ever written to disk (gin's FormFile and
// ParseMultipartForm would spill large parts to temporary files, in clear).
// When the session's CSRF token is still to be checked, the first part must
// be the `csrf` field holding it.
func (s *server) readUpload(c *gin.Context, allowed ...string) (*upload, error) {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errMultipartType
	}
	if c.Request.ContentLength > s.limits.TotalBytes+multipartOverhead {
		return nil, errTooLarge
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, s.limits.TotalBytes+multipartOverhead)
	mr := multipart.NewReader(body, params["boundary"])
	// Fail closed: a request with a session whose CSRF token no layer
	// checked must carry it as the first part, whatever the route.
	pending := c.GetBool(ctxCSRFPending) || (principal(c) != nil && !c.GetBool(ctxCSRFChecked))
	up := &upload{fields: map[string]string{}}
	var total int64
	defer func() { s.metrics.UploadBytes(routeOf(c), total) }()
	for first := true; ; first = false {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, multipartError(err)
		}
		name := part.FormName()
		if pending && first {
			if name != csrfField {
				return nil, errCSRF
			}
			v, err := readField(part)
			if err != nil {
				return nil, err
			}
			if !tokenEqual(v, session(c).CSRF) {
				return nil, errCSRF
			}
			pending = false
			continue
		}
		if pending {
			return nil, errCSRF
		}
		if name == pageField || part.FileName() != "" {
			if len(up.pages) >= s.limits.Parts {
				return nil, errTooManyPage
			}
			in, err := converter.ReadInput(part, "page "+strconv.Itoa(len(up.pages)+1), s.limits.PageBytes)
			if err != nil {
				if errors.Is(err, converter.ErrInputTooLarge) {
					return nil, errTooLarge
				}
				return nil, multipartError(err)
			}
			total += int64(len(in.Data))
			if total > s.limits.TotalBytes {
				return nil, errTooLarge
			}
			up.pages = append(up.pages, in)
			continue
		}
		if name == csrfField {
			if _, err := readField(part); err != nil {
				return nil, err
			}
			continue
		}
		if !contains(allowed, name) {
			e := newErr(http.StatusBadRequest, "unknown_field", "api.unknown_field.request_has_field")
			e.field = truncate(name, 64)
			return nil, e
		}
		if _, dup := up.fields[name]; dup || len(up.fields) >= maxFields {
			e := newErr(http.StatusBadRequest, "duplicate_field", "api.duplicate_field.field_repeated")
			e.field = truncate(name, 64)
			return nil, e
		}
		v, err := readField(part)
		if err != nil {
			return nil, err
		}
		up.fields[name] = v
	}
	if pending {
		return nil, errCSRF
	}
	if len(up.pages) == 0 {
		return nil, errNoPages
	}
	return up, nil
}

// readField reads a small text field.
func readField(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return "", multipartError(err)
	}
	if len(b) > maxFieldBytes {
		return "", errTooLarge
	}
	return string(b), nil
}

// multipartError classifies a failure to read the multipart body.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	var ae *apiError
	if errors.As(err, &ae) || errors.Is(err, context.Canceled) {
		return err
	}
	return newErr(http.StatusBadRequest, "malformed_multipart", "api.malformed_multipart.upload_damaged_incomplete")
}

// acquireUpload waits for one of the upload slots that bound the memory held
// by uploads; release returns it. At most Limits.Queue uploads wait, each at
// most Limits.QueueWait: past either bound it returns errBusy (503 with
// Retry-After), so excess work is turned away rather than piled up.
func (s *server) acquireUpload(ctx context.Context) (release func(), err error) {
	defer func(start time.Time) { s.metrics.UploadWait(time.Since(start)) }(time.Now())
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, nil
	default:
	}
	if s.waiting.Add(1) > int64(s.limits.Queue) {
		s.waiting.Add(-1)
		return nil, errBusy()
	}
	defer s.waiting.Add(-1)
	timer := time.NewTimer(s.limits.QueueWait)
	defer timer.Stop()
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, nil
	case <-timer.C:
		return nil, errBusy()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// errBusy answers an upload turned away because the server is at capacity.
func errBusy() error {
	e := newErr(http.StatusServiceUnavailable, "busy", "api.busy.coffre_busy_pages")
	e.retryAfter = 5 * time.Second
	return e
}

// storeFunc stores a converted PDF read from r; nd.Pages is already set.
type storeFunc func(nd vault.NewDocument, r io.Reader) error

// addPageCheck adds the readability check's findings on the input pi (a
// photo kept although the check asked for it again) to checks, under the
// page it became (a card's verso shares its recto's page).
func addPageCheck(checks []vault.PageCheck, pi converter.PageInfo) []vault.PageCheck {
	if len(pi.Findings) == 0 || pi.Page < 1 || len(checks) >= vault.MaxPageChecks {
		return checks
	}
	i := slices.IndexFunc(checks, func(c vault.PageCheck) bool { return c.Page == pi.Page })
	if i < 0 {
		checks = append(checks, vault.PageCheck{Page: pi.Page})
		i = len(checks) - 1
	}
	for _, f := range pi.Findings {
		if !slices.Contains(checks[i].Codes, f.Code) && len(checks[i].Codes) < vault.MaxCheckCodes {
			checks[i].Codes = append(checks[i].Codes, f.Code)
		}
	}
	return checks
}

// convertAndStore converts the pages into one PDF and pipes it into store
// as the converter writes it, so that it is encrypted as it streams: the
// plaintext PDF never exists anywhere but in memory. The page count (which
// the vault records before the payload) comes from the converter's progress
// reports, so store starts only once every input is converted.
func (s *server) convertAndStore(ctx context.Context, pages []converter.Input, opts converter.Options, nd vault.NewDocument, store storeFunc) (converter.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	ready := make(chan int, 1)
	type outcome struct {
		res converter.Result
		err error
	}
	done := make(chan outcome, 1)
	var checks []vault.PageCheck
	go func() {
		total, seen := 0, 0
		opts.Progress = func(pi converter.PageInfo) {
			total += pi.Pages
			// The readability check's findings, kept anyway: the owner is
			// shown which page may be hard to read, and a paper sent for a
			// redo does not close it (vault.NewDocument.Checks).
			checks = addPageCheck(checks, pi)
			if seen++; seen == len(pages) {
				ready <- total
			}
		}
		res, err := s.convert(ctx, "upload", pages, opts, pw)
		_ = pw.CloseWithError(err)
		done <- outcome{res, err}
	}()
	select {
	case n := <-ready:
		nd.Pages, nd.Checks = n, checks
	case o := <-done:
		_ = pr.Close()
		if o.err == nil {
			return o.res, fmt.Errorf("api: converter finished without reporting pages: %w", converter.ErrNoInput)
		}
		return o.res, o.err
	}
	serr := store(nd, pr)
	// Unblock the converter if the store stopped reading early.
	_ = pr.CloseWithError(errStoreStopped)
	o := <-done
	switch {
	case serr != nil && o.err != nil && isConverterErr(o.err):
		return o.res, o.err // the store failed because the conversion did
	case serr != nil:
		return o.res, serr
	case o.err != nil && !errors.Is(o.err, errStoreStopped):
		return o.res, o.err
	}
	return o.res, nil
}

var errStoreStopped = errors.New("api: store stopped reading")

// conversionOptions reads the converter options an upload may carry.
func conversionOptions(f map[string]string) (converter.Options, error) {
	var o converter.Options
	o.Profile = f["profile"]
	if _, err := converter.LookupProfile(o.Profile); err != nil {
		return o, fieldErr("profile", "api.profile.unknown_portal_profile")
	}
	m, err := converter.ParseMode(f["mode"])
	if err != nil {
		return o, fieldErr("mode", "api.mode.mode_auto_color")
	}
	o.Mode = m
	switch f["card_pairs"] {
	case "", "false", "0":
	case "true", "1":
		o.CardPairs = true
	default:
		return o, fieldErr("card_pairs", "api.card_pairs.card_pairs_true")
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// fitText is s cut to at most n characters (a link's label or sender's
// name: vault.ValidLinkText counts characters), "…" ending a cut text.
func fitText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
