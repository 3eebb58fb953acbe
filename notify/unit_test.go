package notify_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

func TestQuietHoursUntil(t *testing.T) {
	paris := parisZone(t)
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, paris) }
	night := notify.QuietHours{Start: 21 * 60, End: 8 * 60}
	lunch := notify.QuietHours{Start: 12 * 60, End: 14 * 60, Zone: "Europe/Paris"}
	utcNight := notify.QuietHours{Start: 22 * 60, End: 6 * 60, Zone: "UTC"}
	for _, c := range []struct {
		name string
		q    notify.QuietHours
		t    time.Time
		want time.Time
	}{
		{"none", notify.QuietHours{}, at(3, 23, 0), at(3, 23, 0)},
		{"before night", night, at(3, 20, 59), at(3, 20, 59)},
		{"night start", night, at(3, 21, 0), at(4, 8, 0)},
		{"after midnight", night, at(4, 2, 30), at(4, 8, 0)},
		{"night end", night, at(4, 8, 0), at(4, 8, 0)},
		{"lunch", lunch, at(3, 13, 0), at(3, 14, 0)},
		{"after lunch", lunch, at(3, 14, 1), at(3, 14, 1)},
		{"other zone", utcNight, time.Date(2026, 3, 3, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)},
		// Paris moves to summer time on 29 March 2026 at 02:00.
		{"across DST", night, at(28, 22, 0), at(29, 8, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.q.Until(c.t); !got.Equal(c.want) {
				t.Fatalf("Until(%v) = %v, want %v", c.t, got.In(paris), c.want)
			}
		})
	}
}

func TestSettingsValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		st   notify.Settings
		ok   bool
	}{
		{"defaults", notify.DefaultSettings(), true},
		{"email reminders off", notify.Settings{Off: map[notify.Channel][]notify.Kind{notify.ChannelEmail: {notify.KindReminder}}}, true},
		{"unknown channel", notify.Settings{Off: map[notify.Channel][]notify.Kind{"fax": {notify.KindReminder}}}, false},
		{"unknown kind", notify.Settings{Off: map[notify.Channel][]notify.Kind{notify.ChannelPush: {"spam"}}}, false},
		{"hour 24", notify.Settings{Quiet: notify.QuietHours{Start: 24 * 60}}, false},
		{"negative", notify.Settings{Quiet: notify.QuietHours{End: -1}}, false},
		{"bad zone", notify.Settings{Quiet: notify.QuietHours{Start: 1, Zone: "Mars/Olympus"}}, false},
		{"german", notify.Settings{Lang: "de"}, false},
		{"english", notify.Settings{Lang: "en"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.st.Validate()
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, notify.ErrInvalid)) {
				t.Fatalf("Validate = %v, want ok=%v", err, c.ok)
			}
		})
	}
	st := notify.Settings{Off: map[notify.Channel][]notify.Kind{notify.ChannelEmail: {notify.KindAccess}, notify.ChannelInbox: {notify.KindAccess}}}
	if st.Enabled(notify.ChannelEmail, notify.KindAccess) || !st.Enabled(notify.ChannelEmail, notify.KindReminder) ||
		!st.Enabled(notify.ChannelInbox, notify.KindAccess) {
		t.Fatal("Enabled: e-mail access off, reminders on, the inbox always on")
	}
}

func TestSMTPValidateAddress(t *testing.T) {
	c, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: 25, Security: notify.SMTPPlain, From: "no-reply@coffre.test"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"marie@Example.ORG":             "marie@example.org",
		" marie@example.org ":           "marie@example.org",
		"Marie <marie@example.org>":     "",
		"marie@example.org\r\nBcc: x@y": "",
		"marie":                         "",
		"marie@nodot":                   "",
		"a@b.c, d@e.f":                  "",
	} {
		got, err := c.ValidateAddress(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("ValidateAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, cfg := range []notify.SMTPConfig{
		{Host: "", Port: 25, From: "a@b.c"},
		{Host: "h", Port: 0, From: "a@b.c"},
		{Host: "h", Port: 25, From: "not an address"},
		{Host: "h", Port: 25, From: "a@b.c", Security: "ssl3"},
	} {
		if _, err := notify.NewSMTP(cfg); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("NewSMTP(%+v) = %v, want ErrInvalid", cfg, err)
		}
	}
}

// An SMTP server demanding AUTH gets the configured credentials; wrong
// credentials are a temporary failure (an operator's mistake, not a
// reason to drop mail).
func TestSMTPAuth(t *testing.T) {
	d := newSMTPD(t)
	d.user, d.pass = "coffre", "s3cret-pass"
	send := func(pass string) error {
		c, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: d.port(), Security: notify.SMTPPlain,
			Username: "coffre", Password: pass, From: "no-reply@coffre.test"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.Send(ctx, notify.Message{ID: "abc", To: "marie@example.org", Lang: "fr", Subject: "Sujet é", Body: "Corps\n.\nfin", Created: noon})
	}
	if err := send("wrong"); !errors.Is(err, notify.ErrTemporary) {
		t.Fatalf("wrong password: %v, want ErrTemporary", err)
	}
	if err := send("s3cret-pass"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ms := d.messages()
	if len(ms) != 1 || ms[0].Subject != "Sujet é" || !strings.Contains(ms[0].Body, "Corps\r\n.\r\nfin") {
		t.Fatalf("received %+v", ms)
	}
	// STARTTLS required but not offered: temporary, nothing sent.
	c, _ := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: d.port(), From: "no-reply@coffre.test"})
	if err := c.Send(context.Background(), notify.Message{ID: "x", To: "marie@example.org", Created: noon}); !errors.Is(err, notify.ErrTemporary) {
		t.Fatalf("no STARTTLS: %v", err)
	}
	// A server that never answers: the attempt's deadline ends it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	mute, _ := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: notify.SMTPPlain, From: "a@b.co"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := mute.Send(ctx, notify.Message{ID: "y", To: "marie@example.org", Created: noon}); !errors.Is(err, notify.ErrTemporary) || time.Since(start) > 5*time.Second {
		t.Fatalf("mute server: %v after %v", err, time.Since(start))
	}
}

func TestWebPushValidateAddress(t *testing.T) {
	key, err := notify.GenerateVAPIDKey()
	if err != nil {
		t.Fatal(err)
	}
	wp, err := notify.NewWebPush(notify.WebPushConfig{Key: key, Subscriber: "mailto:ops@coffre.test"})
	if err != nil {
		t.Fatal(err)
	}
	p := newPushd(t, key.Public)
	_, good := p.subscribe(t)
	good = strings.Replace(good, p.srv.URL, "https://fcm.googleapis.com/fcm/send/abc", 1)
	if _, err := wp.ValidateAddress(good); err != nil {
		t.Fatalf("a Chrome-like subscription: %v", err)
	}
	for name, addr := range map[string]string{
		"not JSON":      "https://fcm.googleapis.com",
		"http":          strings.Replace(good, "https://", "http://", 1),
		"internal host": strings.Replace(good, "fcm.googleapis.com", "169.254.169.254", 1),
		"lookalike":     strings.Replace(good, "fcm.googleapis.com", "fcm.googleapis.com.evil.example", 1),
		"userinfo":      strings.Replace(good, "https://", "https://user@", 1),
		"bad key":       strings.Replace(good, `"p256dh":"`, `"p256dh":"AAAA`, 1),
		"no auth":       strings.Replace(good, `"auth"`, `"nope"`, 1),
	} {
		if _, err := wp.ValidateAddress(addr); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("%s: ValidateAddress = %v, want ErrInvalid", name, err)
		}
	}
	// Keys round-trip through a file; an existing file is not overwritten.
	path := filepath.Join(t.TempDir(), "vapid.key")
	k1, err := notify.WriteVAPIDKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode())
	}
	k2, err := notify.LoadVAPIDKeyFile(path)
	if err != nil || k2 != k1 {
		t.Fatalf("reloaded %+v, %v; want %+v", k2, err, k1)
	}
	if _, err := notify.WriteVAPIDKeyFile(path); err == nil {
		t.Fatal("an existing key file was overwritten")
	}
	if _, err := notify.ParseVAPIDKey("not a key"); !errors.Is(err, notify.ErrInvalid) {
		t.Fatalf("ParseVAPIDKey: %v", err)
	}
}

// Push service answers are classified: retry on 429/5xx, give up on
// other 4xx, disable on 404/410.
func TestWebPushStatus(t *testing.T) {
	key, _ := notify.GenerateVAPIDKey()
	p := newPushd(t, key.Public)
	wp, err := notify.NewWebPush(notify.WebPushConfig{Key: key, Subscriber: "mailto:ops@coffre.test",
		AllowedHosts: []string{"127.0.0.1"}, Client: p.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, sub := p.subscribe(t)
	for code, want := range map[int]error{0: nil, 429: notify.ErrTemporary, 503: notify.ErrTemporary,
		400: notify.ErrPermanent, 413: notify.ErrPermanent, 404: notify.ErrGone, 410: notify.ErrGone} {
		p.setStatus(code)
		err := wp.Send(context.Background(), notify.Message{ID: "m1", To: sub, Subject: "s", Body: "b", Kind: notify.KindAccess})
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("status %d: %v, want %v", code, err, want)
		}
	}
	if got := p.received(); len(got) != 1 || got[0].Payload["title"] != "s" || got[0].Topic != "m1" {
		t.Errorf("received %+v", got)
	}
	p.srv.Close()
	if err := wp.Send(context.Background(), notify.Message{ID: "m2", To: sub}); !errors.Is(err, notify.ErrTemporary) {
		t.Errorf("endpoint down: %v, want ErrTemporary", err)
	}
}

// Contacts are stored sealed and unique; removing one stops it; settings
// round-trip; the inbox marks entries read only for their recipient.
func TestContactsSettingsInbox(t *testing.T) {
	w := newWorld(t)
	in := w.open(t)
	o := in.owner(t, "en", nil)
	other := in.owner(t, "fr", nil)
	ctx := testCtx(t)
	r := notify.Recipient{Kind: vault.KindOwner, ID: o.p.ID()}
	if _, err := in.n.AddContact(ctx, r, notify.ChannelEmail, o.email); !errors.Is(err, meta.ErrConflict) {
		t.Fatalf("duplicate address: %v, want ErrConflict", err)
	}
	if _, err := in.n.AddContact(ctx, r, notify.ChannelSMS, "+33612345678"); !errors.Is(err, notify.ErrInvalid) {
		t.Fatalf("unconfigured channel: %v, want ErrInvalid", err)
	}
	if _, err := in.n.AddContact(ctx, r, notify.ChannelEmail, "nope"); !errors.Is(err, notify.ErrInvalid) {
		t.Fatalf("bad address: %v, want ErrInvalid", err)
	}
	cs, err := in.n.Contacts(ctx, r)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Contacts = %+v, %v", cs, err)
	}
	if cs[0].Channel != notify.ChannelEmail {
		cs[0], cs[1] = cs[1], cs[0]
	}
	if cs[0].Address != o.email {
		t.Fatalf("e-mail contact %+v", cs[0])
	}
	if err := in.n.RemoveContact(ctx, notify.Recipient{Kind: vault.KindOwner, ID: other.p.ID()}, cs[0].ID); !errors.Is(err, notify.ErrNotFound) {
		t.Fatalf("removing someone else's contact: %v", err)
	}
	if err := in.n.RemoveContact(ctx, r, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	st := notify.Settings{Off: map[notify.Channel][]notify.Kind{notify.ChannelPush: {notify.KindReminder}}, Lang: "fr", AllowTitles: true}
	if err := in.n.SetSettings(ctx, r, st); err != nil {
		t.Fatal(err)
	}
	got, err := in.n.Settings(ctx, r)
	if err != nil || got.Lang != "fr" || !got.AllowTitles || got.Enabled(notify.ChannelPush, notify.KindReminder) {
		t.Fatalf("Settings = %+v, %v", got, err)
	}
	in.add(t, o.p.ID(), "passeport", "", "x", noon.AddDate(0, 0, 5))
	in.round(t)
	// E-mail removed, push reminders off: inbox only, in the chosen French.
	if c := in.counts(t, o); c != [3]int{1, 0, 0} {
		t.Fatalf("(inbox, mail, push) = %v, want inbox only", c)
	}
	items := in.inbox(t, o.p)
	if items[0].Subject != "Votre passeport arrive bientôt à sa date de fin" || !items[0].Read.IsZero() {
		t.Fatalf("inbox %+v", items[0])
	}
	if err := in.n.MarkRead(ctx, other.p, items[0].ID); !errors.Is(err, notify.ErrNotFound) {
		t.Fatalf("MarkRead by another owner: %v", err)
	}
	if err := in.n.MarkRead(ctx, o.p, items[0].ID); err != nil {
		t.Fatal(err)
	}
	if items = in.inbox(t, o.p); items[0].Read.IsZero() {
		t.Fatal("entry not marked read")
	}
	if _, err := in.n.Inbox(ctx, other.p, 0); err != nil {
		t.Fatal(err)
	}
	// Forget removes everything kept for the owner.
	if err := in.n.Forget(ctx, r); err != nil {
		t.Fatal(err)
	}
	if items = in.inbox(t, o.p); len(items) != 0 {
		t.Fatalf("inbox after Forget: %d entries", len(items))
	}
	if cs, _ := in.n.Contacts(ctx, r); len(cs) != 0 {
		t.Fatalf("contacts after Forget: %d", len(cs))
	}
	if got := in.n.Channels(); len(got) != 3 || got[0] != notify.ChannelInbox {
		t.Fatalf("Channels = %v", got)
	}
}

// A deleted account's notifications are dropped, and the sweep removes
// what was kept for it.
func TestDeletedAccount(t *testing.T) {
	w := newWorld(t)
	in := w.open(t)
	o := in.owner(t, "fr", nil)
	ctx := testCtx(t)
	in.add(t, o.p.ID(), "passeport", "", "x", noon.AddDate(0, 0, 5))
	if err := in.n.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := in.v.DeleteAccount(ctx, o.p); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	if _, err := in.n.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(w.mail.messages()) + len(w.push.received()); n != 0 {
		t.Fatalf("%d messages to a deleted account", n)
	}
	if err := in.n.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	items, err := in.db.OutboxOf(ctx, vault.KindOwner, o.p.ID())
	if err != nil || len(items) != 0 {
		t.Fatalf("outbox after the sweep: %d rows, %v", len(items), err)
	}
	if cs, _ := in.n.Contacts(ctx, notify.Recipient{Kind: vault.KindOwner, ID: o.p.ID()}); len(cs) != 0 {
		t.Fatalf("contacts after the sweep: %d", len(cs))
	}
}

// Start wires the channels from a server's settings and runs the
// scheduler until its context ends.
func TestStart(t *testing.T) {
	w := newWorld(t)
	in := w.open(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "smtp-password")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.mail.user, w.mail.pass = "coffre", "pw"
	ctx, cancel := context.WithCancel(testCtx(t))
	svc, stop, err := notify.Start(ctx, in.v, in.db, notify.ServeConfig{
		BaseURL: "https://coffre.test", SMTPHost: "127.0.0.1", SMTPPort: w.mail.port(), SMTPSecurity: notify.SMTPPlain,
		SMTPUser: "coffre", SMTPPasswordFile: pwFile, SMTPFrom: "no-reply@coffre.test",
		VAPIDKeyFile: filepath.Join(dir, "vapid.key"),
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if svc.VAPIDPublicKey() == "" || len(svc.Channels()) != 3 {
		t.Fatalf("channels %v, key %q", svc.Channels(), svc.VAPIDPublicKey())
	}
	if _, err := os.Stat(filepath.Join(dir, "vapid.key")); err != nil {
		t.Fatalf("VAPID key file not created: %v", err)
	}
	o := in.owner(t, "fr", nil)
	r := notify.Recipient{Kind: vault.KindOwner, ID: o.p.ID()}
	if _, err := svc.AddContact(ctx, r, notify.ChannelEmail, "start@example.org"); err != nil {
		t.Fatal(err)
	}
	w.clock.Wall()
	in.add(t, o.p.ID(), "passeport", "", "x", time.Now().AddDate(0, 0, 3))
	// The scheduler's first scan plans the reminder; wait for the e-mail.
	deadline := time.Now().Add(10 * time.Second)
	for len(w.mailsTo("start@example.org")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no e-mail from the started scheduler")
		}
		time.Sleep(20 * time.Millisecond)
		if err := svc.ScanOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	stop()
	if _, _, err := notify.Start(context.Background(), in.v, in.db, notify.ServeConfig{SMTPHost: "h", SMTPFrom: "bad"}); !errors.Is(err, notify.ErrInvalid) {
		t.Fatalf("bad from: %v", err)
	}
}
