package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/api"
)

// snapshot is the owner-visible state hostile requests must leave alone.
type snapshot struct {
	docs, consents, links, requests string
	journal                         int
}

func (w *hostileWorld) snapshot(t *testing.T) snapshot {
	t.Helper()
	o := w.owner
	var j eventList
	want(t, o.get(t, "/api/v1/journal"), 200, "journal").json(t, &j)
	// Reading the journal is not an event, but logins are: count only the
	// events that change the vault.
	n := 0
	for _, ev := range j.Events {
		if ev.Kind != "login" {
			n++
		}
	}
	return snapshot{
		docs:     string(want(t, o.get(t, "/api/v1/documents"), 200, "documents").body),
		consents: string(want(t, o.get(t, "/api/v1/consents"), 200, "consents").body),
		links:    string(want(t, o.get(t, "/api/v1/droplinks"), 200, "links").body),
		requests: string(want(t, o.get(t, "/api/v1/requests"), 200, "requests").body),
		journal:  n,
	}
}

// files lists the regular files under dirs (names only).
func files(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !de.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

type hostileWorld struct {
	e      *env
	owner  *client
	worker *client
	docID  string
	token  string
}

const (
	pageCap  = 1 << 20
	totalCap = 2 << 20
	partsCap = 4
)

// TestHostileInput sends malformed, oversized, mistyped, forged and
// cross-site requests to every endpoint that takes input, and checks the
// answer (status, code, a message in French and in English) and that
// nothing changed: no document, consent, link, request or journal entry,
// and no file left in the temporary directory or the data directory.
func TestHostileInput(t *testing.T) {
	e := newEnv(t, envOptions{
		rateLimits: highLimits,
		limits:     api.Limits{PageBytes: pageCap, TotalBytes: totalCap, Parts: partsCap},
	})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.TempDir() of this process from now on
	if os.TempDir() != tmp {
		t.Fatalf("os.TempDir() = %s", os.TempDir())
	}
	w := &hostileWorld{e: e, owner: e.client(), worker: e.client()}
	want(t, w.owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "hostile.owner", "secret": "citron bougie marmotte flocon"}), 201, "signup")
	w.owner.loginOwner(t, "hostile.owner", "citron bougie marmotte flocon")
	e.worker("w@ccas.example", "Agent", "secret de l'agent assez long")
	w.worker.loginWorker(t, "w@ccas.example", "secret de l'agent assez long")
	var up struct {
		Document docJSON `json:"document"`
	}
	want(t, w.owner.upload(t, "/api/v1/documents", field("type", "rib"), page(photo(t, 500, 700, 9))), 201, "upload").json(t, &up)
	w.docID = up.Document.ID
	var link struct {
		Token string `json:"token"`
	}
	want(t, w.owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Hostile", "max_uses": 50}), 201, "link").json(t, &link)
	w.token = link.Token

	before := w.snapshot(t)
	filesBefore := files(t, tmp, e.dataDir)
	payloadsBefore := e.payloads(t)

	// The JSON endpoints, with a valid body each (as the owner, or the
	// worker for the worker's endpoints, or anonymous for the public ones).
	type jsonEndpoint struct {
		method, path string
		who          *client
		body         string
	}
	anon := e.client()
	endpoints := []jsonEndpoint{
		{"POST", "/api/v1/login", anon, `{"identifier":"x.y.z","secret":"abc"}`},
		{"POST", "/api/v1/workers/login", anon, `{"email":"a@b.c","secret":"abc"}`},
		{"POST", "/api/v1/recover", anon, `{"identifier":"x.y.z","recovery_code":"x","new_secret":"abc"}`},
		{"POST", "/api/v1/signup", anon, `{"identifier":"x.y.z","secret":"abc"}`},
		{"POST", "/api/v1/recovery-sheet", w.owner, `{"identifier":"x.y.z","recovery_code":"x"}`},
		{"POST", "/api/v1/secret", w.owner, `{"current_secret":"x","new_secret":"y"}`},
		{"PUT", "/api/v1/assisted-recovery", w.owner, `{"org_id":"nope"}`},
		{"POST", "/api/v1/reauth", w.owner, `{"secret":"x"}`},
		{"POST", "/api/v1/keys/rotate", w.owner, `{"new_secret":"y"}`},
		{"POST", "/api/v1/assisted-recovery", w.worker, `{"org_recovery_key":"x","owner_identifier":"x","new_secret":"y"}`},
		{"PATCH", "/api/v1/documents/" + w.docID, w.owner, `{"title":"Renamed"}`},
		{"POST", "/api/v1/consents", w.owner, `{"grantee":{"kind":"worker","id":"x"},"scope":{"categories":["tax"]},"purpose":"p","days":31}`},
		{"POST", "/api/v1/requests", w.worker, `{"owner_id":"x","purpose":"p","types":["rib"],"days":31}`},
		{"POST", "/api/v1/requests", w.worker, `{"owner_identifier":"x.y.z","purpose":"p","types":["rib"],"days":31}`},
		{"POST", "/api/v1/requests/x/accept", w.owner, `{"documents":[]}`},
		{"POST", "/api/v1/share-codes/K7QM2XPD/consents", w.owner, `{"scope":{"documents":["x"]},"purpose":"p","days":31}`},
		{"POST", "/api/v1/droplinks", w.owner, `{"label":"l"}`},
		{"DELETE", "/api/v1/account", w.owner, `{"confirm":false}`},
		{"PUT", "/api/v1/notifications/settings", w.owner, `{"quiet":{"start":1500,"end":0}}`},
		{"POST", "/api/v1/notifications/contacts", w.worker, `{"channel":"email","address":"not an address"}`},
	}
	big := `{"label":"` + strings.Repeat("a", 100<<10) + `"}`
	for _, ep := range endpoints {
		t.Run(ep.method+" "+strings.ReplaceAll(ep.path, w.docID, ":id"), func(t *testing.T) {
			cases := []struct {
				name, ct, body string
				status         int
				code           string
			}{
				{"wrong content type", "text/plain", ep.body, 415, "unsupported_media_type"},
				{"form content type", "application/x-www-form-urlencoded", "a=b", 415, "unsupported_media_type"},
				{"no content type", "", ep.body, 415, "unsupported_media_type"},
				{"malformed JSON", "application/json", `{"label": `, 400, "malformed_json"},
				{"not an object", "application/json", `[1,2]`, 400, "malformed_json"},
				{"unknown field", "application/json", `{"zzz_unknown": 1}`, 400, "unknown_field"},
				{"two values", "application/json", ep.body + ` {}`, 400, "malformed_json"},
				{"empty body", "application/json", ``, 400, "malformed_json"},
				{"oversized", "application/json", big, 413, "too_large"},
			}
			for _, tc := range cases {
				if ep.path == "/api/v1/requests/x/accept" && tc.name == "empty body" {
					continue // the body is optional there
				}
				ct := tc.ct
				if tc.name == "form content type" && ep.who != anon {
					// A urlencoded form without its csrf field fails CSRF first.
					res := ep.who.send(t, request{method: ep.method, path: ep.path, body: strings.NewReader(tc.body), contentType: ct, noCSRF: true})
					checkErr(t, res, 403, "csrf", tc.name)
					continue
				}
				res := ep.who.send(t, request{method: ep.method, path: ep.path, body: strings.NewReader(tc.body), contentType: ct})
				checkErr(t, res, tc.status, tc.code, tc.name)
			}
		})
	}

	t.Run("CSRF", func(t *testing.T) {
		for _, ep := range endpoints {
			if ep.who == anon {
				continue
			}
			res := ep.who.send(t, request{method: ep.method, path: ep.path, body: strings.NewReader(ep.body), contentType: "application/json", noCSRF: true})
			checkErr(t, res, 403, "csrf", ep.path+" without token")
			res = ep.who.send(t, request{method: ep.method, path: ep.path, body: strings.NewReader(ep.body), contentType: "application/json",
				noCSRF: true, header: map[string]string{"X-CSRF-Token": ep.who.csrf + "x"}})
			checkErr(t, res, 403, "csrf", ep.path+" with a wrong token")
		}
		for _, p := range []string{"/api/v1/logout", "/api/v1/logout-everywhere", "/api/v1/requests/x/decline",
			"/api/v1/documents/" + w.docID, "/api/v1/droplinks/x", "/api/v1/consents/x"} {
			method := "POST"
			if !strings.Contains(p, "logout") && !strings.Contains(p, "decline") {
				method = "DELETE"
			}
			res := w.owner.send(t, request{method: method, path: p, noCSRF: true})
			checkErr(t, res, 403, "csrf", p+" without token")
		}
		// Reads from another site are refused too.
		for _, p := range []string{"/api/v1/documents", "/api/v1/documents/" + w.docID + "/content", "/api/v1/export",
			"/api/v1/journal/proof?from=1", "/api/v1/journal/checkpoint"} {
			res := w.owner.send(t, request{method: "GET", path: p, header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
			checkErr(t, res, 403, "cross_origin", "cross-site GET "+p)
		}
		// A multipart upload may carry the token as its first part only.
		res := w.owner.send(t, uploadRequest(t, "/api/v1/documents", true, page(photo(t, 400, 500, 1)), field("csrf", w.owner.csrf)))
		checkErr(t, res, 403, "csrf", "csrf field after a page")
		res = w.owner.send(t, uploadRequest(t, "/api/v1/documents", true, page(photo(t, 400, 500, 1))))
		checkErr(t, res, 403, "csrf", "upload without token")
		res = w.owner.send(t, uploadRequest(t, "/api/v1/documents", true, field("csrf", "forged"), page(photo(t, 400, 500, 1))))
		checkErr(t, res, 403, "csrf", "upload with a forged csrf field")
		// Another site: refused even with the token, and for anonymous
		// routes (login CSRF, drop uploads from another page).
		for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}} {
			res = w.owner.send(t, request{method: "PATCH", path: "/api/v1/documents/" + w.docID, body: strings.NewReader(`{"title":"x"}`),
				contentType: "application/json", header: h})
			checkErr(t, res, 403, "cross_origin", fmt.Sprint("PATCH from ", h))
			res = anon.send(t, request{method: "POST", path: "/api/v1/login", body: strings.NewReader(`{"identifier":"hostile.owner","secret":"citron bougie marmotte flocon"}`),
				contentType: "application/json", header: h})
			checkErr(t, res, 403, "cross_origin", fmt.Sprint("login from ", h))
			up := uploadRequest(t, "/api/v1/drop/"+w.token+"/pages", false, page(photo(t, 400, 500, 1)))
			up.header = h
			checkErr(t, anon.send(t, up), 403, "cross_origin", fmt.Sprint("drop upload from ", h))
		}
	})

	t.Run("journal proof", func(t *testing.T) {
		// The size of a kept checkpoint: a clear 422 naming the field for
		// anything but a whole number from 1; a size beyond the journal is
		// an answer ("went back"), not an error.
		for _, from := range []string{"", "0", "-1", "abc", "1e3", "1.5", "99999999999999999999", "%00", "1%20OR%201=1"} {
			res := w.owner.get(t, "/api/v1/journal/proof?from="+from)
			checkErr(t, res, 422, "invalid", "from="+from)
			if !strings.Contains(string(res.body), `"from"`) {
				t.Errorf("from=%s: the error does not name the field: %s", from, res.body)
			}
		}
		var p struct {
			Size     int64    `json:"size"`
			WentBack bool     `json:"went_back"`
			Proof    []string `json:"proof"`
		}
		want(t, w.owner.get(t, "/api/v1/journal/proof?from=9223372036854775807"), 200, "huge from").json(t, &p)
		if !p.WentBack || p.Size < 1 || len(p.Proof) != 0 {
			t.Errorf("huge from: %+v", p)
		}
	})

	t.Run("uploads", func(t *testing.T) {
		small := photo(t, 400, 500, 2)
		huge := bytes.Repeat([]byte{0xff}, pageCap+1)
		third := bytes.Repeat([]byte{0xd8}, totalCap/3+1000)
		for _, path := range []string{"/api/v1/documents", "/api/v1/drop/" + w.token + "/pages"} {
			owner := strings.HasSuffix(path, "/documents")
			cl := anon
			if owner {
				cl = w.owner
			}
			cases := []struct {
				name   string
				req    request
				status int
				code   string
			}{
				{"JSON instead of multipart", request{method: "POST", path: path, body: strings.NewReader(`{}`), contentType: "application/json"}, 415, "unsupported_media_type"},
				{"no boundary", request{method: "POST", path: path, body: strings.NewReader(`x`), contentType: "multipart/form-data"}, 415, "unsupported_media_type"},
				{"page over the cap", uploadRequest(t, path, false, page(huge)), 413, "too_large"},
				{"pages over the total", uploadRequest(t, path, false, page(third), page(third), page(third)), 413, "too_large"},
				{"pages over the total, streamed", chunked(uploadRequest(t, path, false, page(third), page(third), page(third))), 413, "too_large"},
				{"declared length over the total", declared(uploadRequest(t, path, false, page(small)), totalCap*10), 413, "too_large"},
				{"too many pages", uploadRequest(t, path, false, page(small), page(small), page(small), page(small), page(small)), 413, "too_many_pages"},
				{"no page", uploadRequest(t, path, false, field("type", "rib")), 422, "no_pages"},
				{"unknown field", uploadRequest(t, path, false, field("zzz", "1"), page(small)), 400, "unknown_field"},
				{"repeated field", uploadRequest(t, path, false, field("type", "rib"), field("type", "rib"), page(small)), 400, "duplicate_field"},
				{"unknown type", uploadRequest(t, path, false, field("type", "nope"), page(small)), 422, "invalid"},
				{"bad mode", uploadRequest(t, path, false, field("mode", "sepia"), page(small)), 422, "invalid"},
				{"not a picture", uploadRequest(t, path, false, page([]byte("Bonjour, ceci est du texte."))), 422, "conversion"},
				{"damaged JPEG", uploadRequest(t, path, false, page(small[:len(small)/3])), 422, "conversion"},
				{"truncated multipart", truncated(uploadRequest(t, path, false, page(small))), 400, "malformed_multipart"},
			}
			if owner {
				cases = append(cases,
					struct {
						name   string
						req    request
						status int
						code   string
					}{"title too long", uploadRequest(t, path, false, field("title", strings.Repeat("é", 150)), page(small)), 422, "invalid"},
					struct {
						name   string
						req    request
						status int
						code   string
					}{"bad date", uploadRequest(t, path, false, field("expires", "31/12/2030"), page(small)), 422, "invalid"},
					struct {
						name   string
						req    request
						status int
						code   string
					}{"unknown profile", uploadRequest(t, path, false, field("profile", "nope"), page(small)), 422, "invalid"})
			}
			for _, tc := range cases {
				checkErr(t, cl.send(t, tc.req), tc.status, tc.code, path+": "+tc.name)
			}
		}
	})

	t.Run("forged and expired tokens", func(t *testing.T) {
		for _, tok := range []string{randomToken(), "short", "with.dots.and.more.than.sixteen", w.token + "x", strings.Repeat("A", 200)} {
			checkErr(t, anon.get(t, "/api/v1/drop/"+tok), 404, "not_found", "drop info, forged token")
			checkErr(t, anon.get(t, "/api/v1/drop/"+tok+"/qr.png"), 404, "not_found", "QR, forged token")
			checkErr(t, anon.send(t, uploadRequest(t, "/api/v1/drop/"+tok+"/pages", false, page(photo(t, 300, 400, 3)))), 404, "not_found", "drop upload, forged token")
		}
		forged := e.client()
		forged.hc.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: "coffre", Value: randomToken(), Path: "/"}})
		checkErr(t, forged.get(t, "/api/v1/documents"), 401, "no_session", "forged session cookie")
		forged.hc.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: "coffre", Value: "x';--", Path: "/"}})
		checkErr(t, forged.get(t, "/api/v1/documents"), 401, "no_session", "garbage session cookie")
		checkErr(t, forged.get(t, "/api/v1/documents/"+w.docID), 401, "no_session", "garbage session cookie, real document")
		checkErr(t, w.owner.get(t, "/api/v1/documents/"+strings.Repeat("z", 26)), 404, "not_found", "made-up document id")
		checkErr(t, w.owner.get(t, "/api/v1/documents/..%2F..%2Fetc"), 404, "not_found", "path-like document id")
		checkErr(t, w.owner.get(t, "/api/v1/documents/"+w.docID+"/content?profile=nope"), 422, "invalid", "unknown profile")
	})

	t.Run("messages in French and English", func(t *testing.T) {
		body := strings.NewReader(`{}`)
		fr := anon.send(t, request{method: "POST", path: "/api/v1/login", body: body, contentType: "text/plain"})
		if m := fr.errMessage(t); m != "Mauvais type de contenu : envoyez du JSON (application/json)." {
			t.Errorf("default message = %q", m)
		}
		for _, rq := range []request{
			{method: "POST", path: "/api/v1/login", contentType: "text/plain", header: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}},
			{method: "POST", path: "/api/v1/login?lang=en", contentType: "text/plain", header: map[string]string{"Accept-Language": "fr"}},
			{method: "POST", path: "/api/v1/login", contentType: "text/plain", header: map[string]string{"Cookie": "coffre_lang=en"}},
		} {
			rq.body = strings.NewReader(`{}`)
			if m := anon.send(t, rq).errMessage(t); m != "Wrong content type: send JSON (application/json)." {
				t.Errorf("English message = %q", m)
			}
		}
		// The converter's own explanation, in both languages.
		en, frm := e.client(), e.client()
		en.lang = "en"
		mEN := en.send(t, uploadRequest(t, "/api/v1/drop/"+w.token+"/pages", false, page([]byte("GIF89a....")))).errMessage(t)
		mFR := frm.send(t, uploadRequest(t, "/api/v1/drop/"+w.token+"/pages", false, page([]byte("GIF89a....")))).errMessage(t)
		if mEN == "" || mFR == "" || mEN == mFR {
			t.Errorf("converter messages: en %q, fr %q", mEN, mFR)
		}
		// Every error body has the documented shape.
		var shape map[string]map[string]any
		if err := json.Unmarshal(fr.body, &shape); err != nil || len(shape) != 1 || shape["error"]["code"] == nil || shape["error"]["message"] == nil {
			t.Errorf("error body %s", fr.body)
		}
	})

	t.Run("state unchanged", func(t *testing.T) {
		if after := w.snapshot(t); after != before {
			t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := e.payloads(t); n != payloadsBefore {
			t.Errorf("%d payloads in the bucket, %d before", n, payloadsBefore)
		}
		if after := files(t, tmp, e.dataDir); !slices.Equal(after, filesBefore) {
			t.Errorf("files changed:\nbefore %v\nafter  %v", filesBefore, after)
		}
	})

	t.Run("expired session and link", func(t *testing.T) {
		e.clock.Advance(31 * time.Minute)
		checkErr(t, w.owner.get(t, "/api/v1/documents"), 401, "no_session", "idle session")
		e.clock.Advance(30 * 24 * time.Hour)
		checkErr(t, anon.get(t, "/api/v1/drop/"+w.token), 404, "not_found", "expired link")
	})
}

// checkErr asserts an error response: status, code and a message.
func checkErr(t *testing.T, r resp, status int, code, what string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, truncate(r.body))
		return
	}
	var b struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Errorf("%s: body %q is not the error shape", what, truncate(r.body))
		return
	}
	if b.Error.Code != code || b.Error.Message == "" {
		t.Errorf("%s: error %+v, want code %s", what, b.Error, code)
	}
	if status == 429 && r.header.Get("Retry-After") == "" {
		t.Errorf("%s: 429 without Retry-After", what)
	}
}

// uploadRequest builds a multipart request (with the session's CSRF token
// in the header unless noHeader).
func uploadRequest(t *testing.T, path string, noHeader bool, parts ...part) request {
	body, ct := multipartBody(t, parts...)
	return request{method: "POST", path: path, body: body, contentType: ct, noCSRF: noHeader}
}

// chunked hides the body's length (Transfer-Encoding: chunked).
func chunked(r request) request {
	r.body = io.MultiReader(r.body)
	return r
}

// truncated cuts the body in the middle of its last part.
func truncated(r request) request {
	b, _ := io.ReadAll(r.body)
	r.body = bytes.NewReader(b[:len(b)-100])
	return r
}

// declared claims a Content-Length the body does not have.
func declared(r request, n int64) request {
	r.header = map[string]string{"X-Declared-Length": fmt.Sprint(n)}
	return r
}
