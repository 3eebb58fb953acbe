package api_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKnownBrowserNotLockedByOthers: someone who knows an owner's
// identifier fails on purpose from elsewhere until the account is locked
// for an hour (20 failures); unknown browsers are refused, even with the
// right secret, but the owner's own browser, which signed in before (the
// device cookie), still signs in with the right secret. Its own failures
// lock it like any other.
func TestKnownBrowserNotLockedByOthers(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	const ident, secret = "0612345678", "ruisseau tambour hibou cerise"
	signUpOwner(t, e.client(), ident, secret)
	phone := e.client()
	phone.ip = "192.0.2.10"
	phone.loginOwner(t, ident, secret) // the owner's browser: it gets its device cookie
	want(t, phone.do(t, "POST", "/api/v1/logout", nil), 204, "logout")
	phone.csrf = ""

	// The attacker: each guess from a new browser and address; waits out
	// every delay (the clock moves) until the account is locked.
	locked := false
	for i := range 200 {
		cl := e.client()
		cl.ip = fmt.Sprintf("203.0.113.%d", i%250+1)
		r := cl.do(t, "POST", "/api/v1/login", map[string]string{"identifier": ident, "secret": fmt.Sprintf("essai %d", i)})
		if r.status == 429 {
			s, _ := strconv.Atoi(r.header.Get("Retry-After"))
			if s >= 30*60 {
				locked = true
				t.Logf("locked for %d s after %d guesses", s, i)
				break
			}
			e.clock.Advance(time.Duration(s) * time.Second)
			continue
		}
		checkErr(t, r, 401, "wrong_secret", "a guess")
	}
	if !locked {
		t.Fatal("the account was never locked")
	}
	stranger := e.client()
	stranger.ip = "198.51.100.50"
	checkErr(t, stranger.do(t, "POST", "/api/v1/login", map[string]string{"identifier": ident, "secret": secret}), 429, "throttled", "an unknown browser with the right secret")

	// The owner's known browser signs in.
	phone.loginOwner(t, ident, secret)
	want(t, phone.get(t, "/api/v1/session"), 200, "the owner's session")

	// The web sign-in form uses the same cookie.
	web := e.client()
	web.hc.Jar = phone.hc.Jar
	web.ip, web.csrf = phone.ip, phone.csrf
	if r := web.postForm(t, "/login", map[string][]string{"identifier": {ident}, "secret": {secret}}); r.status != 200 {
		t.Fatalf("web sign-in from the known browser: %d", r.status)
	}

	// A forged device token (the owner's with one character of its MAC
	// changed) does not help.
	u := mustURL(e.srv.URL)
	var token string
	for _, ck := range phone.hc.Jar.Cookies(u) {
		if ck.Name == "coffre_device" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("the owner's browser holds no device cookie")
	}
	last := byte('0')
	if token[len(token)-1] == '0' {
		last = '1'
	}
	forged := e.client()
	forged.ip = "198.51.100.51"
	r := forged.send(t, request{method: "POST", path: "/api/v1/login", contentType: "application/json",
		body:   strings.NewReader(`{"identifier":"` + ident + `","secret":"` + secret + `"}`),
		header: map[string]string{"Cookie": "coffre_device=" + token[:len(token)-1] + string(last)}})
	checkErr(t, r, 429, "throttled", "a forged device cookie")
}
