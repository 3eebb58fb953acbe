package api

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// Idempotent submissions of the owner's "add a paper" form: the form
// carries a key (made when the form is shown, made again by the page's
// script whenever the pages change); a submission sent again with the same
// key finds the paper the first one stored instead of storing a second.

// submissionWait is how long a retry waits for the first attempt, still
// being stored, to finish.
const submissionWait = 30 * time.Second

// newSubmissionKey is a fresh idempotency key (128 random bits).
func newSubmissionKey() string {
	return rand.Text()
}

// sameSubmission answers a submission whose key was already used: it goes
// to the paper stored the first time (waiting a while when that one is
// still being stored) and reports true; false when nothing was stored
// under the key, for the caller to store it.
func (s *server) sameSubmission(c *gin.Context, owner *vault.Principal, key string, p *page) bool {
	ctx := c.Request.Context()
	deadline := time.Now().Add(submissionWait)
	for {
		doc, state, err := s.v.Submission(ctx, owner, key)
		switch {
		case err != nil:
			s.webError(c, err)
			return true
		case state == vault.SubmissionNone:
			return false
		case state == vault.SubmissionDone:
			redirectDone(c, "/papers/"+doc.ID, "addedonce")
			return true
		}
		if time.Now().After(deadline) {
			p.Error = p.L.T("add.stillsaving")
			s.render(c, http.StatusConflict, "add", p)
			return true
		}
		select {
		case <-ctx.Done():
			return true
		case <-time.After(300 * time.Millisecond):
		}
	}
}
