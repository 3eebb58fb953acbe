package api

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// The social worker's pages: the people who consented, requests and their
// progress, downloading a paper or a whole dossier fitted to a portal, and
// creating a vault for a person who is present.

func (s *server) workerPages(g *gin.RouterGroup) {
	g.GET("", s.webPro)
	g.GET("/people/:owner", s.webPerson)
	g.GET("/people/:owner/dossier", s.webDossier)
	g.GET("/people/:owner/papers/:id/file", s.workerDownload) // web_errors.go
	g.GET("/requests/new", s.webRequestForm)
	g.POST("/requests", s.webCreateRequest)
	g.GET("/signup", s.webProSignupForm)
	g.POST("/signup", s.limit(s.login), s.webSignup)
	g.POST("/links", s.webCreateLink)
	g.POST("/people/:owner/papers/:id/redo", s.webAskRedo) // redos.go
	g.GET("/links/new", s.webNewLink)
	g.POST("/links/:id/revoke", s.webRevokeLink)
	g.GET("/account", s.webProAccount)                         // web_passkeys.go
	g.POST("/account/passkeys/:id/delete", s.webRemovePasskey) // confirmed
	g.POST("/code", s.webNewShareCode)                         // web_sharecode.go
	g.GET("/code/live", s.webShareCodeLive)                    // web_sharecode.go
}

// person is someone who consented to the worker (or their organisation).
type person struct {
	OwnerID, Name string
	// Lang is the person's language (a catalogue code), when known.
	Lang     string
	Purposes []string
	Until    time.Time
	Docs     []vault.Document
}

// people groups the worker's live consents and readable papers by owner.
func (s *server) people(c *gin.Context) ([]*person, error) {
	ctx, pr := c.Request.Context(), principal(c)
	ks, err := s.v.Consents(ctx, pr)
	if err != nil {
		return nil, err
	}
	docs, err := s.v.List(ctx, pr)
	if err != nil {
		return nil, err
	}
	byOwner := map[string]*person{}
	var out []*person
	for _, k := range ks {
		if !k.Live {
			continue
		}
		p := byOwner[k.OwnerID]
		if p == nil {
			p = &person{OwnerID: k.OwnerID, Name: k.OwnerName}
			byOwner[k.OwnerID] = p
			out = append(out, p)
		}
		if p.Name == "" {
			p.Name = k.OwnerName
		}
		if p.Lang == "" {
			p.Lang = k.OwnerLang
		}
		if k.Purpose != "" && !slices.Contains(p.Purposes, k.Purpose) {
			p.Purposes = append(p.Purposes, k.Purpose)
		}
		if k.Expires.After(p.Until) {
			p.Until = k.Expires
		}
	}
	for _, d := range docs {
		if p := byOwner[d.OwnerID]; p != nil {
			p.Docs = append(p.Docs, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// requestProgress is a sent request with how much of it is answered.
type requestProgress struct {
	vault.Request
	Done, Total int
}

type proData struct {
	People   []*person
	Requests []requestProgress
	Name     string
	Org      string
	// Messages are the worker's unread messages (a person stopped
	// sharing, papers arrived).
	Messages []inboxRow
	// Code is the worker's share code while it works (web_sharecode.go).
	Code *codeView
}

func (s *server) webPro(c *gin.Context) {
	ctx, pr := c.Request.Context(), principal(c)
	people, err := s.people(c)
	if err != nil {
		s.webError(c, err)
		return
	}
	reqs, err := s.v.Requests(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	d := proData{People: people}
	for _, r := range reqs {
		rp := requestProgress{Request: r, Total: len(r.Types)}
		for _, t := range r.Types {
			if r.Fulfilled[t] {
				rp.Done++
			}
		}
		d.Requests = append(d.Requests, rp)
	}
	if info, err := s.v.WorkerInfo(ctx, pr.ID()); err == nil {
		d.Name, d.Org = info.Name, info.OrgName
	}
	d.Messages = s.unreadMessages(c)
	d.Code = s.liveCode(c)
	p := s.newPage(c, "pro.title")
	p.Nav = "pro"
	p.Data = d
	s.render(c, http.StatusOK, "pro", p)
}

type personData struct {
	Person   *person
	Profiles []converter.Profile
	Groups   []typeGroup
	// Redo says, per paper id, whether a redo may be asked and how the
	// latest stands (redos.go); Reasons are the reasons to choose from.
	Redo    map[string]redoItem
	Reasons []string
	// Mine is the worker's own language while the page is shown in the
	// person's (?lang=): the way back is written in it. Shown says so.
	Mine  loc
	Shown bool
}

// findPerson returns the consenting person, or a 404 that says nothing of
// whether the owner exists.
func (s *server) findPerson(c *gin.Context) (*person, bool) {
	people, err := s.people(c)
	if err != nil {
		s.webError(c, err)
		return nil, false
	}
	for _, p := range people {
		if p.OwnerID == c.Param("owner") {
			return p, true
		}
	}
	if s.sharingStopped(c, c.Param("owner")) {
		return nil, false
	}
	s.webError(c, errNotFound)
	return nil, false
}

func (s *server) webPerson(c *gin.Context) {
	who, ok := s.findPerson(c)
	if !ok {
		return
	}
	p := s.newPage(c, "person.title")
	p.Nav = "pro"
	mine := ownLang(c)
	p.Data = personData{Person: who, Profiles: converter.Profiles(), Groups: typeGroups(), Redo: s.redoItems(c, who), Reasons: vault.RedoReasons,
		Mine: mine, Shown: p.L.Lang() != mine.Lang()}
	s.render(c, http.StatusOK, "person", p)
}

// webDossier merges every paper the person consented to into one PDF
// fitted to a portal profile (each download is journaled for the owner).
func (s *server) webDossier(c *gin.Context) {
	who, ok := s.findPerson(c)
	if !ok {
		return
	}
	profile := c.DefaultQuery("profile", converter.GenericProfileID)
	if _, err := converter.LookupProfile(profile); err != nil {
		s.webError(c, fieldErr("profile", "api.profile.unknown_portal_profile"))
		return
	}
	if len(who.Docs) == 0 {
		s.webError(c, errNotFound)
		return
	}
	ctx := c.Request.Context()
	release, err := s.acquireUpload(ctx)
	if err != nil {
		s.webError(c, err)
		return
	}
	defer release()
	var inputs []converter.Input
	var total int64
	for _, d := range who.Docs {
		rc, _, err := s.v.Download(ctx, principal(c), d.ID)
		if err != nil {
			s.webError(c, err)
			return
		}
		in, err := converter.ReadInput(rc, safeFilename(d.Title, ".pdf"), s.limits.DownloadBytes)
		_ = rc.Close()
		if err == nil {
			total += int64(len(in.Data))
			if total > s.limits.DownloadBytes {
				err = converter.ErrInputTooLarge
			}
		}
		if err != nil {
			if errors.Is(err, converter.ErrInputTooLarge) {
				err = newErr(http.StatusRequestEntityTooLarge, "too_large", "api.too_large.dossier_too_large")
			}
			s.webError(c, err)
			return
		}
		inputs = append(inputs, in)
	}
	lw := &lazyWriter{c: c, header: func(h http.Header) {
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Disposition", attachment(safeFilename(webLang(c).T("person.dossierfile", who.Name, profile), ".pdf")))
	}}
	_, err = s.convert(ctx, "download", inputs, converter.Options{Profile: profile}, lw)
	if err != nil && !lw.started {
		s.webError(c, err)
		return
	}
	if err != nil {
		panic(http.ErrAbortHandler)
	}
}

type requestForm struct {
	Groups     []typeGroup
	Days       []int
	Identifier string
}

func (s *server) webRequestForm(c *gin.Context) {
	p := s.newPage(c, "newrequest.title")
	p.Nav = "pro"
	p.Data = requestForm{Groups: typeGroupsOf(true), Days: vault.ConsentDays}
	s.render(c, http.StatusOK, "newrequest", p)
}

// webCreateRequest asks a person, by their identifier, for a checklist of
// papers.
func (s *server) webCreateRequest(c *gin.Context) {
	ctx := c.Request.Context()
	p := s.newPage(c, "newrequest.title")
	p.Nav = "pro"
	ident := strings.TrimSpace(c.PostForm("identifier"))
	p.Data = requestForm{Groups: typeGroupsOf(true), Days: vault.ConsentDays, Identifier: ident}
	fail := func(status int, msg string) {
		p.Error = msg
		s.render(c, status, "newrequest", p)
	}
	if _, err := vault.NormalizeIdentifier(ident); err != nil {
		fail(http.StatusUnprocessableEntity, p.L.T("newrequest.badidentifier"))
		return
	}
	days, _ := strconv.Atoi(c.PostForm("days"))
	types := c.PostFormArray("type")
	purpose := strings.TrimSpace(c.PostForm("purpose"))
	if len(types) == 0 || purpose == "" || !slices.Contains(vault.ConsentDays, days) {
		fail(http.StatusUnprocessableEntity, p.L.T("newrequest.missing"))
		return
	}
	// The same page whether or not a vault has this identifier.
	if _, err := s.v.CreateRequestByIdentifier(ctx, principal(c), ident, vault.NewRequest{
		Purpose: purpose, Types: types, Days: days, Message: strings.TrimSpace(c.PostForm("message")),
	}); err != nil {
		fail(classify(err).status, s.errorText(p.L, err))
		return
	}
	redirectDone(c, "/pro", "requestsent")
}

func (s *server) webProSignupForm(c *gin.Context) {
	p := s.newPage(c, "prosignup.title")
	p.Nav = "pro"
	p.Data = s.signupForm(c, authForm{})
	s.render(c, http.StatusOK, "prosignup", p)
}
