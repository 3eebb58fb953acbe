package scan

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"github.com/coffre/coffre/converter/scan/ocrcheck"
	"github.com/coffre/coffre/internal/testenv"
)

// maxMeanCER is the acceptance goal: a clean 300 dpi render scores about
// 0.01, the raw photo wrapped by img2pdf about 0.6.
const maxMeanCER = 0.03

// TestLegibility scans each sample phone photo to A4 at 150 DPI in auto
// mode, shows it to tesseract as a 200 dpi grey image (as the product's
// reviewers render the PDF: pdftoppm -r 200 -gray), and checks the mean
// character error rate against the page's true text.
func TestLegibility(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR is slow")
	}
	tess := testenv.Tool(t, "tesseract")
	photos := samplePhotos(t)
	dir := filepath.Dir(photos[0])
	ctx := context.Background()
	var sum float64
	for _, path := range photos {
		name := strings.TrimSuffix(filepath.Base(path), ".photo.jpg")
		truth, err := os.ReadFile(filepath.Join(dir, name+".truth.txt"))
		if err != nil {
			t.Fatal(err)
		}
		src := decodeJPEGFile(t, path)
		res, err := Scan(ctx, src, Options{Mode: ModeAuto, TargetW: 1240, TargetH: 1754})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text, err := ocrcheck.Tesseract(ctx, tess, grayPNGAt200(t, res.Image), "fra", 200)
		if err != nil {
			t.Fatal(err)
		}
		cer := ocrcheck.CER(text, string(truth))
		sum += cer
		t.Logf("%-10s CER %.4f  (mode %v, %v, card %v)", name, cer, res.Mode, res.Image.Bounds().Size(), res.Card)
		if testing.Verbose() && cer > 0 {
			t.Logf("%s read:\n%s", name, ocrcheck.Normalize(text))
		}
	}
	mean := sum / float64(len(photos))
	t.Logf("mean CER %.4f over %d samples (goal ≤ %.2f)", mean, len(photos), maxMeanCER)
	if mean > maxMeanCER {
		t.Errorf("mean CER %.4f > %.2f", mean, maxMeanCER)
	}
}

func decodeJPEGFile(t testing.TB, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// grayPNGAt200 converts a 150 DPI page to grey, resamples it to 200 DPI
// (bilinear, like pdftoppm's smooth image scaling) and encodes it as PNG.
func grayPNGAt200(t testing.TB, img image.Image) []byte {
	t.Helper()
	b := img.Bounds()
	dst := image.NewGray(image.Rect(0, 0, b.Dx()*4/3, b.Dy()*4/3))
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
