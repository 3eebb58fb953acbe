package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// Notifications is what the HTTP layer needs from the notification service
// (*notify.Service provides it). Contracts:
//   - InboxIn returns p's messages newest first (from at most limit
//     entries), opened with p's key and said in lang (a worker's reads of
//     one paper in one day are one message); MarkRead marks one of p's own
//     messages read and wraps notify.ErrNotFound for any other id (another
//     person's included).
//   - Settings returns notify.DefaultSettings() for someone who never changed
//     them; SetSettings replaces them, notify.ErrInvalid for out-of-range
//     quiet hours or unknown channels, kinds or languages.
//   - AddContact checks the address with the channel (notify.ErrInvalid for
//     a malformed e-mail address, a push endpoint that is not https on a
//     known push service, an unknown or unconfigured channel) and wraps
//     meta.ErrConflict when the address is already there; Contacts lists
//     someone's addresses; RemoveContact deletes one of their own and wraps
//     notify.ErrNotFound for any other id.
//   - VAPIDPublicKey is "" when Web Push is off; Channels lists the channels
//     the server sends on, the inbox first.
type Notifications interface {
	InboxIn(ctx context.Context, p *vault.Principal, limit int, lang string) ([]notify.InboxItem, error)
	MarkRead(ctx context.Context, p *vault.Principal, entryID string) error
	Settings(ctx context.Context, r notify.Recipient) (notify.Settings, error)
	SetSettings(ctx context.Context, r notify.Recipient, st notify.Settings) error
	AddContact(ctx context.Context, r notify.Recipient, c notify.Channel, address string) (notify.Contact, error)
	Contacts(ctx context.Context, r notify.Recipient) ([]notify.Contact, error)
	RemoveContact(ctx context.Context, r notify.Recipient, contactID string) error
	VAPIDPublicKey() string
	Channels() []notify.Channel
}

// notifyRoutes registers the inbox, preferences and contact addresses of
// the logged-in owner or worker (a group already behind session and CSRF
// checks). Nothing is registered without a notification service.
func (s *server) notifyRoutes(a *gin.RouterGroup) {
	if s.notify == nil {
		return
	}
	a.GET("/inbox", s.listInbox)
	a.POST("/inbox/:id/read", s.markInboxRead)
	a.GET("/notifications/settings", s.getNotifySettings)
	a.PUT("/notifications/settings", s.putNotifySettings)
	a.GET("/notifications/contacts", s.listContacts)
	a.POST("/notifications/contacts", s.addContact)
	a.DELETE("/notifications/contacts/:id", s.removeContact)
	a.GET("/notifications/push-key", s.pushKey)
}

// recipientOf is the notification recipient of the logged-in principal.
func recipientOf(p *vault.Principal) notify.Recipient {
	return notify.Recipient{Kind: p.Kind(), ID: p.ID()}
}

type inboxItemJSON struct {
	ID      string     `json:"id"`
	Kind    string     `json:"kind"`
	Subject string     `json:"subject"`
	Body    string     `json:"body"`
	Link    string     `json:"link,omitempty"`
	Created time.Time  `json:"created"`
	Read    *time.Time `json:"read,omitempty"`
}

type inboxJSON struct {
	Items  []inboxItemJSON `json:"items"`
	Unread int             `json:"unread"`
}

func inboxOut(items []notify.InboxItem) inboxJSON {
	out := inboxJSON{Items: []inboxItemJSON{}}
	for _, it := range items {
		j := inboxItemJSON{ID: it.ID, Kind: string(it.Kind), Subject: it.Subject, Body: it.Body, Link: it.Link, Created: it.Created.UTC()}
		if !it.Read.IsZero() {
			r := it.Read.UTC()
			j.Read = &r
		} else {
			out.Unread++
		}
		out.Items = append(out.Items, j)
	}
	return out
}

func (s *server) listInbox(c *gin.Context) {
	items, err := s.notify.InboxIn(c.Request.Context(), principal(c), 100, lang(c))
	if err != nil {
		writeError(c, s.log, notifyErr(err))
		return
	}
	c.JSON(http.StatusOK, inboxOut(items))
}

func (s *server) markInboxRead(c *gin.Context) {
	if err := s.notify.MarkRead(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		writeError(c, s.log, notifyErr(err))
		return
	}
	c.Status(http.StatusNoContent)
}

// settingsJSON is notify.Settings on the wire: kinds turned off per channel,
// quiet hours in minutes after midnight, titles opt-in and language.
type settingsJSON struct {
	Off    map[string][]string `json:"off"`
	Quiet  quietJSON           `json:"quiet"`
	Titles bool                `json:"titles"`
	Lang   string              `json:"lang"`
}

type quietJSON struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Zone  string `json:"zone"`
}

type settingsOutJSON struct {
	Settings settingsJSON `json:"settings"`
	// Channels are those this server sends on (the inbox first); Kinds the
	// kinds of notification, in display order.
	Channels []string `json:"channels"`
	Kinds    []string `json:"kinds"`
}

func settingsOut(st notify.Settings, chans []notify.Channel) settingsOutJSON {
	out := settingsOutJSON{
		Settings: settingsJSON{Off: map[string][]string{}, Quiet: quietJSON(st.Quiet), Titles: st.AllowTitles, Lang: st.Lang},
		Channels: []string{}, Kinds: []string{},
	}
	for ch, kinds := range st.Off {
		ks := []string{}
		for _, k := range kinds {
			ks = append(ks, string(k))
		}
		out.Settings.Off[string(ch)] = ks
	}
	for _, ch := range chans {
		out.Channels = append(out.Channels, string(ch))
	}
	for _, k := range notify.Kinds {
		out.Kinds = append(out.Kinds, string(k))
	}
	return out
}

func (j settingsJSON) settings() notify.Settings {
	st := notify.Settings{Quiet: notify.QuietHours(j.Quiet), AllowTitles: j.Titles, Lang: j.Lang}
	if len(j.Off) > 0 {
		st.Off = map[notify.Channel][]notify.Kind{}
		for ch, kinds := range j.Off {
			for _, k := range kinds {
				st.Off[notify.Channel(ch)] = append(st.Off[notify.Channel(ch)], notify.Kind(k))
			}
		}
	}
	return st
}

func (s *server) getNotifySettings(c *gin.Context) {
	st, err := s.notify.Settings(c.Request.Context(), recipientOf(principal(c)))
	if err != nil {
		writeError(c, s.log, notifyErr(err))
		return
	}
	c.JSON(http.StatusOK, settingsOut(st, s.notify.Channels()))
}

var errBadSettings = fieldErr("settings", "api.settings.these_preferences_valid")

func (s *server) putNotifySettings(c *gin.Context) {
	var req settingsJSON
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	st := req.settings()
	if err := st.Validate(); err != nil {
		writeError(c, s.log, errBadSettings)
		return
	}
	r := recipientOf(principal(c))
	if err := s.setNotifySettings(c.Request.Context(), principal(c), st); err != nil {
		writeError(c, s.log, err)
		return
	}
	st, err := s.notify.Settings(c.Request.Context(), r)
	if err != nil {
		writeError(c, s.log, notifyErr(err))
		return
	}
	c.JSON(http.StatusOK, settingsOut(st, s.notify.Channels()))
}

type contactJSON struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	// Address is the e-mail address or phone number; for Web Push, the push
	// service's host only (the subscription holds keys).
	Address  string     `json:"address"`
	Created  time.Time  `json:"created"`
	Disabled *time.Time `json:"disabled,omitempty"`
}

func contactOut(k notify.Contact) contactJSON {
	out := contactJSON{ID: k.ID, Channel: string(k.Channel), Address: k.Address, Created: k.Created.UTC()}
	if k.Channel == notify.ChannelPush {
		out.Address = pushHost(k.Address)
	}
	if !k.Disabled.IsZero() {
		d := k.Disabled.UTC()
		out.Disabled = &d
	}
	return out
}

// pushHost is the host of a push subscription's endpoint ("" if none).
func pushHost(sub string) string {
	var v struct {
		Endpoint string `json:"endpoint"`
	}
	if json.Unmarshal([]byte(sub), &v) != nil {
		return ""
	}
	u, err := url.Parse(v.Endpoint)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func (s *server) listContacts(c *gin.Context) {
	ks, err := s.notify.Contacts(c.Request.Context(), recipientOf(principal(c)))
	if err != nil {
		writeError(c, s.log, notifyErr(err))
		return
	}
	out := struct {
		Contacts []contactJSON `json:"contacts"`
	}{Contacts: []contactJSON{}}
	for _, k := range ks {
		out.Contacts = append(out.Contacts, contactOut(k))
	}
	c.JSON(http.StatusOK, out)
}

// contactReq adds an address: an e-mail address ("address"), or the
// browser's PushSubscription as JSON ("subscription", or its JSON text in
// "address").
type contactReq struct {
	Channel      string          `json:"channel"`
	Address      string          `json:"address"`
	Subscription json.RawMessage `json:"subscription"`
}

// maxAddressLen bounds an address (a push subscription is a few hundred
// bytes).
const maxAddressLen = 4096

var (
	errBadChannel    = fieldErr("channel", "api.channel.server_does_send")
	errBadEmail      = fieldErr("address", "api.address.e_mail_address")
	errBadPush       = fieldErr("subscription", "api.subscription.push_subscription_refused")
	errBadAddress    = fieldErr("address", "api.address.address_valid")
	errContactExists = newErr(http.StatusConflict, "conflict", "api.conflict.address_already_there")
)

// addressOf is the address a contact request gives for its channel.
func (req contactReq) addressOf() (notify.Channel, string, error) {
	ch := notify.Channel(req.Channel)
	addr := req.Address
	if ch == notify.ChannelPush && len(req.Subscription) > 0 {
		addr = string(req.Subscription)
	}
	switch {
	case ch != notify.ChannelEmail && ch != notify.ChannelPush && ch != notify.ChannelSMS:
		return "", "", errBadChannel
	case addr == "" || len(addr) > maxAddressLen:
		return "", "", contactErr(ch)
	}
	return ch, addr, nil
}

// contactErr is the refusal of an address on channel ch.
func contactErr(ch notify.Channel) *apiError {
	switch ch {
	case notify.ChannelEmail:
		return errBadEmail
	case notify.ChannelPush:
		return errBadPush
	}
	return errBadAddress
}

// offered reports whether this server sends on ch.
func (s *server) offered(ch notify.Channel) bool {
	for _, c := range s.notify.Channels() {
		if c == ch {
			return true
		}
	}
	return false
}

// addContactFor stores an address for p, mapping refusals to messages.
// addContactFor adds an address for p's alerts. A new address widens who
// learns about the vault (a session thief's address would keep receiving
// every alert after the session ended): it needs a recent proof in this
// session (vault.CanWidenAlerts, 403 reauth_required) and is journaled
// for owners, which alerts the addresses she already had
// (vault.AlertsWidened). Nothing stays added when the journal fails.
func (s *server) addContactFor(ctx context.Context, p *vault.Principal, ch notify.Channel, addr string) (notify.Contact, error) {
	if ch == notify.ChannelInbox || !s.offered(ch) {
		return notify.Contact{}, errBadChannel
	}
	if err := vault.CanWidenAlerts(p); err != nil {
		return notify.Contact{}, err
	}
	r := recipientOf(p)
	k, err := s.notify.AddContact(ctx, r, ch, addr)
	switch {
	case errors.Is(err, notify.ErrInvalid):
		return k, contactErr(ch)
	case errors.Is(err, meta.ErrConflict):
		return k, errContactExists
	case err != nil:
		return k, notifyErr(err)
	}
	shown := k.Address
	if k.Channel == notify.ChannelPush {
		shown = pushHost(k.Address)
	}
	if err := s.v.AlertsWidened(ctx, p, vault.EventAlertContactAdded, string(k.Channel)+" "+shown); err != nil {
		if rerr := s.notify.RemoveContact(context.WithoutCancel(ctx), r, k.ID); rerr != nil {
			return notify.Contact{}, errors.Join(err, rerr)
		}
		return notify.Contact{}, err
	}
	return k, nil
}

// setNotifySettings replaces p's alert preferences. Turning titles on
// widens what an alert says (a paper's title may travel by e-mail): like a
// new address it needs a recent proof and is journaled; every other change
// (turning things off, quiet hours, the language) needs nothing.
func (s *server) setNotifySettings(ctx context.Context, p *vault.Principal, next notify.Settings) error {
	r := recipientOf(p)
	cur, err := s.notify.Settings(ctx, r)
	if err != nil {
		return notifyErr(err)
	}
	widen := next.AllowTitles && !cur.AllowTitles
	if widen {
		if err := vault.CanWidenAlerts(p); err != nil {
			return err
		}
	}
	if err := s.notify.SetSettings(ctx, r, next); err != nil {
		return notifyErr(err)
	}
	if !widen {
		return nil
	}
	if err := s.v.AlertsWidened(ctx, p, vault.EventAlertTitlesOn, ""); err != nil {
		if rerr := s.notify.SetSettings(context.WithoutCancel(ctx), r, cur); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

func (s *server) addContact(c *gin.Context) {
	var req contactReq
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	ch, addr, err := req.addressOf()
	if err == nil {
		var k notify.Contact
		k, err = s.addContactFor(c.Request.Context(), principal(c), ch, addr)
		if err == nil {
			c.JSON(http.StatusCreated, contactOut(k))
			return
		}
	}
	writeError(c, s.log, err)
}

func (s *server) removeContact(c *gin.Context) {
	if err := s.notify.RemoveContact(c.Request.Context(), recipientOf(principal(c)), c.Param("id")); err != nil {
		writeError(c, s.log, notifyErr(err))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *server) pushKey(c *gin.Context) {
	k := s.notify.VAPIDPublicKey()
	c.JSON(http.StatusOK, gin.H{"key": k, "enabled": k != ""})
}

// notifyErr maps the notification service's sentinels to the HTTP layer's
// errors: not found (someone else's entry or address included) is the same
// 404 as everywhere.
func notifyErr(err error) error {
	switch {
	case errors.Is(err, notify.ErrNotFound), errors.Is(err, meta.ErrNotFound):
		return errNotFound
	case errors.Is(err, notify.ErrInvalid):
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", key: msgInvalid}
	case errors.Is(err, meta.ErrConflict):
		return errContactExists
	}
	return err
}
