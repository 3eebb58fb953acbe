package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Chromium returns the path of a headless-capable Chromium (Debian's
// chromium package, or $COFFRE_CHROMIUM), or reports it Missing.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("COFFRE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p := LookTool(name); p != "" {
			return p
		}
	}
	Missing(t, "Chromium not found (apt-get install chromium, or set COFFRE_CHROMIUM)")
	return ""
}

// AxeCore returns the path of axe-core's axe.min.js, which the test command
// fetches from npm into .tools/axe/ (git-ignored), or reports it Missing.
func AxeCore(t testing.TB) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(ToolsBin()), "axe", "axe.min.js")
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		Missing(t, "axe-core not found at %s (run scripts/test.sh, which fetches it with npm pack)", p)
		return ""
	}
	return p
}
