package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

type requestJSON struct {
	ID         string          `json:"id"`
	OwnerID    string          `json:"owner_id"`
	WorkerID   string          `json:"worker_id"`
	WorkerName string          `json:"worker_name,omitempty"`
	OrgName    string          `json:"org_name,omitempty"`
	Purpose    string          `json:"purpose"`
	Types      []string        `json:"types"`
	Days       int             `json:"days"`
	Message    string          `json:"message,omitempty"`
	Status     string          `json:"status"`
	Fulfilled  map[string]bool `json:"fulfilled"`
	Created    time.Time       `json:"created"`
	ConsentID  string          `json:"consent_id,omitempty"`
}

func requestOut(r vault.Request) requestJSON {
	f := r.Fulfilled
	if f == nil {
		f = map[string]bool{}
	}
	return requestJSON{
		ID: r.ID, OwnerID: r.OwnerID, WorkerID: r.WorkerID, WorkerName: r.WorkerName, OrgName: r.OrgName,
		Purpose: r.Purpose, Types: nonNil(r.Types), Days: r.Days, Message: r.Message, Status: r.Status,
		Fulfilled: f, Created: r.Created.UTC(), ConsentID: r.ConsentID,
	}
}

type createRequestReq struct {
	OwnerID         string   `json:"owner_id"`
	OwnerIdentifier string   `json:"owner_identifier"`
	Purpose         string   `json:"purpose"`
	Types           []string `json:"types"`
	Days            int      `json:"days"`
	Message         string   `json:"message"`
}

// createRequest: a worker asks an owner (by id, or by the identifier the
// person gives) for a checklist of document types, for a purpose. By
// identifier, the answer does not tell whether a vault has it: the request
// waits for the person either way (vault.CreateRequestByIdentifier).
func (s *server) createRequest(c *gin.Context) {
	var req createRequestReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	switch {
	case len(req.Types) == 0 || len(req.Types) > 30:
		writeError(c, s.log, fieldErr("types", "api.types.ask_1_30"))
		return
	case !slices.Contains(vault.ConsentDays, req.Days):
		writeError(c, s.log, fieldErr("days", "api.days.access_lasts_1"))
		return
	case strings.TrimSpace(req.Purpose) == "" || len(req.Purpose) > maxPurposeLen:
		writeError(c, s.log, fieldErr("purpose", "api.purpose.say_what_papers"))
		return
	case len(req.Message) > 2*maxPurposeLen:
		writeError(c, s.log, fieldErr("message", "api.message.message_too_long"))
		return
	case (req.OwnerID == "") == (req.OwnerIdentifier == ""):
		writeError(c, s.log, fieldErr("owner_id", "api.owner_id.give_either_owner"))
		return
	}
	for _, t := range req.Types {
		if _, ok := vault.DocTypeByID(t); !ok {
			writeError(c, s.log, fieldErr("types", "api.type.unknown_paper_type"))
			return
		}
	}
	ctx := c.Request.Context()
	nr := vault.NewRequest{OwnerID: req.OwnerID, Purpose: strings.TrimSpace(req.Purpose), Types: req.Types, Days: req.Days, Message: req.Message}
	var r vault.Request
	var err error
	if req.OwnerIdentifier != "" {
		// The same answer whether or not a vault has this identifier.
		r, err = s.v.CreateRequestByIdentifier(ctx, principal(c), req.OwnerIdentifier, nr)
	} else {
		r, err = s.v.CreateRequest(ctx, principal(c), nr)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, requestOut(r))
}

// listRequests: requests an owner received, or a worker sent (with
// progress).
func (s *server) listRequests(c *gin.Context) {
	rs, err := s.v.Requests(c.Request.Context(), principal(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]requestJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, requestOut(r))
	}
	c.JSON(http.StatusOK, gin.H{"requests": out})
}

// acceptReq is what the owner chose: exactly the documents ticked, and the
// requested types whose papers she adds until the consent ends (an
// explicit choice; never "other"), and the name the worker sees.
type acceptReq struct {
	Documents   []string `json:"documents"`
	FutureTypes []string `json:"future_types"`
	ShowName    string   `json:"show_name"`
}

// acceptRequest: the owner accepts, choosing documents (and, if she wants,
// types of papers she adds later); a consent is created for the request's
// duration and nothing else is shared.
func (s *server) acceptRequest(c *gin.Context) {
	var req acceptReq
	if err := decodeOptionalJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if len(req.ShowName) > vault.MaxShowNameLen {
		writeError(c, s.log, fieldErr("show_name", "api.show_name.name_too_long"))
		return
	}
	k, err := s.v.AcceptRequest(c.Request.Context(), principal(c), c.Param("id"), vault.Acceptance{
		Documents: req.Documents, Future: req.FutureTypes, ShowName: strings.TrimSpace(req.ShowName),
	})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, s.consentWithWords(c, k))
}

// declineRequest: the owner says no.
func (s *server) declineRequest(c *gin.Context) {
	var req struct{}
	if err := decodeOptionalJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := s.v.DeclineRequest(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
