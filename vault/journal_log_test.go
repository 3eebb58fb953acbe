package vault_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
)

// journalOwner is an owner with a journal of a few entries, on SQLite.
type journalOwner struct {
	dir   *acctDir
	in    *instance
	owner *vault.Principal
	doc   vault.Document
}

func newJournalOwner(t *testing.T) *journalOwner {
	dir := newAcctDir(t)
	in := dir.open(t)
	owner, _ := in.signUp(t, "journal")
	in.signUp(t, "bystander")
	d := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
	jo := &journalOwner{dir: dir, in: in, owner: owner, doc: d}
	jo.events(t, 3)
	return jo
}

// events records n more entries (renames by the owner).
func (jo *journalOwner) events(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		jo.dir.clock.Add(time.Minute)
		if err := jo.in.svc.Rename(testCtx(t), jo.owner, jo.doc.ID, strings.Repeat("R", i+1)); err != nil {
			t.Fatal(err)
		}
	}
}

func (jo *journalOwner) checkpoint(t *testing.T) vault.Checkpoint {
	t.Helper()
	c, err := jo.in.svc.JournalCheckpoint(testCtx(t), jo.owner)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exec runs tampering statements on the SQLite file; ? is the owner id.
func (jo *journalOwner) exec(t *testing.T, stmts ...string) {
	t.Helper()
	db := journalDB(t, jo.dir)
	for _, q := range stmts {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = jo.owner.ID()
		}
		if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("tamper %q: %v", q, err)
		}
	}
}

func mentions(rep vault.JournalReport, sub string) bool {
	for _, p := range rep.Problems {
		if strings.Contains(p.Reason, sub) {
			return true
		}
	}
	return false
}

// TestJournalOwnerCheckpointDetects: an owner keeps a checkpoint; then
// someone who can write the database but has no pepper removes the tail,
// removes everything, rewrites the newest entry, reorders entries, or puts
// back an older genuine checkpoint with the entries after it removed.
// verify-journal given the kept checkpoint reports each one; the log alone
// reports all but the last (an older genuine state is self-consistent).
func TestJournalOwnerCheckpointDetects(t *testing.T) {
	cases := []struct {
		name string
		// tamper runs after the owner kept the checkpoint.
		tamper func(t *testing.T, jo *journalOwner)
		// aloneOK: the log alone looks intact (only a kept checkpoint tells).
		aloneOK bool
		kept    string
	}{
		{"tail deletion", func(t *testing.T, jo *journalOwner) {
			jo.exec(t,
				`DELETE FROM journal WHERE owner_id = ? AND seq > (SELECT MAX(seq) - 2 FROM journal WHERE owner_id = ?)`,
				`UPDATE journal_heads SET seq = seq - 2, tree_size = tree_size - 2 WHERE owner_id = ?`)
		}, false, "went back"},
		{"whole-journal deletion", func(t *testing.T, jo *journalOwner) {
			jo.exec(t, `DELETE FROM journal WHERE owner_id = ?`, `DELETE FROM journal_heads WHERE owner_id = ?`,
				`DELETE FROM journal_hashes WHERE owner_id = ?`)
		}, false, "went back"},
		{"head rewrite", func(t *testing.T, jo *journalOwner) {
			jo.exec(t, `UPDATE journal SET kind = 'login', document_id = '' WHERE owner_id = ? AND seq = (SELECT MAX(seq) FROM journal WHERE owner_id = ?)`)
		}, false, "does not extend"},
		{"reordering", func(t *testing.T, jo *journalOwner) {
			jo.exec(t,
				`UPDATE journal SET seq = 1000 WHERE owner_id = ? AND seq = 2`,
				`UPDATE journal SET seq = 2 WHERE owner_id = ? AND seq = 3`,
				`UPDATE journal SET seq = 3 WHERE owner_id = ? AND seq = 1000`)
		}, false, "does not extend"},
		{"restored older genuine checkpoint", nil, true, "went back"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jo := newJournalOwner(t)
			ctx := testCtx(t)
			tamper := c.tamper
			if tamper == nil {
				// The state of the database at 5 entries (a backup, or rows
				// copied earlier), put back after two more events.
				type headRow struct {
					seq, treeSize int64
					hash, cp      []byte
				}
				var h headRow
				db := journalDB(t, jo.dir)
				if err := db.QueryRow(`SELECT seq, tree_size, hash, checkpoint FROM journal_heads WHERE owner_id = ?`, jo.owner.ID()).
					Scan(&h.seq, &h.treeSize, &h.hash, &h.cp); err != nil {
					t.Fatal(err)
				}
				jo.events(t, 2)
				tamper = func(t *testing.T, jo *journalOwner) {
					jo.exec(t, `DELETE FROM journal WHERE owner_id = ? AND seq > `+itoa(h.seq),
						`DELETE FROM journal_hashes WHERE owner_id = ? AND idx >= `+itoa(tlog.StoredHashCount(h.seq)))
					if _, err := db.Exec(`UPDATE journal_heads SET seq = ?, tree_size = ?, hash = ?, checkpoint = ? WHERE owner_id = ?`,
						h.seq, h.treeSize, h.hash, h.cp, jo.owner.ID()); err != nil {
						t.Fatal(err)
					}
				}
			}
			kept := jo.checkpoint(t)
			if rep, err := jo.in.svc.VerifyJournalCheckpoint(ctx, kept.Note); err != nil || !rep.OK() {
				t.Fatalf("before tampering: %+v, %v", rep, err)
			}
			tamper(t, jo)

			alone, err := jo.in.svc.VerifyJournal(ctx, jo.owner.ID())
			if err != nil {
				t.Fatal(err)
			}
			if alone.OK() != c.aloneOK {
				t.Errorf("log alone: OK = %v, want %v: %+v", alone.OK(), c.aloneOK, alone.Problems)
			}
			rep, err := jo.in.svc.VerifyJournalCheckpoint(ctx, kept.Note)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !mentions(rep, c.kept) {
				t.Fatalf("with the kept checkpoint (%d entries): want a problem saying %q, got %+v", kept.Size, c.kept, rep.Problems)
			}
			for _, p := range rep.Problems {
				t.Logf("reported: entry %d: %s", p.Seq, p.Reason)
			}
			// Every owner is listed, the bystander's journal is intact.
			all, err := jo.in.svc.VerifyJournal(ctx, "")
			if err != nil || all.Owners != 2 {
				t.Fatalf("every owner: %+v, %v", all, err)
			}
			for _, p := range all.Problems {
				if p.OwnerID != jo.owner.ID() {
					t.Errorf("bystander reported: %+v", p)
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// An intact log extends every checkpoint it had; the proofs the service
// gives check with tlog.CheckTree against checkpoints kept along the way;
// after a rollback, a proof from the kept size cannot be had.
func TestJournalConsistencyProofs(t *testing.T) {
	jo := newJournalOwner(t)
	ctx := testCtx(t)
	var kept []vault.Checkpoint
	for range 6 {
		kept = append(kept, jo.checkpoint(t))
		jo.events(t, 1)
	}
	now := jo.checkpoint(t)
	for _, k := range kept {
		if rep, err := jo.in.svc.VerifyJournalCheckpoint(ctx, k.Note); err != nil || !rep.OK() {
			t.Fatalf("kept checkpoint of %d: %+v, %v", k.Size, rep, err)
		}
		p, err := jo.in.svc.JournalConsistency(ctx, jo.owner, k.Size)
		if err != nil {
			t.Fatal(err)
		}
		if p.Size != now.Size || p.Hash != now.Hash || !p.Signed {
			t.Fatalf("proof against %d/%s (signed %v), want %d/%s", p.Size, p.Hash, p.Signed, now.Size, now.Hash)
		}
		if err := tlog.CheckTree(p.Proof, now.Size, now.Hash, k.Size, k.Hash); err != nil {
			t.Fatalf("proof from %d to %d: %v", k.Size, now.Size, err)
		}
		// A proof does not fit another tree.
		if k.Size < now.Size {
			other := k.Hash
			other[0] ^= 1
			if tlog.CheckTree(p.Proof, now.Size, now.Hash, k.Size, other) == nil {
				t.Fatal("proof checks against a different old tree")
			}
		}
	}
	if _, err := jo.in.svc.JournalConsistency(ctx, jo.owner, 0); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("proof from 0: %v", err)
	}
	// The log went back: no proof from the kept size.
	jo.exec(t, `DELETE FROM journal WHERE owner_id = ? AND seq > 3`, `DELETE FROM journal_hashes WHERE owner_id = ?`,
		`UPDATE journal_heads SET seq = 3, tree_size = 0 WHERE owner_id = ?`)
	p, err := jo.in.svc.JournalConsistency(ctx, jo.owner, now.Size)
	if err != nil {
		t.Fatal(err)
	}
	if p.Size >= now.Size || p.Proof != nil {
		t.Fatalf("after rollback: %+v", p)
	}
	// Checkpoints of another pepper are refused.
	other := jo.dir.openOther(t, make([]byte, 32))
	if _, err := other.VerifyJournalCheckpoint(ctx, now.Note); !errors.Is(err, vault.ErrCheckpoint) {
		t.Fatalf("checkpoint of another key: %v", err)
	}
	if _, err := jo.in.svc.OpenCheckpoint([]byte("coffre.journal/x\n1\nAAAA\n\n— coffre-journal AAAA\n")); !errors.Is(err, vault.ErrCheckpoint) {
		t.Fatalf("unsigned checkpoint: %v", err)
	}
}

// The owner's own uploads and reads are journaled, like a worker's.
func TestJournalOwnUploadsAndViews(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "self")
	d, err := in.svc.AddOwnDocument(ctx, owner, vault.NewDocument{Type: "avis-impot", Title: "Avis 2025", Pages: 1}, strings.NewReader("avis"))
	if err != nil {
		t.Fatal(err)
	}
	in.mustRead(t, owner, d, "avis")
	rc, _, err := in.svc.Download(ctx, owner, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, rc)
	_ = rc.Close()
	evs, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs[len(evs)-3:] {
		got = append(got, eventFacts(e))
		if e.ActorKind != vault.ActorOwner || e.DocumentID != d.ID {
			t.Errorf("event %+v", e)
		}
	}
	for i, want := range []string{vault.EventDocumentAdded + ": avis-impot", vault.EventDocumentViewed + ": avis-impot", vault.EventDocumentDownload + ": avis-impot"} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("event %d: %q, want %q…", i, got[i], want)
		}
	}
}

// TestJournalConvertPreviousRelease opens a database written by the
// previous release (migrations 0001-0006, hash-chained journals: see
// testdata/journal-before-log.db), migrates it, converts its journals and
// checks that every entry is still there, readable, and covered by a signed
// checkpoint that later appends extend.
func TestJournalConvertPreviousRelease(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "journal-before-log.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := newAcctDir(t)
	if err := os.WriteFile(filepath.Join(dir.dir, "coffre.db"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	in := dir.open(t) // migrates
	ctx := testCtx(t)
	before, err := in.svc.VerifyJournal(ctx, "")
	if err != nil || before.OK() || !mentions(before, "not converted") || before.Entries != 13 || before.Owners != 2 {
		t.Fatalf("before conversion: %+v, %v", before, err)
	}
	n, rep, err := in.svc.ConvertJournals(ctx)
	if err != nil || n != 2 || !rep.OK() {
		t.Fatalf("ConvertJournals = %d, %+v, %v", n, rep, err)
	}
	if n, _, err := in.svc.ConvertJournals(ctx); err != nil || n != 0 {
		t.Fatalf("second ConvertJournals = %d, %v", n, err)
	}
	after, err := in.svc.VerifyJournal(ctx, "")
	if err != nil || !after.OK() || after.Entries != 13 || after.Owners != 2 {
		t.Fatalf("after conversion: %+v, %v", after, err)
	}
	owner, err := in.svc.Login(ctx, "0612345678", []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := in.svc.Journal(ctx, owner)
	if err != nil || len(evs) != 12 { // 11 written by the previous release, this login
		t.Fatalf("journal: %d events, %v", len(evs), err)
	}
	if want := vault.EventSignup + ": CCAS de Roubaix — Mme Morel"; eventFacts(evs[0]) != want {
		t.Errorf("first event %q, want %q", eventFacts(evs[0]), want)
	}
	c, err := in.svc.JournalCheckpoint(ctx, owner)
	if err != nil || c.Size != 12 {
		t.Fatalf("checkpoint %+v, %v", c, err)
	}
	// A checkpoint of the converted log (11 entries) is extended.
	p, err := in.svc.JournalConsistency(ctx, owner, 11)
	if err != nil || len(p.Proof) == 0 {
		t.Fatalf("proof from 11: %+v, %v", p, err)
	}
	if rep, err := in.svc.VerifyJournalCheckpoint(ctx, c.Note); err != nil || !rep.OK() {
		t.Fatalf("verify with checkpoint: %+v, %v", rep, err)
	}
}

// An unconverted journal is converted by its next append too.
func TestJournalConvertOnAppend(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "journal-before-log.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := newAcctDir(t)
	if err := os.WriteFile(filepath.Join(dir.dir, "coffre.db"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	in := dir.open(t)
	ctx := testCtx(t)
	owner, err := in.svc.Login(ctx, "0612345678", []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := in.svc.VerifyJournal(ctx, owner.ID())
	if err != nil || !rep.OK() || rep.Entries != 12 {
		t.Fatalf("after append: %+v, %v", rep, err)
	}
}

// Appends from two services on one PostgreSQL database are serialised per
// owner: one gapless log whose checkpoint verifies, and every checkpoint
// handed out on the way is extended by the final log.
func TestJournalAppendsTwoServicesPostgres(t *testing.T) {
	pg := testenv.Postgres(t)
	url := pg.NewDatabase(t)
	clk := newClock()
	open := func() *vault.Service {
		s, err := meta.OpenPostgres(testCtx(t), url, vault.RowKeyOption(testPepper))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.DB.Close() })
		bs, err := local.New(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := vault.New(vault.Config{Meta: s.DB, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := open(), open()
	ctx := testCtx(t)
	id, _, err := a.SignUp(ctx, vault.NewOwner{Identifier: "0611111111", Secret: []byte(goodSecret)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := a.Login(ctx, "0611111111", []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.AddOwnDocument(ctx, owner, vault.NewDocument{Type: "rib", Title: "RIB", Pages: 1}, strings.NewReader("rib"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var mu sync.Mutex
	var seen [][]byte
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range 2 * n {
		svc := []*vault.Service{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := svc.Rename(ctx, owner, d.ID, fmt.Sprintf("RIB %d", i)); err != nil { // a new title each: journaled
				errs <- err
				return
			}
			c, err := svc.JournalCheckpoint(ctx, owner)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			seen = append(seen, c.Note)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep, err := b.VerifyJournal(ctx, id)
	if err != nil || !rep.OK() || rep.Entries != 3+2*n { // signup, login, added, the renames
		t.Fatalf("VerifyJournal = %+v, %v", rep, err)
	}
	for _, cp := range seen {
		if rep, err := a.VerifyJournalCheckpoint(ctx, cp); err != nil || !rep.OK() {
			t.Fatalf("a checkpoint handed out during the appends is not extended: %+v, %v", rep, err)
		}
	}
}

// An export carries the journal's signed checkpoint (a file and a manifest
// field) that verify-journal accepts later, once the journal has grown.
func TestJournalCheckpointInExport(t *testing.T) {
	jo := newJournalOwner(t)
	ctx := testCtx(t)
	var buf bytes.Buffer
	if err := jo.in.svc.Export(ctx, jo.owner, &buf, vault.ExportPDF, "README"); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		_ = rc.Close()
	}
	cp := files["journal-checkpoint.txt"]
	var m vault.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if len(cp) == 0 || m.JournalCheckpoint != string(cp) {
		t.Fatalf("export: checkpoint file %q, manifest %q", cp, m.JournalCheckpoint)
	}
	c, err := jo.in.svc.OpenCheckpoint(cp)
	if err != nil || c.OwnerID != jo.owner.ID() || c.Size != 5 {
		t.Fatalf("exported checkpoint: %+v, %v", c, err)
	}
	jo.events(t, 2)
	if rep, err := jo.in.svc.VerifyJournalCheckpoint(ctx, cp); err != nil || !rep.OK() {
		t.Fatalf("exported checkpoint later: %+v, %v", rep, err)
	}
	jo.exec(t, `DELETE FROM journal WHERE owner_id = ? AND seq > 3`)
	if rep, err := jo.in.svc.VerifyJournalCheckpoint(ctx, cp); err != nil || !mentions(rep, "went back") {
		t.Fatalf("exported checkpoint after removal: %+v, %v", rep, err)
	}
}

// TestJournalRewoundHeadIsNotResigned: someone who writes the database but
// lacks the pepper removes an access from the owner's journal, renumbers
// the entries after it and marks the journal "not converted" (its head's
// tree size rewound to 0), hoping the service rebuilds and signs a tree
// over what is left (a review found it did: on the next checkpoint asked,
// the next append and at start-up, every check then passed, the owner's
// kept checkpoint included). The service must refuse to sign: no
// checkpoint, no append, verify-journal reports the tampering, and the
// owner's kept checkpoint is not extended.
func TestJournalRewoundHeadIsNotResigned(t *testing.T) {
	for _, rewind := range []string{"tree_size = 0", "tree_size = 1"} {
		t.Run(rewind, func(t *testing.T) {
			jo := newJournalOwner(t)
			ctx := testCtx(t)
			kept := jo.checkpoint(t)
			jo.events(t, 2) // the access to hide, then one more
			hidden := kept.Size + 1
			jo.exec(t,
				fmt.Sprintf(`DELETE FROM journal WHERE owner_id = ? AND seq = %d`, hidden),
				fmt.Sprintf(`UPDATE journal SET seq = %d WHERE owner_id = ? AND seq = %d`, hidden, hidden+1),
				`UPDATE journal_heads SET seq = seq - 1, `+rewind+` WHERE owner_id = ?`)
			if c, err := jo.in.svc.JournalCheckpoint(ctx, jo.owner); !errors.Is(err, vault.ErrCorrupt) {
				t.Fatalf("checkpoint of the tampered journal: size %d, %v; want ErrCorrupt", c.Size, err)
			}
			p, err := jo.in.svc.JournalConsistency(ctx, jo.owner, kept.Size)
			if err != nil {
				t.Fatal(err)
			}
			if p.Signed {
				t.Fatalf("the tampered log of %d entries is presented as signed", p.Size)
			}
			// The next event is not appended on top of it (the append
			// would sign the tree).
			jo.dir.clock.Add(time.Minute)
			if err := jo.in.svc.Rename(ctx, jo.owner, jo.doc.ID, "after"); !errors.Is(err, vault.ErrCorrupt) {
				t.Fatalf("append to the tampered journal: %v; want ErrCorrupt", err)
			}
			// Start-up's conversion refuses it too, and says why.
			n, rep, err := jo.in.svc.ConvertJournals(ctx)
			if err != nil || n != 0 || rep.OK() || !mentions(rep, "not converted") {
				t.Fatalf("ConvertJournals = %d, %+v, %v", n, rep, err)
			}
			alone, err := jo.in.svc.VerifyJournal(ctx, jo.owner.ID())
			if err != nil || alone.OK() {
				t.Fatalf("verify-journal: %+v, %v; want problems", alone, err)
			}
			withKept, err := jo.in.svc.VerifyJournalCheckpoint(ctx, kept.Note)
			if err != nil || withKept.OK() {
				t.Fatalf("verify-journal --checkpoint: %+v, %v; want problems", withKept, err)
			}
			// Nothing signed was written meanwhile.
			if _, err := jo.in.svc.JournalCheckpoint(ctx, jo.owner); !errors.Is(err, vault.ErrCorrupt) {
				t.Fatalf("checkpoint after the attempts: %v", err)
			}
		})
	}
}
