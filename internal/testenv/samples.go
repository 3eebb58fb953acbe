package testenv

import (
	"path/filepath"
	"testing"
)

// SamplesDir is where the sample phone photos live: testdata/samples at the
// repository root, committed with the code so that a fresh clone runs every
// test (nothing is read from beside the checkout). Each NAME.photo.jpg is a
// 3000×4000 phone photo of a fictitious paper, and NAME.truth.txt its text.
func SamplesDir() string { return filepath.Join(RepoRoot(), "testdata", "samples") }

// SamplePhotos returns the paths of the sample phone photos, sorted by
// name. A checkout without them is broken: the test fails (no skip).
func SamplePhotos(t testing.TB) []string {
	t.Helper()
	photos, err := filepath.Glob(filepath.Join(SamplesDir(), "*.photo.jpg"))
	if err != nil || len(photos) < 3 {
		t.Fatalf("sample photos: want at least 3 in %s, found %d (%v)", SamplesDir(), len(photos), err)
	}
	return photos
}
