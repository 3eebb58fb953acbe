package api

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

// The owner's pages: papers by category, adding a paper, a paper's page
// (view, download for an administration, expiry, delete), sharing, drop
// links, requests, journal and account (export, recovery sheet, sign out).

func (s *server) ownerPages(g *gin.RouterGroup) {
	g.GET("/papers", s.webPapers)
	g.GET("/papers/add", s.webAddForm)
	g.POST("/papers/add", s.webAdd)
	g.POST("/papers/check", s.limit(s.drop), s.webCheckPage) // capture.go: counted like the helper's pages
	g.GET("/papers/:id", s.webPaper)
	g.GET("/papers/:id/view", s.webView)
	g.GET("/papers/:id/pages/:n", s.webPageImage) // web_preview.go
	g.GET("/papers/:id/file", s.downloadDocument)
	g.POST("/papers/:id/edit", s.webEdit)
	g.POST("/papers/:id/kind", s.webFile) // web_kinds.go
	g.GET("/papers/:id/delete", s.webDeleteForm)
	g.POST("/papers/:id/delete", s.webDelete)
	g.GET("/papers/:id/share", s.webShareForm)
	g.POST("/redos/:id/forward", s.webForwardRedo) // redos.go
	s.sharingPages(g)
	s.accountPages(g)
	s.notifyPages(g) // web_notify.go
}

// docRow is a paper as lists show it.
type docRow struct {
	vault.Document
	// Soon: expires within the type's notice period; Expired: past.
	Soon, Expired bool
	// RenewalURL is the official page to renew it, when known.
	RenewalURL string
	// Suggest are the likely types of an unfiled paper (web_kinds.go).
	Suggest []string
	// Replaced: a redo closed with another paper (when); Replacement:
	// this paper closed a redo. Both are said, so that two papers of the
	// same type after a redo are told apart.
	Replaced    time.Time
	Replacement bool
}

func (s *server) docRow(d vault.Document) docRow {
	r := docRow{Document: d, Suggest: suggestions(d)}
	if d.Expires.IsZero() {
		return r
	}
	now := time.Now()
	notice := 60
	if t, ok := vault.DocTypeByID(d.Type); ok {
		if t.NoticeDays > 0 {
			notice = t.NoticeDays
		}
		r.RenewalURL = t.RenewalURL
	}
	r.Expired = !d.Expires.After(now)
	r.Soon = !r.Expired && d.Expires.Before(now.AddDate(0, 0, notice))
	return r
}

// KeptPage reports whether page n was sent although the readability check
// asked for it again.
func (r docRow) KeptPage(n int) bool {
	return slices.ContainsFunc(r.Checks, func(c vault.PageCheck) bool { return c.Page == n })
}

// catGroup is one category of the owner's papers.
type catGroup struct {
	ID   string
	Docs []docRow
}

func (s *server) webPapers(c *gin.Context) {
	docs, err := s.v.List(c.Request.Context(), principal(c))
	if err != nil {
		s.webError(c, err)
		return
	}
	// Her redos, read once: the open ones go on top of her papers, the
	// closed ones tell an old paper from its replacement.
	var open []vault.Redo
	replaced, replacement := map[string]time.Time{}, map[string]bool{}
	if rs, err := s.v.Redos(c.Request.Context(), principal(c)); err == nil {
		for _, r := range rs {
			switch {
			case r.Status != vault.RedoClosed:
				open = append(open, r)
			case r.ReplacementID != "":
				replaced[r.DocumentID], replacement[r.ReplacementID] = r.Closed, true
			}
		}
	}
	byCat := map[string][]docRow{}
	for i := len(docs) - 1; i >= 0; i-- { // newest first
		row := s.docRow(docs[i])
		row.Replaced, row.Replacement = replaced[row.ID], replacement[row.ID]
		byCat[docs[i].Category] = append(byCat[docs[i].Category], row)
	}
	var groups []catGroup
	for _, cat := range vault.Categories() {
		if rows := byCat[cat.ID]; len(rows) > 0 {
			groups = append(groups, catGroup{ID: cat.ID, Docs: rows})
		}
	}
	p := s.newPage(c, "papers.title")
	p.Nav = "papers"
	p.Filed = s.filedFrom(c)
	p.AskList = s.pendingAsks(c, p.Asks)
	p.RedoList = open
	p.Data = groups
	s.render(c, http.StatusOK, "papers", p)
}

// typeGroup is a category with its document types, for choosers.
type typeGroup struct {
	ID    string
	Types []string
}

func typeGroups() []typeGroup { return typeGroupsOf(false) }

// typeGroupsOf lists the catalogue's types by category; the type "other"
// ("another paper") only with withOther: choosers that have their own
// "another paper" or "I don't know" leave it out, so it is never listed
// twice. A worker's request may ask for "another paper".
func typeGroupsOf(withOther bool) []typeGroup {
	var out []typeGroup
	idx := map[string]int{}
	for _, cat := range vault.Categories() {
		idx[cat.ID] = len(out)
		out = append(out, typeGroup{ID: cat.ID})
	}
	for _, t := range vault.DocTypes() {
		// "other" reads like the choosers' own "another paper": never twice.
		if unfiled(t.ID) && !withOther {
			continue
		}
		if i, ok := idx[t.Category]; ok {
			out[i].Types = append(out[i].Types, t.ID)
		}
	}
	return slices.DeleteFunc(out, func(g typeGroup) bool { return len(g.Types) == 0 })
}

type addForm struct {
	Groups []typeGroup
	Type   string
	Title  string
	// Key is the submission's idempotency key (a retry sends it again).
	Key string
}

func (s *server) webAddForm(c *gin.Context) {
	p := s.newPage(c, "add.title")
	p.Nav = "add"
	p.Scripts = []string{"shrink.js", "verdict.js", "corners.js", "upload.js", "coach.js"}
	p.Data = addForm{Groups: typeGroups(), Type: c.Query("type"), Key: newSubmissionKey()}
	s.render(c, http.StatusOK, "add", p)
}

// webAdd stores a paper from photos or a PDF sent by the form (the csrf
// field first), converted into one PDF and encrypted as it is stored.
func (s *server) webAdd(c *gin.Context) {
	ctx := c.Request.Context()
	up, err := s.readUpload(c, "type", "title", "expires", "next", "key", "corners") // the body first: a slot only once it is in
	if err == nil {
		err = formCorners(up)
	}
	p := s.newPage(c, "add.title")
	p.Nav, p.Scripts = "add", []string{"shrink.js", "verdict.js", "corners.js", "upload.js", "coach.js"}
	p.Data = addForm{Groups: typeGroups(), Key: newSubmissionKey()}
	var release func()
	if err == nil {
		release, err = s.acquireUpload(ctx)
	}
	if err != nil {
		p.Error = s.errorText(p.L, err)
		s.render(c, classify(err).status, "add", p)
		return
	}
	defer release()
	key := up.fields["key"]
	p.Data = addForm{Groups: typeGroups(), Type: up.fields["type"], Title: up.fields["title"], Key: key}
	if key != "" && !vault.ValidSubmissionKey(key) {
		key = ""
	}
	owner := principal(c)
	// The same submission again (a retry after a lost answer): never a
	// second paper.
	if key != "" && s.sameSubmission(c, owner, key, p) {
		return
	}
	delete(up.fields, "key")
	delete(up.fields, "corners")
	nd, err := newDocumentFields(up.fields, p.L)
	if err != nil {
		p.Error = s.errorText(p.L, err)
		s.render(c, classify(err).status, "add", p)
		return
	}
	nd.Profile = converter.GenericProfileID
	nd.Key = key
	var doc vault.Document
	_, err = s.convertAndStore(ctx, up.pages, converter.Options{Kind: pdfKind(nd.Category)}, nd, func(nd vault.NewDocument, r io.Reader) error {
		var err error
		doc, err = s.v.AddOwnDocument(ctx, owner, nd, r)
		return err
	})
	if err != nil && key != "" && errors.Is(err, vault.ErrConflict) && s.sameSubmission(c, owner, key, p) {
		return
	}
	if err != nil {
		p.Error = s.errorText(p.L, err)
		s.render(c, classify(err).status, "add", p)
		return
	}
	redirectDone(c, "/papers/"+doc.ID, "added")
}

type paperData struct {
	Doc      docRow
	Groups   []typeGroup
	Profiles []converter.Profile
	// PageNums numbers the pages, for their previews.
	PageNums []int
	// KeptLabel names the link that asks for the kept pages again, and
	// From prefills the name it shows her helper (her display name, in a
	// field she sees and may empty).
	KeptLabel, From string
	// KindOpen opens the full list of types ("Another type…").
	KindOpen bool
	// Asked is the newest link she made to ask for the kept pages again
	// (nil: none); Live while it takes a photo, Used once it brought one.
	Asked *askedLink
}

// askedLink is a link asking for a paper's kept pages again.
type askedLink struct {
	vault.DropLink
	Live, Used bool
}

// askedFor finds, among her links, the newest that asks for label's pages
// again (made by her, with that label).
func askedFor(ls []vault.DropLink, label string, now time.Time) *askedLink {
	var best *vault.DropLink
	for i := range ls {
		l := &ls[i]
		if l.Label == label && l.CreatedBy.Kind == vault.KindOwner && (best == nil || l.Created.After(best.Created)) {
			best = l
		}
	}
	if best == nil {
		return nil
	}
	used := best.Uses > 0
	return &askedLink{DropLink: *best, Used: used, Live: !used && !best.Revoked && now.Before(best.Expires)}
}

// keptLabel is the label of a link asking for d's kept pages again
// ("New photo: Payslip, page 2"), within a link label's length.
func keptLabel(l loc, d docRow) string {
	if len(d.Checks) == 0 {
		return ""
	}
	pages := make([]string, len(d.Checks))
	for i, c := range d.Checks {
		pages[i] = strconv.Itoa(c.Page)
	}
	// The paper's type, never its title: the label is shown to the helper,
	// and a title she wrote is hers alone.
	// An unfiled paper: named by the day it was sent, which the helper
	// who sent it knows ("Papier reçu par un lien…" told her nothing).
	name := l.T("paper.kept.sentpaper", l.Date(d.Created))
	if !unfiled(d.Type) {
		name = l.DocType(d.Type)
	}
	title := []rune(name)
	for {
		label := l.T("paper.kept.linklabel", string(title), strings.Join(pages, ", "))
		if utf8.RuneCountInString(label) <= vault.MaxLabelLen || len(title) == 0 {
			return label
		}
		title = title[:len(title)-1]
	}
}

func (s *server) webPaper(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := s.v.Document(ctx, principal(c), c.Param("id"))
	if err != nil {
		s.webError(c, err)
		return
	}
	// She opened it: no longer new (this page still says it was).
	if d.New {
		if err := s.v.MarkOpened(ctx, principal(c), d.ID); err != nil {
			s.webError(c, err)
			return
		}
	}
	p := s.newPage(c, "paper.title")
	p.Nav = "papers"
	p.Filed = s.filedFrom(c)
	nums := make([]int, min(max(d.Pages, 1), maxPreviewPages))
	for i := range nums {
		nums[i] = i + 1
	}
	row := s.docRow(d)
	pd := paperData{Doc: row, Groups: typeGroups(), Profiles: converter.Profiles(), PageNums: nums, KeptLabel: keptLabel(p.L, row),
		KindOpen: c.Query("kind") == "1"}
	if pd.KeptLabel != "" {
		if prof, err := s.v.OwnerProfile(ctx, principal(c)); err == nil {
			pd.From = prof.DisplayName
		}
		// A new photo already asked for: said, with the name it showed
		// (newcomer's review: the page looked the same, she asked twice).
		if ls, err := s.v.DropLinks(ctx, principal(c), principal(c).ID()); err == nil {
			pd.Asked = askedFor(ls, pd.KeptLabel, s.v.Now())
			if pd.Asked != nil && pd.Asked.From != "" {
				pd.From = pd.Asked.From
			}
		}
	}
	p.Data = pd
	s.render(c, http.StatusOK, "paper", p)
}

// webView shows a paper in the browser (inline), to look at it or print it.
func (s *server) webView(c *gin.Context) {
	rc, d, err := s.v.OpenDocument(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		s.webError(c, err)
		return
	}
	defer rc.Close()
	if d.New {
		_ = s.v.MarkOpened(c.Request.Context(), principal(c), d.ID) // best effort: she is reading it
	}
	h := c.Writer.Header()
	h.Set("Content-Type", d.MediaType)
	h.Set("Content-Disposition", strings.Replace(attachment(safeFilename(d.Title, ".pdf")), "attachment", "inline", 1))
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// webEdit renames a paper and sets or clears its expiry date.
func (s *server) webEdit(c *gin.Context) {
	ctx, pr, id := c.Request.Context(), principal(c), c.Param("id")
	cur, err := s.v.Document(ctx, pr, id)
	if err != nil {
		s.webError(c, err)
		return
	}
	// The form sends both fields: only what changed is changed (and
	// journaled), so a new date is never logged as a rename.
	title := strings.TrimSpace(c.PostForm("title"))
	if title != "" && title != cur.Title {
		if err := checkTitle(title); err != nil {
			s.webError(c, err)
			return
		}
		if err := s.v.Rename(ctx, pr, id, title); err != nil {
			s.webError(c, err)
			return
		}
	}
	exp, err := parseDate("expires", c.PostForm("expires"))
	if err != nil {
		s.webError(c, err)
		return
	}
	if !exp.Equal(cur.Expires) {
		if err := s.v.SetExpiry(ctx, pr, id, exp); err != nil {
			s.webError(c, err)
			return
		}
	}
	redirectDone(c, "/papers/"+id, "saved")
}

func (s *server) webDeleteForm(c *gin.Context) {
	s.renderDelete(c, http.StatusOK, nil)
}

// renderDelete shows the question "delete this paper?", with err (a
// confirmation that failed) beside the secret field.
func (s *server) renderDelete(c *gin.Context, status int, err error) {
	d, derr := s.v.Document(c.Request.Context(), principal(c), c.Param("id"))
	if derr != nil {
		s.webError(c, derr)
		return
	}
	p := s.newPage(c, "delete.title")
	p.Nav = "papers"
	p.Data = s.docRow(d)
	if err != nil {
		p.Error = s.errorText(p.L, err)
	}
	s.render(c, status, "delete", p)
}

// webDelete deletes a paper for good: the owner confirms her secret in
// the form (webConfirm) unless she did within vault.ConfirmWindow.
func (s *server) webDelete(c *gin.Context) {
	fail := func(c *gin.Context, err error) { s.renderDelete(c, classify(err).status, err) }
	if !s.webConfirm(c, fail) {
		return
	}
	err := s.v.Delete(c.Request.Context(), principal(c), c.Param("id"))
	if errors.Is(err, vault.ErrConfirmRequired) {
		fail(c, err)
		return
	}
	if err != nil {
		s.webError(c, err)
		return
	}
	redirectDone(c, "/papers", "deleted")
}

// grantee is someone the owner may share with.
type grantee struct {
	Kind, ID, Name string
	// Chosen: ticked when the form opens — the worker whose request is the
	// newest (they asked her, by name). An organisation is never ticked
	// for her, even the only one: it may be one she never dealt with, and
	// sharing with it is sharing with its whole team (newcomer's review:
	// the only organisation on the server came ticked).
	Chosen bool
}

// grantees lists who the owner may share with: organisations, and the
// workers who sent the owner a request.
func (s *server) grantees(c *gin.Context) []grantee {
	ctx := c.Request.Context()
	// The workers who asked come first (the newest request first, the
	// form preselects it), then whole organisations.
	var out []grantee
	if reqs, err := s.v.Requests(ctx, principal(c)); err == nil {
		seen := map[string]bool{}
		for _, r := range reqs {
			if seen[r.WorkerID] {
				continue
			}
			seen[r.WorkerID] = true
			name := r.WorkerName
			if r.OrgName != "" {
				name += " (" + r.OrgName + ")"
			}
			out = append(out, grantee{Kind: string(vault.KindWorker), ID: r.WorkerID, Name: name})
		}
	}
	if orgs, err := s.v.Organisations(ctx); err == nil {
		for _, o := range orgs {
			out = append(out, grantee{Kind: string(vault.KindOrganisation), ID: o.ID, Name: o.Name})
		}
	}
	if len(out) > 0 && out[0].Kind == string(vault.KindWorker) {
		out[0].Chosen = true
	}
	return out
}

type shareData struct {
	Doc      docRow
	Grantees []grantee
	Days     []int
	// ShowName prefills the name the worker sees (the owner's first name).
	ShowName string
	// Key is the form's idempotency key (vault.NewConsent.Key): the same
	// form sent twice (Back, then Share again) shares once.
	Key string
	// Chosen is the duration ticked (31 days for a new form); Purpose
	// what she typed. A form shown again (a wrong secret) keeps her
	// choices: retyping the secret must not share for another duration.
	Chosen  int
	Purpose string
}

func (s *server) webShareForm(c *gin.Context) {
	s.renderShare(c, c.Param("id"), http.StatusOK, nil)
}

// renderShare shows the share form of paper docID, with fail on top when
// not nil (a secret not confirmed, say: nothing was shared).
func (s *server) renderShare(c *gin.Context, docID string, status int, fail error) {
	d, err := s.v.Document(c.Request.Context(), principal(c), docID)
	if err != nil {
		s.webError(c, err)
		return
	}
	p := s.newPage(c, "share.title")
	if fail != nil {
		p.Error = s.errorText(p.L, fail)
	}
	p.Nav = "share"
	sd := shareData{Doc: s.docRow(d), Grantees: s.grantees(c), Days: vault.ConsentDays, Key: c.PostForm("key")}
	if !vault.ValidSubmissionKey(sd.Key) { // a new form, or one refused before it was shown again
		sd.Key = newSubmissionKey()
	}
	if prof, err := s.v.OwnerProfile(c.Request.Context(), principal(c)); err == nil {
		sd.ShowName = prof.DisplayName
	}
	sd.Chosen = 31
	if c.Request.Method == http.MethodPost {
		if days, err := strconv.Atoi(c.PostForm("days")); err == nil && slices.Contains(vault.ConsentDays, days) {
			sd.Chosen = days
		}
		sd.Purpose = strings.TrimSpace(c.PostForm("purpose"))
		if n, ok := c.GetPostForm("show_name"); ok {
			sd.ShowName = strings.TrimSpace(n)
		}
		if g := c.PostForm("grantee"); g != "" {
			for i := range sd.Grantees {
				sd.Grantees[i].Chosen = sd.Grantees[i].Kind+":"+sd.Grantees[i].ID == g
			}
		}
	}
	p.Data = sd
	p.Canonical = "/papers/" + url.PathEscape(d.ID) + "/share"
	s.render(c, status, "share", p)
}

// webShare grants a consent on one paper. Sharing widens who can read the
// vault: the owner confirms her secret in the form (webConfirm) unless she
// did within vault.ConfirmWindow.
func (s *server) webShare(c *gin.Context) {
	kind, id, _ := strings.Cut(c.PostForm("grantee"), ":")
	days, _ := strconv.Atoi(c.PostForm("days"))
	// No purpose typed: none is stored, and each reader sees the default in
	// their own language (a Dari default shown to a French worker said
	// nothing to them).
	purpose := strings.TrimSpace(c.PostForm("purpose"))
	var scope vault.Scope
	if doc := c.PostForm("document"); doc != "" {
		scope.Documents = []string{doc}
	}
	switch {
	case kind != string(vault.KindWorker) && kind != string(vault.KindOrganisation) || id == "":
		// Nobody chosen: the form again, saying so (nothing was shared).
		s.renderShare(c, c.PostForm("document"), http.StatusUnprocessableEntity, fieldErr("grantee", "api.grantee.choose_who_may"))
		return
	case !slices.Contains(vault.ConsentDays, days):
		s.webError(c, fieldErr("days", "api.days.choose_how_long"))
		return
	case len(purpose) > maxPurposeLen || len(c.PostForm("show_name")) > maxPurposeLen:
		s.webError(c, fieldErr("purpose", "api.purpose.text_too_long"))
		return
	}
	shareFail := func(c *gin.Context, err error) { s.renderShare(c, c.PostForm("document"), classify(err).status, err) }
	if !s.webConfirm(c, shareFail) {
		return
	}
	_, err := s.v.GrantConsent(c.Request.Context(), principal(c), vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.RecipientKind(kind), ID: id}, Scope: scope,
		Purpose: purpose, Days: days, ShowName: strings.TrimSpace(c.PostForm("show_name")),
		Key: formKey(c.PostForm("key")),
	})
	if errors.Is(err, vault.ErrConfirmRequired) {
		shareFail(c, err)
		return
	}
	if err != nil {
		s.webError(c, err)
		return
	}
	redirectDone(c, "/share", "shared")
}

// formKey is a form's idempotency key when it has the shape forms send, ""
// otherwise (a form from before keys, or a hand-made one: no key, no
// idempotency, nothing refused).
func formKey(k string) string {
	if vault.ValidSubmissionKey(k) {
		return k
	}
	return ""
}
