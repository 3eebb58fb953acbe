package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// secondInstanceClient starts another Coffre server on the env's database, blob
// store, pepper and clock (as a second instance behind a load balancer),
// and returns a client of it sharing c's cookies.
func secondInstanceClient(t *testing.T, e *env, c *client) *client {
	t.Helper()
	ctx := testCtx(t)
	ms, err := meta.OpenSQLite(ctx, filepath.Join(e.dataDir, "coffre.db"), vault.RowKeyOption(testPepper))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	v, err := vault.New(vault.Config{Meta: ms, Blobs: e.blobs, Pepper: testPepper,
		Scrypt: seal.ScryptParams{LogN: 10, AllowWeak: true}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	if h, err = api.New(api.Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Vault: v,
		Converter: &converter.Converter{MaxConcurrent: 1}, BaseURL: srv.URL, RateLimits: highLimits}); err != nil {
		t.Fatal(err)
	}
	e2 := *e
	e2.srv, e2.base = srv, srv.URL
	return &client{e: &e2, hc: c.hc, csrf: c.csrf, origin: srv.URL}
}

// A worker disabled (or taken out of the organisation) through one
// instance is refused at their very next request on another instance of
// the same database: the session there ends (401), and logging in there
// gets the wrong-secret answer.
func TestDisabledWorkerRefusedOnSecondInstance(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	ctx := testCtx(t)
	const secret = "pomme radis ballon hibou"
	owner := e.client()
	signUpOwner(t, owner, "marie.partage", secret)
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, owner.upload(t, "/api/v1/documents", field("type", "rib"), page(photo(t, 400, 560, 3))), 201, "upload").json(t, &up)
	owner.reauth(t, secret)
	for _, w := range []struct{ email, name string }{{"suspendue@ccas.fr", "Mme Morel"}, {"partie@ccas.fr", "M. Lenoir"}} {
		id := e.worker(w.email, w.name, secret)
		want(t, owner.do(t, http.MethodPost, "/api/v1/consents", map[string]any{
			"grantee": map[string]string{"kind": "worker", "id": id},
			"scope":   map[string]any{"documents": []string{up.Document.ID}}, "purpose": "Dossier", "days": 31,
		}), 201, "consent to "+w.email)
	}
	if _, err := e.v.ActivateMembers(ctx, e.org.ID, e.orgKey); err != nil {
		t.Fatal(err)
	}
	wrong := want(t, e.client().do(t, http.MethodPost, "/api/v1/workers/login",
		map[string]string{"email": "suspendue@ccas.fr", "secret": "pas le bon secret du tout"}), 401, "wrong secret")

	doc := "/api/v1/documents/" + up.Document.ID
	for _, c := range []struct {
		email string
		cut   func(id string) error
	}{
		{"suspendue@ccas.fr", func(id string) error { return e.v.DisableWorker(ctx, id) }},
		{"partie@ccas.fr", func(id string) error { return e.v.RemoveMember(ctx, id) }},
	} {
		a := e.client()
		s := a.loginWorker(t, c.email, secret)
		b := secondInstanceClient(t, e, a)
		want(t, b.get(t, doc), 200, c.email+" reads on instance 2")
		if err := c.cut(s.ID); err != nil {
			t.Fatal(err)
		}
		r := want(t, b.get(t, doc), 401, c.email+" on instance 2, next request")
		if code := r.errMessage(t); code == "" {
			t.Fatal("refusal without a message")
		}
		want(t, a.get(t, "/api/v1/documents"), 401, c.email+" on instance 1, next request")
		if c.email == "suspendue@ccas.fr" {
			r := b.do(t, http.MethodPost, "/api/v1/workers/login", map[string]string{"email": c.email, "secret": secret})
			if r.status != wrong.status || !bytes.Equal(r.body, wrong.body) {
				t.Fatalf("disabled worker's login on instance 2: %d %s; want the wrong-secret answer", r.status, r.body)
			}
			continue
		}
		// Removed: logs in again, reads nothing.
		b2 := secondInstanceClient(t, e, e.client())
		b2.loginWorker(t, c.email, secret)
		want(t, b2.get(t, doc), 404, "removed member reads on instance 2")
	}
}
