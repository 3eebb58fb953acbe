package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/internal/hostile"
	"github.com/coffre/coffre/internal/testenv"
)

// Bounds every corpus case must stay within, per entry point.
const (
	corpusTimeBound = 20 * time.Second // per request, under -race on 2 shared cores
	corpusHeapBound = 256 << 20        // peak HeapInuse above the baseline
)

// heapPeak samples runtime.MemStats.HeapInuse every few milliseconds; the
// server runs in this process, so its peak is the server's.
type heapPeak struct {
	mu   sync.Mutex
	peak uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			h.mu.Lock()
			h.peak = max(h.peak, ms.HeapInuse)
			h.mu.Unlock()
			select {
			case <-h.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return h
}

// end stops sampling and returns the peak.
func (h *heapPeak) end() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// measure runs f and returns how long it took and the peak heap in use
// above the heap in use before it (after a GC).
func measure(f func()) (time.Duration, uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	h := startHeapPeak()
	start := time.Now()
	f()
	took := time.Since(start)
	peak := h.end()
	if peak < base {
		return took, 0
	}
	return took, peak - base
}

// namedPage is a page part with a chosen (hostile) file name.
func namedPage(t *testing.T, parts map[string][]byte, extra ...part) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range extra {
		if err := mw.WriteField(p.name, p.value); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="page"; filename=%q`, name))
		h.Set("Content-Type", "image/jpeg")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// TestHostileCorpus feeds every file of the hostile corpus
// (testdata/hostile and the generated big cases, package internal/hostile)
// to every entry point that takes untrusted bytes: the converter, the
// owner's upload (POST /api/v1/documents), the drop link (POST
// /api/v1/drop/:token/pages) and the helper's page-by-page upload (PUT
// /d/:token/pages/1 then POST /d/:token/send). Each refused case must get a
// 4xx with a message (an error from the converter), within
// corpusTimeBound and corpusHeapBound, and leave no file in the temporary
// or data directories and no change in the owner's vault. Polyglots that
// are well-formed carriers may be accepted, but their payload must be gone
// from the stored document. Hostile multipart shapes (path-traversal file
// names, thousands of parts, a huge body) follow. The `coffre decrypt`
// side is TestHostileCorpusDecrypt in cmd/coffre.
func TestHostileCorpus(t *testing.T) {
	cases, err := hostile.Load(testenv.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	limits := api.Limits{PageBytes: 4 << 20, TotalBytes: 8 << 20, Parts: 8}
	e := newEnv(t, envOptions{rateLimits: highLimits, limits: limits})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	w := &hostileWorld{e: e, owner: e.client()}
	want(t, w.owner.do(t, "POST", "/api/v1/signup", map[string]string{"identifier": "corpus.owner", "secret": "citron bougie marmotte flocon"}), 201, "signup")
	w.owner.loginOwner(t, "corpus.owner", "citron bougie marmotte flocon")
	var link struct {
		Token string `json:"token"`
	}
	want(t, w.owner.do(t, "POST", "/api/v1/droplinks", map[string]any{"label": "Corpus", "max_uses": 50}), 201, "link").json(t, &link)
	w.token = link.Token
	helper := e.client()

	conv := &converter.Converter{MaxConcurrent: 2}
	var stats []string
	check := func(t *testing.T, entry string, took time.Duration, heap uint64) {
		t.Helper()
		stats = append(stats, fmt.Sprintf("%-28s %-14s %6dms %5d MiB", t.Name()[len("TestHostileCorpus/"):], entry, took.Milliseconds(), heap>>20))
		if took > corpusTimeBound {
			t.Errorf("%s: took %v, bound %v", entry, took, corpusTimeBound)
		}
		if heap > corpusHeapBound {
			t.Errorf("%s: peak heap +%d MiB, bound %d MiB", entry, heap>>20, corpusHeapBound>>20)
		}
	}
	refused := func(t *testing.T, entry string, r resp) {
		t.Helper()
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%s: status %d, want 4xx; body %s", entry, r.status, truncate(r.body))
			return
		}
		if msg := r.errMessage(t); len(msg) < 10 {
			t.Errorf("%s: no clear message: %q", entry, truncate(r.body))
		}
	}
	// sanitizedOK accepts a refusal, or an acceptance whose stored document
	// no longer carries the payload.
	sanitizedOK := func(t *testing.T, entry string, r resp, marker string) {
		t.Helper()
		if r.status >= 400 && r.status < 500 {
			return
		}
		if r.status != 201 {
			t.Errorf("%s: status %d; body %s", entry, r.status, truncate(r.body))
			return
		}
		var list struct {
			Documents []docJSON `json:"documents"`
		}
		want(t, w.owner.get(t, "/api/v1/documents"), 200, "list").json(t, &list)
		for _, d := range list.Documents {
			if marker == "" {
				break
			}
			got := want(t, w.owner.get(t, "/api/v1/documents/"+d.ID+"/content"), 200, "content")
			if bytes.Contains(got.body, []byte(marker)) {
				t.Errorf("%s: the stored document carries the payload %s", entry, marker)
			}
		}
	}

	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			before := w.snapshot(t)
			filesBefore := files(t, tmp, e.dataDir)
			payloads := e.payloads(t)

			// 1. The converter.
			var out bytes.Buffer
			var cerr error
			took, heap := measure(func() {
				ctx, cancel := context.WithTimeout(context.Background(), corpusTimeBound)
				defer cancel()
				_, cerr = conv.Convert(ctx, []converter.Input{{Name: tc.Name, Data: tc.Data}}, converter.Options{}, &out)
			})
			check(t, "converter", took, heap)
			switch {
			case tc.Outcome == hostile.Refused && cerr == nil:
				t.Errorf("converter accepted it")
			case cerr != nil && len(api.ExplainConversion(cerr, "fr")) < 10:
				t.Errorf("converter: no clear message for %v", cerr)
			case cerr == nil && tc.Marker != "" && bytes.Contains(out.Bytes(), []byte(tc.Marker)):
				t.Errorf("converter output carries the payload %s", tc.Marker)
			}

			// 2. The owner's upload, 3. the drop link.
			for _, ep := range []struct {
				entry, path string
				c           *client
				fields      []part
			}{
				{"owner upload", "/api/v1/documents", w.owner, []part{field("type", "rib")}},
				{"drop link", "/api/v1/drop/" + w.token + "/pages", helper, nil},
			} {
				body, ct := namedPage(t, map[string][]byte{tc.Name: tc.Data}, ep.fields...)
				var r resp
				took, heap := measure(func() {
					r = ep.c.send(t, request{method: "POST", path: ep.path, body: body, contentType: ct})
				})
				check(t, ep.entry, took, heap)
				if tc.Outcome == hostile.Refused {
					refused(t, ep.entry, r)
				} else {
					sanitizedOK(t, ep.entry, r, tc.Marker)
				}
			}

			// 4. The helper's page-by-page upload: the page may be held
			// (encrypted, unread) until the send converts it.
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			k := base64.RawURLEncoding.EncodeToString(key)
			var put, send resp
			took, heap = measure(func() {
				put = helper.send(t, request{method: "PUT", path: "/d/" + w.token + "/pages/1", body: bytes.NewReader(tc.Data),
					contentType: "application/octet-stream", header: map[string]string{"X-Upload-Key": k}})
				if put.status == 201 {
					send = helper.do(t, "POST", "/d/"+w.token+"/send", map[string]any{"key": k, "pages": []int{1}})
				}
			})
			check(t, "web drop", took, heap)
			final := put
			if put.status == 201 {
				final = send
			}
			if tc.Outcome == hostile.Refused {
				refused(t, "web drop", final)
			} else {
				sanitizedOK(t, "web drop", final, tc.Marker)
			}

			if tc.Outcome == hostile.Refused {
				if after := w.snapshot(t); after != before {
					t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, after)
				}
				if n := e.payloads(t); n != payloads {
					t.Logf("blobs %d -> %d (pending pages held until they expire)", payloads, n)
				}
			}
			if got := files(t, tmp, e.dataDir); strings.Join(got, "\n") != strings.Join(filesBefore, "\n") {
				t.Errorf("files changed:\nbefore %v\nafter  %v", filesBefore, got)
			}
		})
	}

	// Hostile multipart shapes, on both multipart endpoints.
	small := hostile.Static()["truncated.jpg"]
	for _, ep := range []struct {
		entry, path string
		c           *client
	}{
		{"owner upload", "/api/v1/documents", w.owner},
		{"drop link", "/api/v1/drop/" + w.token + "/pages", helper},
	} {
		t.Run("multipart/"+ep.entry, func(t *testing.T) {
			before := w.snapshot(t)
			filesBefore := files(t, tmp, e.dataDir)
			for _, name := range []string{"../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "a/../../b.jpg", "nul\x00.jpg", strings.Repeat("A", 5000) + ".jpg"} {
				body, ct := namedPage(t, map[string][]byte{name: small})
				var r resp
				took, heap := measure(func() { r = ep.c.send(t, request{method: "POST", path: ep.path, body: body, contentType: ct}) })
				check(t, "traversal name", took, heap)
				refused(t, "traversal name "+name[:min(len(name), 20)], r)
			}
			// Thousands of parts.
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			for i := 0; i < 5000; i++ {
				_ = mw.WriteField(fmt.Sprintf("f%d", i), "x")
			}
			_ = mw.Close()
			var r resp
			took, heap := measure(func() {
				r = ep.c.send(t, request{method: "POST", path: ep.path, body: &b, contentType: mw.FormDataContentType()})
			})
			check(t, "5000 parts", took, heap)
			refused(t, "5000 parts", r)
			// A new buffer: the client may still be sending the last one
			// when the server has answered (and closes the connection).
			var b2 bytes.Buffer
			mw = multipart.NewWriter(&b2)
			for i := 0; i < 3000; i++ {
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="page"; filename="p%d.jpg"`, i))
				pw, _ := mw.CreatePart(h)
				_, _ = pw.Write(small[:16])
			}
			_ = mw.Close()
			took, heap = measure(func() {
				r = ep.c.send(t, request{method: "POST", path: ep.path, body: &b2, contentType: mw.FormDataContentType()})
			})
			check(t, "3000 pages", took, heap)
			refused(t, "3000 pages", r)
			// A huge body (1 GiB, streamed, length hidden): the server
			// must stop reading at its limit.
			for _, declaredLen := range []bool{false, true} {
				pr, pw := io.Pipe()
				mw := multipart.NewWriter(pw)
				go func() {
					h := textproto.MIMEHeader{}
					h.Set("Content-Disposition", `form-data; name="page"; filename="huge.jpg"`)
					p, _ := mw.CreatePart(h)
					chunk := make([]byte, 1<<20)
					for i := 0; i < 1024; i++ {
						if _, err := p.Write(chunk); err != nil {
							_ = pw.CloseWithError(err)
							return
						}
					}
					_ = mw.Close()
					_ = pw.Close()
				}()
				rq := request{method: "POST", path: ep.path, body: io.MultiReader(pr), contentType: mw.FormDataContentType()}
				if declaredLen {
					rq = declared(rq, 1<<30)
				}
				took, heap := measure(func() { r = ep.c.send(t, rq) })
				_ = pr.Close()
				check(t, fmt.Sprintf("1 GiB body %v", declaredLen), took, heap)
				refused(t, "1 GiB body", r)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if got := files(t, tmp, e.dataDir); strings.Join(got, "\n") != strings.Join(filesBefore, "\n") {
				t.Errorf("files changed:\nbefore %v\nafter  %v", filesBefore, got)
			}
		})
	}
	t.Logf("case / entry point / time / peak heap above baseline:\n%s", strings.Join(stats, "\n"))
}
