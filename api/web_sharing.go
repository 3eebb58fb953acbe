package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/vault"
)

// The owner's sharing pages: consents, drop links, requests, journal and
// account.

func (s *server) sharingPages(g *gin.RouterGroup) {
	g.GET("/share", s.webConsents)
	g.POST("/share", s.webShare)
	g.POST("/share/:id/revoke", s.webRevokeConsent)
	g.POST("/share/:id/undo", s.webUndoRevoke) // web_people.go
	g.GET("/links", s.webLinks)
	g.POST("/links", s.webCreateLink)
	g.GET("/links/new", s.webNewLink)
	g.POST("/links/:id/revoke", s.webRevokeLink)
	g.GET("/requests", s.webRequests)
	g.POST("/requests/:id/accept", s.webAcceptRequest)
	g.POST("/requests/:id/decline", s.webDeclineRequest)
	g.GET("/journal", s.webJournal)
	s.shareCodePages(g) // web_sharecode.go
}

func (s *server) accountPages(g *gin.RouterGroup) {
	g.GET("/account", s.webAccount)
	g.POST("/account/recovery", s.webNewRecovery) // confirmed (web_confirm.go)
	g.POST("/account/export", s.webExport)        // confirmed
	g.GET("/account/keys", s.webKeysForm)
	g.POST("/account/keys", s.webRotateKeys) // confirmed
	g.GET("/account/delete", s.webDeleteAccountForm)
	g.POST("/account/delete", s.webDeleteAccount)              // confirmed
	g.GET(secretDuePath, s.webSecretForm)                      // secret_gate.go
	g.POST(secretDuePath, s.webChangeSecret)                   // confirmed by the current secret
	g.POST("/account/passkeys/:id/delete", s.webRemovePasskey) // confirmed (web_passkeys.go)
}

// consentRow is a consent as the owner's list shows it.
type consentRow struct {
	vault.Consent
	Who string
	// What says in words what it covers (scopeWords).
	What []string
}

func (s *server) webConsents(c *gin.Context) {
	ctx, pr := c.Request.Context(), principal(c)
	l := webLang(c)
	ks, err := s.v.Consents(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	titles := s.docTitles(ctx, l, pr)
	var live, past []consentRow
	for _, k := range ks {
		r := consentRow{Consent: k, Who: k.GranteeName}
		if r.Who == "" && k.Grantee.Kind == vault.KindOrganisation {
			if info, err := s.v.OrganisationInfo(ctx, k.Grantee.ID); err == nil {
				r.Who = info.Name
			}
		}
		if r.Who == "" {
			r.Who = l.T("share.someone")
		}
		r.What = scopeWords(l, k, titles)
		if k.Live {
			live = append(live, r)
		} else {
			past = append(past, r)
		}
	}
	p := s.newPage(c, "consents.title")
	p.Nav = "share"
	if id := c.Query("undo"); c.Query("done") == "revoked" && slices.ContainsFunc(live, func(r consentRow) bool { return r.ID == id }) {
		p.Notice = "" // taken back since: "Sharing stopped" is no longer true (a reload, or Back)
	}
	p.Data = map[string]any{"Live": live, "Past": past, "Undo": undoable(c, past)}
	s.render(c, http.StatusOK, "consents", p)
}

func (s *server) webRevokeConsent(c *gin.Context) {
	if err := s.v.RevokeConsent(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		s.webError(c, err)
		return
	}
	redirectDone(c, "/share?undo="+urlQueryEscape(c.Param("id")), "revoked")
}

type linksData struct {
	// From prefills the name the helper sees (the owner's display name).
	From   string
	Links  []vault.DropLink
	Groups []typeGroup
	Now    time.Time
	// Shown are the links this phone made within the hour (the sealed
	// cookie of their pages): their codes can be shown again.
	Shown map[string]bool
}

func (s *server) webLinks(c *gin.Context) {
	pr := principal(c)
	links, err := s.v.DropLinks(c.Request.Context(), pr, pr.ID())
	if err != nil {
		s.webError(c, err)
		return
	}
	p := s.newPage(c, "links.title")
	p.Nav = "links"
	d := linksData{Links: links, Groups: typeGroups(), Now: time.Now()}
	d.Shown = map[string]bool{}
	for _, nl := range s.shownLinks(c) {
		d.Shown[nl.ID] = true
	}
	if prof, err := s.v.OwnerProfile(c.Request.Context(), pr); err == nil {
		d.From = prof.DisplayName
	}
	p.Data = d
	s.render(c, http.StatusOK, "links", p)
}

// newLinkData is the page shown once after creating a link: its URL and
// QR code (the token appears nowhere else), its label and end.
type newLinkData struct {
	URL, QR       string
	ID, Label     string
	Expires, Made time.Time
}

func newLinkShown(base, token string, dl vault.DropLink, now time.Time) newLinkData {
	return newLinkData{URL: base + dropPath + token, QR: "/api/v1/drop/" + token + "/qr.svg", ID: dl.ID, Label: dl.Label,
		Expires: dl.Expires, Made: now}
}

// Links whose page this phone can show again: the last shownLinksKept
// made within newLinkMaxAge, newest first, as many as fit a cookie
// (shownLinksBytes sealed; a long Arabic label takes more).
const (
	shownLinksKept  = 3
	shownLinksBytes = 3000
)

// shownLinks are the links this phone made within the hour, newest first
// (newcomer's review: the link page promises "« Mes liens » le montre
// encore", which held only for the last one).
func (s *server) shownLinks(c *gin.Context) []newLinkData {
	var ls []newLinkData
	if !s.openSealed(c, s.linkCookie(), &ls) {
		return nil
	}
	now := s.v.Now()
	return slices.DeleteFunc(ls, func(nl newLinkData) bool { return nl.URL == "" || now.Sub(nl.Made) >= newLinkMaxAge })
}

// rememberLink keeps nl first among the links this phone can show again.
func (s *server) rememberLink(c *gin.Context, nl newLinkData) error {
	ls := slices.DeleteFunc(s.shownLinks(c), func(o newLinkData) bool { return o.ID == nl.ID })
	ls = append([]newLinkData{nl}, ls[:min(len(ls), shownLinksKept-1)]...)
	for len(ls) > 1 {
		if b, err := json.Marshal(ls); err == nil && len(b) <= shownLinksBytes {
			break
		}
		ls = ls[:len(ls)-1]
	}
	return s.setSealed(c, s.linkCookie(), ls, newLinkMaxAge)
}

// forgetLink removes a link that can no longer be shown.
func (s *server) forgetLink(c *gin.Context, id string) {
	ls := slices.DeleteFunc(s.shownLinks(c), func(o newLinkData) bool { return o.ID == id })
	if len(ls) == 0 || s.setSealed(c, s.linkCookie(), ls, newLinkMaxAge) != nil {
		s.clearSealed(c, s.linkCookie())
	}
}

// webCreateLink creates a drop link and shows it once, with its QR code.
func (s *server) webCreateLink(c *gin.Context) {
	pr := principal(c)
	l := webLang(c)
	label := strings.TrimSpace(c.PostForm("label"))
	if label == "" {
		label = l.T("links.defaultlabel")
	}
	hours, _ := strconv.Atoi(c.DefaultPostForm("hours", "24"))
	uses, _ := strconv.Atoi(c.DefaultPostForm("uses", "1"))
	from := strings.TrimSpace(c.PostForm("from"))
	if !vault.ValidLinkText(from, vault.MaxFromLen) {
		s.webError(c, fieldErr("from", "api.from.name_bad"))
		return
	}
	if !vault.ValidLinkText(label, vault.MaxLabelLen) || hours < 1 || time.Duration(hours)*time.Hour > vault.MaxLinkTTL ||
		uses < 1 || uses > vault.MaxLinkUses {
		s.webError(c, fieldErr("label", "api.label.check_label_duration"))
		return
	}
	var requested []string
	for _, t := range c.PostFormArray("type") {
		if _, ok := vault.DocTypeByID(t); ok {
			requested = append(requested, t)
		}
	}
	owner := pr.ID()
	if pr.Kind() == vault.KindWorker {
		owner = c.PostForm("owner")
	}
	token, dl, err := s.v.CreateDropLink(c.Request.Context(), pr, owner, vault.NewDropLink{
		Label: label, From: from, Requested: requested, TTL: time.Duration(hours) * time.Hour, MaxUses: uses,
		RequestID: c.PostForm("request"), Key: c.PostForm("key"),
	})
	if errors.Is(err, vault.ErrFormSpent) {
		err = errMalformedForm // the page loaded again has a fresh key
	}
	if err != nil {
		s.webError(c, err)
		return
	}
	// Shown by a redirect (a reload shows it again, never makes a second
	// link), from a cookie sealed to the session: the token is in no page
	// address and nowhere in clear.
	if err := s.rememberLink(c, newLinkShown(s.baseURL, token, dl, s.v.Now())); err != nil {
		s.webError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, newLinkPath(c))
}

// newLinkMaxAge bounds how long a new link's page can be shown again.
const newLinkMaxAge = time.Hour

func (s *server) linkCookie() string {
	if s.secure {
		return "__Host-coffre-newlink"
	}
	return "coffre-newlink"
}

// newLinkPath is the page showing the link just made.
func newLinkPath(c *gin.Context) string {
	if principal(c).Kind() == vault.KindWorker {
		return "/pro/links/new"
	}
	return "/links/new"
}

// webNewLink shows the link just made (again, on a reload), or with ?id=
// another this phone made within the hour.
func (s *server) webNewLink(c *gin.Context) {
	var nl newLinkData
	for _, l := range s.shownLinks(c) {
		if id := c.Query("id"); id == "" || id == l.ID {
			nl = l
			break
		}
	}
	if nl.URL == "" {
		back := "/links"
		if principal(c).Kind() == vault.KindWorker {
			back = "/pro"
		}
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	// The link may have served (a one-use link its helper just opened),
	// been stopped or run out of time since: its code is then not shown
	// again, to be handed to someone it would refuse.
	if err := s.linkLive(c, nl); err != nil {
		if !errors.Is(err, vault.ErrNoLink) {
			s.webError(c, err)
			return
		}
		s.forgetLink(c, nl.ID)
		switch {
		case principal(c).Kind() == vault.KindWorker:
			redirectDone(c, "/pro", "linkgone")
		case errors.Is(err, vault.ErrLinkUsedUp):
			// What it was for arrived: her papers show it (new).
			redirectDone(c, "/papers", "linkused")
		default:
			redirectDone(c, "/links", "linkgone")
		}
		return
	}
	p := s.newPage(c, "newlink.title")
	p.Nav = "links"
	p.Data = nl
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "newlink", p)
}

// linkLive reports whether the link shown on nl's page can still take a
// paper, as its helper opening it would find: nil, or vault.ErrNoLink
// (stopped, expired, a worker's link whose consent ended; also
// vault.ErrLinkUsedUp when only its uses are over), or another error.
func (s *server) linkLive(c *gin.Context, nl newLinkData) error {
	i := strings.LastIndex(nl.URL, dropPath)
	if i < 0 {
		return vault.ErrNoLink
	}
	_, err := s.v.DropLinkInfo(c.Request.Context(), nl.URL[i+len(dropPath):])
	if errors.Is(err, vault.ErrInvalid) {
		return fmt.Errorf("%w: %w", vault.ErrNoLink, err)
	}
	return err
}

func (s *server) webRevokeLink(c *gin.Context) {
	if err := s.v.RevokeDropLink(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		s.webError(c, err)
		return
	}
	back := "/links"
	if principal(c).Kind() == vault.KindWorker {
		back = "/pro"
	}
	redirectDone(c, back, "linkrevoked")
}

// requestRow is a request with the owner's papers that could answer it,
// the requested types whose later papers she may choose to share (not
// "other"), and until when the access would last.
type requestRow struct {
	vault.Request
	Matching []vault.Document
	Future   []string
	Until    time.Time
	// Missing are the asked types she has no paper of: once accepted, the
	// card offers the next step (add it, or a link for her helper that
	// answers this request).
	Missing []string
}

// requestsData is the requests page: the rows, and the name the owner
// gave (prefilling the name the worker will see).
type requestsData struct {
	Rows     []requestRow
	ShowName string
}

func (s *server) webRequests(c *gin.Context) { s.renderRequests(c, http.StatusOK, nil) }

// renderRequests shows the owner's requests, with fail on top when not nil
// (a secret not confirmed, say: nothing was accepted).
func (s *server) renderRequests(c *gin.Context, status int, fail error) {
	ctx, pr := c.Request.Context(), principal(c)
	reqs, err := s.v.Requests(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	docs, err := s.v.List(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	rows := make([]requestRow, 0, len(reqs))
	for _, r := range reqs {
		row := requestRow{Request: r, Until: time.Now().Add(time.Duration(r.Days) * 24 * time.Hour)}
		for _, t := range r.Types {
			if t != "other" {
				row.Future = append(row.Future, t)
			}
		}
		for _, d := range docs {
			for _, t := range r.Types {
				if d.Type == t {
					row.Matching = append(row.Matching, d)
					break
				}
			}
		}
		for _, t := range r.Types {
			if !slices.ContainsFunc(docs, func(d vault.Document) bool { return d.Type == t }) {
				row.Missing = append(row.Missing, t)
			}
		}
		rows = append(rows, row)
	}
	d := requestsData{Rows: rows}
	if prof, err := s.v.OwnerProfile(ctx, pr); err == nil {
		d.ShowName = prof.DisplayName
	}
	p := s.newPage(c, "requests.title")
	p.Nav = "requests"
	p.Data = d
	p.Canonical = "/requests"
	if fail != nil {
		p.Error = s.errorText(p.L, fail)
	}
	s.render(c, status, "requests", p)
}

// webAcceptRequest grants exactly what the accept screen showed ticked:
// the papers, the types whose later papers are shared, the name shown.
// Accepting grants a consent: the owner confirms her secret in the form
// (webConfirm) unless she did within vault.ConfirmWindow.
func (s *server) webAcceptRequest(c *gin.Context) {
	name := strings.TrimSpace(c.PostForm("show_name"))
	if len(name) > vault.MaxShowNameLen {
		s.webError(c, fieldErr("show_name", "api.show_name.name_too_long"))
		return
	}
	acceptFail := func(c *gin.Context, err error) { s.renderRequests(c, classify(err).status, err) }
	if !s.webConfirm(c, acceptFail) {
		return
	}
	if _, err := s.v.AcceptRequest(c.Request.Context(), principal(c), c.Param("id"), vault.Acceptance{
		Documents: c.PostFormArray("doc"), Future: c.PostFormArray("future"), ShowName: name,
	}); errors.Is(err, vault.ErrConfirmRequired) || errors.Is(err, vault.ErrNothingChosen) {
		// Nothing ticked: the page again, saying so (nothing is ticked for
		// her: a tap on "Accept" shares only what she chose).
		acceptFail(c, err)
		return
	} else if err != nil {
		s.webError(c, err)
		return
	}
	redirectDone(c, "/requests", "accepted")
}

func (s *server) webDeclineRequest(c *gin.Context) {
	if err := s.v.DeclineRequest(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		s.webError(c, err)
		return
	}
	redirectDone(c, "/requests", "declined")
}

// journalRow is one line of "who saw my papers".
type journalRow struct {
	Text  string
	Actor string
	Icon  string
}

func (s *server) webJournal(c *gin.Context) {
	events, err := s.v.Journal(c.Request.Context(), principal(c))
	if err != nil {
		s.webError(c, err)
		return
	}
	l, now := webLang(c), time.Now()
	rows := make([]journalRow, 0, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		icon := "clock"
		switch {
		case e.ActorKind == vault.ActorWorker:
			icon = "eye"
		case e.ActorKind == vault.ActorHelper:
			icon = "camera"
		case strings.HasPrefix(e.Kind, "consent"):
			icon = "share"
		}
		rows = append(rows, journalRow{Text: l.EventText(e, now), Actor: e.ActorKind, Icon: icon})
	}
	data := journalData{Rows: rows, OwnerID: principal(c).ID()}
	if cp, err := s.v.JournalCheckpoint(c.Request.Context(), principal(c)); err == nil {
		data.Size, data.Fingerprint = int(cp.Size), cp.Fingerprint()
		data.Hash = base64.StdEncoding.EncodeToString(cp.Hash[:])
	}
	p := s.newPage(c, "journal.title")
	p.Nav = "journal"
	p.Data = data
	p.Scripts = []string{"journal.js"}
	s.render(c, http.StatusOK, "journal", p)
}

// journalData is the journal page: its lines, newest first, and the
// checkpoint the browser keeps and checks (journal.js).
type journalData struct {
	Rows        []journalRow
	OwnerID     string
	Size        int
	Hash        string
	Fingerprint string
}

// accountData is the account page: the profile and whether the recovery
// sheet must be made again (cancelled by an assisted recovery).
type accountData struct {
	vault.Profile
	SheetDue bool
	// PasskeyList is the owner's passkeys (web_passkeys.go).
	PasskeyList []vault.Passkey
}

func (s *server) webAccount(c *gin.Context) {
	s.renderAccount(c, http.StatusOK, nil)
}

// renderAccount shows the account page, with err explained on top.
func (s *server) renderAccount(c *gin.Context, status int, err error) {
	p := s.newPage(c, "account.title")
	if err != nil {
		p.Error = s.errorText(p.L, err)
	}
	p.Nav = "account"
	ctx, pr := c.Request.Context(), principal(c)
	var d accountData
	if prof, err := s.v.OwnerProfile(ctx, pr); err == nil {
		d.Profile = prof
		d.SheetDue, _ = s.v.RecoverySheetDue(ctx, pr)
	}
	d.PasskeyList, _ = s.v.Passkeys(ctx, pr) // best effort: the page still shows the rest
	p.Data = d
	s.render(c, status, "account", p)
}

// webNewRecovery replaces the recovery code (a lost sheet) and shows the
// new one once, to print.
func (s *server) webNewRecovery(c *gin.Context) {
	if !s.webConfirm(c, s.accountFail) {
		return
	}
	ctx, pr := c.Request.Context(), principal(c)
	prof, err := s.v.OwnerProfile(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	code, err := s.v.NewRecoveryCode(ctx, pr)
	if err != nil {
		s.webError(c, err)
		return
	}
	s.showSheet(c, newSheetData(prof.Identifier, code, "/account"))
}

func (s *server) webDeleteAccountForm(c *gin.Context) {
	p := s.newPage(c, "deleteaccount.title")
	p.Nav = "account"
	s.render(c, http.StatusOK, "deleteaccount", p)
}

func (s *server) webDeleteAccount(c *gin.Context) {
	if c.PostForm("confirm") == "" {
		c.Redirect(http.StatusSeeOther, "/account/delete")
		return
	}
	if !s.webConfirm(c, func(c *gin.Context, err error) {
		p := s.newPage(c, "deleteaccount.title")
		p.Nav, p.Error = "account", s.errorText(p.L, err)
		s.render(c, classify(err).status, "deleteaccount", p)
	}) {
		return
	}
	if err := s.v.DeleteAccount(c.Request.Context(), principal(c)); err != nil {
		s.webError(c, err)
		return
	}
	s.clearCookie(c)
	redirectDone(c, "/", "accountdeleted")
}
