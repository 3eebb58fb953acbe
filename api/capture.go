package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
)

// The readability check at capture (issue 17): as soon as a page reaches
// the server, the converter's check (converter.Converter.Check, on the
// copies its scan makes) says whether it will be readable, and a small
// picture of the cleaned page comes back with it. The helper's page gets
// it in the answer to each page it sends (PUT /d/{token}/pages/{n}); the
// owner's "add a paper" form, which keeps its pages in the browser until
// Save, asks for it page by page (POST /papers/check). The page is held in
// memory only, counted against the upload memory budget (budgetBody), and
// the check takes an upload slot (the ones acquireUpload hands out, waited
// for at most checkSlotWait): past capacity the page is still stored and
// simply comes back unchecked. Nothing of it is kept.

// thumbSide is the long side, in pixels, of the cleaned page sent back.
const thumbSide = 320

// checkSlotWait is how long a check waits for an upload slot before the
// page's answer goes without it.
const checkSlotWait = 2 * time.Second

// findingJSON is one finding as the capture pages show it: the code, its
// score and the sentence for the person, in her language.
type findingJSON struct {
	Code    string  `json:"code"`
	Score   float64 `json:"score"`
	Message string  `json:"message"`
}

// pageCheckJSON is the check of one page.
type pageCheckJSON struct {
	Verdict  string        `json:"verdict"`
	Findings []findingJSON `json:"findings"`
	// Thumbnail is the cleaned page, a data: URL of a small JPEG.
	Thumbnail string `json:"thumbnail,omitempty"`
	// Corners are the page's corners used, in the photo's pixels
	// (top-left first, clockwise); absent when no outline was found.
	Corners [][2]float64 `json:"corners,omitempty"`
	// Placed says the corners are the person's (X-Page-Corners).
	Placed bool `json:"placed,omitempty"`
}

// checkPage checks one page held in memory. It answers nil without error
// for a PDF (not a photo: not checked) and when the server is too busy to
// check now: the check advises, it never holds a page back. A file of no
// known type is the converter's error.
func (s *server) checkPage(ctx context.Context, l loc, data []byte, corners *[4]converter.Point) (*pageCheckJSON, error) {
	f, err := converter.Sniff(data)
	if err != nil {
		return nil, err
	}
	if f == converter.FormatPDF {
		if corners != nil {
			return nil, fmt.Errorf("%w: a PDF has no corners", converter.ErrBadCorners)
		}
		return nil, nil // a PDF: nothing to check
	}
	// An upload slot, waited for briefly only: the page is already in,
	// and its answer should not wait behind other people's conversions.
	t := time.NewTimer(checkSlotWait)
	defer t.Stop()
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	case <-t.C:
		return nil, nil // busy: unchecked
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	pcs, err := s.conv.Check(ctx, []converter.Input{{Name: "page", Data: data, Corners: corners}}, converter.Options{Thumbnail: thumbSide})
	if err != nil {
		return nil, err
	}
	if len(pcs) != 1 {
		return nil, nil // not a photo
	}
	pc := pcs[0]
	out := &pageCheckJSON{Verdict: pc.Verdict, Findings: make([]findingJSON, 0, len(pc.Findings)), Corners: cornersJSON(pc.Corners), Placed: corners != nil}
	for _, f := range pc.Findings {
		out.Findings = append(out.Findings, findingJSON{Code: f.Code, Score: f.Score, Message: l.T("check." + f.Code)})
	}
	if len(pc.Thumbnail) > 0 {
		out.Thumbnail = "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(pc.Thumbnail)
	}
	return out, nil
}

// pageBodyPrealloc is the most a page body's buffer takes before bytes
// arrive.
const pageBodyPrealloc = 64 << 10

// readPageBody reads a raw one-page body into memory: at most
// Limits.PageBytes, counted against the upload memory budget until release.
func (s *server) readPageBody(c *gin.Context) (data []byte, release func(), err error) {
	if c.Request.ContentLength > s.limits.PageBytes {
		return nil, func() {}, errTooLarge
	}
	bb := &budgetBody{r: http.MaxBytesReader(c.Writer, c.Request.Body, s.limits.PageBytes), ctx: c.Request.Context(), sem: s.bodyMem, wait: s.limits.QueueWait}
	body := &countingReader{r: bb}
	defer func() { s.metrics.UploadBytes(routeOf(c), body.n) }()
	// The buffer grows with the bytes that arrive (counted by the budget),
	// never with the length the client declares: 30 connections each
	// declaring 20 MiB and sending two bytes reserve nothing.
	var buf bytes.Buffer
	if c.Request.ContentLength > 0 {
		buf.Grow(int(min(c.Request.ContentLength, pageBodyPrealloc)))
	}
	if _, err := io.Copy(&buf, body); err != nil {
		bb.release()
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			err = errTooLarge
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = errSlowBody // the client went away mid-page: its fault, not ours
		}
		return nil, func() {}, slowBodyErr(c, err)
	}
	if buf.Len() == 0 {
		bb.release()
		return nil, func() {}, errNoPages
	}
	return buf.Bytes(), bb.release, nil
}

// webCheckPage checks one page of the owner's "add a paper" form (the body
// is the image, as the form made it smaller); nothing is stored.
func (s *server) webCheckPage(c *gin.Context) {
	corners, err := parseCorners(c.GetHeader(cornersHeader))
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	// As many checks in flight as page uploads, per owner and per address.
	done, ok := s.pagePuts.acquire("owner:"+principal(c).ID(), "ip:"+clientKey(c.ClientIP()))
	if !ok {
		s.dropJSONError(c, errBusy())
		return
	}
	defer done()
	data, release, err := s.readPageBody(c)
	defer release()
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	chk, err := s.checkPage(c.Request.Context(), webLang(c), data, corners)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"check": chk})
}
