package webtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// newNotify is the notification service of a test server: the inbox, and
// e-mail (to a closed local port) and Web Push configured so that the
// settings page offers them; attached to the vault's journal.
func newNotify(t *testing.T, v *vault.Service, ms *meta.SQLite) (*notify.Service, *atomic.Int64) {
	t.Helper()
	ahead := new(atomic.Int64) // how far the notifications' clock runs ahead (deliverLater)
	mail, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: 9, Security: notify.SMTPPlain, From: "Coffre <no-reply@coffre.test>"})
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	key, err := notify.GenerateVAPIDKey()
	if err != nil {
		t.Fatalf("GenerateVAPIDKey: %v", err)
	}
	push, err := notify.NewWebPush(notify.WebPushConfig{Key: key, Subscriber: "mailto:ops@coffre.test"})
	if err != nil {
		t.Fatalf("NewWebPush: %v", err)
	}
	ns, err := notify.New(notify.Config{Vault: v, Store: ms, BaseURL: "https://coffre.test",
		Channels: map[notify.Channel]notify.Notifier{notify.ChannelEmail: mail, notify.ChannelPush: push},
		Now:      func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	v.SetEventSink(ns)
	return ns, ahead
}

// deliverLater delivers the notifications as they stand once the minute to
// take back a stop has passed (a stop reaches the worker only then).
func (s *server) deliverLater(t *testing.T) {
	t.Helper()
	s.ahead.Store(int64(vault.UndoWindow + time.Second))
	if _, err := s.notify.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// accessAlert signs an owner up with one paper shared with the
// organisation, has its worker download the paper through the JSON API, and
// delivers the notifications: the owner's inbox holds an access alert.
func accessAlert(t *testing.T, srv *server, identifier, secret string) {
	t.Helper()
	ctx := context.Background()
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: identifier, Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	pdf := "%PDF-1.4\n% RIB de test\n%%EOF\n"
	doc, err := srv.v.AddDocument(ctx, ownerID, vault.NewDocument{Type: "rib", Title: "RIB Banque Postale", Pages: 1}, strings.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.v.GrantConsent(ctx, owner, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindOrganisation, ID: srv.org.ID},
		Scope:   vault.Scope{Documents: []string{doc.ID}}, Purpose: "Dossier CAF", Days: 31,
	}); err != nil {
		t.Fatal(err)
	}
	// The worker downloads the paper (JSON API: login, then GET).
	w := newNoJS(t, srv.URL)
	body, _ := json.Marshal(map[string]string{"email": workerEmail, "secret": workerSecret})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/workers/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if resp, page := w.do(req); resp.StatusCode != http.StatusOK {
		t.Fatalf("worker login: %d %.300s", resp.StatusCode, page)
	}
	if resp, got := w.get("/api/v1/documents/" + doc.ID + "/content"); resp.StatusCode != http.StatusOK || got != pdf {
		t.Fatalf("worker download: %d", resp.StatusCode)
	}
	if _, err := srv.notify.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
}

// TestWebNotificationsWithoutJavaScript: a worker downloads an owner's
// paper; the access alert is on the owner's "Mes messages" page, which marks
// it read with a form; the settings page saves channels, kinds and quiet
// hours, refuses a bad e-mail address in French, and adds and removes a
// good one, all without JavaScript.
func TestWebNotificationsWithoutJavaScript(t *testing.T) {
	srv := newServer(t)
	accessAlert(t, srv, "0622334455", "mouette carafe pluie sapin")

	o := newNoJS(t, srv.URL)
	resp, page := o.post("/login", url.Values{"identifier": {"06 22 33 44 55"}, "secret": {"mouette carafe pluie sapin"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/messages"`) {
		t.Fatalf("after login: %d, no link to the messages in the menu", resp.StatusCode)
	}
	resp, page = o.get("/messages")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<h1>Mes messages</h1>") || !strings.Contains(page, "CCAS de Roubaix") {
		t.Fatalf("messages page: %d %.2000s", resp.StatusCode, page)
	}
	if strings.Contains(page, "Banque Postale") {
		t.Error("the alert names the paper by its title, which the owner did not allow")
	}
	m := regexp.MustCompile(`action="/messages/([^"/]+)/read"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Nouveau") {
		t.Fatalf("no unread message with a mark-as-read form: %.2000s", page)
	}
	if resp, _ := o.post("/messages/"+m[1]+"/read", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("mark read without csrf: %d, want 403", resp.StatusCode)
	}
	resp, page = o.post("/messages/"+m[1]+"/read", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Message marqué comme lu") || strings.Contains(page, "/read\"") {
		t.Fatalf("after mark read: %d %.2000s", resp.StatusCode, page)
	}

	// Settings: e-mail off for access alerts, quiet hours 22:30–07:00.
	resp, page = o.get("/messages/settings")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `value="email.access" checked`) || !strings.Contains(page, `data-key="`) {
		t.Fatalf("settings page: %d %.3000s", resp.StatusCode, page)
	}
	resp, page = o.post("/messages/settings", url.Values{"csrf": {csrfOf(t, page)},
		"on": {"email.reminder", "push.reminder", "push.access"}, "quiet": {"1"}, "quiet_start": {"22:30"}, "quiet_end": {"07:00"}, "lang": {"en"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Vos préférences sont enregistrées") ||
		strings.Contains(page, `value="email.access" checked`) || !strings.Contains(page, `value="22:30"`) {
		t.Fatalf("after saving: %d %.3000s", resp.StatusCode, page)
	}
	resp, page = o.post("/messages/settings", url.Values{"csrf": {csrfOf(t, page)}, "quiet": {"1"}, "quiet_start": {"25:00"}, "quiet_end": {"07:00"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Écrivez les heures sous la forme 21:00") {
		t.Fatalf("bad hour: %d", resp.StatusCode)
	}
	// Titles on and a new address need the secret typed again (a session
	// alone, as a thief copies it, cannot): refused, her choices kept.
	if !strings.Contains(page, `id="confirm-titles"`) || !strings.Contains(page, `id="confirm-email"`) {
		t.Fatalf("no secret field for titles and addresses: %.3000s", page)
	}
	resp, page = o.post("/messages/settings", url.Values{"csrf": {csrfOf(t, page)},
		"on": {"email.reminder"}, "titles": {"1"}, "quiet": {"1"}, "quiet_start": {"22:30"}, "quiet_end": {"07:00"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "confirmez d&#39;abord avec votre secret") ||
		!strings.Contains(page, `name="titles" value="1" checked`) || strings.Contains(page, `value="push.reminder" checked`) {
		t.Fatalf("titles on with a session alone: %d %.3000s", resp.StatusCode, page)
	}
	resp, page = o.post("/messages/contacts", url.Values{"csrf": {csrfOf(t, page)}, "email": {"voleur@exemple.fr"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "confirmez d&#39;abord avec votre secret") || !strings.Contains(page, `value="voleur@exemple.fr"`) {
		t.Fatalf("e-mail with a session alone: %d %.3000s", resp.StatusCode, page)
	}
	resp, page = o.post("/messages/contacts", url.Values{"csrf": {csrfOf(t, page)}, "email": {"voleur@exemple.fr"}, "confirm_secret": {"pas le bon secret du tout"}})
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(page, "/delete\"") {
		t.Fatalf("e-mail with a wrong secret: %d %.3000s", resp.StatusCode, page)
	}
	// E-mail addresses.
	resp, page = o.post("/messages/contacts", url.Values{"csrf": {csrfOf(t, page)}, "email": {"pas une adresse"}, "confirm_secret": {"mouette carafe pluie sapin"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "adresse e-mail n&#39;est pas valable") {
		t.Fatalf("bad e-mail: %d %.3000s", resp.StatusCode, page)
	}
	// Confirmed a moment ago: not asked again.
	if strings.Contains(page, `id="confirm-email"`) {
		t.Error("the secret is asked again right after it was typed")
	}
	resp, page = o.post("/messages/contacts", url.Values{"csrf": {csrfOf(t, page)}, "email": {"fatou@exemple.fr"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "L&#39;adresse est ajoutée") || !strings.Contains(page, "fatou@exemple.fr") {
		t.Fatalf("add e-mail: %d %.3000s", resp.StatusCode, page)
	}
	if _, page := o.get("/journal"); !strings.Contains(page, "Vous avez ajouté une adresse pour recevoir les alertes : fatou@exemple.fr (Par e-mail)") ||
		strings.Contains(page, "voleur@exemple.fr") {
		t.Errorf("journal after the new address: %.3000s", page)
	}
	m = regexp.MustCompile(`action="/messages/contacts/([^"/]+)/delete"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no remove button")
	}
	resp, page = o.post("/messages/contacts/"+m[1]+"/delete", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusOK || strings.Contains(page, "fatou@exemple.fr") {
		t.Fatalf("remove e-mail: %d", resp.StatusCode)
	}
	// The service worker is served at the root.
	if resp, js := o.get("/sw.js"); resp.StatusCode != http.StatusOK || !strings.Contains(js, "showNotification") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("sw.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestWebNotificationPagesAccessible runs axe-core on the messages and alert
// settings pages in Chromium, in French and English.
func TestWebNotificationPagesAccessible(t *testing.T) {
	srv := newServer(t)
	accessAlert(t, srv, "0633445566", "girafe tulipe orage carton")
	b := newBrowser(t)
	p := b.person("owner")
	p.open(srv.URL + "/login")
	p.fill("#identifier", "0633445566")
	p.fill("#secret", "girafe tulipe orage carton")
	p.submit("form[action='/login'] button[type=submit]")
	p.open(srv.URL + "/messages")
	if got := p.text("main"); !strings.Contains(got, "CCAS de Roubaix") {
		t.Fatalf("messages page: %.500s", got)
	}
	p.check("messages", true)
	p.open(srv.URL + "/messages/settings")
	if !eval[bool](p, `!document.querySelector('[data-push]').hidden`) {
		t.Error("the push button is not shown in Chromium")
	}
	p.check("notification-settings", true)
}

// TestAlertsAskTheSecretOnAPhone: on a phone (360×740, touch), titles in
// the alerts and a new address for them ask for the secret, as sharing
// does: a tap without it keeps her ticks and says why; with it, saved. On
// another phone signed in to the same vault, the push button with a wrong
// secret says so and subscribes nothing.
func TestAlertsAskTheSecretOnAPhone(t *testing.T) {
	srv := newServer(t)
	const secret = "mouette carafe pluie sapin"
	accessAlert(t, srv, "0677889900", secret)
	b := newBrowser(t)
	w := b.walker("owner")
	login := func(w *walker) {
		w.open(srv.URL + "/lang?to=fr&back=/login")
		w.typeIn("#identifier", "0677889900")
		w.typeIn("#secret", secret)
		w.tapGo("form[action='/login'] button[type=submit]")
	}
	login(w)
	w.open(srv.URL + "/messages/settings")
	w.tap(`input[name=titles]`)
	w.tapGo(`form[action="/messages/settings"] button[type=submit]`)
	if got := w.text("main .error"); !strings.Contains(got, "confirmez d'abord avec votre secret") {
		t.Fatalf("titles on without the secret: %q\n%s", got, w.seen())
	}
	if !eval[bool](w.person, `document.querySelector('input[name=titles]').checked`) {
		t.Error("her tick on titles was lost")
	}
	if got := w.text("#confirm-titles-error"); !strings.Contains(got, "confirmez d'abord avec votre secret") ||
		!eval[bool](w.person, `document.activeElement.id === 'confirm-titles'`) {
		t.Errorf("beside the secret field: %q (the cursor in %q)", got, eval[string](w.person, `document.activeElement.id`))
	}
	w.typeIn("#confirm-titles", secret)
	w.tapGo(`form[action="/messages/settings"] button[type=submit]`)
	if got := w.seen(); !strings.Contains(got, "Vos préférences sont enregistrées") ||
		!eval[bool](w.person, `document.querySelector('input[name=titles]').checked`) {
		t.Fatalf("titles on with the secret: %s", got)
	}
	w.axe("alert settings, confirmed")

	// Another phone, signed in but not confirmed: the push button checks
	// the secret first.
	o := b.walker("other phone")
	login(o)
	o.open(srv.URL + "/messages/settings")
	if !eval[bool](o.person, `!!document.getElementById('confirm-push') && !document.querySelector('[data-push]').hidden`) {
		t.Fatalf("no secret field by the push button: %s", o.seen())
	}
	o.typeIn("#confirm-push", "pas le bon secret du tout")
	o.tap(`[data-push] button`)
	o.poll(`document.querySelector('[data-push-status]').textContent !== ''`, 20*time.Second)
	if got, fail := o.text("[data-push-status]"), eval[string](o.person, `document.querySelector('[data-push]').dataset.fail`); got == fail || !strings.Contains(strings.ToLower(got), "secret") {
		t.Errorf("push with a wrong secret says %q", got)
	}
	if n := eval[int](o.person, `document.querySelectorAll('.cards .card').length`); n != 0 {
		t.Errorf("%d addresses after a wrong secret", n)
	}
	// The e-mail form with a wrong secret: the message beside its own
	// secret field, not the titles' one above it.
	o.typeIn("#email", "awa@example.org")
	o.typeIn("#confirm-email", "pas le bon secret du tout")
	o.tapGo(`form[action="/messages/contacts"] button[type=submit]`)
	if got := o.text("#confirm-email-error"); got != "Ce n'est pas votre secret. Réessayez." ||
		eval[int](o.person, `document.querySelectorAll('#confirm-titles-error').length`) != 0 {
		t.Errorf("the e-mail form's wrong secret: %q beside its field", got)
	}
	if got := eval[string](o.person, `document.getElementById('email').value`); got != "awa@example.org" {
		t.Errorf("the address she typed was lost: %q", got)
	}
	o.axe("alert settings, not confirmed")
}
