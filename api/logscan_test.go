package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Every api test server (newEnv) watches its own traffic: each secret or
// personal value that crosses it — session and CSRF tokens, drop-link and
// recovery tokens, identifiers, secrets, phone numbers, e-mail addresses,
// names, document titles and labels, passkeys' PRF outputs — is remembered, and when the test ends
// the captured server log is scanned for every one of them. So the log
// check covers every flow the api tests drive (hostile input, the
// authorization matrix, errors, panics), not only the end-to-end story.

// sensitiveKeys are JSON and form fields whose values must never be logged.
var sensitiveKeys = map[string]bool{
	"identifier": true, "secret": true, "new_secret": true, "current_secret": true, "code": true,
	"recovery_code": true, "title": true, "label": true, "phone": true, "email": true,
	"display_name": true, "name": true, "totp": true, "token": true, "csrf": true,
	"password": true, "purpose": true, "message": true, "url": true, "link": true,
	"drop_url": true, "recovery_key": true, "org_recovery_key": true, "endpoint": true,
	"access_key": true, "secret_key": true, "contact": true, "address": true,
	// Passkeys: the PRF output (results.first in an answer, prf with the
	// secret), the PRF salt, the second step's ticket, the challenges.
	"prf": true, "first": true, "ticket": true, "challenge": true,
}

// tokenSegment matches path segments that are bearer tokens (drop links).
var tokenSegment = regexp.MustCompile(`^[A-Za-z0-9_-]{32,}$`)

// minSecretLen keeps short, common words (a category, "fr") out of the scan.
const minSecretLen = 8

type secretWatch struct {
	mu     sync.Mutex
	values map[string]string // value → where it was seen
}

func (w *secretWatch) add(where, v string) {
	v = strings.TrimSpace(v)
	if len(v) < minSecretLen {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.values[v]; !ok {
		w.values[v] = where
	}
}

// addJSON remembers the sensitive string values of a JSON document.
func (w *secretWatch) addJSON(where string, body []byte) {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				walk(k, vv)
			}
		case []any:
			for _, vv := range x {
				walk(key, vv)
			}
		case string:
			switch {
			case key == "url" || key == "link" || key == "drop_url":
				// Only the tokens in a URL are secret, not its route.
				segs := strings.FieldsFunc(x, func(r rune) bool { return strings.ContainsRune("/?&=#", r) })
				for i, seg := range segs {
					// A share code's address: /s/<code>.
					if tokenSegment.MatchString(seg) || i > 0 && segs[i-1] == "s" {
						w.add(where+" "+key, seg)
					}
				}
			case sensitiveKeys[key]:
				w.add(where+" "+key, x)
			}
		}
	}
	walk("", doc)
}

// limitedTee keeps the first max bytes read through it.
type limitedTee struct {
	r   io.ReadCloser
	buf *bytes.Buffer
	max int
}

func (l *limitedTee) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(n, room)])
	}
	return n, err
}

func (l *limitedTee) Close() error { return l.r.Close() }

// capture is a ResponseWriter that keeps the start of JSON answers.
type capture struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	if strings.HasPrefix(c.Header().Get("Content-Type"), "application/json") && c.buf.Len() < 64<<10 {
		c.buf.Write(p[:min(len(p), 64<<10-c.buf.Len())])
	}
	return c.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines of request bodies).
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *capture) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// watch wraps next so that the sensitive values of every request and
// answer are remembered.
func (w *secretWatch) watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		for _, seg := range strings.Split(r.URL.Path, "/") {
			if tokenSegment.MatchString(seg) {
				w.add("path", seg)
			}
		}
		for _, vs := range r.URL.Query() {
			for _, v := range vs {
				w.add("query", v)
			}
		}
		for _, c := range r.Cookies() {
			w.add("cookie", c.Value)
		}
		w.add("csrf header", r.Header.Get("X-CSRF-Token"))
		var body *bytes.Buffer
		ct := r.Header.Get("Content-Type")
		if r.Body != nil && (strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
			body = &bytes.Buffer{}
			r.Body = &limitedTee{r: r.Body, buf: body, max: 64 << 10}
		}
		cw := &capture{ResponseWriter: rw}
		next.ServeHTTP(cw, r)
		if body != nil {
			if strings.HasPrefix(ct, "application/json") {
				w.addJSON("request", body.Bytes())
			} else if form, err := url.ParseQuery(body.String()); err == nil {
				for k, vs := range form {
					for _, v := range vs {
						if sensitiveKeys[k] {
							w.add("form "+k, v)
						}
					}
				}
			}
		}
		for _, sc := range cw.Header().Values("Set-Cookie") {
			if name, rest, ok := strings.Cut(sc, "="); ok && name != "" {
				v, _, _ := strings.Cut(rest, ";")
				w.add("set-cookie", v)
			}
		}
		w.addJSON("response", cw.buf.Bytes())
	})
}

// scan fails t when the log holds a remembered value. The log is JSON lines;
// "msg" (constant strings of the code) and "route" (gin's route template,
// never the request path) are left out, so that a label such as "document"
// does not match the route /api/v1/documents.
func (w *secretWatch) scan(t *testing.T, log string) {
	var kept strings.Builder
	for _, line := range strings.Split(log, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			kept.WriteString(line + "\n")
			continue
		}
		delete(rec, "msg")
		delete(rec, "route")
		b, _ := json.Marshal(rec)
		kept.Write(b)
		kept.WriteByte('\n')
	}
	log = kept.String()
	w.mu.Lock()
	defer w.mu.Unlock()
	for v, where := range w.values {
		if strings.Contains(log, v) {
			t.Errorf("server log holds a sensitive value (%s, %d bytes: %q…)", where, len(v), v[:min(len(v), 6)])
		}
	}
}

// watchLogs wires a secretWatch into an env's server and scans its log
// when the test ends.
func watchLogs(t *testing.T, logs *logBuffer, h func() http.Handler) http.Handler {
	w := &secretWatch{values: map[string]string{}}
	t.Cleanup(func() {
		w.scan(t, logs.String())
		w.mu.Lock()
		n := len(w.values)
		w.mu.Unlock()
		if testing.Verbose() && n > 0 {
			t.Logf("log scan: %d sensitive values seen in traffic, none in %d bytes of log", n, len(logs.String()))
		}
	})
	return w.watch(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { h().ServeHTTP(rw, r) }))
}
