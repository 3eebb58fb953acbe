// Package testenv finds and starts the real components Coffre's tests need
// (MinIO, Chromium, PostgreSQL, command-line reference tools). A test that
// needs a component it cannot find is skipped on a developer machine and fails
// when CI=true, so a missing install step can never pass silently.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing reports a component the test cannot run without: Fatal in CI, Skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required component missing (CI=true): "+format, args...)
	}
	t.Skipf("component missing: "+format, args...)
}

// RepoRoot returns the module root (the directory holding go.mod).
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ToolsBin is the git-ignored folder where the test command installs tools.
func ToolsBin() string {
	if d := os.Getenv("COFFRE_TOOLS_BIN"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), ".tools", "bin")
}

// LookTool finds an executable in the tools folder, then on PATH. It returns
// "" when absent.
func LookTool(name string) string {
	p := filepath.Join(ToolsBin(), name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// Tool returns the path of a required executable, or reports it Missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p := LookTool(name)
	if p == "" {
		Missing(t, "executable %q not in %s nor on PATH (run the README's test command)", name, ToolsBin())
	}
	return p
}
