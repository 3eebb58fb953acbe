package api_test

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/coffre/coffre/api"
)

// TestUploadQueueBounded: with every upload slot taken, at most
// Limits.Queue uploads wait, each at most Limits.QueueWait; the others get
// 503 with Retry-After at once rather than piling up in memory.
func TestUploadQueueBounded(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, limits: api.Limits{Concurrent: 1, Queue: 1, QueueWait: 700 * time.Millisecond}})
	owner := e.client()
	want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "busy.owner", "secret": "citron bougie marmotte flocon"}), 201, "signup")
	owner.loginOwner(t, "busy.owner", "citron bougie marmotte flocon")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Busy", "max_uses": 10}), 201, "link").json(t, &link)
	path := e.srv.URL + "/api/v1/drop/" + link.Token + "/pages"

	// A holds the only slot: its body never ends until the test says so.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	holding := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("POST", path, pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			holding <- nil
			return
		}
		holding <- res
	}()
	fw, _ := mw.CreateFormFile("page", "a.jpg")
	_, _ = fw.Write([]byte("\xff\xd8\xff")) // the server is reading A's body now
	time.Sleep(300 * time.Millisecond)

	img := photo(t, 300, 400, 1)
	post := func() (*http.Response, time.Duration) {
		body, ct := multipartBody(t, page(img))
		start := time.Now()
		res, err := http.Post(path, ct, body)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res, time.Since(start)
	}
	// B waits in the queue, C finds it full.
	type result struct {
		res  *http.Response
		took time.Duration
	}
	bc := make(chan result, 1)
	go func() { r, d := post(); bc <- result{r, d} }()
	time.Sleep(300 * time.Millisecond) // B is queued by now
	c, took := post()
	if c.StatusCode != 503 || c.Header.Get("Retry-After") == "" || took > 300*time.Millisecond {
		t.Errorf("queue full: %d Retry-After %q in %v, want 503 with Retry-After at once", c.StatusCode, c.Header.Get("Retry-After"), took)
	}
	b := <-bc
	if b.res.StatusCode != 503 || b.res.Header.Get("Retry-After") == "" || b.took < 600*time.Millisecond {
		t.Errorf("queued past QueueWait: %d Retry-After %q after %v", b.res.StatusCode, b.res.Header.Get("Retry-After"), b.took)
	}
	_ = pw.CloseWithError(fmt.Errorf("done"))
	if res := <-holding; res != nil {
		res.Body.Close()
	}
	// Once the slot is free, uploads go through again.
	if r, _ := post(); r.StatusCode != 201 {
		t.Errorf("after the slot is free: %d", r.StatusCode)
	}
}
