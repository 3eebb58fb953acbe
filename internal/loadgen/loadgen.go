package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Config describes one load run.
type Config struct {
	// URL is the server's base URL (http://127.0.0.1:PORT). The server must
	// trust X-Forwarded-For from the generator (COFFRE_TRUSTED_PROXIES), so
	// that each simulated person has an address of their own.
	URL string
	// URLs, when set, are the base URLs of several instances sharing one
	// database and one bucket (URL is then ignored). As a load balancer
	// without sticky sessions would, each simulated person sends its
	// requests to the instances in turn, people starting on different
	// ones: a session opened on one instance is used on the others.
	URLs []string
	// Helpers each upload PagesPerHelper pages, one request per page,
	// through a drop link of their own.
	Helpers, PagesPerHelper int
	// Owners list and download their documents until the helpers are done
	// (at least one round each).
	Owners int
	// Page is the image the helpers send (a JPEG).
	Page []byte
	// Secret is every owner's secret (four words).
	Secret string
	// Mark, when set, is called with "load" just before the timed phase
	// starts and with "verify" just after it ends (for outside sampling).
	Mark func(phase string)
}

// Report is the outcome of a run.
type Report struct {
	Requests   int           // timed requests (uploads, lists, downloads)
	Duration   time.Duration // of the timed phase
	RPS        float64
	P50, P95   time.Duration
	P99, Max   time.Duration
	Errors     int            // failures other than deliberate 429/503
	Busy       int            // 429/503 answers with Retry-After (retried)
	Accepted   int            // uploads answered 201
	Verified   int            // accepted uploads found and read back afterwards
	ErrSamples []string       // a few error descriptions
	ByStatus   map[int]int    // answers per status
	Latency    map[string]int // requests per kind
	ByURL      map[string]int // timed requests per base URL
}

func (r Report) String() string {
	return fmt.Sprintf("%d requests in %v: %.1f req/s; p50 %v p95 %v p99 %v max %v; errors %d, busy (429/503) %d; uploads accepted %d, read back %d",
		r.Requests, r.Duration.Round(time.Millisecond), r.RPS, r.P50.Round(time.Millisecond), r.P95.Round(time.Millisecond),
		r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond), r.Errors, r.Busy, r.Accepted, r.Verified)
}

type person struct {
	hc    *http.Client
	ip    string
	csrf  string
	bases []string
	next  int
}

// base is the base URL of the person's next request (round-robin).
func (p *person) base() string {
	b := p.bases[p.next%len(p.bases)]
	p.next++
	return b
}

type recorder struct {
	mu  sync.Mutex
	lat []time.Duration
	rep *Report
}

func (rc *recorder) add(kind, base string, d time.Duration, status int, err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.lat = append(rc.lat, d)
	rc.rep.Requests++
	rc.rep.ByURL[base]++
	rc.rep.Latency[kind]++
	rc.rep.ByStatus[status]++
	switch {
	case err != nil || status >= 400 && status != 429 && status != 503:
		rc.rep.Errors++
		if len(rc.rep.ErrSamples) < 10 {
			rc.rep.ErrSamples = append(rc.rep.ErrSamples, fmt.Sprintf("%s: %d %v", kind, status, err))
		}
	case status == 429 || status == 503:
		rc.rep.Busy++
	}
}

// newPerson is the n-th simulated person; with bases, its first request
// goes to bases[n mod len(bases)] (see person.base).
func newPerson(n int, bases ...string) *person {
	jar, _ := cookiejar.New(nil)
	p := &person{hc: &http.Client{Jar: jar, Timeout: 5 * time.Minute}, ip: fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255), bases: bases}
	if len(bases) > 0 {
		p.next = n % len(bases)
	}
	return p
}

// do sends one request and reads the whole answer.
func (p *person) do(ctx context.Context, base, method, path, ct string, body []byte) (int, http.Header, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return 0, nil, nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", base)
		if p.csrf != "" {
			req.Header.Set("X-CSRF-Token", p.csrf)
		}
	}
	req.Header.Set("X-Forwarded-For", p.ip)
	res, err := p.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

func (p *person) json(ctx context.Context, base, method, path string, in, out any) error {
	var body []byte
	ct := ""
	if in != nil {
		body, _ = json.Marshal(in)
		ct = "application/json"
	}
	st, _, b, err := p.do(ctx, base, method, path, ct, body)
	if err != nil {
		return err
	}
	if st >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, st, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

type document struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// Run sets up the owners and links (not timed), runs the load, then
// verifies every accepted upload.
func Run(ctx context.Context, cfg Config) (Report, error) {
	rep := Report{ByStatus: map[int]int{}, Latency: map[string]int{}, ByURL: map[string]int{}}
	bases := cfg.URLs
	if len(bases) == 0 {
		bases = []string{cfg.URL}
	}
	for _, b := range bases {
		if b == "" {
			return rep, errors.New("loadgen: empty base URL")
		}
	}
	owners := make([]*person, cfg.Owners)
	tokens := make([]string, cfg.Helpers)
	if cfg.Helpers > cfg.Owners {
		return rep, errors.New("loadgen: more helpers than owners (each helper sends to one owner)")
	}
	var wg sync.WaitGroup
	setupErr := make(chan error, cfg.Owners)
	sem := make(chan struct{}, 8)
	for i := range owners {
		owners[i] = newPerson(i+1, bases...)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := owners[i]
			var su struct {
				Session struct {
					CSRFToken string `json:"csrf_token"`
				} `json:"session"`
			}
			if err := o.json(ctx, o.base(), "POST", "/api/v1/signup", map[string]string{"identifier": fmt.Sprintf("load.owner.%d", i), "secret": cfg.Secret}, &su); err != nil {
				setupErr <- err
				return
			}
			o.csrf = su.Session.CSRFToken
			if i < cfg.Helpers {
				var l struct {
					Token string `json:"token"`
				}
				if err := o.json(ctx, o.base(), "POST", "/api/v1/droplinks", map[string]any{"label": "Load " + strconv.Itoa(i), "max_uses": max(cfg.PagesPerHelper, 1)}, &l); err != nil {
					setupErr <- err
					return
				}
				tokens[i] = l.Token
			}
		}(i)
	}
	wg.Wait()
	close(setupErr)
	if err := <-setupErr; err != nil {
		return rep, fmt.Errorf("loadgen: setup: %w", err)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("page", "page.jpg")
	_, _ = fw.Write(cfg.Page)
	_ = mw.Close()
	upload, ct := body.Bytes(), mw.FormDataContentType()

	rc := &recorder{rep: &rep}
	accepted := make([]int, cfg.Helpers)
	if cfg.Mark != nil {
		cfg.Mark("load")
	}
	start := time.Now()
	helpersDone := make(chan struct{})
	var hw sync.WaitGroup
	for h := 0; h < cfg.Helpers; h++ {
		hw.Add(1)
		go func(h int) {
			defer hw.Done()
			p := newPerson(100000+h, bases...)
			for pg := 0; pg < cfg.PagesPerHelper; pg++ {
				for try := 0; try < 20; try++ {
					base, t0 := p.base(), time.Now()
					st, hd, _, err := p.do(ctx, base, "POST", "/api/v1/drop/"+tokens[h]+"/pages", ct, upload)
					rc.add("upload", base, time.Since(t0), st, err)
					if st == 201 {
						accepted[h]++
						break
					}
					if (st == 429 || st == 503) && hd.Get("Retry-After") != "" {
						wait, _ := strconv.Atoi(hd.Get("Retry-After"))
						time.Sleep(time.Duration(min(max(wait, 1), 10)) * time.Second)
						continue
					}
					if st == 429 || st == 503 {
						rc.add("busy without Retry-After", base, 0, st, errors.New("no Retry-After"))
					}
					break
				}
			}
		}(h)
	}
	go func() { hw.Wait(); close(helpersDone) }()
	var ow sync.WaitGroup
	for i, o := range owners {
		ow.Add(1)
		go func(i int, o *person) {
			defer ow.Done()
			for round := 0; ; round++ {
				if round > 0 {
					select {
					case <-helpersDone:
						return
					default:
					}
				}
				base, t0 := o.base(), time.Now()
				st, _, b, err := o.do(ctx, base, "GET", "/api/v1/documents", "", nil)
				rc.add("list", base, time.Since(t0), st, err)
				var list struct {
					Documents []document `json:"documents"`
				}
				if st != 200 || json.Unmarshal(b, &list) != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				for _, d := range list.Documents {
					base, t0 := o.base(), time.Now()
					st, _, _, err := o.do(ctx, base, "GET", "/api/v1/documents/"+d.ID+"/content", "", nil)
					rc.add("download", base, time.Since(t0), st, err)
				}
				if len(list.Documents) == 0 {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}(i, o)
	}
	ow.Wait()
	rep.Duration = time.Since(start)
	if cfg.Mark != nil {
		cfg.Mark("verify")
	}

	// Verify: every accepted upload is listed and reads back as a PDF.
	for h := 0; h < cfg.Helpers; h++ {
		rep.Accepted += accepted[h]
		var list struct {
			Documents []document `json:"documents"`
		}
		if err := owners[h].json(ctx, owners[h].base(), "GET", "/api/v1/documents", nil, &list); err != nil {
			return rep, fmt.Errorf("loadgen: verify: %w", err)
		}
		for _, d := range list.Documents {
			st, _, b, err := owners[h].do(ctx, owners[h].base(), "GET", "/api/v1/documents/"+d.ID+"/content", "", nil)
			if err == nil && st == 200 && bytes.HasPrefix(b, []byte("%PDF-")) && int64(len(b)) == d.Size {
				rep.Verified++
			}
		}
	}
	slices.Sort(rc.lat)
	pct := func(q float64) time.Duration {
		if len(rc.lat) == 0 {
			return 0
		}
		return rc.lat[min(len(rc.lat)-1, int(q*float64(len(rc.lat))))]
	}
	rep.P50, rep.P95, rep.P99 = pct(0.50), pct(0.95), pct(0.99)
	if len(rc.lat) > 0 {
		rep.Max = rc.lat[len(rc.lat)-1]
	}
	rep.RPS = float64(rep.Requests) / rep.Duration.Seconds()
	return rep, nil
}
