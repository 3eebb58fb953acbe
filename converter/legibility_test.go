package converter

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/coffre/coffre/converter/scan/ocrcheck"
	"github.com/coffre/coffre/internal/testenv"
)

// TestLegibility converts each sample photo, renders the PDF at 200 dpi in
// grey, OCRs it with tesseract (fra) and measures the character error rate
// against the sample's truth: mean CER ≤ 0.015 (issue 19: easy photos
// unchanged or better; issue 7 asked ≤ 0.03), each photo ≤ 0.03.
func TestLegibility(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR is slow")
	}
	pdftoppm := testenv.Tool(t, "pdftoppm")
	tesseract := testenv.Tool(t, "tesseract")
	matches := testenv.SamplePhotos(t)
	ctx := context.Background()
	var c Converter
	var sum float64
	for _, photo := range matches {
		name := filepath.Base(photo[:len(photo)-len(".photo.jpg")])
		data, err := os.ReadFile(photo)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := os.ReadFile(filepath.Join(samplesDir(t), name+".truth.txt"))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		res, err := c.Convert(ctx, []Input{{Name: name, Data: data}}, Options{}, &out)
		if err != nil {
			t.Fatal(err)
		}
		// Test documents only: this pdftoppm cannot write to stdout.
		root := filepath.Join(t.TempDir(), "page")
		run(t, out.Bytes(), pdftoppm, "-r", "200", "-gray", "-png", "-singlefile", "-", root)
		text := string(run(t, nil, tesseract, root+".png", "stdout", "-l", "fra", "--dpi", "200"))
		cer := ocrcheck.CER(text, string(truth))
		sum += cer
		t.Logf("%s: CER %.3f, %d bytes, %v, card %v", name, cer, res.Bytes, res.Inputs[0].Mode, res.Inputs[0].Card)
		if cer > 0.03 {
			t.Errorf("%s: CER %.3f", name, cer)
		}
	}
	mean := sum / float64(len(matches))
	t.Logf("mean CER %.3f over %d samples (goal ≤ 0.015)", mean, len(matches))
	if mean > 0.015 {
		t.Errorf("mean CER %.3f > 0.015", mean)
	}
}

// run pipes stdin through a command and returns its output.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v: %s", name, err, errb.Bytes())
	}
	return out.Bytes()
}
