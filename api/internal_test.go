package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/converter"
	"github.com/coffre/coffre/vault"
)

func TestAcceptedLang(t *testing.T) {
	for h, want := range map[string]string{
		"":                     "fr",
		"en":                   "en",
		"en-GB,en;q=0.9":       "en",
		"de-DE,de;q=0.9":       "fr",
		"de,en;q=0.5,fr;q=0.8": "fr",
		"de,en;q=0.9,fr;q=0.8": "en",
		"fr-FR":                "fr",
		"en;q=0":               "fr",
		"en;q=abc":             "fr",
		"EN-us":                "en",
		"*":                    "fr",
		"en;q=0.5,fr;q=0.5":    "en",
	} {
		got := webDefaultLang
		if code, ok := acceptedLang(h); ok {
			got = code
		}
		if got != want {
			t.Errorf("acceptedLang(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newRateLimiter(60, 3) // 1 per second, burst 3
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request: ok=%v wait=%v, want refused with wait in (0,1s]", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(1100 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("refused after refill")
	}
	// Memory stays bounded.
	for i := range maxBuckets + 10 {
		l.allow(fmt.Sprint(i))
	}
	if l.buckets.Len() > maxBuckets {
		t.Fatalf("%d buckets kept, max %d", l.buckets.Len(), maxBuckets)
	}
}

// TestRateLimiterEvictsLeastRecent: a flood of new addresses past the
// limiter's size forgets the oldest buckets only; a client that used up
// its budget and keeps trying stays limited (the old limiter emptied every
// bucket at 100,000 keys, giving the attacker a fresh budget).
func TestRateLimiterEvictsLeastRecent(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newRateLimiter(1, 2) // 1 per minute, burst 2
	l.now = func() time.Time { return now }
	l.allow("attacker")
	l.allow("attacker")
	for i := range maxBuckets + 1000 {
		l.allow("flood-" + fmt.Sprint(i))
		if i%1000 == 0 {
			if ok, _ := l.allow("attacker"); ok {
				t.Fatalf("the drained client got a token back after %d new keys", i)
			}
		}
	}
	if l.buckets.Len() > maxBuckets {
		t.Fatalf("%d buckets kept, max %d", l.buckets.Len(), maxBuckets)
	}
	if _, ok := l.buckets.Peek("flood-0"); ok {
		t.Fatal("the least recently used key was kept")
	}
}

// TestClientKeyIPv6Prefix: an IPv6 client is limited by its /64 (a host
// holds a whole /64), IPv4 and IPv4-mapped addresses by the address.
func TestClientKeyIPv6Prefix(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"198.51.100.1", "198.51.100.2", false},
		{"::ffff:198.51.100.1", "198.51.100.1", true},
		{"fe80::1%eth0", "fe80::2", true},
	} {
		if got := clientKey(tc.a) == clientKey(tc.b); got != tc.same {
			t.Errorf("clientKey(%q)=%q, clientKey(%q)=%q: same=%v, want %v", tc.a, clientKey(tc.a), tc.b, clientKey(tc.b), got, tc.same)
		}
	}
	l := newRateLimiter(1, 3)
	for i := range 3 {
		if ok, _ := l.allow(clientKey(fmt.Sprintf("2001:db8:aa:bb::%x", i+1))); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	if ok, _ := l.allow(clientKey("2001:db8:aa:bb:1234:5678:9abc:def0")); ok {
		t.Fatal("a new address in the same /64 got a fresh budget")
	}
	if ok, _ := l.allow(clientKey("2001:db8:aa:bc::1")); !ok {
		t.Fatal("another /64 shares the budget")
	}
}

func TestSafeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"Avis d'impôt 2024":        "Avis d impot 2024.pdf",
		"../../etc/passwd":         "etc passwd.pdf",
		"":                         "document.pdf",
		"\"; rm -rf /\r\nX-Bad: 1": "rm -rf X-Bad 1.pdf",
		"Élève — certificat":       "Eleve certificat.pdf",
		"...":                      "document.pdf",
		"Bulletin de paie (mars)":  "Bulletin de paie mars.pdf",
	} {
		if got := safeFilename(in, ".pdf"); got != want {
			t.Errorf("safeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	long := safeFilename(string(make([]byte, 0))+fmt.Sprintf("%0300d", 0), ".pdf")
	if len(long) > 90 {
		t.Errorf("long name kept %d bytes", len(long))
	}
}

func TestTokenEqual(t *testing.T) {
	if tokenEqual("", "") || tokenEqual("a", "") || tokenEqual("", "a") {
		t.Fatal("an empty token matched")
	}
	if !tokenEqual("abc", "abc") || tokenEqual("abc", "abd") || tokenEqual("abc", "abcd") {
		t.Fatal("wrong comparison")
	}
}

// TestClassify pins the one mapping from errors to statuses.
func TestClassify(t *testing.T) {
	wrap := func(e error) error { return fmt.Errorf("vault: doing something: %w", e) }
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{wrap(vault.ErrNotFound), 404, "not_found"},
		{wrap(vault.ErrNoAccess), 404, "not_found"},
		{wrap(vault.ErrNoLink), 404, "not_found"},
		{wrap(vault.ErrInvalid), 422, "invalid"},
		{wrap(vault.ErrWrongSecret), 401, "wrong_secret"},
		{wrap(vault.ErrWrongRecoveryCode), 401, "wrong_recovery_code"},
		{wrap(&vault.ThrottledError{RetryAfter: 90 * time.Second}), 429, "throttled"},
		{wrap(vault.ErrConflict), 409, "conflict"},
		{wrap(vault.ErrNoSession), 401, "no_session"},
		{wrap(vault.ErrWeakSecret), 422, "weak_secret"},
		{wrap(converter.ErrInputTooLarge), 413, "too_large"},
		{wrap(converter.ErrUnsupported), 422, "conversion"},
		{wrap(&converter.TooLargeError{Page: 1, Limit: 10}), 422, "conversion"},
		{&http.MaxBytesError{Limit: 1}, 413, "too_large"},
		{errCSRF, 403, "csrf"},
		{errors.New("boom"), 500, "internal"},
	} {
		e := classify(tc.err)
		if e.status != tc.status || e.code != tc.code {
			t.Errorf("classify(%v) = %d %s, want %d %s", tc.err, e.status, e.code, tc.status, tc.code)
		}
	}
	if d := retryAfter(wrap(&vault.ThrottledError{RetryAfter: 90 * time.Second})); d != 90*time.Second {
		t.Errorf("retryAfter = %v", d)
	}
}

// TestSendConflictsSaid (attacker's review): the same pages sent twice at
// once, and an upload holding too many pages, get their own code and a
// sentence that says what happened, not "a problem on our side".
func TestSendConflictsSaid(t *testing.T) {
	s := &server{}
	for _, tc := range []struct {
		err          error
		status       int
		code, fr, en string
	}{
		{fmt.Errorf("send: %w", vault.ErrSendInProgress), http.StatusConflict, "conflict",
			"Ces pages sont déjà en train de partir. Attendez quelques secondes.", "These pages are already being sent. Wait a few seconds."},
		{fmt.Errorf("page: %w", vault.ErrPendingFull), http.StatusRequestEntityTooLarge, "too_many_pages",
			locFor("fr").T("error.pendingfull"), locFor("en").T("error.pendingfull")},
	} {
		e := classify(tc.err)
		if e.status != tc.status || e.code != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, e.status, e.code, tc.status, tc.code)
		}
		if got := s.errorText(locFor("fr"), tc.err); got != tc.fr {
			t.Errorf("%v in French: %q", tc.err, got)
		}
		if got := s.errorText(locFor("en"), tc.err); got != tc.en {
			t.Errorf("%v in English: %q", tc.err, got)
		}
	}
}

// The scripts are served without their comment lines (the helper's page
// weighs at most 100 KB, TestWebFlows); that is safe only while no script
// has a template literal or a string continued over lines, where a line
// starting with "//" could be text.
func TestScriptsServedWithoutCommentLines(t *testing.T) {
	n := 0
	for name, a := range assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		n++
		src, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsRune(src, '`') || regexp.MustCompile(`(?m)\\$`).Match(src) {
			t.Errorf("%s has a template literal or a line continued: its comment lines cannot be stripped safely", name)
		}
		if regexp.MustCompile(`(?m)^[ \t]*//`).Match(a.body) || len(a.body) >= len(src) {
			t.Errorf("%s is served with its comment lines (%d bytes of %d)", name, len(a.body), len(src))
		}
	}
	if n < 5 {
		t.Fatalf("%d scripts", n)
	}
}

// A body's allowance starts when the server first reads it (as its doc
// says): time the request spent before (the session checked on a loaded
// machine, a wait for the memory budget) does not make a prompt client
// "too slow"; a client that then sends nothing still is.
func TestPacedBodyStartsAtFirstRead(t *testing.T) {
	rec := httptest.NewRecorder()
	pb := newPacedBody(rec, io.NopCloser(strings.NewReader("bonjour")), 200*time.Millisecond, 1<<10)
	time.Sleep(300 * time.Millisecond) // longer than the grace, before any read
	b, err := io.ReadAll(pb)
	if err != nil || string(b) != "bonjour" || pb.slow.Load() {
		t.Fatalf("a prompt body read late: %q, %v (slow %v)", b, err, pb.slow.Load())
	}
	r, w := io.Pipe()
	defer w.Close()
	slow := newPacedBody(httptest.NewRecorder(), r, 200*time.Millisecond, 1<<10)
	go func() { _, _ = w.Write([]byte("a")) }()
	buf := make([]byte, 8)
	if _, err := slow.Read(buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := slow.Read(buf); !errors.Is(err, errSlowBody) || !slow.slow.Load() {
		t.Fatalf("a body stalled past its grace: %v, want errSlowBody", err)
	}
}
