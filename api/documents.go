package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// documentJSON is a document's metadata as its reader sees it.
type documentJSON struct {
	ID        string    `json:"id"`
	OwnerID   string    `json:"owner_id"`
	Category  string    `json:"category"`
	Type      string    `json:"type,omitempty"`
	Title     string    `json:"title"`
	MediaType string    `json:"media_type"`
	Pages     int       `json:"pages"`
	Size      int64     `json:"size"`
	Profile   string    `json:"profile,omitempty"`
	Created   time.Time `json:"created"`
	// Expires is the paper's validity end (YYYY-MM-DD), absent when none.
	Expires string `json:"expires,omitempty"`
	// New: arrived from someone else, not opened yet (owner only); Hints:
	// the types the link asked for when the helper could not say.
	New   bool     `json:"new,omitempty"`
	Hints []string `json:"hints,omitempty"`
	// Checks: the pages sent although the readability check asked for
	// them again, with its findings (owner only).
	Checks []keptPageJSON `json:"checks,omitempty"`
}

// keptPageJSON is one page kept although the readability check asked for
// it again: its number and the findings, each with its sentence for the
// owner (what is wrong with the photo) in the reader's language.
type keptPageJSON struct {
	Page     int               `json:"page"`
	Findings []keptFindingJSON `json:"findings"`
}

// keptFindingJSON is one finding of a kept page.
type keptFindingJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

const dateLayout = "2006-01-02"

func documentOut(d vault.Document, l loc) documentJSON {
	out := documentJSON{
		ID: d.ID, OwnerID: d.OwnerID, Category: d.Category, Type: d.Type, Title: d.Title,
		MediaType: d.MediaType, Pages: d.Pages, Size: d.Size, Profile: d.Profile, Created: d.Created.UTC(),
		New: d.New, Hints: d.Hints,
	}
	for _, c := range d.Checks {
		pc := keptPageJSON{Page: c.Page, Findings: make([]keptFindingJSON, 0, len(c.Codes))}
		for _, code := range c.Codes {
			pc.Findings = append(pc.Findings, keptFindingJSON{Code: code, Message: l.T("kept." + code)})
		}
		out.Checks = append(out.Checks, pc)
	}
	if !d.Expires.IsZero() {
		out.Expires = d.Expires.UTC().Format(dateLayout)
	}
	return out
}

// parseDate reads a YYYY-MM-DD date ("" is zero).
func parseDate(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, v)
	if err != nil {
		return time.Time{}, fieldErr(field, "api.field.dates_written_yyyy")
	}
	return t, nil
}

// listDocuments lists what the caller may read: all of an owner's
// documents, or those a live consent lets a worker read. Filters:
// ?category= and, for workers, ?owner=.
func (s *server) listDocuments(c *gin.Context) {
	docs, err := s.v.List(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	cat, owner := c.Query("category"), c.Query("owner")
	out, l := make([]documentJSON, 0, len(docs)), apiLoc(c)
	for _, d := range docs {
		if (cat == "" || d.Category == cat) && (owner == "" || d.OwnerID == owner) {
			out = append(out, documentOut(d, l))
		}
	}
	c.JSON(http.StatusOK, gin.H{"documents": out})
}

// getDocument returns one document's metadata (404 when the caller may not
// read it, whether or not it exists).
func (s *server) getDocument(c *gin.Context) {
	d, err := s.v.Document(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, documentOut(d, apiLoc(c)))
}

// pdfKind is the converter's document kind for a category (page limits).
func pdfKind(category string) string {
	switch category {
	case "identity":
		return "id"
	}
	return category
}

// downloadDocument streams a document as an attachment, as stored, or
// re-fitted to a portal profile with ?profile=caf (the stored PDF is read
// into memory, bounded, and converted under that profile).
func (s *server) downloadDocument(c *gin.Context) {
	ctx := c.Request.Context()
	profile := c.Query("profile")
	if profile != "" {
		if _, err := converter.LookupProfile(profile); err != nil {
			writeError(c, s.log, fieldErr("profile", "api.profile.unknown_portal_profile"))
			return
		}
	}
	rc, d, err := s.v.Download(ctx, principal(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	defer rc.Close()
	ext := ".pdf"
	if d.MediaType == "image/jpeg" {
		ext = ".jpg"
	} else if d.MediaType == "image/png" {
		ext = ".png"
	}
	if profile == "" {
		h := c.Writer.Header()
		h.Set("Content-Type", d.MediaType)
		h.Set("Content-Disposition", attachment(safeFilename(d.Title, ext)))
		h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
		c.Status(http.StatusOK)
		if _, err := io.Copy(c.Writer, rc); err != nil {
			// Too late for an error status: drop the connection so the
			// short body cannot pass for a whole document.
			s.log.Warn("download cut short", "route", routeOf(c), "err", err.Error())
			panic(http.ErrAbortHandler)
		}
		return
	}
	release, err := s.acquireUpload(ctx)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	defer release()
	in, err := converter.ReadInput(rc, "document", s.limits.DownloadBytes)
	if err != nil {
		if errors.Is(err, converter.ErrInputTooLarge) {
			err = newErr(http.StatusRequestEntityTooLarge, "too_large", "api.too_large.paper_too_large")
		}
		writeError(c, s.log, err)
		return
	}
	lw := &lazyWriter{c: c, header: func(h http.Header) {
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Disposition", attachment(safeFilename(d.Title+" "+profile, ".pdf")))
	}}
	_, err = s.convert(ctx, "download", []converter.Input{in}, converter.Options{Profile: profile, Kind: pdfKind(d.Category)}, lw)
	if err != nil && !lw.started {
		writeError(c, s.log, err)
		return
	}
	if err != nil {
		panic(http.ErrAbortHandler)
	}
}

// lazyWriter sets the success headers and status only when the first byte
// is written, so that an error before any output can still be reported.
type lazyWriter struct {
	c       *gin.Context
	header  func(http.Header)
	started bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.header(w.c.Writer.Header())
		w.c.Status(http.StatusOK)
	}
	return w.c.Writer.Write(p)
}

// uploadFields are the text fields of an owner's upload.
var uploadFields = []string{"title", "category", "type", "expires", "profile", "mode", "card_pairs"}

// uploadDocument: the owner adds one document from one or several photos
// or PDFs (multipart parts named "page"), converted into one PDF and
// encrypted as it is stored.
func (s *server) uploadDocument(c *gin.Context) {
	ctx := c.Request.Context()
	up, err := s.readUpload(c, uploadFields...) // the body first: a slot only once it is in
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	release, err := s.acquireUpload(ctx)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	defer release()
	nd, err := newDocumentFields(up.fields, apiLoc(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	opts, err := conversionOptions(up.fields)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	opts.Kind = pdfKind(nd.Category)
	nd.Profile = opts.Profile
	if nd.Profile == "" {
		nd.Profile = converter.GenericProfileID
	}
	owner := principal(c)
	var doc vault.Document
	res, err := s.convertAndStore(ctx, up.pages, opts, nd, func(nd vault.NewDocument, r io.Reader) error {
		var err error
		doc, err = s.v.AddOwnDocument(ctx, owner, nd, r)
		return err
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"document": documentOut(doc, apiLoc(c)), "conversion": conversionOut(res)})
}

type conversionJSON struct {
	Profile string `json:"profile"`
	Pages   int    `json:"pages"`
	Bytes   int64  `json:"bytes"`
	Shrunk  bool   `json:"shrunk"`
	// Checks is the readability check of each photographed page.
	Checks []converter.PageCheck `json:"checks"`
}

func conversionOut(r converter.Result) conversionJSON {
	return conversionJSON{Profile: r.Profile, Pages: r.Pages, Bytes: r.Bytes, Shrunk: r.Shrunk, Checks: checksOut(r)}
}

// checksOut is the readability check of each photographed input, in the
// shape `coffre check --json` prints (a PDF input has none).
func checksOut(r converter.Result) []converter.PageCheck {
	out := []converter.PageCheck{}
	for _, pi := range r.Inputs {
		if pi.Format == converter.FormatPDF {
			continue
		}
		f := pi.Findings
		if f == nil {
			f = []converter.Finding{}
		}
		v := converter.VerdictOK
		if len(f) > 0 {
			v = converter.VerdictRetake
		}
		out = append(out, converter.PageCheck{File: pi.Name, Page: 1, Verdict: v, Findings: f})
	}
	return out
}

// newDocumentFields checks the descriptive fields of an upload.
func newDocumentFields(f map[string]string, l loc) (vault.NewDocument, error) {
	nd := vault.NewDocument{Title: strings.TrimSpace(f["title"]), Category: f["category"], Type: f["type"]}
	if nd.Type != "" {
		t, ok := vault.DocTypeByID(nd.Type)
		if !ok {
			return nd, fieldErr("type", "api.type.unknown_paper_type")
		}
		if nd.Category == "" {
			nd.Category = t.Category
		}
		if nd.Title == "" {
			nd.Title = l.DocType(t.ID)
		}
	}
	if nd.Category == "" {
		nd.Category = "other"
	}
	if _, ok := vault.CategoryByID(nd.Category); !ok {
		return nd, fieldErr("category", "api.category.unknown_category")
	}
	if nd.Title == "" {
		nd.Title = l.T("api.defaulttitle")
	}
	if err := checkTitle(nd.Title); err != nil {
		return nd, err
	}
	exp, err := parseDate("expires", f["expires"])
	if err != nil {
		return nd, err
	}
	nd.Expires = exp
	return nd, nil
}

func checkTitle(t string) error {
	if len(t) > vault.MaxTitleLen || !utf8.ValidString(t) {
		return fieldErr("title", "api.title.title_too_long")
	}
	return nil
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

type editReq struct {
	Title   *string `json:"title"`
	Expires *string `json:"expires"`
	// Type files the paper under a catalogue type ("" for none); New false
	// marks it opened (it cannot be made new again).
	Type *string `json:"type"`
	New  *bool   `json:"new"`
}

// editDocument renames a document, sets its expiry date ("" clears), files
// it under a type and/or marks it opened.
func (s *server) editDocument(c *gin.Context) {
	var req editReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if req.Title == nil && req.Expires == nil && req.Type == nil && req.New == nil {
		writeError(c, s.log, fieldErr("title", "api.title.nothing_change"))
		return
	}
	if req.New != nil && *req.New {
		writeError(c, s.log, fieldErr("new", "api.new.only_opened"))
		return
	}
	if req.Type != nil && *req.Type != "" {
		if _, ok := vault.DocTypeByID(*req.Type); !ok {
			writeError(c, s.log, fieldErr("type", "api.type.unknown_paper_type"))
			return
		}
	}
	ctx, p, id := c.Request.Context(), principal(c), c.Param("id")
	var exp time.Time
	if req.Expires != nil {
		var err error
		if exp, err = parseDate("expires", *req.Expires); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	if req.Title != nil {
		t := strings.TrimSpace(*req.Title)
		if t == "" {
			writeError(c, s.log, fieldErr("title", "api.title.title_empty"))
			return
		}
		if err := checkTitle(t); err != nil {
			writeError(c, s.log, err)
			return
		}
		if err := s.v.Rename(ctx, p, id, t); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	if req.Expires != nil {
		if err := s.v.SetExpiry(ctx, p, id, exp); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	if req.Type != nil {
		if err := s.v.FileDocument(ctx, p, id, *req.Type, ""); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	if req.New != nil {
		if err := s.v.MarkOpened(ctx, p, id); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	d, err := s.v.Document(ctx, p, id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, documentOut(d, apiLoc(c)))
}

// deleteDocument destroys a document for good.
func (s *server) deleteDocument(c *gin.Context) {
	if err := s.v.Delete(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
