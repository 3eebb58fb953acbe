package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// The helper's page, from a drop link: what is asked, photos page by page,
// send, receipt. Nothing else is reachable from it, and no session is ever
// looked at.
//
// With JavaScript (static/drop.js) each photo is downscaled in the browser
// and sent as soon as it is taken, one request per page, to
// PUT /d/{token}/pages/{n}; the pages wait in the vault encrypted to a key
// the browser keeps (header X-Upload-Key, see vault.PutPendingPage), so a
// dropped connection loses at most the page in flight. POST /d/{token}/send
// then deposits them in the chosen order. Without JavaScript the form posts
// every photo at once to POST /d/{token}.

// uploadKeyHeader carries the browser's pending-upload key (base64url).
const uploadKeyHeader = "X-Upload-Key"

type dropData struct {
	Token string
	Label string
	// From is the name the owner chose to show the helper.
	From      string
	Requested []string
	// Groups are the types the helper may pick from when the link names
	// none.
	Groups  []typeGroup
	Expires time.Time
	// MaxPages and PageBytes bound what the page lets the helper send.
	MaxPages  int
	PageBytes int64
	// Mine: the owner opened her own link (a paper she redoes herself);
	// the receipt leads back to her papers.
	Mine    bool
	Receipt *vault.Receipt
	// LastUse: one send left; once it is made, the link's validity is
	// no longer worth saying.
	LastUse bool
}

// dropPage starts the helper's page: bare (no navigation at all).
func (s *server) dropPage(c *gin.Context, title string) *page {
	p := s.newPage(c, title)
	p.Bare, p.Kind, p.CSRF = true, "", ""
	return p
}

func (s *server) webDrop(c *gin.Context) {
	token, info, ok := s.webLiveLink(c)
	if !ok {
		return
	}
	p := s.dropPage(c, "drop.title")
	p.Scripts = []string{"shrink.js", "verdict.js", "corners.js", "drop.js", "coach.js"}
	p.Data = dropData{
		Token: token, Label: info.Label, From: info.From, Requested: info.Requested, Expires: info.Expires,
		Groups:   typeGroups(),
		MaxPages: min(s.limits.Parts, vault.MaxPendingPages), PageBytes: s.limits.PageBytes,
		Mine: s.isMine(c, token), LastUse: info.UsesLeft == 1,
	}
	s.render(c, http.StatusOK, "drop", p)
}

// mineCookie marks, on the owner's own browser, the link she opened to
// redo a paper herself.
const mineCookie = "coffre-mine"

func (s *server) setMineCookie(c *gin.Context, token string) {
	// #nosec G124 -- Secure whenever the base URL is https, as the session cookie
	http.SetCookie(c.Writer, &http.Cookie{
		Name: mineCookie, Value: token, Path: dropPath + token, MaxAge: 24 * 3600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// isMine: the link was opened by "Je le refais moi-même" on this browser.
func (s *server) isMine(c *gin.Context, token string) bool {
	v := cookieValue(c, mineCookie)
	return v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(token)) == 1
}

// webLiveLink answers an unknown, expired or used-up link with one page
// that says only that.
func (s *server) webLiveLink(c *gin.Context) (string, vault.DropLinkPublic, bool) {
	token := c.Param("token")
	if !wellFormedToken(token) {
		s.dropError(c, vault.ErrNoLink)
		return "", vault.DropLinkPublic{}, false
	}
	info, err := s.v.DropLinkInfo(c.Request.Context(), token)
	if err != nil {
		s.dropError(c, err)
		return "", vault.DropLinkPublic{}, false
	}
	return token, info, true
}

// dropError is the helper's error page: no way out but back.
func (s *server) dropError(c *gin.Context, err error) {
	e := classify(err)
	if e.status >= 500 {
		s.log.Error("request failed", "route", routeOf(c), "err", err.Error())
	}
	if errors.Is(err, vault.ErrLinkUsedUp) {
		// A reload of the thank-you page, or the link opened again: what
		// was sent arrived; only a new link sends more.
		p := s.dropPage(c, "drop.usedtitle")
		p.Notice = p.L.T("drop.usedup")
		c.Set(ctxErrorCode, "link_used")
		s.render(c, http.StatusGone, "error", p)
		c.Abort()
		return
	}
	title := "error.title"
	if e.status == http.StatusNotFound {
		// Stopped, expired or unknown: said as such, not "a problem"
		// (newcomer's review: a helper whose link was stopped while she
		// sent reloaded onto a bare "A problem").
		title = "drop.gonetitle"
	}
	p := s.dropPage(c, title)
	p.Error = s.errorText(p.L, err)
	s.render(c, e.status, "error", p)
	c.Abort()
}

// dropDocument describes what the helper sends, from the chosen type.
// Its title is the server's, so it speaks the vault owner's language (her
// account's, info.Lang), never the helper's: the type's name, or for a
// paper of no known type a neutral title — never the owner's own message
// to the helper, which is not the paper's name.
func dropDocument(info vault.DropLinkPublic, typ string) (vault.NewDocument, error) {
	ol := locFor(webDefaultLang)
	if cat := catalogueFor(info.Lang); cat != nil {
		ol = loc{cat}
	}
	nd := vault.NewDocument{Type: typ, Title: untypedTitle(ol), Profile: converter.GenericProfileID, Category: "other"}
	if typ == "" {
		if len(info.Requested) == 1 {
			nd.Type = info.Requested[0]
		} else {
			return nd, nil
		}
	}
	t, ok := vault.DocTypeByID(nd.Type)
	if !ok || (len(info.Requested) > 0 && !contains(info.Requested, nd.Type)) {
		return nd, fieldErr("type", "api.type.paper_type_not_requested")
	}
	nd.Category = t.Category
	// The pages show a type's name in each reader's language (DocTitle).
	nd.Title = ol.DocType(nd.Type)
	return nd, nil
}

// webDropForm: the page without JavaScript posts every photo at once.
func (s *server) webDropForm(c *gin.Context) {
	if _, _, ok := s.webLiveLink(c); !ok {
		return
	}
	ctx := c.Request.Context()
	up, err := s.readUpload(c, "type") // the body first: a slot only once it is in
	if err != nil {
		s.dropError(c, err)
		return
	}
	release, err := s.acquireUpload(ctx)
	if err != nil {
		s.dropError(c, err)
		return
	}
	defer release()
	// The link may have been used up while this upload waited.
	token, info, ok := s.webLiveLink(c)
	if !ok {
		return
	}
	nd, err := dropDocument(info, up.fields["type"])
	if err != nil {
		s.dropError(c, err)
		return
	}
	var rc vault.Receipt
	_, err = s.convertAndStore(ctx, up.pages, converter.Options{Kind: pdfKind(nd.Category)}, nd, func(nd vault.NewDocument, r io.Reader) error {
		var err error
		rc, err = s.v.Deposit(ctx, token, nd, r)
		return err
	})
	if err != nil {
		s.dropError(c, err)
		return
	}
	p := s.dropPage(c, "receipt.title")
	p.Data = dropData{Label: rc.Label, Receipt: &rc}
	s.render(c, http.StatusCreated, "receipt", p)
}

// uploadKey reads the browser's pending-upload key.
func uploadKey(c *gin.Context, v string) ([]byte, error) {
	if v == "" {
		v = c.GetHeader(uploadKeyHeader)
	}
	k, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(k) != vault.PendingKeySize {
		return nil, fieldErr("key", "api.key.bad_upload_key")
	}
	return k, nil
}

// dropJSONError answers the page's script: the status, and the message in
// the person's language.
func (s *server) dropJSONError(c *gin.Context, err error) {
	e := classify(err)
	status := e.status
	switch {
	case errors.Is(err, vault.ErrSendInProgress):
		status = http.StatusConflict
		c.Header("Retry-After", "2")
	case errors.Is(err, vault.ErrPendingFull):
		status = http.StatusRequestEntityTooLarge
	}
	if status >= 500 {
		logFailure(s.log, c, e, err)
	}
	if e.retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(e.retryAfter.Seconds())+1))
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: e.code, Message: s.errorText(webLang(c), err), Field: e.field}})
}

// webDropStatus tells the page which of its pages are already stored (or
// that they were sent, with the receipt), so that it resumes.
func (s *server) webDropStatus(c *gin.Context) {
	key, err := uploadKey(c, "")
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	st, err := s.v.PendingUploadStatus(c.Request.Context(), c.Param("token"), key)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	out := gin.H{"pages": st.Pages, "sent": st.Sent}
	if st.Sent {
		out["receipt"] = receiptJSON{Label: st.Receipt.Label, Received: st.Receipt.Received.UTC(), Pages: st.Receipt.Pages, Size: st.Receipt.Size}
	}
	c.JSON(http.StatusOK, out)
}

// dropPageArgs reads a page route's upload key (X-Upload-Key) and page
// number (1–9999), and checks its link token's form (a made-up token is
// a dead link: vault.ErrNoLink, before any body is read).
func dropPageArgs(c *gin.Context) (key []byte, n int, err error) {
	if key, err = uploadKey(c, ""); err != nil {
		return nil, 0, err
	}
	n, err = strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > 9999 {
		return nil, 0, fieldErr("n", "api.n.bad_page_number")
	}
	if !wellFormedToken(c.Param("token")) {
		return nil, 0, vault.ErrNoLink
	}
	return key, n, nil
}

// webDropPage stores one page (its body is the image) of a pending upload
// and answers with its readability check ("check", capture.go) when it is
// a photo. Sending the same page again is harmless: it is stored once.
func (s *server) webDropPage(c *gin.Context) {
	key, n, err := dropPageArgs(c)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	// Corners placed by the person, to check the page with them (they
	// are not stored: Send carries them).
	corners, err := parseCorners(c.GetHeader(cornersHeader))
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	if c.Request.ContentLength > s.limits.PageBytes {
		s.dropJSONError(c, errTooLarge)
		return
	}
	ctx := c.Request.Context()
	// A dead link reads no body.
	if _, err := s.v.DropLinkInfo(ctx, c.Param("token")); err != nil {
		s.dropJSONError(c, err)
		return
	}
	release, ok := s.pagePuts.acquire("link:"+c.Param("token"), "ip:"+clientKey(c.ClientIP()))
	if !ok {
		s.dropJSONError(c, errBusy())
		return
	}
	defer release()
	// The page is read into memory (counted against the upload budget) so
	// that, once stored encrypted, it is checked (capture.go).
	data, done, err := s.readPageBody(c)
	defer done()
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	stored, err := s.v.PutPendingPage(ctx, c.Param("token"), key, n, bytes.NewReader(data))
	if err != nil {
		s.dropJSONError(c, slowBodyErr(c, err))
		return
	}
	status := http.StatusCreated
	if !stored {
		status = http.StatusOK
	}
	out := gin.H{"page": n, "stored": stored}
	// The page was stored before (a retried PUT, the same photo sent again
	// with corners placed, or a number the browser reused after a
	// reload): what was just sent is dropped, so the check is the stored
	// page's; its cleaned thumbnail only when the bytes sent are the
	// stored ones (the link stays write-only). Attacker's review: a good
	// photo's "ok" and thumbnail stood for the blurred page kept.
	other := false
	if !stored {
		kept, err := s.storedPage(ctx, c.Param("token"), key, n)
		if err != nil {
			s.dropJSONError(c, err)
			return
		}
		if other = !bytes.Equal(kept, data); other {
			done()
			data = kept
		}
	}
	// The check only advises: a page it cannot read stays stored, and
	// sending it says what is wrong.
	chk, err := s.checkPage(ctx, webLang(c), data, corners)
	if err != nil && corners != nil && errors.Is(err, converter.ErrBadCorners) {
		// The page is stored; the corners placed are refused.
		s.dropJSONError(c, err)
		return
	}
	if err == nil && chk != nil {
		if other {
			chk.Thumbnail = ""
		}
		out["check"] = chk
	}
	c.JSON(status, out)
}

// storedPage reads page n of the pending upload (key) as it is stored,
// within the upload memory budget (held until the request ends).
func (s *server) storedPage(ctx context.Context, token string, key []byte, n int) ([]byte, error) {
	rc, err := s.v.OpenPendingPage(ctx, token, key, n)
	if err != nil {
		return nil, err
	}
	bb := &budgetBody{r: rc, ctx: ctx, sem: s.bodyMem, wait: s.limits.QueueWait}
	context.AfterFunc(ctx, bb.release)
	var buf bytes.Buffer
	_, err = io.Copy(&buf, io.LimitReader(bb, s.limits.PageBytes+1))
	_ = bb.Close()
	if err != nil {
		bb.release()
		return nil, err
	}
	return buf.Bytes(), nil
}

// webDropPageDelete takes back a page of a pending upload (X-Upload-Key):
// the helper removed it, or retook it, on her page, so it leaves the
// server now rather than at send or expiry. A page already gone answers
// the same 204 (a retried delete); after the send, 409.
func (s *server) webDropPageDelete(c *gin.Context) {
	key, n, err := dropPageArgs(c)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	if err := s.v.DeletePendingPage(c.Request.Context(), c.Param("token"), key, n); err != nil {
		s.dropJSONError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// webDropCheck checks again a page already stored (its body is not sent
// again): after a reload lost the page's check, or in the language the
// helper switched to. Only the upload's key opens the page, before it is
// sent and while the upload lives. The answer is the verdict and its
// findings, never the page's thumbnail: the link stays write-only (the
// helper's page keeps the thumbnail it drew). Like a page PUT, it takes a
// place among the pages in flight and the upload memory budget before the
// page is read; a page the converter cannot read gets its error.
func (s *server) webDropCheck(c *gin.Context) {
	key, n, err := dropPageArgs(c)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	release, ok := s.pagePuts.acquire("link:"+c.Param("token"), "ip:"+clientKey(c.ClientIP()))
	if !ok {
		s.dropJSONError(c, errBusy())
		return
	}
	defer release()
	ctx := c.Request.Context()
	data, err := s.storedPage(ctx, c.Param("token"), key, n)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	chk, err := s.checkPage(ctx, webLang(c), data, nil)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	out := gin.H{"page": n}
	if chk != nil {
		chk.Thumbnail = ""
		out["check"] = chk
	}
	c.JSON(http.StatusOK, out)
}

type dropSendReq struct {
	Key   string `json:"key"`
	Pages []int  `json:"pages"`
	Type  string `json:"type"`
	// Corners are the corners the person placed, by page number (corners.go).
	Corners map[string]json.RawMessage `json:"corners,omitempty"`
}

// sendCorners reads the corners of a send, in the order of its pages.
func sendCorners(req dropSendReq) ([]*[4]converter.Point, error) {
	out := make([]*[4]converter.Point, len(req.Pages))
	if len(req.Corners) > len(req.Pages) {
		return nil, fmt.Errorf("%w: corners for %d pages of %d", converter.ErrBadCorners, len(req.Corners), len(req.Pages))
	}
	for k, raw := range req.Corners {
		n, err := strconv.Atoi(k)
		i := slices.Index(req.Pages, n)
		if err != nil || i < 0 {
			return nil, fmt.Errorf("%w: corners for a page not sent", converter.ErrBadCorners)
		}
		if out[i], err = parseCorners(string(raw)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// webDropSend deposits the stored pages, in the order given, as one
// document; a retried send gets the same receipt.
func (s *server) webDropSend(c *gin.Context) {
	var req dropSendReq
	if err := decodeJSON(c, &req); err != nil {
		s.dropJSONError(c, err)
		return
	}
	key, err := uploadKey(c, req.Key)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	token, info, ok := s.webLiveLinkJSON(c)
	if !ok {
		return
	}
	nd, err := dropDocument(info, req.Type)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	corners, err := sendCorners(req)
	if err != nil {
		s.dropJSONError(c, err)
		return
	}
	ctx := c.Request.Context()
	rc, err := s.v.SendPending(ctx, token, key, req.Pages, func(ctx context.Context, pages []io.Reader) (vault.Receipt, error) {
		release, err := s.acquireUpload(ctx)
		if err != nil {
			return vault.Receipt{}, err
		}
		defer release()
		inputs := make([]converter.Input, 0, len(pages))
		for i, r := range pages {
			in, err := converter.ReadInput(r, "page "+strconv.Itoa(i+1), s.limits.PageBytes)
			if err != nil {
				return vault.Receipt{}, err
			}
			if i < len(corners) {
				in.Corners = corners[i]
			}
			inputs = append(inputs, in)
		}
		var rc vault.Receipt
		_, err = s.convertAndStore(ctx, inputs, converter.Options{Kind: pdfKind(nd.Category)}, nd, func(nd vault.NewDocument, r io.Reader) error {
			var err error
			rc, err = s.v.Deposit(ctx, token, nd, r)
			return err
		})
		// Corners refused are the sender's to place again: the pages stay.
		if err != nil && rc.Received.IsZero() && isConverterErr(err) && !errors.Is(err, converter.ErrBadCorners) {
			// The converter's refusal is final: the pages go at once.
			err = fmt.Errorf("%w: %w", vault.ErrDepositRefused, err)
		}
		return rc, err
	})
	if err != nil && rc.Received.IsZero() {
		s.dropJSONError(c, err)
		return
	}
	if err != nil {
		s.log.Warn("deposit recorded with an error", "route", routeOf(c), "err", err.Error())
	}
	c.JSON(http.StatusCreated, receiptJSON{Label: rc.Label, Received: rc.Received.UTC(), Pages: rc.Pages, Size: rc.Size})
}

// webLiveLinkJSON is webLiveLink for the page's script. A link used up by
// this very upload still answers a retried send with its receipt, so only
// the token's shape is checked here when the link is no longer live.
func (s *server) webLiveLinkJSON(c *gin.Context) (string, vault.DropLinkPublic, bool) {
	token := c.Param("token")
	if !wellFormedToken(token) {
		s.dropJSONError(c, vault.ErrNoLink)
		return "", vault.DropLinkPublic{}, false
	}
	info, err := s.v.DropLinkInfo(c.Request.Context(), token)
	if err != nil && !errors.Is(err, vault.ErrNoLink) {
		s.dropJSONError(c, err)
		return "", vault.DropLinkPublic{}, false
	}
	return token, info, true
}
