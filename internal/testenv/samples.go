package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/coffre/coffre/internal/photogen"
)

var (
	samplesOnce sync.Once
	samplesPath string
	samplesErr  error
)

// SamplesDir returns the directory holding the sample phone photos, which
// internal/photogen draws (the suite uses no photo from outside the
// repository): NAME.photo.jpg, a 3000×4000 phone photo of a fictitious
// paper, and NAME.truth.txt, its text. They are drawn once into the
// git-ignored testoutput/photogen-KEY, where KEY hashes the generator's
// source, the Go version and the architecture: every test process of the
// same tree shares them, and a changed generator draws them afresh.
func SamplesDir(t testing.TB) string {
	t.Helper()
	samplesOnce.Do(func() { samplesPath, samplesErr = drawSamples() })
	if samplesErr != nil {
		t.Fatalf("sample photos: %v", samplesErr)
	}
	return samplesPath
}

// SamplePhotos returns the paths of the sample phone photos, sorted by
// name; it fails the test (no skip) if they cannot be drawn.
func SamplePhotos(t testing.TB) []string {
	t.Helper()
	dir := SamplesDir(t)
	photos, err := filepath.Glob(filepath.Join(dir, "*.photo.jpg"))
	if err != nil || len(photos) < 3 {
		t.Fatalf("sample photos: want at least 3 in %s, found %d (%v)", dir, len(photos), err)
	}
	return photos
}

func drawSamples() (string, error) {
	out := filepath.Join(RepoRoot(), "testoutput")
	key, err := generatorKey()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(out, "photogen-"+key)
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(out, "tmp-photogen-")
	if err != nil {
		return "", err
	}
	if _, err := photogen.WriteSamples(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	// Another test process may have drawn the same photos meanwhile: the
	// rename then fails and its copy, identical, is used.
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		if !complete(dir) {
			return "", fmt.Errorf("drawing the samples into %s: %w", dir, err)
		}
		return dir, nil
	}
	// Photos of an older generator are stale.
	old, _ := filepath.Glob(filepath.Join(out, "photogen-*"))
	for _, o := range old {
		if o != dir {
			_ = os.RemoveAll(o)
		}
	}
	return dir, nil
}

// complete reports whether dir holds every document's photo and truth.
func complete(dir string) bool {
	for _, d := range photogen.Documents() {
		for _, suffix := range []string{".photo.jpg", ".truth.txt"} {
			if st, err := os.Stat(filepath.Join(dir, d.Name+suffix)); err != nil || st.Size() == 0 {
				return false
			}
		}
	}
	return true
}

// generatorKey hashes internal/photogen's Go source (tests aside), the Go
// version and the architecture: what the photos' bytes depend on.
func generatorKey() (string, error) {
	root := filepath.Join(RepoRoot(), "internal", "photogen")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", errors.New("no source in internal/photogen")
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", runtime.Version(), runtime.GOARCH)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
