package notify_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// An expiring document produces exactly one reminder per channel (inbox,
// e-mail through a real SMTP server, Web Push through a real endpoint) when
// its type's notice period begins, not before, and never again; a new
// validity end gets its own reminder.
func TestReminderOncePerChannelAtTheRightTime(t *testing.T) {
	engines(t, testReminderOncePerChannelAtTheRightTime)
}

func testReminderOncePerChannelAtTheRightTime(t *testing.T, newWorld func(testing.TB) *world) {
	w := newWorld(t)
	in := w.open(t)
	o := in.owner(t, "fr", nil)
	en := in.owner(t, "en", nil)
	expires := noon.AddDate(0, 0, 200)
	d := in.add(t, o.p.ID(), "titre-sejour", "Titre de Marie", "contenu", expires)
	in.add(t, en.p.ID(), "titre-sejour", "My permit", "content", expires)
	due := in.n.ReminderDue("titre-sejour", expires)
	if want := expires.AddDate(0, 0, -120); due.Sub(want).Abs() > 2*time.Hour { // the catalogue's 120 days (DST aside)
		t.Fatalf("ReminderDue = %v, want about %v", due, want)
	}
	ctx := testCtx(t)

	in.round(t)
	if c := in.counts(t, o); c != [3]int{} {
		t.Fatalf("at upload: (inbox, mail, push) = %v, want nothing", c)
	}
	w.clock.Set(due.Add(-time.Hour))
	in.round(t)
	if c := in.counts(t, o); c != [3]int{} {
		t.Fatalf("an hour before the notice period: %v, want nothing", c)
	}
	w.clock.Set(due.Add(time.Minute))
	if n := in.round(t); n != 6 {
		t.Fatalf("RunOnce at due time sent %d, want 6 (2 owners × 3 channels)", n)
	}
	for _, p := range []person{o, en} {
		if c := in.counts(t, p); c != [3]int{1, 1, 1} {
			t.Fatalf("at due time: %v, want one per channel", c)
		}
	}
	// Again and again, on this instance and another: nothing more.
	other := w.open(t)
	for range 3 {
		in.round(t)
		other.round(t)
		w.clock.Add(36 * time.Hour)
	}
	if c := in.counts(t, o); c != [3]int{1, 1, 1} {
		t.Fatalf("after more rounds: %v, want still one per channel", c)
	}

	// What was said, in French and in English.
	m := w.mailsTo(o.email)[0]
	if !strings.Contains(m.Subject, "titre de séjour") || !strings.Contains(m.Body, "administration-etrangers-en-france.interieur.gouv.fr") ||
		!strings.Contains(m.Body, "dans 120 jours") {
		t.Errorf("French reminder: %q / %q", m.Subject, m.Body)
	}
	if m.Header.Get("Content-Language") != "fr" || m.Header.Get("Auto-Submitted") != "auto-generated" || m.From != "no-reply@coffre.test" {
		t.Errorf("headers %v from %q", m.Header, m.From)
	}
	pe := w.pushesTo(en.subID)[0]
	if pe.Payload["title"] != "Your residence permit expires soon" || pe.Payload["kind"] != "reminder" {
		t.Errorf("English push: %v", pe.Payload)
	}
	ib := in.inbox(t, o.p)[0]
	if ib.Kind != notify.KindReminder || ib.Subject != m.Subject || !strings.Contains(ib.Link, "interieur.gouv.fr") {
		t.Errorf("inbox entry %+v", ib)
	}
	if strings.Contains(m.Body, "Marie") {
		t.Errorf("title in a reminder: %q", m.Body)
	}

	// Renewed: a new validity end gets its own reminder, at its own time.
	later := expires.AddDate(1, 0, 0)
	if err := in.v.SetExpiry(ctx, o.p, d.ID, later); err != nil {
		t.Fatal(err)
	}
	in.round(t)
	if c := in.counts(t, o); c != [3]int{1, 1, 1} {
		t.Fatalf("after renewal: %v, want no new reminder yet", c)
	}
	w.clock.Set(in.n.ReminderDue("titre-sejour", later).Add(time.Minute))
	in.round(t)
	if c := in.counts(t, o); c != [3]int{2, 2, 2} {
		t.Fatalf("at the new due time: %v, want a second reminder per channel", c)
	}
	if errs := in.errors(); len(errs) > 0 {
		t.Fatalf("background errors: %v", errs)
	}
}

// Quiet hours hold e-mail and push back until they end; the inbox gets the
// reminder at once.
func TestQuietHoursHoldBackEmailAndPush(t *testing.T) {
	w := newWorld(t)
	in := w.open(t)
	def := notify.DefaultSettings() // quiet 21:00–08:00, Paris
	o := in.owner(t, "fr", &def)
	due := time.Date(2026, 3, 10, 22, 30, 0, 0, parisZone(t))
	expires := due.AddDate(0, 0, 30) // attestation-caf: 30 days' notice
	in.add(t, o.p.ID(), "attestation-caf", "", "x", expires)
	if got := in.n.ReminderDue("attestation-caf", expires); !got.Equal(due) {
		t.Fatalf("ReminderDue = %v, want %v", got, due)
	}
	w.clock.Set(due.Add(time.Minute))
	in.round(t)
	if c := in.counts(t, o); c != [3]int{1, 0, 0} {
		t.Fatalf("during quiet hours: %v, want inbox only", c)
	}
	w.clock.Set(time.Date(2026, 3, 11, 7, 59, 0, 0, parisZone(t)))
	in.round(t)
	if c := in.counts(t, o); c != [3]int{1, 0, 0} {
		t.Fatalf("at 07:59: %v, want inbox only", c)
	}
	w.clock.Set(time.Date(2026, 3, 11, 8, 0, 30, 0, parisZone(t)))
	in.round(t)
	if c := in.counts(t, o); c != [3]int{1, 1, 1} {
		t.Fatalf("at 08:00: %v, want every channel", c)
	}
}

func parisZone(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A worker's read reaches the owner on every channel within a second,
// through the journal hook and the running scheduler (whose poll interval
// is far longer: the event wakes it).
func TestAccessAlertWithinASecond(t *testing.T) {
	w := newWorld(t)
	w.clock.Wall()
	in := w.open(t, func(c *notify.Config) { c.PollInterval, c.ScanInterval = time.Hour, time.Hour })
	o := in.owner(t, "fr", nil)
	worker, _ := in.worker(t, "Mme Morel")
	ctx := testCtx(t)
	d := in.add(t, o.p.ID(), "titre-sejour", "Titre", "contenu", time.Time{})
	if _, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Categories: []string{"residence"}}, Purpose: "Dossier", Days: 31,
	}); err != nil {
		t.Fatalf("GrantConsent: %v", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = in.n.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond) // the scheduler's first round is over

	for i, open := range []func(context.Context, *vault.Principal, string) (io.ReadCloser, vault.Document, error){
		in.v.OpenDocument, in.v.Download,
	} {
		start := time.Now()
		rc, _, err := open(ctx, worker, d.ID)
		if err != nil {
			t.Fatalf("worker read: %v", err)
		}
		_, _ = io.Copy(io.Discard, rc)
		_ = rc.Close()
		want := [3]int{i + 1, i + 1, i + 1}
		for in.counts(t, o) != want {
			if time.Since(start) > time.Second {
				t.Fatalf("read %d: after %v (inbox, mail, push) = %v, want %v", i, time.Since(start), in.counts(t, o), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("read %d: alert on every channel after %v", i, time.Since(start).Round(time.Millisecond))
	}
	mails := w.mailsTo(o.email)
	if !strings.Contains(mails[0].Body, "CCAS de Roubaix — Mme Morel a ouvert votre titre de séjour") ||
		!strings.Contains(mails[1].Body, "a téléchargé") {
		t.Errorf("alerts: %q / %q", mails[0].Body, mails[1].Body)
	}
	// Each alert quotes the journal's signed checkpoint after the read: the
	// owner can keep it, and it proves the journal later (it is extended).
	for _, m := range mails {
		i := strings.Index(m.Body, "coffre.journal/")
		j := strings.Index(m.Body, "\n— coffre-journal ")
		if !strings.Contains(m.Body, "Votre journal compte maintenant") || i < 0 || j < i {
			t.Fatalf("alert without the journal's checkpoint: %q", m.Body)
		}
		end := j + 1 + strings.Index(m.Body[j+1:], "\n")
		note := m.Body[i:end] + "\n"
		if rep, err := in.v.VerifyJournalCheckpoint(ctx, []byte(note)); err != nil || !rep.OK() {
			t.Fatalf("checkpoint quoted in the alert does not verify: %+v, %v\n%s", rep, err, note)
		}
	}
}

// Two instances planning and sending from one database send each
// notification once per channel.
func TestTwoInstancesNoDuplicate(t *testing.T) { engines(t, testTwoInstancesNoDuplicate) }

func testTwoInstancesNoDuplicate(t *testing.T, newWorld func(testing.TB) *world) {
	w := newWorld(t)
	a, b := w.open(t), w.open(t)
	ctx := testCtx(t)
	const owners, docs = 3, 4
	var people []person
	for i := range owners {
		in := []*inst{a, b}[i%2]
		p := in.owner(t, "fr", nil)
		people = append(people, p)
		for j := range docs {
			in.add(t, p.p.ID(), "carte-identite", "", "x", noon.AddDate(0, 0, 91+j))
		}
	}
	worker, _ := a.worker(t, "Mme Morel")
	for _, p := range people {
		if _, err := a.v.GrantConsent(ctx, p.p, vault.NewConsent{
			Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
			Scope:   vault.Scope{Categories: []string{"identity"}}, Purpose: "Dossier", Days: 365,
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Rounds on both instances at once while the clock moves through the
	// notice periods and workers read on both.
	for day := range 8 {
		var wg sync.WaitGroup
		for _, in := range []*inst{a, b} {
			wg.Go(func() {
				for range 3 {
					if err := in.n.ScanOnce(ctx); err != nil {
						t.Errorf("ScanOnce: %v", err)
					}
					if _, err := in.n.RunOnce(ctx); err != nil {
						t.Errorf("RunOnce: %v", err)
					}
				}
			})
		}
		if day < owners {
			list, err := b.v.List(ctx, worker)
			if err != nil || len(list) == 0 {
				t.Fatalf("worker list: %d, %v", len(list), err)
			}
			rc, _, err := b.v.OpenDocument(ctx, worker, list[day].ID)
			if err != nil {
				t.Fatal(err)
			}
			_ = rc.Close()
		}
		wg.Wait()
		w.clock.Add(24 * time.Hour)
	}
	a.round(t)
	b.round(t)
	reads := 0
	for _, p := range people {
		c := a.counts(t, p)
		items := a.inbox(t, p.p)
		alerts := 0
		for _, it := range items {
			if it.Kind == notify.KindAccess {
				alerts++
			}
		}
		reads += alerts
		want := docs + alerts
		if c != [3]int{want, want, want} {
			t.Errorf("owner %s: (inbox, mail, push) = %v, want %d each (%d reminders, %d alerts)", p.p.ID(), c, want, docs, alerts)
		}
	}
	if reads != owners {
		t.Errorf("%d access alerts, want %d", reads, owners)
	}
	seen := map[string]bool{}
	for _, m := range w.mail.messages() {
		id := m.Header.Get("Message-ID")
		if seen[id] {
			t.Errorf("message %s sent twice", id)
		}
		seen[id] = true
	}
	for _, g := range w.push.received() {
		if seen[g.Topic] {
			t.Errorf("push %s sent twice", g.Topic)
		}
		seen[g.Topic] = true
	}
	for _, in := range []*inst{a, b} {
		for _, err := range in.errors() {
			t.Errorf("background error: %v", err)
		}
	}
}

// An SMTP server that is down, then refusing, delays e-mail and retries
// with backoff; nothing is lost and nothing is sent twice; the other
// channels are not held up.
func TestSMTPDownDelaysAndLosesNothing(t *testing.T) { engines(t, testSMTPDownDelaysAndLosesNothing) }

func testSMTPDownDelaysAndLosesNothing(t *testing.T, newWorld func(testing.TB) *world) {
	w := newWorld(t)
	in := w.open(t)
	o := in.owner(t, "fr", nil)
	worker, _ := in.worker(t, "Mme Morel")
	ctx := testCtx(t)
	d := in.add(t, o.p.ID(), "passeport", "", "x", noon.AddDate(0, 0, 30))
	if _, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Documents: []string{d.ID}}, Purpose: "Dossier", Days: 31,
	}); err != nil {
		t.Fatal(err)
	}
	w.mail.stop()
	rc, _, err := in.v.OpenDocument(ctx, worker, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Close()
	in.round(t) // reminder (due: 30 days < 90) and alert
	if c := in.counts(t, o); c != [3]int{2, 0, 2} {
		t.Fatalf("SMTP down: (inbox, mail, push) = %v, want inbox and push only", c)
	}
	emailRows := func() []meta.OutboxItem {
		items, err := in.db.OutboxOf(ctx, vault.KindOwner, o.p.ID())
		if err != nil {
			t.Fatal(err)
		}
		var out []meta.OutboxItem
		for _, it := range items {
			if it.Channel == "email" {
				out = append(out, it)
			}
		}
		return out
	}
	rows := emailRows()
	if len(rows) != 2 {
		t.Fatalf("%d e-mail rows, want 2", len(rows))
	}
	for _, r := range rows {
		if r.State != meta.OutboxQueued || r.Attempts != 1 || !r.Due.After(w.clock.Now()) || r.LastError != "temporary" {
			t.Fatalf("after a refused connection: %+v", r)
		}
	}
	errs := in.errors()
	var de *notify.DeliveryError
	if len(errs) == 0 || !errors.As(errs[0], &de) || !errors.Is(errs[0], notify.ErrTemporary) || de.Channel != notify.ChannelEmail {
		t.Fatalf("reported errors %v", errs)
	}
	if strings.Contains(errs[0].Error(), "@") {
		t.Errorf("reported error quotes an address: %v", errs[0])
	}
	// Not due yet: nothing tried.
	in.round(t)
	if r := emailRows()[0]; r.Attempts != 1 {
		t.Fatalf("retried before its backoff: %+v", r)
	}
	// Still down after the first backoff (1 min + jitter): attempt 2, longer delay.
	w.clock.Add(76 * time.Second)
	in.round(t)
	r2 := emailRows()[0]
	if r2.Attempts != 2 || r2.Due.Sub(w.clock.Now()) < 2*time.Minute {
		t.Fatalf("second attempt: %+v (now %v)", r2, w.clock.Now())
	}
	// Back up but refusing for now (421): attempt 3.
	w.mail.start()
	w.mail.setRefuse(421)
	w.clock.Add(151 * time.Second)
	in.round(t)
	if r := emailRows()[0]; r.Attempts != 3 || w.mail.attempts() == 0 {
		t.Fatalf("third attempt against a 421: %+v, server saw %d", r, w.mail.attempts())
	}
	// Accepting again: each e-mail goes exactly once.
	w.mail.setRefuse(0)
	for range 4 {
		w.clock.Add(10 * time.Minute)
		in.round(t)
	}
	if c := in.counts(t, o); c != [3]int{2, 2, 2} {
		t.Fatalf("after recovery: %v, want two of each", c)
	}
	for _, r := range emailRows() {
		if r.State != meta.OutboxSent {
			t.Fatalf("row %+v not sent", r)
		}
	}
}

// A permanent refusal (5xx) is not retried; a push subscription that is
// gone (410) is disabled and not used again.
func TestPermanentFailures(t *testing.T) {
	w := newWorld(t)
	in := w.open(t)
	o := in.owner(t, "fr", nil)
	ctx := testCtx(t)
	w.mail.setRefuse(550)
	w.push.setStatus(410)
	in.add(t, o.p.ID(), "passeport", "", "x", noon.AddDate(0, 0, 10))
	in.round(t)
	w.clock.Add(time.Hour)
	in.round(t)
	if n := w.mail.attempts(); n != 1 {
		t.Errorf("SMTP tried %d times after a 550, want 1", n)
	}
	cs, err := in.n.Contacts(ctx, notify.Recipient{Kind: vault.KindOwner, ID: o.p.ID()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Channel == notify.ChannelPush && c.Disabled.IsZero() {
			t.Errorf("gone push subscription still enabled: %+v", c)
		}
	}
	items, _ := in.db.OutboxOf(ctx, vault.KindOwner, o.p.ID())
	states := map[string]string{}
	for _, it := range items {
		states[it.Channel] = it.State + "/" + it.LastError
	}
	if states["email"] != "failed/permanent" || states["push"] != "failed/gone" || states["inbox"] != "sent/" {
		t.Errorf("outbox states %v", states)
	}
	// The next notification skips the disabled subscription.
	w.push.setStatus(0)
	in.add(t, o.p.ID(), "passeport", "", "y", noon.AddDate(0, 0, 12))
	in.round(t)
	if got := len(w.push.received()); got != 0 {
		t.Errorf("%d pushes to a gone subscription", got)
	}
}
