package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/coffre/coffre/vault/blob"
)

// pendingCount counts the helper's pending page blobs.
func (e *env) pendingCount(t *testing.T) int {
	t.Helper()
	n := 0
	if err := e.blobs.List(testCtx(t), "pending/", func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A page the converter refuses for good does not stay stored (encrypted)
// until it expires: the refused send deletes it at once.
func TestWebDropRefusedSendDiscardsPages(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "depot.refuse", "pomme radis ballon hibou")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Refus", "max_uses": 5}), 201, "link").json(t, &link)
	helper := e.client()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := base64.RawURLEncoding.EncodeToString(key)
	notAnImage := bytes.Repeat([]byte("ceci n'est pas une image "), 40)
	want(t, helper.send(t, request{method: "PUT", path: "/d/" + link.Token + "/pages/1", body: bytes.NewReader(notAnImage),
		contentType: "application/octet-stream", header: map[string]string{"X-Upload-Key": k}}), 201, "page stored")
	if n := e.pendingCount(t); n != 1 {
		t.Fatalf("pending pages after the upload = %d, want 1", n)
	}
	r := helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{1}})
	if r.status < 400 || r.status >= 500 {
		t.Fatalf("refused send: status %d, want a 4xx refusal; body %s", r.status, truncate(r.body))
	}
	if msg := r.errMessage(t); len(msg) < 10 {
		t.Fatalf("refusal without a clear message: %q", msg)
	}
	if n := e.pendingCount(t); n != 0 {
		t.Fatalf("pending pages after a final refusal = %d, want 0", n)
	}
	// A retried send deposits nothing; the link still takes a new upload.
	if again := helper.do(t, "POST", "/d/"+link.Token+"/send", map[string]any{"key": k, "pages": []int{1}}); again.status < 400 {
		t.Fatalf("retried send after a refusal: status %d", again.status)
	}
	var docs struct {
		Documents []any `json:"documents"`
	}
	want(t, owner.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
	if len(docs.Documents) != 0 {
		t.Fatalf("a refused page became a document: %+v", docs)
	}
}
