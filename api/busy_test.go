package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/api"
)

// TestUploadQueueBounded: with every upload slot taken (an upload whose
// storage stalls: MinIO frozen), at most Limits.Queue uploads wait, each
// at most Limits.QueueWait; the others get 503 with Retry-After at once
// rather than piling up in memory. (A slot is taken once the body is in:
// slow bodies never hold one, see TestSlowBodiesDoNotStarveUploads.)
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

	img := photo(t, 300, 400, 1)
	post := func() (*http.Response, time.Duration) {
		body, ct := multipartBody(t, page(img))
		start := time.Now()
		res, err := http.Post(path, ct, body)
		if err != nil {
			t.Error(err)
			return nil, 0
		}
		res.Body.Close()
		return res, time.Since(start)
	}
	type result struct {
		res  *http.Response
		took time.Duration
	}
	// A holds the only slot: its pages are converted, but the storage
	// does not answer until the test says so.
	if err := e.mio.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := e.mio.Resume(); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer resume()
	ac := make(chan result, 1)
	go func() { r, d := post(); ac <- result{r, d} }()
	time.Sleep(1500 * time.Millisecond) // A is converted and storing by now

	// B waits in the queue, C finds it full.
	bc := make(chan result, 1)
	go func() { r, d := post(); bc <- result{r, d} }()
	time.Sleep(300 * time.Millisecond) // B is queued by now
	c, took := post()
	if c == nil || c.StatusCode != 503 || c.Header.Get("Retry-After") == "" || took > 300*time.Millisecond {
		t.Errorf("queue full: %v Retry-After in %v, want 503 with Retry-After at once", c, took)
	}
	b := <-bc
	if b.res == nil || b.res.StatusCode != 503 || b.res.Header.Get("Retry-After") == "" || b.took < 600*time.Millisecond {
		t.Errorf("queued past QueueWait: %v after %v", b.res, b.took)
	}
	resume()
	if a := <-ac; a.res == nil || a.res.StatusCode != 201 {
		t.Errorf("the upload that held the slot: %v", a.res)
	}
	// Once the slot is free, uploads go through again.
	if r, _ := post(); r == nil || r.StatusCode != 201 {
		t.Errorf("after the slot is free: %v", r)
	}
	// Turned away at capacity is the limits doing their job: a warning
	// with the code, not an error (attacker's review, info).
	logs := e.logs.String()
	if !strings.Contains(logs, "request turned away") || !strings.Contains(logs, `"code":"busy"`) || strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("logs of uploads turned away:\n%s", logs)
	}
}
