package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
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
	l, now := apiLoc(c), time.Now()
	out := make([]eventJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventJSON{
			Seq: e.Seq, At: e.At.UTC(), Kind: e.Kind, ActorKind: e.ActorKind, ActorName: e.ActorName,
			OrgName: e.OrgName, DocumentID: e.DocumentID, Text: l.EventText(e, now),
		})
	}
	resp := gin.H{"events": out}
	if cp, err := s.v.JournalCheckpoint(c.Request.Context(), principal(c)); err == nil {
		resp["checkpoint"] = checkpointOut(cp)
	}
	c.JSON(http.StatusOK, resp)
}

type checkpointJSON struct {
	Size        int64  `json:"size"`
	Hash        string `json:"hash"`
	Fingerprint string `json:"fingerprint"`
	// Note is the signed checkpoint (C2SP signed note), to keep.
	Note string `json:"note"`
}

func checkpointOut(cp vault.Checkpoint) checkpointJSON {
	return checkpointJSON{Size: cp.Size, Hash: base64.StdEncoding.EncodeToString(cp.Hash[:]),
		Fingerprint: cp.Fingerprint(), Note: string(cp.Note)}
}

// journalCheckpoint returns the signed checkpoint of the owner's journal as
// a text file to keep (coffre admin verify-journal --checkpoint FILE).
func (s *server) journalCheckpoint(c *gin.Context) {
	cp, err := s.v.JournalCheckpoint(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Content-Disposition", attachment("coffre-journal-checkpoint.txt"))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", cp.Note)
}

type journalProofJSON struct {
	// Size and Hash describe the journal as its entries make it now.
	Size int64  `json:"size"`
	Hash string `json:"hash"`
	// Signed: the service's signed checkpoint states exactly this log.
	Signed     bool   `json:"signed"`
	Checkpoint string `json:"checkpoint,omitempty"`
	From       int64  `json:"from"`
	// WentBack: the log is shorter than the tree of size from.
	WentBack bool `json:"went_back"`
	// Proof is the consistency proof from size from to size (base64
	// hashes, RFC 6962 / golang.org/x/mod/sumdb/tlog order).
	Proof []string `json:"proof"`
}

// journalProof answers the owner's browser, which kept the checkpoint of a
// journal of ?from=m entries: the journal now and the proof that it
// extends the kept one.
func (s *server) journalProof(c *gin.Context) {
	from, err := strconv.ParseInt(c.Query("from"), 10, 64)
	if err != nil || from < 1 {
		writeError(c, s.log, fieldErr("from", "api.from.size_kept_checkpoint"))
		return
	}
	p, err := s.v.JournalConsistency(c.Request.Context(), principal(c), from)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := journalProofJSON{Size: p.Size, Hash: base64.StdEncoding.EncodeToString(p.Hash[:]), Signed: p.Signed,
		Checkpoint: string(p.Checkpoint), From: from, WentBack: from > p.Size, Proof: []string{}}
	for _, h := range p.Proof {
		out.Proof = append(out.Proof, base64.StdEncoding.EncodeToString(h[:]))
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// export streams every document of the owner as a zip: ?format=pdf (plain
// PDFs and a manifest) or age (the encrypted files and their keys).
func (s *server) export(c *gin.Context) {
	format := vault.ExportFormat(c.DefaultQuery("format", string(vault.ExportPDF)))
	if format != vault.ExportPDF && format != vault.ExportAge {
		writeError(c, s.log, fieldErr("format", "api.format.format_pdf_age"))
		return
	}
	lw := &lazyWriter{c: c, header: func(h http.Header) {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", attachment("coffre-export-"+string(format)+".zip"))
	}}
	err := s.v.Export(c.Request.Context(), principal(c), lw, format, apiLoc(c).T("export.readme"))
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
		writeError(c, s.log, fieldErr("confirm", "api.confirm.confirm_everything_should"))
		return
	}
	if err := s.v.DeleteAccount(c.Request.Context(), principal(c)); err != nil {
		writeError(c, s.log, err)
		return
	}
	s.clearCookie(c)
	c.Status(http.StatusNoContent)
}
