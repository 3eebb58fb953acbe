package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// "Redo this one, because…" (issue 17; vault/redos.go). A worker marks a
// paper received for their request as to be redone, with a reason; the
// owner sees it at the top of her papers and can forward it to her helper
// as a one-item drop link, labelled with the reason in her words; the
// redo closes when a replacement arrives through it and passes the
// readability check.
//
//	GET  /api/v1/redos                 owner: those she was asked; worker: those they asked
//	POST /api/v1/requests/{id}/redos   worker: {document_id, reason, note}
//	POST /api/v1/redos/{id}/forward    owner: {from} → the link, its token shown once
//
// The pages: POST /pro/people/{owner}/papers/{id}/redo (the worker's
// form) and POST /redos/{id}/forward (the owner's button, which shows the
// new link as any link she makes).

type redoJSON struct {
	ID            string    `json:"id"`
	OwnerID       string    `json:"owner_id"`
	RequestID     string    `json:"request_id"`
	WorkerID      string    `json:"worker_id"`
	WorkerName    string    `json:"worker_name,omitempty"`
	OrgName       string    `json:"org_name,omitempty"`
	DocumentID    string    `json:"document_id"`
	DocType       string    `json:"doc_type"`
	Reason        string    `json:"reason"`
	Note          string    `json:"note,omitempty"`
	Status        string    `json:"status"`
	LinkID        string    `json:"link_id,omitempty"`
	ReplacementID string    `json:"replacement_id,omitempty"`
	Created       time.Time `json:"created"`
	Forwarded     time.Time `json:"forwarded,omitzero"`
	Closed        time.Time `json:"closed,omitzero"`
}

func redoOut(r vault.Redo) redoJSON {
	return redoJSON{
		ID: r.ID, OwnerID: r.OwnerID, RequestID: r.RequestID, WorkerID: r.WorkerID, WorkerName: r.WorkerName,
		OrgName: r.OrgName, DocumentID: r.DocumentID, DocType: r.DocType, Reason: r.Reason, Note: r.Note,
		Status: r.Status, LinkID: r.LinkID, ReplacementID: r.ReplacementID, Created: r.Created.UTC(),
		Forwarded: r.Forwarded.UTC(), Closed: r.Closed.UTC(),
	}
}

// redoErr turns the vault's refusal of a redo into the field it is about.
func redoErr(err error) error {
	switch {
	case errors.Is(err, vault.ErrRedoNote):
		return fieldErr("note", "api.redo.note_needed")
	case errors.Is(err, vault.ErrInvalid) && !errors.Is(err, vault.ErrNotFound):
		return fieldErr("reason", "api.redo.reason")
	case errors.Is(err, vault.ErrConflict):
		return newErr(http.StatusConflict, "conflict", "api.redo.already")
	}
	return err
}

func (s *server) listRedos(c *gin.Context) {
	rs, err := s.v.Redos(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]redoJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, redoOut(r))
	}
	c.JSON(http.StatusOK, gin.H{"redos": out})
}

type askRedoReq struct {
	DocumentID string `json:"document_id"`
	Reason     string `json:"reason"`
	Note       string `json:"note"`
}

func (s *server) askRedo(c *gin.Context) {
	var req askRedoReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	r, err := s.v.AskRedo(c.Request.Context(), principal(c), vault.NewRedo{
		RequestID: c.Param("id"), DocumentID: req.DocumentID, Reason: req.Reason, Note: req.Note,
	})
	if err != nil {
		writeError(c, s.log, redoErr(err))
		return
	}
	c.JSON(http.StatusCreated, redoOut(r))
}

type forwardRedoReq struct {
	From string `json:"from"`
}

// forwardRedo makes the one-item link; its label says the reason in the
// owner's language (her account's), for her helper to read.
func (s *server) forwardRedo(c *gin.Context) {
	var req forwardRedoReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	token, dl, err := s.forwardRedoAs(c, strings.TrimSpace(req.From), false)
	if err != nil {
		writeError(c, s.log, redoErr(err))
		return
	}
	c.JSON(http.StatusCreated, s.createdLink(token, dl))
}

// forwardRedoAs forwards the redo of the route's id for the signed-in owner.
func (s *server) forwardRedoAs(c *gin.Context, from string, self bool) (string, vault.DropLink, error) {
	ctx, pr := c.Request.Context(), principal(c)
	rs, err := s.v.Redos(ctx, pr)
	if err != nil {
		return "", vault.DropLink{}, err
	}
	i := slices.IndexFunc(rs, func(r vault.Redo) bool { return r.ID == c.Param("id") })
	if i < 0 {
		return "", vault.DropLink{}, errNotFound
	}
	l := webLang(c)
	if prof, err := s.v.OwnerProfile(ctx, pr); err == nil {
		if cat := catalogueFor(prof.Lang); cat != nil {
			l = loc{cat}
		}
		if from == "" {
			from = prof.DisplayName
		}
	}
	label := fitText(l.T("redo.label", l.DocType(rs[i].DocType), l.T("redo.reason."+rs[i].Reason)), vault.MaxLabelLen)
	return s.v.ForwardRedo(ctx, pr, rs[i].ID, vault.RedoLink{Label: label, From: fitText(from, vault.MaxFromLen), Self: self})
}

// webForwardRedo: the owner's button; the new link shows as any link she
// makes (sealed cookie, then its page).
func (s *server) webForwardRedo(c *gin.Context) {
	token, dl, err := s.forwardRedoAs(c, "", c.PostForm("self") == "1")
	if err != nil {
		s.webError(c, redoErr(err))
		return
	}
	if c.PostForm("self") == "1" {
		// She redoes it herself: the same one-item link, opened on her
		// phone at once (its check, its closing of the redo and what it
		// shares are the helper's).
		// The drop page says "your vault" only to the browser this cookie
		// is on: a "?mine=1" anyone could add to a link sent to a helper
		// would hide the page's warning about whose vault it is.
		s.setMineCookie(c, token)
		c.Redirect(http.StatusSeeOther, dropPath+token+"?mine=1")
		return
	}
	if err := s.rememberLink(c, newLinkShown(s.baseURL, token, dl, s.v.Now())); err != nil {
		s.webError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, newLinkPath(c))
}

// webAskRedo: the worker's form on the person's page.
func (s *server) webAskRedo(c *gin.Context) {
	_, err := s.v.AskRedo(c.Request.Context(), principal(c), vault.NewRedo{
		RequestID: c.PostForm("request"), DocumentID: c.Param("id"), Reason: c.PostForm("reason"), Note: c.PostForm("note"),
	})
	if err != nil {
		s.webError(c, redoErr(err))
		return
	}
	redirectDone(c, "/pro/people/"+url.PathEscape(c.Param("owner")), "redo")
}

// redoItem is what the worker's person page says of one paper: the request
// it was received for (a redo may be asked), and its latest redo.
type redoItem struct {
	RequestID string
	Latest    *vault.Redo
	// Open: a redo not closed already waits.
	Open bool
	// Replacement: this paper is the one that closed the redo (the new
	// paper, shown apart from the old one it replaces).
	Replacement bool
}

// redoItems maps the person's papers the worker may ask to redo (received
// for one of their accepted requests) to their redo state.
func (s *server) redoItems(c *gin.Context, who *person) map[string]redoItem {
	ctx, pr := c.Request.Context(), principal(c)
	out := map[string]redoItem{}
	reqs, err := s.v.Requests(ctx, pr)
	if err != nil {
		return out
	}
	redos, err := s.v.Redos(ctx, pr)
	if err != nil {
		return out
	}
	for _, d := range who.Docs {
		var it redoItem
		for _, r := range reqs {
			if r.OwnerID == who.OwnerID && (r.Status == vault.RequestAccepted || r.Status == vault.RequestFulfilled) &&
				r.Ended.IsZero() && slices.Contains(r.Types, d.Type) {
				it.RequestID = r.ID
				break
			}
		}
		for i := range redos { // newest first
			if redos[i].DocumentID == d.ID || redos[i].ReplacementID == d.ID {
				it.Latest = &redos[i]
				it.Open = redos[i].Status != vault.RedoClosed
				it.Replacement = redos[i].ReplacementID == d.ID
				break
			}
		}
		if it.RequestID != "" || it.Latest != nil {
			out[d.ID] = it
		}
	}
	return out
}
