package vault_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// TestJournalStory walks the story of issue 3 through the service and
// checks that every step lands in the owner's journal, in order, readable
// in French and English, with an intact chain.
func TestJournalStory(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	w, _ := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")

	// A worker creates a vault for a person who is present; the person logs in.
	ownerID, _, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: "06 12 34 56 78", Secret: []byte(goodSecret)}, w)
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	step := func() { dir.clock.Add(time.Minute) }
	step()
	owner, err := in.svc.Login(ctx, "0612345678", []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	// The worker saw no recovery code: the person makes the sheet now.
	code, err := in.svc.NewRecoveryCode(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	step()
	// A drop link, a helper's upload.
	token, _, err := in.svc.CreateDropLink(ctx, owner, ownerID, vault.NewDropLink{Label: "Papiers CAF"})
	if err != nil {
		t.Fatal(err)
	}
	step()
	if _, err := in.svc.Deposit(ctx, token, vault.NewDocument{Type: "avis-impot", Title: "Avis 2025", Pages: 3}, strings.NewReader("avis")); err != nil {
		t.Fatal(err)
	}
	docs, _ := in.svc.List(ctx, owner)
	tax := docs[0]
	step()
	// The worker requests, the owner consents for 31 days.
	r, err := in.svc.CreateRequest(ctx, w, vault.NewRequest{OwnerID: ownerID, Purpose: "Dossier RSA", Types: []string{"avis-impot"}, Days: 31})
	if err != nil {
		t.Fatal(err)
	}
	step()
	c, err := in.svc.AcceptRequest(ctx, owner, r.ID, vault.Acceptance{Documents: []string{tax.ID}})
	if err != nil {
		t.Fatal(err)
	}
	step()
	// The worker views and downloads; the owner revokes; the next read fails.
	in.mustRead(t, w, tax, "avis")
	step()
	rc, _, err := in.svc.Download(ctx, w, tax.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, rc)
	_ = rc.Close()
	step()
	if err := in.svc.RevokeConsent(ctx, owner, c.ID); err != nil {
		t.Fatal(err)
	}
	in.mustNotRead(t, w, tax) // refused reads are not journaled as reads
	step()
	// A one-day consent that runs out.
	if _, err := in.svc.GrantConsent(ctx, owner, vault.NewConsent{Grantee: workerGrantee(w), Scope: vault.Scope{Documents: []string{tax.ID}}, Days: 1}); err != nil {
		t.Fatal(err)
	}
	dir.clock.Add(25 * time.Hour)
	if n, err := in.svc.ExpireConsents(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireConsents = %d, %v", n, err)
	}
	step()
	// The owner forgets the secret and recovers with the code.
	owner, _, err = in.svc.Recover(ctx, "+33612345678", code.String(), []byte("nouveau jardin violon tempete"), "192.0.2.1")
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	in.mustRead(t, owner, tax, "avis")
	step()
	if err := in.svc.Export(ctx, owner, io.Discard, vault.ExportPDF, "README"); err != nil {
		t.Fatal(err)
	}
	step()
	if err := in.svc.Delete(ctx, owner, tax.ID); err != nil {
		t.Fatal(err)
	}

	evs, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, e := range evs {
		kinds = append(kinds, e.Kind)
		if e.Seq != int64(i+1) || (i > 0 && e.At.Before(evs[i-1].At)) {
			t.Errorf("event %d out of order: %+v", i, e)
		}
	}
	want := []string{
		vault.EventSignup, vault.EventRecoveryCodeWithheld, vault.EventLogin, vault.EventRecoveryCodeRenewed, vault.EventLinkCreated, vault.EventUploadViaLink,
		vault.EventRequestReceived, vault.EventConsentGranted, vault.EventRequestAccepted,
		vault.EventDocumentViewed, vault.EventDocumentDownload, vault.EventConsentRevoked,
		vault.EventConsentGranted, vault.EventConsentExpired, vault.EventRecovery, vault.EventRecoveryCodeReissued, vault.EventDocumentViewed, vault.EventExport, vault.EventDocumentDeleted,
	}
	if !slices.Equal(kinds, want) {
		t.Fatalf("journal kinds:\n got %v\nwant %v", kinds, want)
	}
	// The vault records facts, never sentences (package api says them).
	texts := map[string]string{}
	for _, e := range evs {
		texts[e.Kind] += eventFacts(e) + " || "
		t.Logf("%2d %s", e.Seq, eventFacts(e))
	}
	for kind, sub := range map[string]string{
		vault.EventSignup:               "signup: CCAS de Roubaix — Mme Morel",
		vault.EventUploadViaLink:        "upload-via-link: avis-impot | Avis 2025 | Papiers CAF",
		vault.EventDocumentViewed:       "document-viewed: CCAS de Roubaix — Mme Morel | avis-impot | Avis 2025",
		vault.EventDocumentDownload:     "document-downloaded: CCAS de Roubaix — Mme Morel | avis-impot",
		vault.EventConsentGranted:       "consent-granted: Dossier RSA | CCAS de Roubaix — Mme Morel",
		vault.EventConsentRevoked:       "| CCAS de Roubaix — Mme Morel",
		vault.EventConsentExpired:       "consent-expired: CCAS de Roubaix — Mme Morel",
		vault.EventRequestReceived:      "request-received: CCAS de Roubaix — Mme Morel | Dossier RSA",
		vault.EventDocumentDeleted:      "document-deleted: avis-impot",
		vault.EventRecoveryCodeReissued: "recovery-code-reissued: ",
	} {
		if !strings.Contains(texts[kind], sub) {
			t.Errorf("%s: %q does not contain %q", kind, texts[kind], sub)
		}
	}
	rep, err := in.svc.VerifyJournal(ctx, ownerID)
	if err != nil || !rep.OK() || rep.Entries != len(want) || rep.Owners != 1 {
		t.Fatalf("VerifyJournal = %+v, %v", rep, err)
	}
	// Nobody else reads the journal.
	if _, err := in.svc.Journal(ctx, w); err == nil {
		t.Fatal("a worker read the journal")
	}
}

// journalDB opens the SQLite file behind an instance directly, as someone
// tampering with it would.
func journalDB(t *testing.T, dir *acctDir) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir.dir, "coffre.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestJournalTamper edits the SQLite file directly and checks that
// VerifyJournal catches each kind of tampering, for that owner only.
func TestJournalTamper(t *testing.T) {
	cases := []struct {
		name   string
		tamper []string // statements; ? is the owner id
		reason string
	}{
		{"altered kind", []string{`UPDATE journal SET kind = 'login' WHERE owner_id = ? AND seq = 3`}, "altered"},
		{"altered time", []string{`UPDATE journal SET at = at + 1000000 WHERE owner_id = ? AND seq = 2`}, "altered"},
		{"altered actor", []string{`UPDATE journal SET actor_id = 'someone' WHERE owner_id = ? AND seq = 4`}, "altered"},
		{"altered payload", []string{`UPDATE journal SET payload_sealed = substr(payload_sealed, 1, length(payload_sealed) - 1) || CASE WHEN substr(payload_sealed, -1) = x'00' THEN x'01' ELSE x'00' END WHERE owner_id = ? AND seq = 3`}, "altered"},
		{"removed entry", []string{`DELETE FROM journal WHERE owner_id = ? AND seq = 3`}, "removed"},
		{"removed and renumbered", []string{
			`DELETE FROM journal WHERE owner_id = ? AND seq = 3`,
			`UPDATE journal SET seq = seq - 1 WHERE owner_id = ? AND seq > 3`,
			`UPDATE journal_heads SET seq = seq - 1 WHERE owner_id = ?`}, "altered"},
		{"reordered", []string{
			`UPDATE journal SET seq = 1000 WHERE owner_id = ? AND seq = 2`,
			`UPDATE journal SET seq = 2 WHERE owner_id = ? AND seq = 3`,
			`UPDATE journal SET seq = 3 WHERE owner_id = ? AND seq = 1000`}, "reordered"},
		{"removed tail", []string{`DELETE FROM journal WHERE owner_id = ? AND seq = (SELECT MAX(seq) FROM journal WHERE owner_id = ?)`}, "removed"},
		{"removed everything", []string{`DELETE FROM journal WHERE owner_id = ?`}, "removed"},
		{"removed everything with its head", []string{`DELETE FROM journal WHERE owner_id = ?`, `DELETE FROM journal_heads WHERE owner_id = ?`,
			`DELETE FROM journal_hashes WHERE owner_id = ?`}, "missing or empty journal"},
		{"entry added", []string{`INSERT INTO journal (owner_id, seq, at, kind, actor_kind, actor_id, document_id, payload_sealed, prev_hash, hash)
			SELECT owner_id, seq + 1, at + 1, 'login', actor_kind, actor_id, '', payload_sealed, prev_hash, hash
			FROM journal WHERE owner_id = ? AND seq = (SELECT MAX(seq) FROM journal WHERE owner_id = ?)`}, "not covered by the signed checkpoint"},
		{"forged checkpoint", []string{`UPDATE journal_heads SET checkpoint = replace(checkpoint, '—', '-') WHERE owner_id = ?`}, "not signed by this service"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := newAcctDir(t)
			in := dir.open(t)
			ctx := testCtx(t)
			owner, _ := in.signUp(t, "tamper")
			bystander, _ := in.signUp(t, "bystander")
			d := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
			for i := range 3 {
				dir.clock.Add(time.Minute)
				if err := in.svc.Rename(ctx, owner, d.ID, strings.Repeat("R", i+1)); err != nil {
					t.Fatal(err)
				}
			}
			if rep, err := in.svc.VerifyJournal(ctx, ""); err != nil || !rep.OK() || rep.Owners != 2 || rep.Entries != 7 {
				t.Fatalf("before tampering: %+v, %v", rep, err)
			}
			db := journalDB(t, dir)
			for _, q := range c.tamper {
				args := []any{owner.ID()}
				if strings.Count(q, "?") == 2 {
					args = append(args, owner.ID())
				}
				if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
					t.Fatalf("tamper %q: %v", q, err)
				}
			}
			rep, err := in.svc.VerifyJournal(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("tampering not detected: %+v", rep)
			}
			found := false
			for _, p := range rep.Problems {
				if p.OwnerID != owner.ID() {
					t.Errorf("problem reported for another owner: %+v", p)
				}
				found = found || strings.Contains(p.Reason, c.reason)
			}
			if !found {
				t.Errorf("no problem mentions %q: %+v", c.reason, rep.Problems)
			}
			if rep, _ := in.svc.VerifyJournal(ctx, bystander.ID()); !rep.OK() {
				t.Errorf("bystander's journal reported: %+v", rep)
			}
		})
	}
}

// The chain is keyed by the pepper: a database alone cannot re-forge it,
// and another pepper does not verify it.
func TestJournalKeyedByPepper(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	owner, _ := in.signUp(t, "pepper")
	other := dir.openOther(t, make([]byte, 32))
	rep, err := other.VerifyJournal(testCtx(t), owner.ID())
	if err != nil || rep.OK() {
		t.Fatalf("journal verified under another pepper: %+v, %v", rep, err)
	}
	if rep, err := in.svc.VerifyJournal(testCtx(t), owner.ID()); err != nil || !rep.OK() {
		t.Fatalf("journal under its own pepper: %+v, %v", rep, err)
	}
}

// Appends from two instances at once keep one gapless, verifiable chain.
func TestJournalConcurrentInstances(t *testing.T) {
	dir := newAcctDir(t)
	a, b := dir.open(t), dir.open(t)
	ctx := testCtx(t)
	owner, _ := a.signUp(t, "busy")
	d := a.addTyped(t, owner.ID(), "rib", "RIB", "rib")
	const n = 10
	errs := make(chan error, 2*n)
	for i := range 2 * n {
		in := []*instance{a, b}[i%2]
		// Each a new title: renaming to the same title journals nothing.
		go func() { errs <- in.svc.Rename(ctx, owner, d.ID, fmt.Sprintf("RIB %d", i)) }()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	evs, err := b.svc.Journal(ctx, owner)
	if err != nil || len(evs) != 2+2*n {
		t.Fatalf("journal: %d events, %v", len(evs), err)
	}
	if rep, err := a.svc.VerifyJournal(ctx, owner.ID()); err != nil || !rep.OK() {
		t.Fatalf("VerifyJournal = %+v, %v", rep, err)
	}
}

// A date change is journaled as a date change (with the new date), never
// as a rename; saving what did not change journals nothing.
func TestDateChangeIsNotRename(t *testing.T) {
	in := newAcctDir(t).open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "dates")
	d := in.addTyped(t, owner.ID(), "carte-identite", "Carte", "carte")
	kinds := func() []string {
		evs, err := in.svc.Journal(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs[2:] { // after the sign-up and the login
			out = append(out, eventFacts(e))
		}
		return out
	}
	before := len(kinds())
	exp := time.Date(2031, 5, 4, 0, 0, 0, 0, time.UTC)
	// The edit form sends the title unchanged with a new date.
	if err := in.svc.Rename(ctx, owner, d.ID, "Carte"); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.SetExpiry(ctx, owner, d.ID, exp); err != nil {
		t.Fatal(err)
	}
	// Saved again as it is: nothing new.
	if err := in.svc.Rename(ctx, owner, d.ID, "Carte"); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.SetExpiry(ctx, owner, d.ID, exp); err != nil {
		t.Fatal(err)
	}
	got := kinds()[before:]
	want := []string{vault.EventDocumentExpiry + ": carte-identite | Carte | 2031-05-04"}
	if !slices.Equal(got, want) {
		t.Fatalf("journal after a date change: %q, want %q", got, want)
	}
	if err := in.svc.Rename(ctx, owner, d.ID, "Ma carte"); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.SetExpiry(ctx, owner, d.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got = kinds()[before+1:]
	want = []string{vault.EventDocumentRenamed + ": carte-identite | Ma carte", vault.EventDocumentExpiry + ": carte-identite | Ma carte"}
	if !slices.Equal(got, want) {
		t.Fatalf("journal after a rename and a cleared date: %q, want %q", got, want)
	}
}

// TestDeleteNeedsConfirmation: deletion is final (the payload and every
// key copy are destroyed), so a session alone — a thief's copied cookie —
// cannot wipe the owner's papers; the secret proved in the session can.
func TestDeleteNeedsConfirmation(t *testing.T) {
	dir := newAcctDir(t)
	in := dir.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "efface")
	d := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
	thief := in.resumed(t, owner)
	if err := in.svc.Delete(ctx, thief, d.ID); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("delete with a session alone = %v, want ErrConfirmRequired", err)
	}
	in.mustRead(t, owner, d, "rib") // still there, still readable
	if err := in.svc.ConfirmSession(ctx, thief, vault.SecretProof(goodSecret), ""); err != nil {
		t.Fatal(err)
	}
	if err := in.svc.Delete(ctx, thief, d.ID); err != nil {
		t.Fatalf("delete after the secret: %v", err)
	}
	if _, err := in.svc.Document(ctx, owner, d.ID); !errors.Is(err, vault.ErrNoAccess) {
		t.Fatalf("deleted paper: %v", err)
	}
}
