package api

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

var placeholder = regexp.MustCompile(`\{[0-9]\}`)

func placeholders(s string) string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	return strings.Join(p, "")
}

// Every catalogue says everything French says, with the same placeholders,
// and declares its name and direction.
func TestCataloguesComplete(t *testing.T) {
	fr := catalogues[webDefaultLang]
	if len(catalogues) < 2 {
		t.Fatalf("catalogues: %v, want at least fr and en", catalogueCodes)
	}
	for code, c := range catalogues {
		if c.msgs["_name"] == "" || (c.msgs["_dir"] != "ltr" && c.msgs["_dir"] != "rtl") {
			t.Errorf("%s: _name and _dir (ltr or rtl) are required", code)
		}
		for k, v := range fr.msgs {
			w, ok := c.msgs[k]
			switch {
			case !ok:
				t.Errorf("%s: missing %q", code, k)
			case strings.TrimSpace(w) == "":
				t.Errorf("%s: empty %q", code, k)
			case !strings.HasPrefix(k, "_") && placeholders(v) != placeholders(w):
				t.Errorf("%s: %q has placeholders %q, French has %q", code, k, placeholders(w), placeholders(v))
			}
		}
		for k := range c.msgs {
			if _, ok := fr.msgs[k]; !ok && !strings.HasPrefix(k, "cat.") && !strings.HasPrefix(k, "type.") {
				t.Errorf("%s: %q is not in the French catalogue", code, k)
			}
		}
	}
}

// Every message the pages and handlers ask for exists.
func TestCatalogueKeysUsed(t *testing.T) {
	fr := catalogues[webDefaultLang].msgs
	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`L\.(?:T|Plural) "([a-z0-9._]+)"`)
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templatesFS, p)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goKey := regexp.MustCompile(`(?:\.T|newPage|dropPage)\((?:c, )?"([a-z0-9._]+)"`)
	files, _ := filepath.Glob("web*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for _, prefix := range []string{"done.", "requests.status.", "month.", "days."} {
		n := 0
		for k := range fr {
			if strings.HasPrefix(k, prefix) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no %s* messages", prefix)
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for k := range used {
		if strings.HasSuffix(k, ".") {
			continue // a prefix completed at run time
		}
		if _, ok := fr[k]; !ok {
			t.Errorf("message %q is used but not in fr.json", k)
		}
	}
}

func TestWebLang(t *testing.T) {
	gin.SetMode(gin.TestMode)
	cases := []struct {
		name, query, cookie, accept, want string
	}{
		{"default", "", "", "", "fr"},
		{"accept english", "", "", "en-US,en;q=0.9", "en"},
		{"accept weighted", "", "", "de;q=1, en;q=0.5, fr;q=0.8", "fr"},
		{"unknown only", "", "", "ar-MA", "fr"},
		{"cookie wins over header", "", "en", "fr-FR", "en"},
		{"query wins", "fr", "en", "en", "fr"},
		{"bad cookie ignored", "", "xx", "en", "en"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "/?lang="+tc.query, nil)
			if tc.cookie != "" {
				c.Request.Header.Set("Cookie", langCookie+"="+tc.cookie)
			}
			c.Request.Header.Set("Accept-Language", tc.accept)
			if got := webLang(c).Lang(); got != tc.want {
				t.Fatalf("webLang = %q, want %q", got, tc.want)
			}
		})
	}
}

// A right-to-left language added as data gets dir="rtl", and untranslated
// messages fall back to French.
func TestCatalogueAsData(t *testing.T) {
	c := &catalogue{Code: "ar", Name: "العربية", Dir: "rtl", msgs: map[string]string{"home.title": "مرحبا"}}
	l := loc{c}
	if l.Dir() != "rtl" || l.T("home.title") != "مرحبا" || l.T("login.title") != catalogues["fr"].msgs["login.title"] {
		t.Fatalf("dir %q, home %q, login %q", l.Dir(), l.T("home.title"), l.T("login.title"))
	}
	if l.domainLang() != langEN {
		t.Fatalf("domain messages for an unknown language: %q, want English", l.domainLang())
	}
}

// TestLocalPath: the known open-redirect bypasses all stay on the site
// (browsers drop tabs and newlines, read "\\" as "/", and strip leading
// control characters and spaces).
func TestLocalPath(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"path", "/papers", "/papers"},
		{"path and query", "/papers?done=saved", "/papers?done=saved"},
		{"encoded slash inside", "/papers/a%2Fb", "/papers/a%2Fb"},
		{"empty", "", "/"},
		{"relative", "papers", "/"},
		{"scheme-relative", "//evil.example", "/"},
		{"absolute", "https://evil.example", "/"},
		{"scheme without slashes", "https:evil.example", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"backslash", "/\\evil.example", "/"},
		{"two backslashes", "\\\\evil.example", "/"},
		{"backslash later", "/a/..\\..\\evil.example", "/"},
		{"tab", "/\t/evil.example", "/"},
		{"newline", "/\n/evil.example", "/"},
		{"carriage return", "/\r/evil.example", "/"},
		{"header injection", "/a\r\nSet-Cookie: x", "/"},
		{"NUL", "/\x00/evil.example", "/"},
		{"leading space", " //evil.example", "/"},
		{"space inside", "/ /evil.example", "/"},
		{"DEL", "/\x7f/evil.example", "/"},
		{"no-break space", "/\u00a0/evil.example", "/"},
		{"ideographic space", "/\u3000/evil.example", "/"},
		{"zero-width space", "/\u200b/evil.example", "/"},
		{"encoded second slash", "/%2Fevil.example", "/"},
		{"encoded backslash", "/%5Cevil.example", "/"},
		{"encoded tab", "/%09/evil.example", "/"},
		{"user info", "//user@evil.example", "/"},
		{"invalid UTF-8", "/\xff/evil.example", "/"},
		{"too long", "/" + strings.Repeat("a", 600), "/"},
	} {
		if got := localPath(tc.in); got != tc.want {
			t.Errorf("%s: localPath(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// Every static asset is served under its hash, with a long cache, and the
// pages never carry inline scripts or styles (the CSP forbids them).
func TestAssetsAndNoInline(t *testing.T) {
	for _, name := range []string{"app.css", "app.js", "drop.js", "shrink.js", "upload.js", "icons.svg"} {
		if _, ok := assets[name]; !ok {
			t.Errorf("asset %s missing", name)
		}
	}
	inline := regexp.MustCompile(`(?i)<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=`)
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templatesFS, p)
		if m := inline.Find(b); m != nil {
			t.Errorf("%s: inline script or style %q", p, m)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
