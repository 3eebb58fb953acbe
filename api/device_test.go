package api_test

import (
	"fmt"
	"strconv"
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

	// A forged or another account's device token does not help.
	forged := e.client()
	forged.ip = "198.51.100.51"
	u := mustURL(e.srv.URL)
	forged.hc.Jar.SetCookies(u, phone.hc.Jar.Cookies(u))
	for _, ck := range forged.hc.Jar.Cookies(u) {
		if ck.Name == "coffre_device" {
			ck.Value = ck.Value[:len(ck.Value)-1] + "0"
			ck.Path = "/"
			forged.hc.Jar.SetCookies(u, append(forged.hc.Jar.Cookies(u)[:0], ck))
		}
	}
	checkErr(t, forged.do(t, "POST", "/api/v1/login", map[string]string{"identifier": ident, "secret": secret}), 429, "throttled", "a forged device cookie")
}
