package testenv

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSuiteSelfContained: no Go file reads anything beside the checkout
// (a shared folder beside it). A fresh clone with no sibling directories runs
// every test. The sample phone photos are drawn by internal/photogen, never
// committed: testdata/samples holds no photo, and SamplePhotos draws them.
func TestSuiteSelfContained(t *testing.T) {
	root := RepoRoot()
	outside := regexp.MustCompile(`"\.\.", "shared"|\.\./shared|"\.\."\s*,\s*"samples"`)
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testoutput") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if outside.MatchString(line) {
				rel, _ := filepath.Rel(root, p)
				found = append(found, rel+":"+itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("Go files reading outside the repository:\n%s", strings.Join(found, "\n"))
	}
	committed, _ := filepath.Glob(filepath.Join(root, "testdata", "samples", "*.jpg"))
	if len(committed) > 0 {
		t.Errorf("photos committed as test inputs (the suite draws its own with internal/photogen): %v", committed)
	}
	if n := len(SamplePhotos(t)); n < 3 {
		t.Errorf("%d sample photos in %s", n, SamplesDir(t))
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestGoModTidy: go.mod lists exactly what the code imports (direct
// requirements not marked // indirect, no unused module) and go.sum matches.
func TestGoModTidy(t *testing.T) {
	goBin := Tool(t, "go")
	cmd := exec.Command(goBin, "mod", "tidy", "-diff")
	cmd.Dir = RepoRoot()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go mod tidy -diff: %v (run go mod tidy):\n%s", err, out.Bytes())
	}
}

// TestTestScriptFetchesThroughClients: the test command fails on an untidy
// go.mod, and fetches packages only through npm and go, never from an
// address written in the script.
func TestTestScriptFetchesThroughClients(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(RepoRoot(), "scripts", "test.sh"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !regexp.MustCompile(`(?m)^[^#\n]*go mod tidy -diff`).MatchString(s) {
		t.Error("scripts/test.sh does not run go mod tidy -diff")
	}
	for _, re := range []string{`https?://`, `(?m)^[^#\n]*\b(curl|wget)\b`} {
		if m := regexp.MustCompile(re).FindString(s); m != "" {
			t.Errorf("scripts/test.sh fetches from a written address (%q)", m)
		}
	}
}

// TestLibrariesOverHandWritten: the parts that well-kept libraries do are
// done by them — the converter's semaphores by golang.org/x/sync/semaphore,
// the metrics by the Prometheus client, Accept-Language by
// golang.org/x/text/language — and the hand-written copies are gone.
func TestLibrariesOverHandWritten(t *testing.T) {
	goBin := Tool(t, "go")
	imports := func(pkg string) map[string]bool {
		t.Helper()
		cmd := exec.Command(goBin, "list", "-f", `{{join .Imports "\n"}}`, pkg)
		cmd.Dir = RepoRoot()
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		m := map[string]bool{}
		for _, l := range strings.Fields(string(out)) {
			m[l] = true
		}
		return m
	}
	for pkg, lib := range map[string]string{
		"./converter":        "golang.org/x/sync/semaphore",
		"./internal/metrics": "github.com/prometheus/client_golang/prometheus",
		"./api":              "golang.org/x/text/language",
	} {
		if !imports(pkg)[lib] {
			t.Errorf("%s does not use %s", pkg, lib)
		}
	}
	for file, handWritten := range map[string]string{
		"converter/sem.go":            "container/list",     // the FIFO waiter queue of a hand-written semaphore
		"internal/metrics/metrics.go": "# TYPE %s",          // a hand-written exposition format
		"api/lang.go":                 "strconv.ParseFloat", // a hand-written q-value parser
		"api/web_i18n.go":             `CutPrefix(strings.TrimSpace(params), "q=")`,
		"cmd/coffre/admin.go":         `strings.HasPrefix(k, "COFFRE_")`, // a second environment reader
		"cmd/coffre/healthcheck.go":   `CutPrefix(kv, "COFFRE_`,
	} {
		b, err := os.ReadFile(filepath.Join(RepoRoot(), file))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(handWritten)) {
			t.Errorf("%s still holds hand-written code (%q)", file, handWritten)
		}
	}
}
