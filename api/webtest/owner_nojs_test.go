package webtest

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault"
)

// TestOwnerAddResentWithoutJavaScript: without JavaScript the add form
// carries its idempotency key too; the same form posted again (a reload
// after a lost answer, "resend the form?") finds the paper saved the first
// time instead of saving a second one.
func TestOwnerAddResentWithoutJavaScript(t *testing.T) {
	photos := samples(t)
	srv := newServer(t)
	ctx := context.Background()
	const secret = "lampe bateau hiver citron"
	ownerID, _, err := srv.v.SignUp(ctx, vault.NewOwner{Identifier: "0611223355", Secret: []byte(secret), Lang: "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := newNoJS(t, srv.URL)
	if resp, page := o.post("/login", url.Values{"identifier": {"06 11 22 33 55"}, "secret": {secret}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %.300s", resp.StatusCode, page)
	}
	_, page := o.get("/papers/add")
	m := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the add form carries no idempotency key")
	}
	photo, err := os.ReadFile(photos[0])
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrfOf(t, page))
	_ = mw.WriteField("key", m[1])
	_ = mw.WriteField("type", "rib")
	fw, _ := mw.CreateFormFile("page", "photo.jpg")
	_, _ = fw.Write(photo)
	_ = mw.Close()
	send := func() (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/papers/add", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return o.do(req)
	}
	first, _ := send()
	again, page := send()
	if first.Request.URL.Path != again.Request.URL.Path || !strings.Contains(again.Request.URL.RawQuery, "done=addedonce") ||
		!strings.Contains(page, "déjà enregistré") {
		t.Fatalf("sent twice: %s then %s: %.300s", first.Request.URL, again.Request.URL, page)
	}
	owner, err := srv.v.Unlock(ctx, ownerID, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if docs, err := srv.v.List(ctx, owner); err != nil || len(docs) != 1 {
		t.Fatalf("%d papers after the same form sent twice (%v), want 1", len(docs), err)
	}
}
