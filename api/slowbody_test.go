package api_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/api"
)

// slowLoris opens a raw connection to the test server, sends a request
// head announcing a large body, then trickles one byte every `every` until
// the server answers or closes. It reports the status (0: closed without
// an answer) and how long the server kept it.
func slowLoris(t testing.TB, addr, method, path, contentType string, header map[string]string, every time.Duration, stop <-chan struct{}) (int, time.Duration) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return -1, 0
	}
	defer conn.Close()
	start := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 5000000\r\n", method, path, addr, contentType)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return 0, time.Since(start)
	}
	answered := make(chan int, 1)
	go func() {
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		st := res.StatusCode
		if st != http.StatusRequestTimeout && st != http.StatusServiceUnavailable {
			b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
			t.Logf("slow %s %s answered %d after %v: %s", method, path[:min(len(path), 20)], st, time.Since(start), b)
			if st == http.StatusBadRequest && !bytes.Contains(b, []byte(`"malformed_multipart"`)) {
				st = -st // a 400 for anything else is not a refusal the callers accept
			}
		}
		res.Body.Close()
		answered <- st
	}()
	// What it trickles: a multipart part holding a JPEG's first bytes, or
	// for a page sent whole, the JPEG's first bytes themselves (a body
	// that is no image may be refused as such, 400, before it is cut).
	body := "--x\r\nContent-Disposition: form-data; name=\"page\"; filename=\"p.jpg\"\r\n\r\n\xff\xd8\xff"
	if !strings.HasPrefix(contentType, "multipart/") {
		body = "\xff\xd8\xff\xe0"
	}
	for i := 0; ; i++ {
		select {
		case st := <-answered:
			return st, time.Since(start)
		case <-stop:
			return -1, time.Since(start)
		case <-time.After(every):
		}
		c := byte('a')
		if i < len(body) {
			c = body[i]
		}
		if _, err := conn.Write([]byte{c}); err != nil {
			return <-answered, time.Since(start)
		}
	}
}

// TestSlowBodiesDoNotStarveUploads: 50 connections trickling upload bodies
// (25 multipart uploads through drop links, 25 page-by-page PUTs), one
// byte every 300 ms, take no conversion slot and no memory: an owner's
// normal upload and a helper's page still complete in under 2 s while they
// run, and each slow connection is cut (408, or closed) once it falls
// behind the minimum rate (here 1 s of grace, then 1 KiB/s).
func TestSlowBodiesDoNotStarveUploads(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true, limits: api.Limits{
		BodyGrace: time.Second, BodyMinRate: 1 << 10, QueueWait: 5 * time.Second,
	}})
	owner := e.client()
	signUpOwner(t, owner, "lent.loris", "girafe cobalt tulipe marmotte")
	newLink := func() string {
		var link struct {
			Token string `json:"token"`
		}
		want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Loris", "max_uses": 50}), 201, "link").json(t, &link)
		return link.Token
	}
	attackerLink := newLink()
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	key := func() string {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return base64.RawURLEncoding.EncodeToString(k)
	}

	img := photo(t, 300, 400, 11)
	upload := func(what string) time.Duration {
		start := time.Now()
		body, ct := multipartBody(t, field("type", "rib"), page(img))
		want(t, owner.send(t, request{method: "POST", path: "/api/v1/documents", body: body, contentType: ct}), 201, what)
		return time.Since(start)
	}
	// A helper's page, through another link.
	helper := e.client()
	helper.ip = "198.51.100.200"
	putPage := func(what string) time.Duration {
		start := time.Now()
		want(t, helper.send(t, request{method: "PUT", path: "/d/" + newLink() + "/pages/1", body: bytes.NewReader(img),
			contentType: "image/jpeg", header: map[string]string{"X-Upload-Key": key()}}), 201, what)
		return time.Since(start)
	}
	aloneBefore, pageBefore := upload("the upload alone, before"), putPage("a helper's page alone, before")

	stop := make(chan struct{})
	time.AfterFunc(10*time.Second, func() { close(stop) }) // bound the test whatever the server does
	const n = 50
	type outcome struct {
		status    int
		held      time.Duration
		multipart bool
	}
	out := make(chan outcome, n)
	links := make([]string, n)
	for i := 1; i < n; i += 2 {
		links[i] = newLink()
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st int
			var d time.Duration
			if i%2 == 0 {
				st, d = slowLoris(t, addr, "POST", "/api/v1/drop/"+attackerLink+"/pages", "multipart/form-data; boundary=x", nil, 300*time.Millisecond, stop)
			} else {
				st, d = slowLoris(t, addr, "PUT", "/d/"+links[i]+"/pages/1", "image/jpeg",
					map[string]string{"X-Upload-Key": key(), "X-Forwarded-For": "203.0.113." + strconv.Itoa(i)}, 300*time.Millisecond, stop)
			}
			out <- outcome{st, d, i%2 == 0}
		}()
	}
	time.Sleep(500 * time.Millisecond) // every slow connection is in

	// An owner's normal upload: under 2 s, and (on a loaded machine or
	// under -race, where converting alone may take longer) no more than
	// 1.5 s over the same upload alone, measured before and after (the
	// slower of the two: other work on the machine comes and goes).
	took := upload("normal upload beside 50 slow ones")
	pageTook := putPage("a helper's page beside 50 slow ones")

	// Every slow connection is cut at the minimum rate: after the grace,
	// 1 byte per 300 ms is far below 1 KiB/s.
	wg.Wait()
	alone := max(aloneBefore, upload("the same upload alone"))
	// The page is checked as it arrives (its verdict, issue 17): compare
	// with the same page alone, on a machine shared with other work.
	pageAlone := max(pageBefore, putPage("a helper's page alone"))
	t.Logf("helper's page beside 50 slow-loris connections: %v (alone: %v)", pageTook, pageAlone)
	if pageTook > max(2*time.Second, pageAlone+1500*time.Millisecond) {
		t.Errorf("a helper's page took %v beside 50 slow ones (%v alone), want < 2 s", pageTook, pageAlone)
	}
	t.Logf("normal upload beside 50 slow-loris connections: %v (alone: %v)", took, alone)
	if took > max(2*time.Second, alone+1500*time.Millisecond) {
		t.Errorf("a normal upload took %v beside 50 slow ones (%v alone), want < 2 s", took, alone)
	}
	close(out)
	var worst time.Duration
	statuses := map[int]int{}
	for o := range out {
		statuses[o.status]++
		worst = max(worst, o.held)
		// Refused, never taken: too slow (408), busy (503), closed (0);
		// a multipart body cut mid-part may also be told incomplete (400
		// malformed_multipart, seen once on a loaded CI machine).
		switch o.status {
		case 0, http.StatusRequestTimeout, http.StatusServiceUnavailable:
		case http.StatusBadRequest:
			if !o.multipart {
				t.Errorf("a slow page sent whole got %d", o.status)
			}
		default:
			t.Errorf("a slow connection got %d", o.status)
		}
	}
	t.Logf("slow connections: statuses %v, longest held %v", statuses, worst)
	if worst > 5*time.Second {
		t.Errorf("a slow connection was kept %v", worst)
	}
}

// rssBytes is the process's resident set (VmRSS), in bytes.
func rssBytes(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// trickle is a page body of n bytes sent in chunks of 16 KiB every pause.
type trickle struct {
	n, off int
	pause  time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if r.off > 0 {
		time.Sleep(r.pause)
	}
	k := min(len(p), 16<<10, r.n-r.off)
	for i := range p[:k] {
		p[i] = byte(r.off + i)
	}
	r.off += k
	return k, nil
}

// TestConcurrentSlowPagePutsBoundedMemory: 300 helpers, each through its
// own link and address, send a 256 KiB page slowly (16 KiB every 50 ms)
// at once, on MinIO. At most Limits.PagePuts (32) are stored at a time,
// the others get 503 with Retry-After at once; each in-flight page holds
// a buffer the size of what it sent, not a 16 MiB part. The test process's
// RSS (server and clients) stays under 200 MiB above where it started
// (600 MiB under the race detector).
func TestConcurrentSlowPagePutsBoundedMemory(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	owner := e.client()
	signUpOwner(t, owner, "trois.cents", "hibou lanterne citron marmotte")
	const n = 300
	links := make([]string, n)
	for i := range links {
		var link struct {
			Token string `json:"token"`
		}
		want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Page", "max_uses": 2}), 201, "link").json(t, &link)
		links[i] = link.Token
	}
	runtime.GC()
	base := rssBytes(t)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if r := rssBytes(t); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	statuses := make([]int, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := make([]byte, 32)
			_, _ = rand.Read(k)
			req, _ := http.NewRequest("PUT", e.srv.URL+"/d/"+links[i]+"/pages/1", &trickle{n: 256 << 10, pause: 50 * time.Millisecond})
			req.ContentLength = 256 << 10
			req.Header.Set("Content-Type", "image/jpeg")
			req.Header.Set("X-Upload-Key", base64.RawURLEncoding.EncodeToString(k))
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.%d.%d", i/250, i%250+1))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = -1 // the server refused before reading the body
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
			if res.StatusCode == 503 && res.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(stop)
	<-sampled
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	growth := peak.Load() - base
	t.Logf("%d concurrent slow page PUTs in %v: statuses %v; RSS %d MiB before, peak %d MiB (+%d MiB)",
		n, took.Round(time.Millisecond), count, base>>20, peak.Load()>>20, growth>>20)
	if count[201] < 32 {
		t.Errorf("only %d pages stored, want at least the 32 in flight", count[201])
	}
	for s := range count {
		if s != 201 && s != 503 && s != -1 {
			t.Errorf("status %d", s)
		}
	}
	bound := int64(200 << 20)
	if raceEnabled {
		bound *= 3 // still far below 300 part buffers of 16 MiB (4.8 GiB)
	}
	if growth > bound {
		t.Fatalf("RSS grew by %d MiB during 300 slow page PUTs, want < %d MiB", growth>>20, bound>>20)
	}
}

// A JSON body that stops after its first byte gets its 408 too_slow once
// the grace is over, and the connection is closed: before, the server
// answered 400 to itself and then, waiting for the rest of the announced
// body with no deadline, never sent it, keeping the socket open (found by
// an attacker's review; the forms answered).
func TestStalledJSONBodyIsAnswered(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, limits: api.Limits{BodyGrace: time.Second, BodyMinRate: 1 << 10}})
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for _, path := range []string{"/api/v1/login", "/api/v1/passkeys/login/options", "/login"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		ct := "application/json"
		if !strings.HasPrefix(path, "/api/") {
			ct = "application/x-www-form-urlencoded"
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 1000\r\nSec-Fetch-Site: same-origin\r\n\r\n{", path, addr, ct)
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: no answer after %s: %v", path, time.Since(start).Round(time.Millisecond), err)
			conn.Close()
			continue
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !res.Close {
			t.Errorf("%s: %d without closing: %s", path, res.StatusCode, body)
		}
		// A route that reads the body says it was too slow; one that needs
		// none (passkeys are off on this IP address) answers as usual.
		if path == "/api/v1/login" && (res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"too_slow"`)) {
			t.Errorf("%s: %d %s, want 408 too_slow", path, res.StatusCode, body)
		}
		// The server closed its side: a read ends at once.
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		if n, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: connection still open after the answer (%d, %v)", path, n, err)
		}
		conn.Close()
	}
}

// TestDeclaredLengthReservesNothing: 32 page PUTs that each declare a
// 20 MB page and send two bytes, then wait, make the server hold what
// arrived, not what was announced: the heap grows by a few MiB, not by
// 32 × 20 MB (found by an attacker's review: 675 MB in 3 s from one
// address on the owner's page check, the same route's code).
func TestDeclaredLengthReservesNothing(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits, trustProxy: true})
	owner := e.client()
	signUpOwner(t, owner, "annonce.vide", "hibou lanterne citron marmotte")
	const n = 32
	links := make([]string, n)
	for i := range links {
		var link struct {
			Token string `json:"token"`
		}
		want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Page", "max_uses": 2}), 201, "link").json(t, &link)
		links[i] = link.Token
	}
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		fmt.Fprintf(c, "PUT /d/%s/pages/1 HTTP/1.1\r\nHost: %s\r\nContent-Type: image/jpeg\r\nContent-Length: 20000000\r\nX-Upload-Key: %s\r\nX-Forwarded-For: 198.51.100.%d\r\n\r\n\xff\xd8",
			links[i], addr, base64.RawURLEncoding.EncodeToString(k), i+1)
	}
	time.Sleep(700 * time.Millisecond) // every handler is waiting for the rest
	grew := int64(heap()) - int64(before)
	t.Logf("%d page PUTs announcing 20 MB each, 2 bytes sent: heap %+d KiB", n, grew>>10)
	if grew > 32<<20 {
		t.Fatalf("the heap grew by %d MiB for %d connections that sent 2 bytes each, want < 32 MiB", grew>>20, n)
	}
}

// A page whose sender goes away mid-body is the sender's doing: 408, not
// a 500 logged as the server's error.
func TestPageCutMidBodyIsNotServerError(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	owner := e.client()
	signUpOwner(t, owner, "coupe.net", "hibou lanterne citron marmotte")
	var link struct {
		Token string `json:"token"`
	}
	want(t, owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Page"}), 201, "link").json(t, &link)
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	fmt.Fprintf(c, "PUT /d/%s/pages/1 HTTP/1.1\r\nHost: %s\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\nX-Upload-Key: %s\r\n\r\n\xff\xd8\xff\xe0",
		link.Token, addr, base64.RawURLEncoding.EncodeToString(k))
	_ = c.(*net.TCPConn).CloseWrite() // gone mid-page
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode >= 500 {
		t.Fatalf("a page cut by its sender answered %d", res.StatusCode)
	}
}
