package api_test

import (
	"strings"
	"testing"
)

// TestNotificationsHostile sends addresses and preferences the server must
// refuse, and checks the status, the field and the message in French and
// English; nothing is stored.
func TestNotificationsHostile(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	o := e.client()
	want(t, o.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "notif.owner", "secret": "citron bougie marmotte flocon"}), 201, "signup")
	o.loginOwner(t, "notif.owner", "citron bougie marmotte flocon")
	o.reauth(t, "citron bougie marmotte flocon") // so that what is judged is the address
	keys := `"keys":{"p256dh":"BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM","auth":"tBHItJI5svbpez7KI4CCXg"}`
	cases := []struct {
		name, path, method, body string
		status                   int
		field, en, fr            string
	}{
		{"bad e-mail", "/api/v1/notifications/contacts", "POST", `{"channel":"email","address":"alice at example"}`, 422, "address", "e-mail address is not valid", "adresse e-mail n'est pas valable"},
		{"e-mail with a name", "/api/v1/notifications/contacts", "POST", `{"channel":"email","address":"Alice <alice@example.org>"}`, 422, "address", "e-mail address is not valid", "adresse e-mail n'est pas valable"},
		{"e-mail with a header", "/api/v1/notifications/contacts", "POST", `{"channel":"email","address":"alice@example.org\r\nBcc: x@y.z"}`, 422, "address", "e-mail address is not valid", "adresse e-mail n'est pas valable"},
		{"oversized address", "/api/v1/notifications/contacts", "POST", `{"channel":"email","address":"` + strings.Repeat("a", 5000) + `@example.org"}`, 422, "address", "e-mail address is not valid", "adresse e-mail n'est pas valable"},
		{"push over http", "/api/v1/notifications/contacts", "POST", `{"channel":"push","subscription":{"endpoint":"http://fcm.googleapis.com/fcm/send/abc",` + keys + `}}`, 422, "subscription", "push subscription is refused", "abonnement aux notifications est refusé"},
		{"push to an internal host", "/api/v1/notifications/contacts", "POST", `{"channel":"push","subscription":{"endpoint":"https://169.254.169.254/latest",` + keys + `}}`, 422, "subscription", "push subscription is refused", "abonnement aux notifications est refusé"},
		{"push to a look-alike host", "/api/v1/notifications/contacts", "POST", `{"channel":"push","subscription":{"endpoint":"https://evilfcm.googleapis.com.example/x",` + keys + `}}`, 422, "subscription", "push subscription is refused", "abonnement aux notifications est refusé"},
		{"push without keys", "/api/v1/notifications/contacts", "POST", `{"channel":"push","subscription":{"endpoint":"https://fcm.googleapis.com/fcm/send/abc"}}`, 422, "subscription", "push subscription is refused", "abonnement aux notifications est refusé"},
		{"unknown channel", "/api/v1/notifications/contacts", "POST", `{"channel":"pigeon","address":"x"}`, 422, "channel", "does not send notifications on this channel", "n'envoie pas de notifications par ce canal"},
		{"inbox as a contact", "/api/v1/notifications/contacts", "POST", `{"channel":"inbox","address":"x"}`, 422, "channel", "does not send notifications on this channel", "n'envoie pas de notifications par ce canal"},
		{"sms not configured", "/api/v1/notifications/contacts", "POST", `{"channel":"sms","address":"+33612345678"}`, 422, "channel", "does not send notifications on this channel", "n'envoie pas de notifications par ce canal"},
		{"quiet hours out of range", "/api/v1/notifications/settings", "PUT", `{"quiet":{"start":1440,"end":0}}`, 422, "settings", "preferences are not valid", "préférences ne sont pas valables"},
		{"negative quiet hours", "/api/v1/notifications/settings", "PUT", `{"quiet":{"start":-5,"end":0}}`, 422, "settings", "preferences are not valid", "préférences ne sont pas valables"},
		{"unknown zone", "/api/v1/notifications/settings", "PUT", `{"quiet":{"start":0,"end":60,"zone":"Mars/Olympus"}}`, 422, "settings", "preferences are not valid", "préférences ne sont pas valables"},
		{"unknown kind", "/api/v1/notifications/settings", "PUT", `{"off":{"email":["spam"]}}`, 422, "settings", "preferences are not valid", "préférences ne sont pas valables"},
		{"unknown channel in settings", "/api/v1/notifications/settings", "PUT", `{"off":{"pigeon":["access"]}}`, 422, "settings", "preferences are not valid", "préférences ne sont pas valables"},
		{"unknown language", "/api/v1/notifications/settings", "PUT", `{"lang":"de"}`, 422, "settings", "preferences are not valid", "préférences ne sont pas valables"},
		{"malformed JSON", "/api/v1/notifications/contacts", "POST", `{"channel":`, 400, "", "not valid JSON", "pas du JSON valide"},
		{"unknown field", "/api/v1/notifications/settings", "PUT", `{"sound":"loud"}`, 400, "sound", "field Coffre does not know", "champ que Coffre ne connaît pas"},
		{"unknown field in a push subscription's envelope", "/api/v1/notifications/contacts", "POST", `{"channel":"push","endpoint":"https://fcm.googleapis.com/x"}`, 400, "endpoint", "field Coffre does not know", "champ que Coffre ne connaît pas"},
		{"oversized", "/api/v1/notifications/settings", "PUT", `{"lang":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "", "too large", "trop volumineux"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for lang, sub := range map[string]string{"en": tc.en, "fr": tc.fr} {
				o.lang = lang
				res := o.send(t, request{method: tc.method, path: tc.path, body: strings.NewReader(tc.body), contentType: "application/json"})
				if res.status != tc.status {
					t.Fatalf("%s: status %d, want %d: %s", lang, res.status, tc.status, truncate(res.body))
				}
				var b struct {
					Error struct{ Code, Message, Field string }
				}
				res.json(t, &b)
				if !strings.Contains(b.Error.Message, sub) || b.Error.Field != tc.field {
					t.Errorf("%s: error %+v, want field %q and %q", lang, b.Error, tc.field, sub)
				}
			}
		})
	}
	o.lang = ""
	var list struct {
		Contacts []any `json:"contacts"`
	}
	want(t, o.get(t, "/api/v1/notifications/contacts"), 200, "contacts").json(t, &list)
	if len(list.Contacts) != 0 {
		t.Errorf("%d contacts stored by refused requests", len(list.Contacts))
	}
	var st struct {
		Settings struct {
			Quiet struct{ Start, End int }
			Lang  string
		}
	}
	want(t, o.get(t, "/api/v1/notifications/settings"), 200, "settings").json(t, &st)
	if st.Settings.Quiet.Start != 21*60 || st.Settings.Quiet.End != 8*60 || st.Settings.Lang != "" {
		t.Errorf("settings changed by refused requests: %+v", st.Settings)
	}
}

// pushKeys are a valid PushSubscription's keys (RFC 8291's example).
const pushKeys = `"keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}`

// TestNotificationsStory: a worker downloads an owner's paper; the access
// alert reaches the owner's inbox (not the worker's), the owner marks it
// read, gives an e-mail address and a browser's push subscription, and
// changes preferences.
func TestNotificationsStory(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	o, wk := e.client(), e.client()
	want(t, o.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "story.owner", "secret": "citron bougie marmotte flocon"}), 201, "signup")
	o.loginOwner(t, "story.owner", "citron bougie marmotte flocon")
	wid := e.worker("agent@ccas.example", "Agent Dupont", "secret de l'agent assez long")
	wk.loginWorker(t, "agent@ccas.example", "secret de l'agent assez long")
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, o.upload(t, "/api/v1/documents", field("type", "rib"), field("title", "RIB très secret"), page(photo(t, 500, 700, 3))), 201, "upload").json(t, &up)
	o.reauth(t, "citron bougie marmotte flocon")
	want(t, o.do(t, "POST", "/api/v1/consents", map[string]any{
		"grantee": map[string]string{"kind": "worker", "id": wid},
		"scope":   map[string]any{"documents": []string{up.Document.ID}}, "purpose": "Dossier CAF", "days": 31,
	}), 201, "grant")
	want(t, wk.get(t, "/api/v1/documents/"+up.Document.ID+"/content"), 200, "worker download")
	if _, err := e.notify.RunOnce(testCtx(t)); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}

	type inbox struct {
		Items []struct {
			ID, Kind, Subject, Body string
			Read                    *string
		}
		Unread int
	}
	var in inbox
	want(t, o.get(t, "/api/v1/inbox"), 200, "inbox").json(t, &in)
	if len(in.Items) == 0 || in.Unread != len(in.Items) {
		t.Fatalf("owner inbox: %+v", in)
	}
	alert := in.Items[0]
	if alert.Kind != "access" || alert.Subject == "" || strings.Contains(alert.Subject+alert.Body, "très secret") {
		t.Errorf("alert %+v (kind access, no title unless allowed)", alert)
	}
	var win inbox
	want(t, wk.get(t, "/api/v1/inbox"), 200, "worker inbox").json(t, &win)
	for _, it := range win.Items {
		if it.ID == alert.ID {
			t.Error("the owner's alert is in the worker's inbox")
		}
	}
	checkErr(t, wk.do(t, "POST", "/api/v1/inbox/"+alert.ID+"/read", nil), 404, "not_found", "worker marks the owner's alert")
	want(t, o.do(t, "POST", "/api/v1/inbox/"+alert.ID+"/read", nil), 204, "mark read")
	want(t, o.get(t, "/api/v1/inbox"), 200, "inbox").json(t, &in)
	if in.Unread != len(in.Items)-1 || in.Items[0].Read == nil {
		t.Errorf("after mark read: %+v", in)
	}

	// Addresses.
	var k struct{ ID, Channel, Address string }
	want(t, o.do(t, "POST", "/api/v1/notifications/contacts", map[string]string{"channel": "email", "address": "Alice@Example.ORG"}), 201, "email").json(t, &k)
	if k.Address != "Alice@example.org" || k.Channel != "email" {
		t.Errorf("e-mail contact %+v", k)
	}
	checkErr(t, o.do(t, "POST", "/api/v1/notifications/contacts", map[string]string{"channel": "email", "address": "Alice@example.org"}), 409, "conflict", "duplicate")
	sub := `{"channel":"push","subscription":{"endpoint":"https://fcm.googleapis.com/fcm/send/abc123",` + pushKeys + `}}`
	res := o.send(t, request{method: "POST", path: "/api/v1/notifications/contacts", body: strings.NewReader(sub), contentType: "application/json"})
	want(t, res, 201, "push").json(t, &k)
	if k.Address != "fcm.googleapis.com" || strings.Contains(string(res.body), "p256dh") {
		t.Errorf("push contact answer %s", res.body)
	}
	var list struct {
		Contacts []struct{ ID string }
	}
	want(t, o.get(t, "/api/v1/notifications/contacts"), 200, "contacts").json(t, &list)
	if len(list.Contacts) != 2 {
		t.Fatalf("%d contacts", len(list.Contacts))
	}
	checkErr(t, wk.do(t, "DELETE", "/api/v1/notifications/contacts/"+k.ID, nil), 404, "not_found", "worker removes the owner's address")
	want(t, o.do(t, "DELETE", "/api/v1/notifications/contacts/"+k.ID, nil), 204, "remove")
	want(t, o.get(t, "/api/v1/notifications/contacts"), 200, "contacts").json(t, &list)
	if len(list.Contacts) != 1 {
		t.Errorf("%d contacts after removal", len(list.Contacts))
	}

	// Preferences.
	var st struct {
		Settings struct {
			Off    map[string][]string
			Quiet  struct{ Start, End int }
			Titles bool
			Lang   string
		}
		Channels []string
	}
	want(t, o.do(t, "PUT", "/api/v1/notifications/settings", map[string]any{
		"off": map[string][]string{"email": {"access"}}, "quiet": map[string]any{"start": 1380, "end": 360, "zone": "Europe/Paris"},
		"titles": true, "lang": "en",
	}), 200, "put settings").json(t, &st)
	want(t, o.get(t, "/api/v1/notifications/settings"), 200, "settings").json(t, &st)
	if st.Settings.Quiet.Start != 1380 || !st.Settings.Titles || st.Settings.Lang != "en" || len(st.Settings.Off["email"]) != 1 ||
		strings.Join(st.Channels, ",") != "inbox,email,push" {
		t.Errorf("settings %+v", st)
	}
	var pk struct {
		Key     string
		Enabled bool
	}
	want(t, o.get(t, "/api/v1/notifications/push-key"), 200, "push key").json(t, &pk)
	if !pk.Enabled || len(pk.Key) != 87 {
		t.Errorf("push key %+v", pk)
	}
}

// TestAlertsNeedConfirmation: a session alone (cookie and CSRF token, as a
// thief copies them) cannot add an address for alerts nor turn titles on;
// it can still turn things off and set quiet hours. Once the secret is
// typed again, both work, the journal says so in her words, and her inbox
// (and the addresses she had) name the new address.
func TestAlertsNeedConfirmation(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	const secret = "citron bougie marmotte flocon"
	o := e.client()
	want(t, o.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "alerts.owner", "secret": secret}), 201, "signup")
	o.loginOwner(t, "alerts.owner", secret)

	checkErr(t, o.do(t, "POST", "/api/v1/notifications/contacts", map[string]string{"channel": "email", "address": "voleur@example.net"}), 403, "reauth_required", "contact, session alone")
	checkErr(t, o.do(t, "PUT", "/api/v1/notifications/settings", map[string]any{"titles": true}), 403, "reauth_required", "titles, session alone")
	want(t, o.do(t, "PUT", "/api/v1/notifications/settings", map[string]any{"quiet": map[string]int{"start": 1320, "end": 420}}), 200, "quiet hours, session alone")
	var contacts struct {
		Contacts []struct{ Address string } `json:"contacts"`
	}
	want(t, o.get(t, "/api/v1/notifications/contacts"), 200, "contacts").json(t, &contacts)
	var st struct {
		Settings struct{ Titles bool } `json:"settings"`
	}
	want(t, o.get(t, "/api/v1/notifications/settings"), 200, "settings").json(t, &st)
	if len(contacts.Contacts) != 0 || st.Settings.Titles {
		t.Fatalf("a session alone changed the alerts: %+v, titles %v", contacts, st.Settings.Titles)
	}
	// A wrong secret confirms nothing.
	checkErr(t, o.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": "mauvais secret pas le bon"}), 401, "wrong_secret", "wrong reauth")
	checkErr(t, o.do(t, "POST", "/api/v1/notifications/contacts", map[string]string{"channel": "email", "address": "voleur@example.net"}), 403, "reauth_required", "contact after a wrong secret")

	o.reauth(t, secret)
	want(t, o.do(t, "POST", "/api/v1/notifications/contacts", map[string]string{"channel": "email", "address": "awa@example.org"}), 201, "contact, confirmed")
	want(t, o.do(t, "PUT", "/api/v1/notifications/settings", map[string]any{"titles": true}), 200, "titles, confirmed")
	// Turning titles off again needs nothing, nor does leaving them on.
	want(t, o.do(t, "PUT", "/api/v1/notifications/settings", map[string]any{"titles": true, "lang": "en"}), 200, "titles kept")

	var journal struct {
		Events []struct {
			Text string `json:"text"`
		} `json:"events"`
	}
	want(t, o.get(t, "/api/v1/journal"), 200, "journal").json(t, &journal)
	var texts []string
	for _, ev := range journal.Events {
		texts = append(texts, ev.Text)
	}
	all := strings.Join(texts, "\n")
	for _, w := range []string{"Vous avez ajouté une adresse pour recevoir les alertes : awa@example.org (Par e-mail)",
		"Vous avez choisi de montrer le nom de vos papiers dans les alertes"} {
		if !strings.Contains(all, w) {
			t.Errorf("journal lacks %q:\n%s", w, all)
		}
	}
	if n := strings.Count(all, "montrer le nom de vos papiers"); n != 1 {
		t.Errorf("titles journaled %d times, want once (kept on is no change)", n)
	}
	if _, err := e.notify.RunOnce(testCtx(t)); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	var inbox struct {
		Items []struct {
			Body string `json:"body"`
		} `json:"items"`
	}
	want(t, o.get(t, "/api/v1/inbox"), 200, "inbox").json(t, &inbox)
	var bodies []string
	for _, it := range inbox.Items {
		bodies = append(bodies, it.Body)
	}
	if !strings.Contains(strings.Join(bodies, "\n"), "awa@example.org") {
		t.Errorf("inbox does not name the new address: %q", bodies)
	}
}
