package notify_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/notify"
	"github.com/coffre/coffre/vault"
)

// Every message sent while a vault lives its life (uploads, drop-link
// deposits, worker reads and downloads, a request answered, reminders,
// consents ending) is scanned: no document content, no title, no token,
// no secret in any e-mail (raw and decoded), push payload (decrypted) or
// inbox entry (opened). Allowing titles then makes them appear, which
// shows the scan can see them. The database holds none of the addresses
// or texts in clear.
func TestMessagesCarryNoSecrets(t *testing.T) {
	w := newWorld(t)
	in := w.open(t)
	o := in.owner(t, "fr", nil)
	worker, workerEmail := in.worker(t, "Mme Morel")
	ctx := testCtx(t)

	secrets := []string{goodSecret}
	docTitle, docContent := "TITRE-SECRET-42", "CONTENU-SECRET-77"
	d := in.add(t, o.p.ID(), "titre-sejour", docTitle, docContent, noon.AddDate(0, 0, 60))
	secrets = append(secrets, docTitle, docContent, base64.StdEncoding.EncodeToString([]byte(docContent)))

	sessTok, _, err := in.v.StartSession(ctx, o.p)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, sessTok)
	c, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Documents: []string{d.ID}, Types: []string{"recepisse"}}, Purpose: "PURPOSE-SECRET-31", Days: 31, ShowName: "NOM-SECRET-90",
	})
	if err != nil {
		t.Fatalf("GrantConsent: %v", err)
	}
	secrets = append(secrets, "PURPOSE-SECRET-31", "NOM-SECRET-90")
	token, _, err := in.v.CreateDropLink(ctx, o.p, o.p.ID(), vault.NewDropLink{Label: "LABEL-SECRET-64", Requested: []string{"recepisse"}})
	if err != nil {
		t.Fatalf("CreateDropLink: %v", err)
	}
	secrets = append(secrets, token, "LABEL-SECRET-64")
	w.clock.Add(time.Minute) // the receipt comes after the consent that shares it
	if _, err := in.v.Deposit(ctx, token, vault.NewDocument{Type: "recepisse", Title: "TITRE-DEPOT-13", Pages: 1},
		strings.NewReader("CONTENU-DEPOT-55")); err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	secrets = append(secrets, "TITRE-DEPOT-13", "CONTENU-DEPOT-55")
	// Sent through her link, it is shared under the consent once she
	// opened it.
	ds, err := in.v.List(ctx, o.p)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range ds {
		if doc.Title == "TITRE-DEPOT-13" {
			if err := in.v.MarkOpened(ctx, o.p, doc.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, open := range []func() error{
		func() error { rc, _, err := in.v.OpenDocument(ctx, worker, d.ID); closeIf(rc); return err },
		func() error { rc, _, err := in.v.Download(ctx, worker, d.ID); closeIf(rc); return err },
	} {
		if err := open(); err != nil {
			t.Fatalf("worker read: %v", err)
		}
	}
	in.round(t)
	// Reminders fall due; the consent nears its end, then ends.
	w.clock.Set(c.Expires.Add(-48 * time.Hour))
	in.round(t)
	w.clock.Set(c.Expires.Add(time.Minute))
	in.round(t)
	in.round(t)

	type msg struct{ where, text string }
	var all []msg
	for _, m := range w.mail.messages() {
		all = append(all, msg{"mail to " + m.To, m.Raw}, msg{"mail to " + m.To + " (decoded)", m.Subject + "\n" + m.Body})
	}
	for _, g := range w.push.received() {
		all = append(all, msg{"push " + g.Sub, g.Plain})
	}
	for _, it := range in.inbox(t, o.p) {
		all = append(all, msg{"owner inbox", it.Subject + "\n" + it.Body + "\n" + it.Link})
	}
	for _, it := range in.inbox(t, worker) {
		all = append(all, msg{"worker inbox", it.Subject + "\n" + it.Body + "\n" + it.Link})
	}
	for _, m := range all {
		if os.Getenv("NOTIFY_SHOW") != "" {
			t.Logf("%s:\n%s", m.where, m.text)
		}
		for _, s := range secrets {
			if strings.Contains(m.text, s) {
				t.Errorf("%s holds %q:\n%s", m.where, s, m.text)
			}
		}
	}
	// The scan saw every kind of message.
	kinds := map[string]int{}
	for _, it := range in.inbox(t, o.p) {
		kinds[it.Subject]++
	}
	wantSubjects := []string{
		"Votre titre de séjour arrive bientôt à sa date de fin", "Quelqu'un a consulté un de vos papiers",
		"Un papier est arrivé dans votre coffre", "Un partage que vous avez fait prend bientôt fin",
		"Un partage que vous avez fait a pris fin",
	}
	for _, s := range wantSubjects {
		if kinds[s] == 0 {
			t.Errorf("no %q in the owner's inbox (%v)", s, kinds)
		}
	}
	if kinds["Quelqu'un a consulté un de vos papiers"] != 2 {
		t.Errorf("want 2 read alerts, got %v", kinds)
	}
	// The worker: told of the share (naming no one), then of the receipt.
	wm := w.mailsTo(workerEmail)
	shared, arrived := 0, 0
	for _, m := range wm {
		if m.Subject == "Une personne a partagé des papiers avec vous" {
			shared++
		}
		if strings.Contains(m.Body, "récépissé") {
			arrived++
		}
	}
	if len(wm) != 2 || shared != 1 || arrived != 1 {
		t.Errorf("worker e-mails (shared, documents arrived): %d %+v", len(wm), wm)
	}
	if n := len(all); n < 27 { // 6 owner notifications × (mail raw+decoded, push, inbox), worker mail×2 + inbox
		t.Errorf("only %d messages scanned", n)
	}

	// The database and its WAL hold no address or text in clear.
	var db []byte
	for _, f := range []string{"coffre.db", "coffre.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(w.dir, f))
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("no database bytes")
	}
	for _, s := range []string{o.email, workerEmail, w.push.srv.URL, "arrive à expiration", "a été consulté", "Mme Morel a ouvert"} {
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("the database holds %q in clear", s)
		}
	}

	// Titles allowed: the next alert names the document by its title.
	r := notify.Recipient{Kind: vault.KindOwner, ID: o.p.ID()}
	st, err := in.n.Settings(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	st.AllowTitles = true
	if err := in.n.SetSettings(ctx, r, st); err != nil {
		t.Fatal(err)
	}
	if _, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Documents: []string{d.ID}}, Purpose: "p", Days: 1,
	}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := in.v.OpenDocument(ctx, worker, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	closeIf(rc)
	in.round(t)
	var last mailMsg
	for _, m := range w.mailsTo(o.email) {
		if m.Subject == "Quelqu'un a consulté un de vos papiers" {
			last = m
		}
	}
	if !strings.Contains(last.Body, "« "+docTitle+" »") {
		t.Errorf("with titles allowed, the alert does not name the title: %q", last.Body)
	}
	if strings.Contains(last.Body, docContent) {
		t.Errorf("content in an alert: %q", last.Body)
	}
}

func closeIf(rc interface{ Close() error }) {
	if rc != nil {
		_ = rc.Close()
	}
}
