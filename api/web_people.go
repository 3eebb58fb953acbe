package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// Helpers of the helper's and the social worker's journeys (issue 15): what
// a helper is shown of a link, the pictograms of document types.

// TypeCategory is the category of a document type ("other" if unknown).
func (l loc) TypeCategory(id string) string {
	if t, ok := vault.DocTypeByID(id); ok {
		return t.Category
	}
	return "other"
}

// pendingAsks lists the owner's unanswered requests when there are some
// (n from the badge), for the top of "Mes papiers".
func (s *server) pendingAsks(c *gin.Context, n int) []vault.Request {
	if n == 0 {
		return nil
	}
	rs, err := s.v.Requests(c.Request.Context(), principal(c))
	if err != nil {
		return nil
	}
	var out []vault.Request
	for _, r := range rs {
		if r.Status == vault.RequestPending {
			out = append(out, r)
		}
	}
	return out
}

// unreadMessages are the signed-in person's unread messages, newest first
// (at most 5), as the inbox page shows them.
func (s *server) unreadMessages(c *gin.Context) []inboxRow {
	if s.notify == nil {
		return nil
	}
	items, err := s.notify.InboxIn(c.Request.Context(), principal(c), 20, webLang(c).Lang())
	if err != nil {
		return nil
	}
	l := webLang(c)
	var out []inboxRow
	for _, it := range items {
		if !it.Read.IsZero() || len(out) == 5 {
			continue
		}
		out = append(out, inboxRow{InboxItem: it, When: l.DateTime(it.Created), Icon: "inbox"})
	}
	return out
}

// undoable is the consent just stopped (?undo=id) while it can still be
// taken back, "" otherwise.
func undoable(c *gin.Context, past []consentRow) *undoOffer {
	id := c.Query("undo")
	for _, r := range past {
		if left := vault.UndoWindow - time.Since(r.Revoked); r.ID == id && !r.Revoked.IsZero() && left > 0 {
			return &undoOffer{ID: id, LeftMS: left.Milliseconds()}
		}
	}
	return nil
}

// undoOffer is the "take the stop back" button: which share, and for how
// many more milliseconds (the page's script removes the button then).
type undoOffer struct {
	ID     string
	LeftMS int64
}

// webUndoRevoke takes back a share stopped less than a minute ago.
func (s *server) webUndoRevoke(c *gin.Context) {
	if err := s.v.UndoRevoke(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		if errors.Is(err, vault.ErrNotFound) {
			err = newErr(http.StatusConflict, "too_late", "api.too_late.too_late_undo")
		}
		s.webError(c, err)
		return
	}
	redirectDone(c, "/share", "restored")
}
