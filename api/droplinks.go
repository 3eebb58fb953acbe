package api

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// dropPath is where a helper opens a drop link in a browser (the web page;
// the JSON API lives under /api/v1/drop/{token}).
const dropPath = "/d/"

// dropLinkJSON is a drop link as its owner or creating worker sees it. The
// token is never listed: only the creation response carries it.
type dropLinkJSON struct {
	ID        string    `json:"id"`
	OwnerID   string    `json:"owner_id"`
	Label     string    `json:"label"`
	Requested []string  `json:"requested"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	Revoked   bool      `json:"revoked"`
	CreatedBy string    `json:"created_by"`
	RequestID string    `json:"request_id,omitempty"`
}

func dropLinkOut(d vault.DropLink) dropLinkJSON {
	req := d.Requested
	if req == nil {
		req = []string{}
	}
	return dropLinkJSON{
		ID: d.ID, OwnerID: d.OwnerID, Label: d.Label, Requested: req, Created: d.Created.UTC(),
		Expires: d.Expires.UTC(), MaxUses: d.MaxUses, Uses: d.Uses, Revoked: d.Revoked,
		CreatedBy: string(d.CreatedBy.Kind), RequestID: d.RequestID,
	}
}

type createDropLinkReq struct {
	OwnerID   string   `json:"owner_id"`
	Label     string   `json:"label"`
	Requested []string `json:"requested"`
	TTLHours  int      `json:"ttl_hours"`
	MaxUses   int      `json:"max_uses"`
	RequestID string   `json:"request_id"`
}

// createDropLink: the owner, or a worker holding a live consent from the
// owner, creates a link a helper can upload through. The response is the
// only place the token appears: as the URL to share and the QR codes.
func (s *server) createDropLink(c *gin.Context) {
	var req createDropLinkReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	p := principal(c)
	owner := req.OwnerID
	if p.Kind() == vault.KindOwner {
		if owner != "" && owner != p.ID() {
			writeError(c, s.log, errNotFound)
			return
		}
		owner = p.ID()
	} else if owner == "" {
		writeError(c, s.log, fieldErr("owner_id", "api.owner_id.say_whose_vault"))
		return
	}
	label := strings.TrimSpace(req.Label)
	switch {
	case label == "":
		writeError(c, s.log, fieldErr("label", "api.label.give_link_label"))
		return
	case !vault.ValidLinkText(label, vault.MaxLabelLen):
		writeError(c, s.log, fieldErr("label", "api.label.label_too_long"))
		return
	case req.TTLHours < 0 || time.Duration(req.TTLHours)*time.Hour > vault.MaxLinkTTL:
		writeError(c, s.log, fieldErr("ttl_hours", "api.ttl_hours.link_lasts_1"))
		return
	case req.MaxUses < 0 || req.MaxUses > vault.MaxLinkUses:
		writeError(c, s.log, fieldErr("max_uses", "api.max_uses.link_used_1"))
		return
	}
	for _, t := range req.Requested {
		if _, ok := vault.DocTypeByID(t); !ok {
			writeError(c, s.log, fieldErr("requested", "api.type.unknown_paper_type"))
			return
		}
	}
	token, dl, err := s.v.CreateDropLink(c.Request.Context(), p, owner, vault.NewDropLink{
		Label: label, Requested: req.Requested, TTL: time.Duration(req.TTLHours) * time.Hour,
		MaxUses: req.MaxUses, RequestID: req.RequestID,
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, s.createdLink(token, dl))
}

// createdLink is the answer to a link made: the token appears here only.
func (s *server) createdLink(token string, dl vault.DropLink) gin.H {
	api := "/api/v1/drop/" + token
	return gin.H{
		"link":   dropLinkOut(dl),
		"token":  token,
		"url":    s.baseURL + dropPath + token,
		"api":    api,
		"qr_png": api + "/qr.png",
		"qr_svg": api + "/qr.svg",
	}
}

// listDropLinks lists the owner's links (?owner= for a worker: the links of
// that owner the worker may see).
func (s *server) listDropLinks(c *gin.Context) {
	p := principal(c)
	owner := c.Query("owner")
	if p.Kind() == vault.KindOwner {
		if owner != "" && owner != p.ID() {
			writeError(c, s.log, errNotFound)
			return
		}
		owner = p.ID()
	}
	links, err := s.v.DropLinks(c.Request.Context(), p, owner)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]dropLinkJSON, 0, len(links))
	for _, d := range links {
		out = append(out, dropLinkOut(d))
	}
	c.JSON(http.StatusOK, gin.H{"links": out})
}

// revokeDropLink ends a link now.
func (s *server) revokeDropLink(c *gin.Context) {
	if err := s.v.RevokeDropLink(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// wellFormedToken rejects, without a database look-up, what cannot be a
// drop-link token (base64url).
func wellFormedToken(t string) bool {
	if len(t) < 16 || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		b := t[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

// liveLink returns what the token's holder may know of a live link, or
// answers 404.
func (s *server) liveLink(c *gin.Context) (string, vault.DropLinkPublic, bool) {
	token := c.Param("token")
	if !wellFormedToken(token) {
		writeError(c, s.log, errNotFound)
		return "", vault.DropLinkPublic{}, false
	}
	info, err := s.v.DropLinkInfo(c.Request.Context(), token)
	if err != nil {
		writeError(c, s.log, err)
		return "", vault.DropLinkPublic{}, false
	}
	return token, info, true
}

type requestedJSON struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// dropInfo tells the helper what the link is for: its label and the
// requested document types. Nothing else about the vault.
func (s *server) dropInfo(c *gin.Context) {
	_, info, ok := s.liveLink(c)
	if !ok {
		return
	}
	l := lang(c)
	req := make([]requestedJSON, 0, len(info.Requested))
	for _, id := range info.Requested {
		r := requestedJSON{ID: id}
		if t, ok := vault.DocTypeByID(id); ok {
			r.Label = t.Label[l]
		}
		req = append(req, r)
	}
	c.JSON(http.StatusOK, gin.H{
		"label": info.Label, "requested": req, "expires": info.Expires.UTC(), "uses_left": info.UsesLeft,
		"limits": gin.H{"page_bytes": s.limits.PageBytes, "total_bytes": s.limits.TotalBytes, "pages": s.limits.Parts},
	})
}

// dropQRPNG and dropQRSVG render the link's URL as a QR code.
func (s *server) dropQRPNG(c *gin.Context) {
	token, _, ok := s.liveLink(c)
	if !ok {
		return
	}
	png, err := qrPNG(s.baseURL+dropPath+token, 512)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

func (s *server) dropQRSVG(c *gin.Context) {
	token, _, ok := s.liveLink(c)
	if !ok {
		return
	}
	svg, err := qrSVG(s.baseURL + dropPath + token)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Data(http.StatusOK, "image/svg+xml", svg)
}

// dropFields are the text fields a helper's upload may carry.
var dropFields = []string{"type", "mode", "card_pairs"}

type receiptJSON struct {
	Label    string    `json:"label"`
	Received time.Time `json:"received"`
	Pages    int       `json:"pages"`
	Size     int64     `json:"size"`
	// Checks is the readability check of each photographed page (the
	// JSON API's upload only).
	Checks []converter.PageCheck `json:"checks,omitempty"`
}

// dropUpload: a helper sends pages through the link. They are converted
// into one PDF, encrypted to the owner (and the requesting worker) as they
// stream, and the helper gets a receipt: no content, no id.
func (s *server) dropUpload(c *gin.Context) {
	if _, _, ok := s.liveLink(c); !ok {
		return
	}
	ctx := c.Request.Context()
	up, err := s.readUpload(c, dropFields...) // the body first: a slot only once it is in
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
	// The link may have been used up while this upload waited: no
	// conversion for nothing.
	token, info, ok := s.liveLink(c)
	if !ok {
		return
	}
	nd, err := dropDocument(info, up.fields["type"])
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	opts, err := conversionOptions(map[string]string{"mode": up.fields["mode"], "card_pairs": up.fields["card_pairs"]})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	opts.Kind = pdfKind(nd.Category)
	var rc vault.Receipt
	res, err := s.convertAndStore(ctx, up.pages, opts, nd, func(nd vault.NewDocument, r io.Reader) error {
		var err error
		rc, err = s.v.Deposit(ctx, token, nd, r)
		return err
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, receiptJSON{Label: rc.Label, Received: rc.Received.UTC(), Pages: rc.Pages, Size: rc.Size, Checks: checksOut(res)})
}
