package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
)

// The owner's messages: the in-app inbox ("Mes messages", mark as read) and
// the notification settings (channels and kinds, quiet hours, titles,
// language, e-mail addresses, this browser's push subscription). Both work
// with plain forms; static/push.js adds the Web Push subscription.

func (s *server) notifyPages(g *gin.RouterGroup) {
	if s.notify == nil {
		return
	}
	g.GET("/messages", s.webInbox)
	g.POST("/messages/:id/read", s.webMarkRead)
	g.GET("/messages/settings", s.webNotifySettings)
	g.POST("/messages/settings", s.webSaveNotifySettings)
	g.POST("/messages/contacts", s.webAddContact)
	g.POST("/messages/contacts/:id/delete", s.webRemoveContact)
}

// serviceWorker serves static/sw.js at the root, so that its scope is the
// whole site (push notifications open the vault's pages).
func serveServiceWorker(c *gin.Context) {
	a := assets["sw.js"]
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, a.ctype, a.body)
}

// inboxRow is a notification as the inbox page shows it.
type inboxRow struct {
	notify.InboxItem
	When string
	Icon string
}

func (s *server) webInbox(c *gin.Context) {
	items, err := s.notify.InboxIn(c.Request.Context(), principal(c), 100, webLang(c).Lang())
	if err != nil {
		s.webError(c, notifyErr(err))
		return
	}
	l := webLang(c)
	rows := make([]inboxRow, 0, len(items))
	for _, it := range items {
		icon := "clock"
		if it.Kind == notify.KindAccess {
			icon = "eye"
		} else if it.Kind == notify.KindRequest {
			icon = "inbox"
		}
		rows = append(rows, inboxRow{InboxItem: it, When: l.DateTime(it.Created), Icon: icon})
	}
	p := s.newPage(c, "messages.title")
	p.Nav = "messages"
	p.Data = rows
	s.render(c, http.StatusOK, "messages", p)
}

func (s *server) webMarkRead(c *gin.Context) {
	if err := s.notify.MarkRead(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		s.webError(c, notifyErr(err))
		return
	}
	redirectDone(c, "/messages", "read")
}

// prefCell is one channel × kind checkbox.
type prefCell struct {
	Channel, Kind string
	On            bool
}

// prefRow is one channel of the settings form.
type prefRow struct {
	Channel string
	Cells   []prefCell
}

// contactRow is an address as the settings page shows it.
type contactRow struct {
	ID, Channel, Address string
	Disabled             bool
}

type notifySettingsData struct {
	Rows       []prefRow
	QuietOn    bool
	QuietStart string
	QuietEnd   string
	Titles     bool
	Lang       string
	Email      bool
	Contacts   []contactRow
	PushKey    string
	NewAddress string
	// TitlesWere: titles were on before this form (turning them on asks
	// for the secret).
	TitlesWere bool
}

// keep shows the choices of a form that was refused (next, and on: the
// channel.kind boxes left ticked), not the stored ones.
func (d *notifySettingsData) keep(next notify.Settings, on []string) {
	for i := range d.Rows {
		for j := range d.Rows[i].Cells {
			cell := &d.Rows[i].Cells[j]
			cell.On = slices.Contains(on, cell.Channel+"."+cell.Kind)
		}
	}
	d.QuietOn = next.Quiet.Start != next.Quiet.End
	if d.QuietOn {
		d.QuietStart, d.QuietEnd = hhmm(next.Quiet.Start), hhmm(next.Quiet.End)
	}
	d.Titles, d.Lang = next.AllowTitles, next.Lang
}

// pageKinds are the kinds offered to this kind of person: requests are for
// workers.
func pageKinds(k vault.RecipientKind) []notify.Kind {
	if k == vault.KindWorker {
		return notify.Kinds
	}
	return []notify.Kind{notify.KindReminder, notify.KindAccess}
}

// hhmm writes minutes after midnight as "HH:MM".
func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// parseHHMM reads "HH:MM" (a time input's value); ok false when malformed.
func parseHHMM(v string) (int, bool) {
	h, m, found := strings.Cut(v, ":")
	hi, err1 := strconv.Atoi(h)
	mi, err2 := strconv.Atoi(m)
	if !found || err1 != nil || err2 != nil || len(h) != 2 || len(m) != 2 || hi < 0 || hi > 23 || mi < 0 || mi > 59 {
		return 0, false
	}
	return hi*60 + mi, true
}

func (s *server) notifySettingsData(c *gin.Context) (*notifySettingsData, notify.Settings, error) {
	ctx, pr := c.Request.Context(), principal(c)
	r := recipientOf(pr)
	st, err := s.notify.Settings(ctx, r)
	if err != nil {
		return nil, st, err
	}
	ks, err := s.notify.Contacts(ctx, r)
	if err != nil {
		return nil, st, err
	}
	d := &notifySettingsData{
		QuietOn: st.Quiet.Start != st.Quiet.End, QuietStart: hhmm(st.Quiet.Start), QuietEnd: hhmm(st.Quiet.End),
		Titles: st.AllowTitles, TitlesWere: st.AllowTitles, Lang: st.Lang, PushKey: s.notify.VAPIDPublicKey(),
	}
	if !d.QuietOn {
		d.QuietStart, d.QuietEnd = hhmm(21*60), hhmm(8*60)
	}
	for _, ch := range s.notify.Channels() {
		if ch == notify.ChannelInbox {
			continue
		}
		if ch == notify.ChannelEmail {
			d.Email = true
		}
		row := prefRow{Channel: string(ch)}
		for _, k := range pageKinds(pr.Kind()) {
			row.Cells = append(row.Cells, prefCell{Channel: string(ch), Kind: string(k), On: st.Enabled(ch, k)})
		}
		d.Rows = append(d.Rows, row)
	}
	for _, k := range ks {
		addr := k.Address
		if k.Channel == notify.ChannelPush {
			addr = pushHost(k.Address)
		}
		d.Contacts = append(d.Contacts, contactRow{ID: k.ID, Channel: string(k.Channel), Address: addr, Disabled: !k.Disabled.IsZero()})
	}
	return d, st, nil
}

func (s *server) renderNotifySettings(c *gin.Context, status int, d *notifySettingsData, errText string) {
	p := s.newPage(c, "notifset.title")
	p.Nav = "notifset"
	p.Canonical = "/messages/settings"
	p.Error = errText
	if d.PushKey != "" {
		p.Scripts = []string{"push.js"}
	}
	p.Data = d
	s.render(c, status, "notifset", p)
}

func (s *server) webNotifySettings(c *gin.Context) {
	d, _, err := s.notifySettingsData(c)
	if err != nil {
		s.webError(c, notifyErr(err))
		return
	}
	s.renderNotifySettings(c, http.StatusOK, d, "")
}

// webSaveNotifySettings reads the form: a checkbox "on" per channel.kind
// left on, quiet hours (HH:MM) when "quiet" is ticked, "titles", "lang".
func (s *server) webSaveNotifySettings(c *gin.Context) {
	d, st, err := s.notifySettingsData(c)
	if err != nil {
		s.webError(c, notifyErr(err))
		return
	}
	pr := principal(c)
	on := c.PostFormArray("on")
	shown := pageKinds(pr.Kind())
	off := map[notify.Channel][]notify.Kind{}
	for ch, kinds := range st.Off { // kinds this page does not show stay as they were
		for _, k := range kinds {
			if !slices.Contains(shown, k) {
				off[ch] = append(off[ch], k)
			}
		}
	}
	for _, row := range d.Rows {
		for _, cell := range row.Cells {
			if !slices.Contains(on, cell.Channel+"."+cell.Kind) {
				off[notify.Channel(cell.Channel)] = append(off[notify.Channel(cell.Channel)], notify.Kind(cell.Kind))
			}
		}
	}
	next := notify.Settings{Off: off, Quiet: notify.QuietHours{Zone: st.Quiet.Zone}, AllowTitles: c.PostForm("titles") != "", Lang: c.PostForm("lang")}
	if c.PostForm("quiet") != "" {
		start, ok1 := parseHHMM(c.PostForm("quiet_start"))
		end, ok2 := parseHHMM(c.PostForm("quiet_end"))
		if !ok1 || !ok2 {
			s.renderNotifySettings(c, http.StatusUnprocessableEntity, d, webLang(c).T("notifset.badtime"))
			return
		}
		next.Quiet.Start, next.Quiet.End = start, end
	}
	if err := next.Validate(); err != nil {
		s.renderNotifySettings(c, http.StatusUnprocessableEntity, d, errBadSettings.message(webLang(c)))
		return
	}
	// Titles turned on need the secret typed in the form (or a proof
	// within the last minutes); the page shows again with her choices.
	kept := func(c *gin.Context, err error) {
		d.keep(next, on)
		s.renderNotifySettings(c, classify(err).status, d, classify(err).message(webLang(c)))
	}
	if next.AllowTitles && !st.AllowTitles && !s.webConfirm(c, kept) {
		return
	}
	if err := s.setNotifySettings(c.Request.Context(), pr, next); err != nil {
		var ae *apiError
		if errors.As(err, &ae) || errors.Is(err, vault.ErrConfirmRequired) {
			kept(c, err)
			return
		}
		s.webError(c, err)
		return
	}
	redirectDone(c, "/messages/settings", "notifsaved")
}

// webAddContact adds an e-mail address for alerts; the form carries the
// secret (a new address needs a recent proof, addContactFor).
func (s *server) webAddContact(c *gin.Context) {
	addr := strings.TrimSpace(c.PostForm("email"))
	fail := func(c *gin.Context, err error) {
		d, _, derr := s.notifySettingsData(c)
		if derr != nil {
			s.webError(c, notifyErr(derr))
			return
		}
		d.NewAddress = addr
		ae := classify(err)
		s.renderNotifySettings(c, ae.status, d, ae.message(webLang(c)))
	}
	if !s.webConfirm(c, fail) {
		return
	}
	_, err := s.addContactFor(c.Request.Context(), principal(c), notify.ChannelEmail, addr)
	if err == nil {
		redirectDone(c, "/messages/settings", "contactadded")
		return
	}
	var ae *apiError
	if !errors.As(err, &ae) && !errors.Is(err, vault.ErrConfirmRequired) {
		s.webError(c, err)
		return
	}
	fail(c, err)
}

func (s *server) webRemoveContact(c *gin.Context) {
	if err := s.notify.RemoveContact(c.Request.Context(), recipientOf(principal(c)), c.Param("id")); err != nil {
		s.webError(c, notifyErr(err))
		return
	}
	redirectDone(c, "/messages/settings", "contactremoved")
}
