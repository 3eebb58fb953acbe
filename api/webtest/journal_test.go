package webtest

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/coffre/coffre/vault"
)

// TestWebJournalWarnsWhenLogGoesBack: the owner's phone keeps the journal's
// checkpoint and checks it at each visit. Someone who can write the
// database (no pepper) then removes the tail, removes the whole journal,
// rewrites the newest entry, swaps two entries, adds an entry (which it
// cannot sign), or puts back the journal as it was earlier with its genuine
// older checkpoint: at the next visit the page says so in plain words. Before that, a visit after new events says
// that the phone checked and nothing was erased.
func TestWebJournalWarnsWhenLogGoesBack(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t)
	db, err := sql.Open("sqlite", srv.dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	const (
		wentBack  = "Attention : votre journal a reculé."
		notExtend = "Attention : votre journal a été modifié."
		unsigned  = "Attention : le journal ne correspond pas à sa dernière preuve signée."
	)
	cases := []struct {
		name string
		// tamper changes the owner's rows; older is the journal's head row
		// as it was before the last visit.
		tamper func(t *testing.T, id string, older headRow)
		want   string
	}{
		{"tail deletion", func(t *testing.T, id string, _ headRow) {
			execAll(t, db, id,
				`DELETE FROM journal WHERE owner_id = ? AND seq > (SELECT MAX(seq) - 2 FROM journal WHERE owner_id = ?)`,
				`UPDATE journal_heads SET seq = seq - 2, tree_size = tree_size - 2 WHERE owner_id = ?`)
		}, wentBack},
		{"whole-journal deletion", func(t *testing.T, id string, _ headRow) {
			execAll(t, db, id, `DELETE FROM journal WHERE owner_id = ?`, `DELETE FROM journal_heads WHERE owner_id = ?`,
				`DELETE FROM journal_hashes WHERE owner_id = ?`)
		}, wentBack},
		{"head rewrite", func(t *testing.T, id string, _ headRow) {
			execAll(t, db, id, `UPDATE journal SET kind = 'login', document_id = '' WHERE owner_id = ? AND seq = (SELECT MAX(seq) FROM journal WHERE owner_id = ?)`)
		}, notExtend},
		{"reordering", func(t *testing.T, id string, _ headRow) {
			execAll(t, db, id,
				`UPDATE journal SET seq = 1000 WHERE owner_id = ? AND seq = 2`,
				`UPDATE journal SET seq = 2 WHERE owner_id = ? AND seq = 3`,
				`UPDATE journal SET seq = 3 WHERE owner_id = ? AND seq = 1000`)
		}, notExtend},
		{"entry added without the key", func(t *testing.T, id string, _ headRow) {
			execAll(t, db, id, `INSERT INTO journal (owner_id, seq, at, kind, actor_kind, actor_id, document_id, payload_sealed, prev_hash, hash)
				SELECT owner_id, seq + 1, at + 1, 'login', actor_kind, actor_id, '', payload_sealed, prev_hash, hash
				FROM journal WHERE owner_id = ? AND seq = (SELECT MAX(seq) FROM journal WHERE owner_id = ?)`)
		}, unsigned},
		{"restored older genuine checkpoint", func(t *testing.T, id string, h headRow) {
			execAll(t, db, id, `DELETE FROM journal WHERE owner_id = ? AND seq > `+strconv.FormatInt(h.seq, 10),
				`DELETE FROM journal_hashes WHERE owner_id = ? AND idx >= `+strconv.FormatInt(tlog.StoredHashCount(h.seq), 10))
			if _, err := db.Exec(`UPDATE journal_heads SET seq = ?, tree_size = ?, hash = ?, checkpoint = ? WHERE owner_id = ?`,
				h.seq, h.treeSize, h.hash, h.cp, id); err != nil {
				t.Fatal(err)
			}
		}, wentBack},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			ident := "06 12 34 56 7" + strconv.Itoa(i)
			const secret = "girafe velo soleil cartable"
			id, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(secret)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			owner := b.person("owner-" + strconv.Itoa(i))
			owner.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
			owner.open(srv.URL + "/lang?to=fr&back=/login")
			owner.fill("#identifier", ident)
			owner.fill("#secret", secret)
			owner.tapNav("form button[type=submit]")
			p, err := srv.v.Login(ctx, ident, []byte(secret), "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			d, err := srv.v.AddOwnDocument(ctx, p, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 1}, strings.NewReader("rib"))
			if err != nil {
				t.Fatal(err)
			}

			// First visit: the phone keeps the checkpoint.
			owner.tapNav(`nav#menu a[href="/journal"]`)
			shown := owner.text("#journal-proof .hint:not([id])")
			if !strings.HasPrefix(shown, "Le journal compte 4 lignes. Empreinte : ") { // signup, 2 logins, added
				t.Fatalf("checkpoint shown as %q", shown)
			}
			owner.poll(`localStorage.getItem('coffre.journal.`+id+`') !== null`, 10*time.Second)
			older := readHead(t, db, id)
			// New events, second visit: checked, nothing erased.
			for _, title := range []string{"RIB 1", "RIB 2"} {
				if err := srv.v.Rename(ctx, p, d.ID, title); err != nil {
					t.Fatal(err)
				}
			}
			owner.tapNav(`nav#menu a[href="/journal"]`)
			owner.poll(`!document.getElementById('journal-checked').hidden`, 10*time.Second)
			if got := owner.text("#journal-checked"); !strings.Contains(got, "rien n'a été effacé ni changé depuis votre dernière visite (4 lignes") {
				t.Fatalf("after new events: %q", got)
			}
			if eval[bool](owner, `!document.getElementById('journal-warning').hidden`) {
				t.Fatalf("warning on an intact journal: %q", owner.text("#journal-warning"))
			}

			c.tamper(t, id, older)
			owner.tapNav(`nav#menu a[href="/journal"]`)
			owner.poll(`!document.getElementById('journal-warning').hidden`, 10*time.Second)
			got := owner.text("#journal-warning")
			if !strings.HasPrefix(got, c.want) || c.want != unsigned && !strings.Contains(got, "votre téléphone a vu 6 lignes") &&
				!strings.Contains(got, "à votre dernière visite (6 lignes)") {
				t.Fatalf("warning %q, want %q… (6 lines seen)", got, c.want)
			}
			t.Logf("%s: %s", c.name, got)
			owner.screenshot("owner-journal-" + strings.ReplaceAll(c.name, " ", "-"))
			// The warning stays at the next visit: the kept checkpoint is not replaced.
			owner.tapNav(`nav#menu a[href="/journal"]`)
			owner.poll(`!document.getElementById('journal-warning').hidden`, 10*time.Second)
			if i == 0 {
				owner.check("owner-journal-warning", true)
				// The same warning in English.
				owner.open(srv.URL + "/journal?lang=en")
				owner.poll(`!document.getElementById('journal-warning').hidden`, 10*time.Second)
				if got := owner.text("#journal-warning"); !strings.HasPrefix(got, "Warning: your journal went back. At your last visit, your phone saw 6 entries. The vault now shows only 4.") {
					t.Errorf("English warning %q", got)
				}
			}
		})
	}
}

// tapNav taps an element like a finger and waits for the page it leads to.
func (p *person) tapNav(sel string) {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Tap(chromedp.CSS(sel))); err != nil {
		p.b.t.Fatalf("%s: tap %s: %v", p.name, sel, err)
	}
	p.do(chromedp.WaitReady(chromedp.CSS("main h1")))
}

// headRow is an owner's journal_heads row.
type headRow struct {
	seq, treeSize int64
	hash, cp      []byte
}

func readHead(t *testing.T, db *sql.DB, id string) headRow {
	t.Helper()
	var h headRow
	if err := db.QueryRow(`SELECT seq, tree_size, hash, checkpoint FROM journal_heads WHERE owner_id = ?`, id).
		Scan(&h.seq, &h.treeSize, &h.hash, &h.cp); err != nil {
		t.Fatal(err)
	}
	return h
}

// execAll runs statements whose every ? is the owner id.
func execAll(t *testing.T, db *sql.DB, id string, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = id
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
