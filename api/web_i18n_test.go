package api

import (
	"io/fs"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/coffre/coffre/converter"
)

func TestWebLang(t *testing.T) {
	gin.SetMode(gin.TestMode)
	cases := []struct {
		name, query, cookie, accept, want string
	}{
		{"default", "", "", "", "fr"},
		{"accept english", "", "", "en-US,en;q=0.9", "en"},
		{"accept weighted", "", "", "de;q=1, en;q=0.5, fr;q=0.8", "fr"},
		{"unknown only", "", "", "de-DE", "fr"},
		{"accept arabic", "", "", "ar-MA", "ar"},
		{"accept dari", "", "", "prs-AF,fr;q=0.5", "fa-AF"},
		{"easy-read by cookie", "", "fr-x-falc", "fr-FR", "fr-x-falc"},
		{"dari by query", "FA-af", "", "", "fa-AF"},
		{"accept pashto", "", "", "pbt-AF,fa;q=0.5", "ps"},
		{"pashto by query", "PS", "", "", "ps"},
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
	for _, name := range []string{"app.css", "app.js", "drop.js", "shrink.js", "upload.js", "verdict.js", "icons.svg"} {
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

// Every readability finding the converter can report has its pictogram
// (verdict.js draws "c-<code>" beside the sentence) and its sentence on
// the helper's and the owner's pages (data-msg-check-<code>), so a
// warning is never a bare sentence nor left in the language of the
// server's answer.
func TestEveryFindingHasPictogramAndPageSentence(t *testing.T) {
	icons, err := fs.ReadFile(staticFS, "static/icons.svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range converter.CheckCodes() {
		if !strings.Contains(string(icons), `<symbol id="c-`+code+`"`) {
			t.Errorf("icons.svg: no pictogram c-%s", code)
		}
		for _, page := range []string{"templates/drop.html", "templates/add.html"} {
			b, err := fs.ReadFile(templatesFS, page)
			if err != nil {
				t.Fatal(err)
			}
			attr := `data-msg-check-` + strings.ReplaceAll(code, "_", "-") + `="{{.L.T "check.` + code + `"}}"`
			if !strings.Contains(string(b), attr) {
				t.Errorf("%s: no %s", page, attr)
			}
		}
	}
}

// TestStylesheetServedWithoutComments: app.css is served without its
// comments, every rule kept (each selector's opening brace and each
// declaration's end still there).
func TestStylesheetServedWithoutComments(t *testing.T) {
	src, err := staticFS.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	served := assets["app.css"].body
	if strings.Contains(string(served), "/*") || strings.Contains(string(served), "*/") {
		t.Error("app.css is served with comments")
	}
	if !strings.Contains(string(src), "/*") || len(served) >= len(src) {
		t.Errorf("app.css: %d bytes in the tree, %d served", len(src), len(served))
	}
	bare := cssComment.ReplaceAllString(string(src), "")
	for _, c := range []string{"{", "}", ";"} {
		if strings.Count(string(served), c) != strings.Count(bare, c) || strings.Count(bare, c) == 0 {
			t.Errorf("%q: %d served, %d in the rules", c, strings.Count(string(served), c), strings.Count(bare, c))
		}
	}
	if !strings.Contains(string(served), ".kept {") || !strings.Contains(string(served), ".coach {") {
		t.Error("rules lost with the comments")
	}
}
