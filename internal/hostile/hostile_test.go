package hostile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/coffre/coffre/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/hostile")

const encryptedName = "pdf-encrypted.pdf"

// TestCorpusFiles checks that testdata/hostile holds every static case as
// Static builds it, and that the corpus stays under 2 MB. With -update it
// rewrites the files.
func TestCorpusFiles(t *testing.T) {
	dir := Dir(testenv.RepoRoot())
	if *update {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		for name, b := range Static() {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		api.DisableConfigDir()
		var enc bytes.Buffer
		if err := api.Encrypt(bytes.NewReader(SimplePDF()), &enc, model.NewAESConfiguration("user", "owner", 256)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, encryptedName), enc.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for name, b := range Static() {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s differs from Static() (run with -update)", name)
		}
		total += int64(len(got))
	}
	fi, err := os.Stat(filepath.Join(dir, encryptedName))
	if err != nil {
		t.Fatal(err)
	}
	total += fi.Size()
	if total > 2<<20 {
		t.Errorf("corpus is %d bytes, over 2 MiB", total)
	}
	cases, err := Load(testenv.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d static bytes, %d cases", total, len(cases))
}
