package api_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// dbWriter is someone who can write the database but does not hold the
// pepper (a database administrator, an edited backup put back): plain
// SQL on the SQLite file or the PostgreSQL database the env serves from.
type dbWriter struct {
	t  *testing.T
	db *sql.DB
	d  *meta.Dialect
}

func (e *env) dbWriter(t *testing.T) *dbWriter {
	t.Helper()
	driver, dsn, d := "sqlite", filepath.Join(e.dataDir, "coffre.db")+"?_busy_timeout=5000", meta.SQLiteDialect
	if e.pgURL != "" {
		driver, dsn, d = "pgx", e.pgURL, meta.PostgresDialect
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &dbWriter{t: t, db: db, d: d}
}

func (w *dbWriter) exec(q string, args ...any) {
	w.t.Helper()
	res, err := w.db.Exec(w.d.Rebind(q), args...)
	if err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		w.t.Fatalf("%s: no row changed", q)
	}
}

func (w *dbWriter) blob(q string, args ...any) []byte {
	w.t.Helper()
	var b []byte
	if err := w.db.QueryRow(w.d.Rebind(q), args...).Scan(&b); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return b
}

// ownerID is the id of the owner logged in on c.
func ownerID(t *testing.T, c *client) string {
	t.Helper()
	var s session
	want(t, c.get(t, "/api/v1/session"), 200, "session").json(t, &s)
	return s.ID
}

// TestDatabaseWriterWithoutPepper plays someone who writes the database
// but lacks the pepper, against the running API on SQLite and PostgreSQL.
// Each edit would have granted something before row macs (migration 12);
// now the API refuses, with what a client sees: extending a stolen
// session and marking it confirmed (401 no_session where the stolen
// cookie got 403 reauth_required), re-enabling a disabled worker (still
// 401 wrong_secret at login), pushing a consent's expiry later (404
// not_found on the worker's download), adding a paper to a consent (404),
// raising a drop link's uses (404 on the helper's upload and page), and
// swapping two sessions' macs (401 for both). The failures are counted.
func TestDatabaseWriterWithoutPepper(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, envOptions{rateLimits: highLimits, postgres: backend == "postgres"})
			w := e.dbWriter(t)
			t.Run("session extended and confirmed", func(t *testing.T) { testWriterSession(t, e, w) })
			t.Run("disabled worker re-enabled", func(t *testing.T) { testWriterWorker(t, e, w) })
			t.Run("consent extended and widened", func(t *testing.T) { testWriterConsent(t, e, w) })
			t.Run("drop link uses raised", func(t *testing.T) { testWriterDropLink(t, e, w) })
			t.Run("macs swapped", func(t *testing.T) { testWriterSwap(t, e, w) })
			for table, min := range map[string]int64{"sessions": 3, "workers": 1, "consents": 1, "consent_documents": 1, "drop_links": 2} {
				if got := e.meta.Tampered()[table]; got < min {
					t.Errorf("failures counted for %s: %d, want at least %d (%v)", table, got, min, e.meta.Tampered())
				}
			}
		})
	}
}

func testWriterSession(t *testing.T, e *env, w *dbWriter) {
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	signUpOwner(t, owner, uniqueIdent("vole.session"), secret)
	thief := steal(owner)
	checkErr(t, thief.do(t, "POST", "/api/v1/recovery-code", nil), 403, "reauth_required", "new recovery code with the stolen session")
	// The session made to last a year and confirmed a moment ago: the
	// thief would mint a recovery code and take the vault.
	now := e.clock.Now()
	year := now.Add(365 * 24 * time.Hour).UnixMicro()
	w.exec(`UPDATE sessions SET idle_expires = ?, absolute_expires = ?, confirmed_at = ? WHERE principal_id = ?`,
		year, year, now.UnixMicro(), ownerID(t, owner))
	checkErr(t, thief.do(t, "POST", "/api/v1/recovery-code", nil), 401, "no_session", "new recovery code once the session was edited")
	checkErr(t, thief.get(t, "/api/v1/documents"), 401, "no_session", "documents with the edited session")
	// An expired session brought back to life.
	owner2 := e.client()
	signUpOwner(t, owner2, uniqueIdent("vole.expire"), secret)
	late := steal(owner2)
	e.clock.Advance(13 * time.Hour)
	checkErr(t, late.get(t, "/api/v1/documents"), 401, "no_session", "expired session")
	owner3 := e.client()
	signUpOwner(t, owner3, uniqueIdent("vole.revive"), secret)
	reviver := steal(owner3)
	id3 := ownerID(t, owner3)
	e.clock.Advance(13 * time.Hour)
	w.exec(`UPDATE sessions SET idle_expires = ?, absolute_expires = ? WHERE principal_id = ?`,
		e.clock.Now().Add(time.Hour).UnixMicro(), e.clock.Now().Add(time.Hour).UnixMicro(), id3)
	checkErr(t, reviver.get(t, "/api/v1/documents"), 401, "no_session", "expired session extended")
}

func testWriterWorker(t *testing.T, e *env, w *dbWriter) {
	ctx := testCtx(t)
	const secret = "secret du travailleur assez long"
	email := uniqueIdent("suspendu") + "@ccas.example"
	wid := e.worker(email, "M. Suspendu", secret)
	wc := e.client()
	wc.loginWorker(t, email, secret)
	if err := e.v.DisableWorker(ctx, wid); err != nil {
		t.Fatal(err)
	}
	checkErr(t, wc.get(t, "/api/v1/consents"), 401, "no_session", "disabled worker")
	checkErr(t, e.client().do(t, "POST", "/api/v1/workers/login", map[string]string{"email": email, "secret": secret}),
		401, "wrong_secret", "disabled worker logs in")
	w.exec(`UPDATE workers SET disabled_at = NULL WHERE id = ?`, wid)
	checkErr(t, e.client().do(t, "POST", "/api/v1/workers/login", map[string]string{"email": email, "secret": secret}),
		401, "wrong_secret", "worker re-enabled in the database logs in")
	// And the administrator cannot silently put the row right either.
	if err := e.v.EnableWorker(ctx, wid); err == nil {
		t.Fatal("EnableWorker rewrote a tampered worker")
	}
}

func testWriterConsent(t *testing.T, e *env, w *dbWriter) {
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	ident := uniqueIdent("partage.etendu")
	signUpOwner(t, owner, ident, secret)
	doc := func(title string, seed uint64) string {
		var up struct {
			Document docJSON `json:"document"`
		}
		want(t, owner.upload(t, "/api/v1/documents", field("type", "avis-impot"), field("title", title), page(photo(t, 400, 500, seed))), 201, "upload").json(t, &up)
		return up.Document.ID
	}
	shared, secretDoc := doc("Avis d'impôt 2025", 21), doc("Avis d'impôt 2024", 22)
	email := uniqueIdent("lectrice") + "@ccas.example"
	wid := e.worker(email, "Mme Lectrice", "secret de la lectrice assez long")
	reader := e.client()
	reader.loginWorker(t, email, "secret de la lectrice assez long")
	grant := func(docID string) string {
		owner.reauth(t, secret)
		var c struct {
			ID string `json:"id"`
		}
		want(t, owner.do(t, "POST", "/api/v1/consents", map[string]any{
			"grantee": map[string]string{"kind": "worker", "id": wid},
			"scope":   map[string]any{"documents": []string{docID}}, "purpose": "Dossier", "days": 1,
		}), 201, "grant").json(t, &c)
		return c.ID
	}
	// An older consent for the other paper ended; the sweeper has not run,
	// so the worker's wrap of it is still there.
	old := grant(secretDoc)
	want(t, reader.get(t, "/api/v1/documents/"+secretDoc+"/content"), 200, "read under the old consent")
	e.clock.Advance(25 * time.Hour)
	owner.loginOwner(t, ident, secret) // (the sessions ended meanwhile)
	reader.loginWorker(t, email, "secret de la lectrice assez long")
	checkErr(t, reader.get(t, "/api/v1/documents/"+secretDoc+"/content"), 404, "not_found", "read after the old consent ended")
	// Its expiry pushed a year later.
	w.exec(`UPDATE consents SET expires_at = ? WHERE id = ?`, e.clock.Now().Add(365*24*time.Hour).UnixMicro(), old)
	checkErr(t, reader.get(t, "/api/v1/documents/"+secretDoc+"/content"), 404, "not_found", "read under the extended consent")
	// The live consent for the first paper, widened to the other.
	live := grant(shared)
	want(t, reader.get(t, "/api/v1/documents/"+shared+"/content"), 200, "read under the live consent")
	w.exec(`INSERT INTO consent_documents (consent_id, document_id, mac) VALUES (?, ?, ?)`, live, secretDoc,
		w.blob(`SELECT mac FROM consent_documents WHERE consent_id = ? AND document_id = ?`, live, shared))
	checkErr(t, reader.get(t, "/api/v1/documents/"+secretDoc+"/content"), 404, "not_found", "read of the paper added to the consent")
	checkErr(t, reader.get(t, "/api/v1/documents/"+secretDoc), 404, "not_found", "metadata of the paper added to the consent")
	want(t, reader.get(t, "/api/v1/documents/"+shared+"/content"), 200, "the chosen paper still reads")
	var list struct {
		Documents []docJSON `json:"documents"`
	}
	want(t, reader.get(t, "/api/v1/documents"), 200, "list").json(t, &list)
	if len(list.Documents) != 1 || list.Documents[0].ID != shared {
		t.Fatalf("the worker lists %+v, want only the chosen paper", list.Documents)
	}
	// The live consent itself extended: fail closed, it grants nothing.
	w.exec(`UPDATE consents SET expires_at = expires_at + 1 WHERE id = ?`, live)
	checkErr(t, reader.get(t, "/api/v1/documents/"+shared+"/content"), 404, "not_found", "read under a consent extended by a microsecond")
}

func testWriterDropLink(t *testing.T, e *env, w *dbWriter) {
	owner := e.client()
	signUpOwner(t, owner, uniqueIdent("lien.usage"), "pomme radis ballon hibou")
	var link struct {
		Token string `json:"token"`
		Link  struct {
			ID string `json:"id"`
		} `json:"link"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Une fois", "max_uses": 1}), 201, "link").json(t, &link)
	helper := e.client()
	want(t, helper.upload(t, "/api/v1/drop/"+link.Token+"/pages", page(photo(t, 400, 500, 31))), 201, "first deposit")
	checkErr(t, helper.upload(t, "/api/v1/drop/"+link.Token+"/pages", page(photo(t, 400, 500, 32))), 404, "not_found", "second deposit")
	w.exec(`UPDATE drop_links SET max_uses = 100 WHERE id = ?`, link.Link.ID)
	checkErr(t, helper.upload(t, "/api/v1/drop/"+link.Token+"/pages", page(photo(t, 400, 500, 33))), 404, "not_found", "deposit once the uses were raised")
	checkErr(t, helper.get(t, "/api/v1/drop/"+link.Token), 404, "not_found", "link page once the uses were raised")
	w.exec(`UPDATE drop_links SET max_uses = 1, uses = 0 WHERE id = ?`, link.Link.ID)
	checkErr(t, helper.upload(t, "/api/v1/drop/"+link.Token+"/pages", page(photo(t, 400, 500, 34))), 404, "not_found", "deposit once the use was given back")
}

func testWriterSwap(t *testing.T, e *env, w *dbWriter) {
	const secret = "pomme radis ballon hibou"
	ident := uniqueIdent("echange")
	phone := e.client()
	signUpOwner(t, phone, ident, secret)
	laptop := e.client()
	laptop.loginOwner(t, ident, secret)
	want(t, phone.get(t, "/api/v1/documents"), 200, "phone")
	want(t, laptop.get(t, "/api/v1/documents"), 200, "laptop")
	var hashes []string
	rows, err := w.db.Query(w.d.Rebind(`SELECT token_hash FROM sessions WHERE principal_id = ? ORDER BY token_hash`), ownerID(t, phone))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if len(hashes) != 2 {
		t.Fatalf("%d sessions, want 2", len(hashes))
	}
	a := w.blob(`SELECT mac FROM sessions WHERE token_hash = ?`, hashes[0])
	b := w.blob(`SELECT mac FROM sessions WHERE token_hash = ?`, hashes[1])
	w.exec(`UPDATE sessions SET mac = ? WHERE token_hash = ?`, b, hashes[0])
	w.exec(`UPDATE sessions SET mac = ? WHERE token_hash = ?`, a, hashes[1])
	checkErr(t, phone.get(t, "/api/v1/documents"), 401, "no_session", "phone after the swap")
	checkErr(t, laptop.get(t, "/api/v1/documents"), 401, "no_session", "laptop after the swap")
}

var identSeq int

// uniqueIdent returns a pseudonym not used yet in the test binary.
func uniqueIdent(prefix string) string {
	identSeq++
	return prefix + "." + string(rune('a'+identSeq%26)) + string(rune('a'+identSeq/26%26))
}
