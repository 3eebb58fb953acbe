package notify_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
)

// Three downloads of one paper by one worker in one day make one message
// ("… a téléchargé … 3 fois aujourd'hui") and one e-mail and push
// message, not three; the in-app message is said in the language of the
// page that shows it; marking it read marks the three.
func TestDownloadsGroupedByDay(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	in := w.open(t)
	titles := notify.DefaultSettings()
	titles.Quiet, titles.AllowTitles = notify.QuietHours{}, true
	o := in.owner(t, "fr", &titles)
	worker, _ := in.worker(t, "Mme Morel")
	ctx := testCtx(t)
	d := in.add(t, o.p.ID(), "titre-sejour", "Titre 2026", "contenu", time.Time{})
	if _, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Documents: []string{d.ID}}, Purpose: "Dossier", Days: 31,
	}); err != nil {
		t.Fatal(err)
	}
	download := func() {
		rc, _, err := in.v.Download(ctx, worker, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, rc)
		_ = rc.Close()
		in.round(t)
	}
	for range 3 {
		download()
		w.clock.Add(time.Hour)
	}
	items := in.inbox(t, o.p)
	var reads []notify.InboxItem
	for _, it := range items {
		if it.Kind == notify.KindAccess {
			reads = append(reads, it)
		}
	}
	if len(reads) != 1 || reads[0].Count != 3 || len(reads[0].IDs) != 3 {
		t.Fatalf("inbox: %d read messages (%+v), want one standing for 3", len(reads), reads)
	}
	want := "CCAS de Roubaix — Mme Morel a téléchargé votre titre de séjour « Titre 2026 » 3 fois aujourd'hui."
	if !strings.Contains(reads[0].Body, want) {
		t.Errorf("grouped message:\n%s\nwant %q", reads[0].Body, want)
	}
	if n := len(w.mailsTo(o.email)); n != 1 {
		t.Errorf("%d e-mails for 3 downloads in a day, want 1", n)
	}
	// The inbox, read inside Coffre, carries neither the journal's proof
	// (kept outside, by e-mail) nor the footers pointing to Coffre; the
	// e-mail has both.
	for _, it := range items {
		if strings.Contains(it.Body, "coffre.journal/") || strings.Contains(it.Body, "empreinte") || strings.Contains(it.Body, "réglages") {
			t.Errorf("inbox message with the e-mail's proof or footer:\n%s", it.Body)
		}
	}
	if m := w.mailsTo(o.email)[0]; !strings.Contains(m.Body, "coffre.journal/") {
		t.Errorf("the e-mail lost the journal's proof:\n%s", m.Body)
	}
	if n := len(w.pushesTo(o.subID)); n != 1 {
		t.Errorf("%d push messages for 3 downloads in a day, want 1", n)
	}
	en, err := in.n.InboxIn(ctx, o.p, 0, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range en {
		if it.Kind == notify.KindAccess && !strings.Contains(it.Body, "Mme Morel downloaded your residence permit “Titre 2026” 3 times today.") {
			t.Errorf("in English:\n%s", it.Body)
		}
	}
	if err := in.n.MarkRead(ctx, o.p, reads[0].IDs[2]); err != nil {
		t.Fatal(err)
	}
	for _, it := range in.inbox(t, o.p) {
		if it.Kind == notify.KindAccess && it.Read.IsZero() {
			t.Errorf("after marking the message read, it is still unread: %+v", it)
		}
	}
	// The next day starts a new message, and a new e-mail.
	w.clock.Add(24 * time.Hour)
	download()
	reads = nil
	for _, it := range in.inbox(t, o.p) {
		if it.Kind == notify.KindAccess {
			reads = append(reads, it)
		}
	}
	if len(reads) != 2 || reads[0].Count != 1 || !strings.Contains(reads[0].Body, "a téléchargé votre titre de séjour « Titre 2026 », le 4 mars") {
		t.Fatalf("next day: %+v", reads)
	}
	if n := len(w.mailsTo(o.email)); n != 2 {
		t.Errorf("%d e-mails after a download the next day, want 2", n)
	}
	// Seen another day, the group says which day.
	w.clock.Add(24 * time.Hour)
	if b := in.inbox(t, o.p)[1].Body; !strings.Contains(b, "3 fois le 3 mars") {
		t.Errorf("an older group:\n%s", b)
	}
}

// An owner who chose English gets every message in English: e-mail and
// in-app, no French word.
func TestMessagesFollowTheOwnersLanguage(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	in := w.open(t)
	o := in.owner(t, "en", nil)
	worker, _ := in.worker(t, "Mme Morel")
	ctx := testCtx(t)
	d := in.add(t, o.p.ID(), "passeport", "", "contenu", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC))
	if _, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Documents: []string{d.ID}}, Purpose: "Dossier", Days: 31,
	}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := in.v.OpenDocument(ctx, worker, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Close()
	in.round(t)
	var texts []string
	for _, m := range w.mailsTo(o.email) {
		texts = append(texts, m.Subject+"\n"+m.Body)
	}
	for _, it := range in.inbox(t, o.p) {
		texts = append(texts, it.Subject+"\n"+it.Body)
	}
	if len(texts) < 4 {
		t.Fatalf("only %d messages", len(texts))
	}
	french := []string{"votre", "Vous", "papier", " le ", "jours", "aujourd'hui", "passeport", "Coffre : "}
	for _, s := range texts {
		for _, f := range french {
			if strings.Contains(s, f) {
				t.Errorf("French %q in an English message:\n%s", f, s)
			}
		}
	}
	if !strings.Contains(strings.Join(texts, "\n"), "Mme Morel opened your passport") {
		t.Errorf("messages:\n%s", strings.Join(texts, "\n---\n"))
	}
}
