package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

type eventJSON struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	ActorKind  string    `json:"actor_kind"`
	ActorName  string    `json:"actor_name,omitempty"`
	OrgName    string    `json:"org_name,omitempty"`
	DocumentID string    `json:"document_id,omitempty"`
	// Text is the event in plain words, in the request's language.
	Text string `json:"text"`
}

// journal returns every event of the owner's vault, oldest first, in plain
// language.
func (s *server) journal(c *gin.Context) {
	evs, err := s.v.Journal(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	l := lang(c)
	out := make([]eventJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventJSON{
			Seq: e.Seq, At: e.At.UTC(), Kind: e.Kind, ActorKind: e.ActorKind, ActorName: e.ActorName,
			OrgName: e.OrgName, DocumentID: e.DocumentID, Text: e.Text(l),
		})
	}
	c.JSON(http.StatusOK, gin.H{"events": out})
}

// export streams every document of the owner as a zip: ?format=pdf (plain
// PDFs and a manifest) or age (the encrypted files and their keys).
func (s *server) export(c *gin.Context) {
	format := vault.ExportFormat(c.DefaultQuery("format", string(vault.ExportPDF)))
	if format != vault.ExportPDF && format != vault.ExportAge {
		writeError(c, s.log, fieldErr("format", "The format is pdf or age.", "Le format est pdf ou age."))
		return
	}
	lw := &lazyWriter{c: c, header: func(h http.Header) {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", attachment("coffre-export-"+string(format)+".zip"))
	}}
	err := s.v.Export(c.Request.Context(), principal(c), lw, format)
	if err != nil && !lw.started {
		writeError(c, s.log, err)
		return
	}
	if err != nil {
		s.log.Warn("export cut short", "route", routeOf(c), "err", err.Error())
		panic(http.ErrAbortHandler)
	}
}

type deleteAccountReq struct {
	Confirm bool `json:"confirm"`
}

// deleteAccount destroys the owner's whole vault for good ({"confirm":
// true} required) and ends the session.
func (s *server) deleteAccount(c *gin.Context) {
	var req deleteAccountReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if !req.Confirm {
		writeError(c, s.log, fieldErr("confirm", "Confirm that everything should be deleted.", "Confirmez que tout doit être supprimé."))
		return
	}
	if err := s.v.DeleteAccount(c.Request.Context(), principal(c)); err != nil {
		writeError(c, s.log, err)
		return
	}
	s.clearCookie(c)
	c.Status(http.StatusNoContent)
}
