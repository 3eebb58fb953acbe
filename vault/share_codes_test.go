package vault_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault"
)

// What a person may type for a code, and what it is read as.
func TestNormalizeShareCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"K7QM-2XPD", "K7QM2XPD"},
		{"k7qm-2xpd", "K7QM2XPD"},
		{" k7qm 2xpd ", "K7QM2XPD"},
		{"K7QM2XPD", "K7QM2XPD"},
		{"k7.qm-2x pd", "K7QM2XPD"},
		{"OIL0-oil1", "01100111"}, // O read as 0, I and L as 1
		{"k7qm\u00a02xpd", "K7QM2XPD"},
	} {
		got, err := vault.NormalizeShareCode(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeShareCode(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"", "K7QM-2XP", "K7QM-2XPDD", "K7QM-2XPU", "K7QM-2XP!", "K7QM-2XP\x00", "K7QM\u200b2XPD",
		"Ｋ7QM2XPD", "K7QM-2XPÉ", "😀😀😀😀😀😀😀😀", strings.Repeat("A", 65), strings.Repeat("-", 10000) + "K7QM2XPD",
		"<script>", "../../etc", "' OR 1=1 --",
	} {
		if got, err := vault.NormalizeShareCode(bad); !errors.Is(err, vault.ErrShareCodeMalformed) || !errors.Is(err, vault.ErrInvalid) || got != "" {
			t.Errorf("NormalizeShareCode(%.40q) = %q, %v; want ErrShareCodeMalformed", bad, got, err)
		}
	}
	if got := vault.FormatShareCode("K7QM2XPD"); got != "K7QM-2XPD" {
		t.Errorf("FormatShareCode = %q", got)
	}
}

// FuzzShareCode: parsing never panics; what it accepts is canonical
// (8 characters of the alphabet) and parses to itself.
func FuzzShareCode(f *testing.F) {
	for _, s := range []string{"K7QM-2XPD", "oil0-oil1", "", "K7QM-2XPU", "\xff\xfe", strings.Repeat("a", 70)} {
		f.Add(s)
	}
	canonical := regexp.MustCompile(`^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{8}$`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := vault.NormalizeShareCode(s)
		if err != nil {
			return
		}
		if !canonical.MatchString(c) {
			t.Fatalf("%q → %q: not canonical", s, c)
		}
		if again, err := vault.NormalizeShareCode(vault.FormatShareCode(c)); err != nil || again != c {
			t.Fatalf("%q → %q → %q, %v", s, c, again, err)
		}
	})
}

// TestShareWithCode: a worker shows a code; the owner, of her own accord,
// shares exactly the paper she ticks with that worker alone (another
// member of the organisation reads nothing), under the name she chose,
// which her journal records. A stolen session alone cannot; a code serves
// once; the owner's second tap finds her share made; an organisation-wide
// share through a code reaches every member, and covers later papers of
// the type chosen, not earlier ones.
func TestShareWithCode(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "code.owner")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis 2025", "avis")
	pay := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie mars", "paie")
	rib := in.addTyped(t, owner.ID(), "rib", "RIB", "rib")
	morel, org := in.orgWorker(t, "", "CCAS de Roubaix", "Mme Morel")
	colleague, _ := in.orgWorker(t, org, "", "M. Dupont")

	sc, err := in.svc.NewShareCode(ctx, morel)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(sc.Display()) || sc.Expires.Sub(d.clock.Now()) != vault.ShareCodeTTL {
		t.Fatalf("code %q until %v", sc.Display(), sc.Expires)
	}
	if _, err := in.svc.NewShareCode(ctx, owner); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("an owner's share code: %v", err)
	}
	typed := strings.ToLower(sc.Display()) // as typed on a phone
	tg, err := in.svc.LookupShareCode(ctx, owner, typed, "192.0.2.1")
	if err != nil || tg.WorkerName != "Mme Morel" || tg.OrgName != "CCAS de Roubaix" || tg.WorkerID != morel.ID() || tg.OrgID != org {
		t.Fatalf("lookup = %+v, %v", tg, err)
	}
	if _, err := in.svc.LookupShareCode(ctx, morel, sc.Code, "192.0.2.9"); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("a worker looks a code up: %v", err)
	}

	// A stolen session alone cannot share, and the code stays usable.
	token, _, err := in.svc.StartSession(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	stolen, _, err := in.svc.ResumeSession(ctx, token)
	if err != nil || stolen.IsConfirmed() {
		t.Fatalf("ResumeSession: %v", err)
	}
	share := vault.CodeShare{Code: typed, ClientIP: "192.0.2.1", Scope: vault.Scope{Documents: []string{tax.ID}}, Purpose: "Dossier RSA", Days: 31, ShowName: "Awa"}
	if _, err := in.svc.ShareWithCode(ctx, stolen, share); !errors.Is(err, vault.ErrConfirmRequired) {
		t.Fatalf("share with the session alone = %v, want ErrConfirmRequired", err)
	}
	in.mustNotRead(t, morel, tax)

	// Hostile shares give the code back: a paper not hers, "other" as a type.
	other, _ := in.signUp(t, "code.other")
	notHers := in.addTyped(t, other.ID(), "rib", "RIB d'un autre", "autre")
	for name, sh := range map[string]vault.CodeShare{
		"a paper not hers":   {Scope: vault.Scope{Documents: []string{notHers.ID}}},
		"type other":         {Scope: vault.Scope{Types: []string{"other"}}},
		"a whole category":   {Scope: vault.Scope{Categories: []string{"income"}}},
		"nothing":            {},
		"a bad duration":     {Scope: vault.Scope{Documents: []string{tax.ID}}, Days: 2},
		"an oversized name":  {Scope: vault.Scope{Documents: []string{tax.ID}}, ShowName: strings.Repeat("n", 101)},
		"an id not an id":    {Scope: vault.Scope{Documents: []string{"../" + tax.ID}}},
		"invalid UTF-8 name": {Scope: vault.Scope{Documents: []string{tax.ID}}, ShowName: "\xff"},
	} {
		sh.Code, sh.ClientIP, sh.Purpose = typed, "192.0.2.1", "Dossier"
		if sh.Days == 0 {
			sh.Days = 31
		}
		if _, err := in.svc.ShareWithCode(ctx, owner, sh); err == nil || errors.Is(err, vault.ErrNoShareCode) {
			t.Errorf("share %s = %v, want refused and the code kept", name, err)
		}
	}
	in.mustNotRead(t, morel, notHers)

	k, err := in.svc.ShareWithCode(ctx, owner, share)
	if err != nil {
		t.Fatalf("ShareWithCode: %v", err)
	}
	if k.Grantee != workerGrantee(morel) || k.OwnerName != "Awa" || len(k.Scope.Types) != 0 {
		t.Fatalf("consent = %+v", k)
	}
	in.mustRead(t, morel, tax, "avis")
	in.mustNotRead(t, morel, pay)
	in.mustNotRead(t, morel, rib)
	in.mustNotRead(t, colleague, tax) // the worker alone, not the organisation
	if ks, err := in.svc.Consents(ctx, morel); err != nil || len(ks) != 1 || ks[0].OwnerName != "Awa" {
		t.Fatalf("the worker's consents = %+v, %v", ks, err)
	}
	es, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var last vault.Event
	for _, e := range es {
		if e.Kind == vault.EventConsentGranted {
			last = e
		}
	}
	// The journal keeps the facts; the words are the api's (its tests).
	if last.Kind != vault.EventConsentGranted || last.ShownName != "Awa" || last.Detail != "Dossier RSA" {
		t.Errorf("journal: %+v", last)
	}

	// Used: once. Another owner gets the answer of an unknown code; the
	// owner's second tap finds her share made; the worker's page no longer
	// shows it.
	unknown := func(p *vault.Principal, code string) error {
		t.Helper()
		_, err := in.svc.LookupShareCode(ctx, p, code, "192.0.2.50")
		return err
	}
	unknownErr := unknown(other, "ZZZZ-ZZZZ")
	if !errors.Is(unknownErr, vault.ErrNoShareCode) {
		t.Fatalf("unknown code: %v", unknownErr)
	}
	if err := unknown(other, sc.Code); !errors.Is(err, vault.ErrNoShareCode) || err.Error() != unknownErr.Error() {
		t.Fatalf("a used code for another owner = %v, want %v", err, unknownErr)
	}
	if _, err := in.svc.ShareWithCode(ctx, owner, share); !errors.Is(err, vault.ErrShareCodeUsed) {
		t.Fatalf("second tap = %v, want ErrShareCodeUsed", err)
	}
	if _, ok := in.svc.ShareCodeLive(ctx, morel, sc.Code); ok {
		t.Fatal("a used code is still live on the worker's page")
	}
	if ks, _ := in.svc.Consents(ctx, owner); len(ks) != 1 {
		t.Fatalf("the second tap made %d consents", len(ks))
	}

	// The whole organisation, and the payslips she adds from now on.
	sc2, err := in.svc.NewShareCode(ctx, morel)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in.svc.ShareCodeLive(ctx, morel, sc2.Code); !ok {
		t.Fatal("a new code is not live")
	}
	if _, ok := in.svc.ShareCodeLive(ctx, colleague, sc2.Code); ok {
		t.Fatal("another worker's code is live on my page")
	}
	ko, err := in.svc.ShareWithCode(ctx, owner, vault.CodeShare{Code: sc2.Display(), ClientIP: "192.0.2.1", Organisation: true,
		Scope: vault.Scope{Types: []string{"bulletin-paie"}}, Purpose: "Suivi", Days: 182, ShowName: "Awa K."})
	if err != nil {
		t.Fatalf("organisation share: %v", err)
	}
	if ko.Grantee != (vault.Grantee{Kind: vault.KindOrganisation, ID: org}) {
		t.Fatalf("organisation share's grantee = %+v", ko.Grantee)
	}
	in.mustNotRead(t, colleague, pay) // a type covers papers added later, not those she had
	d.clock.Add(time.Minute)
	later := in.addTyped(t, owner.ID(), "bulletin-paie", "Paie avril", "paie avril")
	in.mustRead(t, colleague, later, "paie avril")
	in.mustRead(t, morel, later, "paie avril")
	in.mustNotRead(t, colleague, rib)
}

// TestShareCodeRefusals: expired, wrong, replaced, a disabled worker's
// and a removed member's codes; the answers that must not differ do not.
func TestShareCodeRefusals(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "code.refusals")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis")
	w, org := in.orgWorker(t, "", "CCAS", "Mme Morel")
	lookup := func(code string) error {
		t.Helper()
		_, err := in.svc.LookupShareCode(ctx, owner, code, "192.0.2.1")
		return err
	}
	unknownErr := lookup("ZZZZ-ZZZZ")
	if !errors.Is(unknownErr, vault.ErrNoShareCode) {
		t.Fatalf("unknown: %v", unknownErr)
	}
	same := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, vault.ErrNoShareCode) || err.Error() != unknownErr.Error() {
			t.Errorf("%s: %v, want exactly the unknown code's %v", what, err, unknownErr)
		}
		d.clock.Add(10 * time.Minute) // past the owner's growing wait (TestShareCodeBruteForce)
	}

	// Expired: 15 minutes, not a second more.
	sc, _ := in.svc.NewShareCode(ctx, w)
	d.clock.Add(vault.ShareCodeTTL - time.Second)
	if err := lookup(sc.Code); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	d.clock.Add(time.Second)
	same("expired", lookup(sc.Code))
	_, err := in.svc.ShareWithCode(ctx, owner, vault.CodeShare{Code: sc.Code, Scope: vault.Scope{Documents: []string{tax.ID}}, Purpose: "x", Days: 1})
	same("sharing with an expired code", err)

	// A new code replaces the worker's unused one.
	first, _ := in.svc.NewShareCode(ctx, w)
	second, _ := in.svc.NewShareCode(ctx, w)
	same("replaced", lookup(first.Code))
	if err := lookup(second.Code); err != nil {
		t.Fatalf("the new code: %v", err)
	}

	// A worker disabled after showing a code.
	dis, _ := in.orgWorker(t, org, "", "M. Suspendu")
	dsc, _ := in.svc.NewShareCode(ctx, dis)
	if err := in.svc.DisableWorker(ctx, dis.ID()); err != nil {
		t.Fatal(err)
	}
	same("a disabled worker's code", lookup(dsc.Code))
	_, err = in.svc.ShareWithCode(ctx, owner, vault.CodeShare{Code: dsc.Code, Scope: vault.Scope{Documents: []string{tax.ID}}, Purpose: "x", Days: 1})
	same("sharing with a disabled worker's code", err)
	in.mustNotRead(t, dis, tax)

	// A member taken out of the organisation: the person, never the
	// organisation.
	leaver, _ := in.orgWorker(t, org, "", "M. Départ")
	lsc, _ := in.svc.NewShareCode(ctx, leaver)
	if err := in.svc.RemoveMember(ctx, leaver.ID()); err != nil {
		t.Fatal(err)
	}
	tg, err := in.svc.LookupShareCode(ctx, owner, lsc.Code, "192.0.2.1")
	if err != nil || tg.OrgID != "" || tg.OrgName != "" || tg.WorkerName != "M. Départ" {
		t.Fatalf("a removed member's code = %+v, %v", tg, err)
	}
	if _, err := in.svc.ShareWithCode(ctx, owner, vault.CodeShare{Code: lsc.Code, Organisation: true,
		Scope: vault.Scope{Documents: []string{tax.ID}}, Purpose: "x", Days: 1}); !errors.Is(err, vault.ErrNoOrganisation) {
		t.Fatalf("organisation share through a removed member = %v", err)
	}
	// A worker without an organisation offers none either.
	if _, err := in.svc.LookupShareCode(ctx, owner, "not a code at all", "192.0.2.1"); !errors.Is(err, vault.ErrShareCodeMalformed) {
		t.Fatalf("malformed: %v", err)
	}
}

// TestShareCodeBruteForce: guesses are counted per owner (a few free, then
// growing waits, then an hour's lock) and per address (wider), before any
// lookup; a correct code guessed while blocked is not even looked at; an
// owner looking up a real code again and again is never slowed.
func TestShareCodeBruteForce(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	w, _ := in.orgWorker(t, "", "CCAS", "Mme Morel")
	honest, _ := in.signUp(t, "code.honest")
	sc, _ := in.svc.NewShareCode(ctx, w)
	for i := range 40 {
		if _, err := in.svc.LookupShareCode(ctx, honest, sc.Code, "192.0.2.77"); err != nil {
			t.Fatalf("honest lookup %d: %v", i+1, err)
		}
	}

	// A person who mistypes her code seven times (waiting as told) then
	// types it right shares at once: her right code starts no wait.
	typist, _ := in.signUp(t, "code.typist")
	doc := in.addTyped(t, typist.ID(), "rib", "RIB", "rib")
	var te *vault.ThrottledError
	for typos := 0; typos < 7; {
		_, err := in.svc.LookupShareCode(ctx, typist, "2222-2222", "192.0.2.78")
		switch {
		case errors.As(err, &te):
			d.clock.Add(te.RetryAfter)
		case errors.Is(err, vault.ErrNoShareCode):
			typos++
		default:
			t.Fatal(err)
		}
	}
	d.clock.Add(time.Hour)
	sc, _ = in.svc.NewShareCode(ctx, w)
	if _, err := in.svc.LookupShareCode(ctx, typist, sc.Code, "192.0.2.78"); err != nil {
		t.Fatalf("the right code after 7 typos: %v", err)
	}
	if _, err := in.svc.ShareWithCode(ctx, typist, vault.CodeShare{Code: sc.Code, ClientIP: "192.0.2.78",
		Scope: vault.Scope{Documents: []string{doc.ID}}, Purpose: "x", Days: 1}); err != nil {
		t.Fatalf("sharing right after looking the code up: %v", err)
	}
	in.mustRead(t, w, doc, "rib")
	sc, _ = in.svc.NewShareCode(ctx, w)

	guesser, _ := in.signUp(t, "code.guesser")
	guess := func(code string) error {
		_, err := in.svc.LookupShareCode(ctx, guesser, code, "198.51.100.7")
		return err
	}
	wrong := []string{"2222-2222", "3333-3333", "4444-4444", "5555-5555", "6666-6666", "7777-7777"}
	for i, g := range wrong[:5] {
		if err := guess(g); !errors.Is(err, vault.ErrNoShareCode) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if err := guess(wrong[5]); !errors.As(err, &te) || !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("guess 6 at once: %v, want throttled", err)
	}
	if err := guess(sc.Code); !errors.Is(err, vault.ErrThrottled) {
		t.Fatalf("the right code while blocked: %v, want throttled (not even looked at)", err)
	}
	// Persisting: every wait served, the 20th failure locks for an hour.
	failures, waited := 5, time.Duration(0)
	for failures < 20 {
		err := guess("8888-8888")
		switch {
		case errors.As(err, &te):
			d.clock.Add(te.RetryAfter)
			waited += te.RetryAfter
		case errors.Is(err, vault.ErrNoShareCode):
			failures++
		default:
			t.Fatalf("guess: %v", err)
		}
	}
	if err := guess("9999-9999"); !errors.As(err, &te) || te.RetryAfter < 59*time.Minute {
		t.Fatalf("after 20 failures: %v, want locked for an hour", err)
	}
	t.Logf("20 guesses cost the guesser %v of waiting, then an hour per guess", waited.Round(time.Second))

	// The address counts across owners: accounts made to spread guesses
	// from one address are slowed together.
	d.clock.Add(25 * time.Hour) // every counter starts again
	n := 0
	for a := 0; ; a++ {
		p, _ := in.signUp(t, "code.spread"+string(rune('a'+a)))
		blocked := false
		for range 4 { // under each owner's own threshold
			err := func() error { _, err := in.svc.LookupShareCode(ctx, p, "AAAA-AAAA", "203.0.113.9"); return err }()
			if errors.Is(err, vault.ErrThrottled) {
				blocked = true
				break
			}
			n++
		}
		if blocked {
			break
		}
		if a > 10 {
			t.Fatalf("%d guesses from one address over %d owners, never slowed", n, a+1)
		}
	}
	if n < 20 || n > 22 {
		t.Errorf("the address was slowed after %d guesses, want about 20", n)
	}
}

// TestShareCodeDatabaseWriter: the database holds no code, only keyed
// hashes (not a plain hash anyone could reverse by trying 2^40 codes); a
// row pointed at another worker, a later expiry, a worker key swapped in
// the workers table, or a row made without the pepper, opens nothing.
func TestShareCodeDatabaseWriter(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	owner, _ := in.signUp(t, "code.dbwriter")
	tax := in.addTyped(t, owner.ID(), "avis-impot", "Avis", "avis")
	w, org := in.orgWorker(t, "", "CCAS", "Mme Morel")
	thief, _ := in.orgWorker(t, org, "", "M. Voleur")
	db := journalDB(t, d)
	share := func(code string) error {
		_, err := in.svc.ShareWithCode(ctx, owner, vault.CodeShare{Code: code, ClientIP: "192.0.2.1",
			Scope: vault.Scope{Documents: []string{tax.ID}}, Purpose: "x", Days: 1})
		return err
	}
	var thiefKey string
	if err := db.QueryRow(`SELECT public_key FROM workers WHERE id = ?`, thief.ID()).Scan(&thiefKey); err != nil {
		t.Fatal(err)
	}

	sc, _ := in.svc.NewShareCode(ctx, w)
	var hash string
	if err := db.QueryRow(`SELECT code_hash FROM share_codes WHERE worker_id = ?`, w.ID()).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte(sc.Code))
	if hash == hex.EncodeToString(plain[:]) || strings.Contains(hash, sc.Code) {
		t.Fatal("the code's row is found by a plain hash of the code")
	}
	files, _ := filepath.Glob(filepath.Join(d.dir, "coffre.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(sc.Code)) || bytes.Contains(b, []byte(sc.Display())) {
			t.Fatalf("%s holds the code in clear", filepath.Base(f))
		}
	}

	// Pointed at another worker (their id and key).
	if _, err := db.Exec(`UPDATE share_codes SET worker_id = ?, worker_key = ? WHERE code_hash = ?`, thief.ID(), thiefKey, hash); err != nil {
		t.Fatal(err)
	}
	if err := share(sc.Code); !errors.Is(err, vault.ErrNoShareCode) {
		t.Fatalf("a code pointed at another worker = %v", err)
	}
	in.mustNotRead(t, thief, tax)

	// A later expiry.
	sc2, _ := in.svc.NewShareCode(ctx, w)
	if _, err := db.Exec(`UPDATE share_codes SET expires_at = expires_at + 86400000000 WHERE worker_id = ? AND used_at IS NULL`, w.ID()); err != nil {
		t.Fatal(err)
	}
	if err := share(sc2.Code); !errors.Is(err, vault.ErrNoShareCode) {
		t.Fatalf("a code given a later expiry = %v", err)
	}

	// The worker's key swapped in the workers table after the code was made.
	sc3, _ := in.svc.NewShareCode(ctx, w)
	var realKey string
	if err := db.QueryRow(`SELECT public_key FROM workers WHERE id = ?`, w.ID()).Scan(&realKey); err != nil {
		t.Fatal(err)
	}
	swapped, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE workers SET public_key = ? WHERE id = ?`, swapped.Recipient().String(), w.ID()); err != nil {
		t.Fatal(err)
	}
	if err := share(sc3.Code); !errors.Is(err, vault.ErrNoShareCode) {
		t.Fatalf("a code whose worker's key was swapped = %v", err)
	}
	if _, err := db.Exec(`UPDATE workers SET public_key = ? WHERE id = ?`, realKey, w.ID()); err != nil {
		t.Fatal(err)
	}

	// A row made without the pepper, for a code of the writer's choosing.
	chosen := "K7QM2XPD"
	fake := sha256.Sum256([]byte(chosen))
	if _, err := db.Exec(`INSERT INTO share_codes (code_hash, worker_id, worker_key, bind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		hex.EncodeToString(fake[:]), thief.ID(), thiefKey, "forged", d.clock.Now().UnixMicro(), d.clock.Now().Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if err := share(chosen); !errors.Is(err, vault.ErrNoShareCode) {
		t.Fatalf("a code forged without the pepper = %v", err)
	}
	in.mustNotRead(t, thief, tax)
	if ks, _ := in.svc.Consents(ctx, owner); len(ks) != 0 {
		t.Fatalf("%d consents after the forged rows", len(ks))
	}
}
