package api_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/coffre/coffre/api"
)

// TestLoginRateLimitPerIP: the HTTP layer's own per-IP limit answers 429
// with Retry-After before the vault is even asked.
func TestLoginRateLimitPerIP(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: api.RateLimits{LoginPerMinute: 10, LoginBurst: 10}})
	cl := e.client()
	for i := range 10 {
		r := cl.do(t, "POST", "/api/v1/login", map[string]string{"identifier": fmt.Sprintf("inconnu%d", i), "secret": "mauvais secret"})
		if r.status == 429 {
			t.Fatalf("attempt %d throttled within the burst", i+1)
		}
	}
	r := cl.do(t, "POST", "/api/v1/login", map[string]string{"identifier": "inconnu", "secret": "mauvais secret"})
	checkErr(t, r, 429, "throttled", "11th attempt in a minute")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	// Drop links are limited apart from logins.
	checkErr(t, cl.get(t, "/api/v1/drop/"+randomToken()), 404, "not_found", "drop link after login throttling")
}

// TestGuessingSecretsIsThrottled: repeated wrong secrets for one account
// get 429 with Retry-After from the vault's throttling (whatever the IP),
// and then even the right secret waits.
func TestGuessingSecretsIsThrottled(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	const ident, secret = "victime.du.devin", "poney vanille grenier ruisseau"
	want(t, e.client().do(t, "POST", "/api/v1/signup", map[string]string{"identifier": ident, "secret": secret}), 201, "signup")
	var throttled resp
	for i := range 1000 {
		cl := e.client()
		cl.ip = fmt.Sprintf("198.51.100.%d", i%250+1) // a botnet: every guess from another IP
		r := cl.do(t, "POST", "/api/v1/login", map[string]string{"identifier": ident, "secret": fmt.Sprintf("essai numéro %d", i)})
		if r.status == 429 {
			throttled = r
			t.Logf("throttled after %d wrong guesses", i)
			break
		}
		checkErr(t, r, 401, "wrong_secret", "wrong guess")
	}
	checkErr(t, throttled, 429, "throttled", "guessing")
	if s, err := strconv.Atoi(throttled.header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q", throttled.header.Get("Retry-After"))
	}
	cl := e.client()
	cl.ip = "203.0.113.7"
	checkErr(t, cl.do(t, "POST", "/api/v1/login", map[string]string{"identifier": ident, "secret": secret}), 429, "throttled", "the right secret while throttled")
}

// TestSingleUseLinkConcurrentRedemption: 20 helpers post to a single-use
// link at once; exactly one gets a receipt, the others 404, and the owner
// finds exactly one new document.
func TestSingleUseLinkConcurrentRedemption(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	want(t, owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "une.seule.fois", "secret": "cactus plume renard tambour"}), 201, "signup")
	owner.loginOwner(t, "une.seule.fois", "cactus plume renard tambour")
	var link struct {
		API string `json:"api"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Une fois"}), 201, "link").json(t, &link)
	img := photo(t, 300, 400, 5)
	const n = 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := uploadRequest(t, link.API+"/pages", false, page(img))
			cl := e.client()
			<-start
			statuses[i] = cl.send(t, req).status
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 201:
			won++
		case 404:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d uploads won a single-use link (statuses %v)", won, statuses)
	}
	var docs docList
	want(t, owner.get(t, "/api/v1/documents"), 200, "documents").json(t, &docs)
	if len(docs.Documents) != 1 {
		t.Fatalf("the owner has %d documents", len(docs.Documents))
	}
	if p := e.payloads(t); p != 1 {
		t.Fatalf("%d payloads in the bucket", p)
	}
}
