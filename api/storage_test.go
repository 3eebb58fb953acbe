package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/s3"
)

// storageEnv is a server whose vault opens storage targets on MinIO; its
// opener accepts only 127.0.0.1 (as an operator allow-list would) and
// refuses every other address as cmd/coffre's policy does private ones.
type storageEnv struct {
	*env
	mio *testenv.MinIOServer
}

func newStorageEnv(t *testing.T, ownerBuckets bool) *storageEnv {
	t.Helper()
	open := func(ctx context.Context, tg vault.StorageTarget) (blob.Store, error) {
		host, _, err := net.SplitHostPort(tg.Endpoint)
		if err != nil {
			host = tg.Endpoint
		}
		if host != "127.0.0.1" {
			return nil, fmt.Errorf("%w: %s", vault.ErrEndpointRefused, host)
		}
		return s3.New(ctx, s3.Config{Endpoint: tg.Endpoint, AccessKey: tg.AccessKey, SecretKey: tg.SecretKey,
			Bucket: tg.Bucket, UseTLS: tg.UseTLS, Region: tg.Region, Prefix: tg.Prefix})
	}
	e := newEnv(t, envOptions{rateLimits: highLimits, openStore: open, ownerBuckets: ownerBuckets})
	return &storageEnv{env: e, mio: e.mio}
}

// storageView is the JSON of GET /me/storage.
type storageView struct {
	Allowed bool `json:"allowed"`
	Bucket  *struct {
		Endpoint, Bucket, Prefix string
		TLS                      bool
	} `json:"bucket"`
	Progress vault.StorageProgress `json:"progress"`
}

func (e *storageEnv) ownerWithDocument(t *testing.T, ident string) (*client, string, []byte) {
	t.Helper()
	c := e.client()
	r := want(t, c.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": ident, "secret": "grenouille tapis horloge prune"}), 201, "signup")
	var s struct {
		OwnerID string   `json:"owner_id"`
		Session *session `json:"session"`
	}
	r.json(t, &s)
	if s.Session == nil {
		t.Fatalf("signup opened no session: %s", r.body)
	}
	c.csrf = s.Session.CSRFToken
	// Changing storage needs the secret again: the session alone is
	// refused (a stolen session cannot send the documents elsewhere).
	if e.v.OwnerBucketsEnabled() {
		checkErr(t, c.do(t, "PUT", "/api/v1/me/storage", e.bucketReq(t)), 403, "reauth_required", "storage with the session alone")
		checkErr(t, c.do(t, "DELETE", "/api/v1/me/storage", nil), 403, "reauth_required", "clear storage with the session alone")
	}
	want(t, c.do(t, "POST", "/api/v1/reauth", map[string]string{"secret": "grenouille tapis horloge prune"}), 200, "reauth")
	content := bytes.Repeat([]byte("%PDF-1.7 avis d'impôt "), 3000)
	d, err := e.v.AddDocument(testCtx(t), s.OwnerID, vault.NewDocument{Category: "tax", Title: "Avis", Size: int64(len(content))}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("AddDocument: %v", err)
	}
	return c, d.ID, content
}

func (e *storageEnv) bucketReq(t *testing.T) map[string]any {
	return map[string]any{"endpoint": e.mio.Endpoint, "bucket": e.mio.NewBucket(t), "prefix": "coffre",
		"tls": false, "access_key": e.mio.AccessKey, "secret_key": e.mio.SecretKey}
}

// TestOwnerStorageAPI: an owner points the vault at their own bucket,
// watches the move, reads the document back, and moves back.
func TestOwnerStorageAPI(t *testing.T) {
	e := newStorageEnv(t, true)
	ctx := testCtx(t)
	c, docID, content := e.ownerWithDocument(t, "marie.storage")
	var v storageView
	want(t, c.get(t, "/api/v1/me/storage"), 200, "get storage").json(t, &v)
	if !v.Allowed || v.Bucket != nil || v.Progress.Total != 1 || !v.Progress.Done {
		t.Fatalf("initial storage = %+v", v)
	}
	req := e.bucketReq(t)
	r := want(t, c.do(t, "PUT", "/api/v1/me/storage", req), 200, "put storage")
	if strings.Contains(string(r.body), e.mio.SecretKey) || strings.Contains(string(r.body), e.mio.AccessKey) {
		t.Fatalf("the response shows a key: %s", r.body)
	}
	v = storageView{}
	r.json(t, &v)
	if v.Bucket == nil || v.Bucket.Bucket != req["bucket"] || v.Bucket.Prefix != "coffre" || v.Progress.Placed != 0 || v.Progress.Done {
		t.Fatalf("after put = %+v", v)
	}
	if _, _, err := e.v.SweepStorage(ctx); err != nil {
		t.Fatalf("SweepStorage: %v", err)
	}
	v = storageView{}
	want(t, c.get(t, "/api/v1/me/storage"), 200, "get storage").json(t, &v)
	if v.Progress.Placed != 1 || !v.Progress.Done || v.Progress.PlacedBytes != int64(len(content)) {
		t.Fatalf("after the move = %+v", v.Progress)
	}
	got := want(t, c.get(t, "/api/v1/documents/"+docID+"/content"), 200, "content").body
	if !bytes.Equal(got, content) {
		t.Fatalf("document read from the owner's bucket differs (%d bytes, want %d)", len(got), len(content))
	}
	var keys []string
	_ = e.blobs.List(ctx, "doc/", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
	if len(keys) != 0 {
		t.Fatalf("the server's store still holds %v", keys)
	}
	if logs := e.logs.String(); strings.Contains(logs, e.mio.SecretKey) || strings.Contains(logs, req["bucket"].(string)) {
		t.Fatal("the log names the bucket or shows a key")
	}

	want(t, c.do(t, "DELETE", "/api/v1/me/storage", nil), 204, "delete storage")
	if _, _, err := e.v.SweepStorage(ctx); err != nil {
		t.Fatalf("SweepStorage: %v", err)
	}
	v = storageView{}
	want(t, c.get(t, "/api/v1/me/storage"), 200, "get storage").json(t, &v)
	if v.Bucket != nil || !v.Progress.Done {
		t.Fatalf("after delete = %+v", v)
	}
	if got := want(t, c.get(t, "/api/v1/documents/"+docID+"/content"), 200, "content").body; !bytes.Equal(got, content) {
		t.Fatal("document differs after moving back")
	}
	r = want(t, c.do(t, "DELETE", "/api/v1/me/storage", nil), 404, "delete twice")
	if r.errMessage(t) == "" {
		t.Fatal("no message")
	}
}

// TestOwnerStorageAPIHostile: malformed, oversized and hostile settings
// are refused with a message in French and English, and nothing changes.
func TestOwnerStorageAPIHostile(t *testing.T) {
	e := newStorageEnv(t, true)
	c, docID, content := e.ownerWithDocument(t, "paul.hostile")
	good := e.bucketReq(t)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	raw := func(body, ctype string) func() request {
		return func() request {
			return request{method: "PUT", path: "/api/v1/me/storage", body: strings.NewReader(body), contentType: ctype}
		}
	}
	asJSON := func(m map[string]any) func() request {
		b, _ := json.Marshal(m)
		return raw(string(b), "application/json")
	}
	long := strings.Repeat("a", 300)
	cases := []struct {
		name   string
		rq     func() request
		status int
		code   string
		field  string
	}{
		{"not JSON", raw("{endpoint:", "application/json"), 400, "malformed_json", ""},
		{"two values", raw("{}{}", "application/json"), 400, "malformed_json", ""},
		{"unknown field", asJSON(with("password", "x")), 400, "unknown_field", "password"},
		{"wrong type", asJSON(with("tls", "yes")), 400, "malformed_json", "tls"},
		{"form body", raw("endpoint=x", "application/x-www-form-urlencoded"), 415, "unsupported_media_type", ""},
		{"oversized", raw(`{"endpoint":"`+strings.Repeat("a", 70<<10)+`"}`, "application/json"), 413, "too_large", ""},
		{"no endpoint", asJSON(with("endpoint", nil)), 422, "invalid", "endpoint"},
		{"scheme", asJSON(with("endpoint", "http://"+e.mio.Endpoint)), 422, "invalid", "endpoint"},
		{"path", asJSON(with("endpoint", e.mio.Endpoint+"/../admin")), 422, "invalid", "endpoint"},
		{"header injection", asJSON(with("endpoint", "evil.example\r\nHost: x")), 422, "invalid", "endpoint"},
		{"huge endpoint", asJSON(with("endpoint", long)), 422, "invalid", "endpoint"},
		{"bucket", asJSON(with("bucket", "../Bucket")), 422, "invalid", "bucket"},
		{"region", asJSON(with("region", "eu-west-1; rm")), 422, "invalid", "region"},
		{"prefix", asJSON(with("prefix", "../../etc")), 422, "invalid", "prefix"},
		{"no access key", asJSON(with("access_key", "")), 422, "invalid", "access_key"},
		{"secret with spaces", asJSON(with("secret_key", "a b c")), 422, "invalid", "secret_key"},
		{"huge secret", asJSON(with("secret_key", long)), 422, "invalid", "secret_key"},
		{"private address", asJSON(with("endpoint", "10.0.0.1:9000")), 422, "endpoint_refused", "endpoint"},
		{"metadata service", asJSON(with("endpoint", "169.254.169.254")), 422, "endpoint_refused", "endpoint"},
		{"wrong keys", asJSON(with("secret_key", "not-the-secret-key-at-all")), 422, "storage_unreachable", ""},
		{"missing bucket", asJSON(with("bucket", "no-such-bucket-here")), 422, "storage_unreachable", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []string
			for _, lang := range []string{"en", "fr"} {
				c.lang = lang
				r := c.send(t, tc.rq())
				var b struct {
					Error struct{ Code, Message, Field string }
				}
				r.json(t, &b)
				if r.status != tc.status || b.Error.Code != tc.code || b.Error.Field != tc.field || b.Error.Message == "" {
					t.Fatalf("%s: %d %+v; want %d %s field %q", lang, r.status, b.Error, tc.status, tc.code, tc.field)
				}
				if strings.Contains(string(r.body), "not-the-secret-key") {
					t.Fatal("the error shows the key")
				}
				msgs = append(msgs, b.Error.Message)
			}
			if msgs[0] == msgs[1] {
				t.Fatalf("same message in English and French: %q", msgs[0])
			}
		})
	}
	c.lang = ""
	// No CSRF token, and a worker: refused.
	rq := asJSON(good)()
	rq.noCSRF = true
	want(t, c.send(t, rq), 403, "no csrf")
	w := e.client()
	org, _, err := e.v.CreateOrganisation(testCtx(t), "CCAS")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.v.AddWorker(testCtx(t), org.ID, "w@ccas.fr", "W", []byte("pivoine chalet girafe tambour"), false); err != nil {
		t.Fatal(err)
	}
	w.loginWorker(t, "w@ccas.fr", "pivoine chalet girafe tambour")
	want(t, w.do(t, "PUT", "/api/v1/me/storage", good), 403, "worker put")
	want(t, w.get(t, "/api/v1/me/storage"), 403, "worker get")

	// Nothing was saved; the document is where it was and readable.
	var v storageView
	want(t, c.get(t, "/api/v1/me/storage"), 200, "get").json(t, &v)
	if v.Bucket != nil || !v.Progress.Done {
		t.Fatalf("after refusals: %+v", v)
	}
	if got := want(t, c.get(t, "/api/v1/documents/"+docID+"/content"), 200, "content").body; !bytes.Equal(got, content) {
		t.Fatal("document changed")
	}
}

// TestOwnerStorageAPIDisabled: without the operator's permission, owners
// see their progress but cannot set or clear a bucket (403, fr and en).
func TestOwnerStorageAPIDisabled(t *testing.T) {
	e := newStorageEnv(t, false)
	c, _, _ := e.ownerWithDocument(t, "lea.disabled")
	var v storageView
	want(t, c.get(t, "/api/v1/me/storage"), 200, "get").json(t, &v)
	if v.Allowed || v.Progress.Total != 1 {
		t.Fatalf("storage = %+v", v)
	}
	var msgs []string
	for _, lang := range []string{"en", "fr"} {
		c.lang = lang
		r := want(t, c.do(t, "PUT", "/api/v1/me/storage", e.bucketReq(t)), 403, "put "+lang)
		msgs = append(msgs, r.errMessage(t))
		want(t, c.do(t, "DELETE", "/api/v1/me/storage", nil), 403, "delete "+lang)
	}
	if msgs[0] == msgs[1] || !strings.Contains(msgs[1], "stockage") {
		t.Fatalf("messages: %q", msgs)
	}
}
