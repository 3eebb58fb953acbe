package ocrcheck

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
)

// Tesseract runs the tesseract executable at path on an encoded image
// (PNG, PNM, TIFF...) given on its standard input, with language lang
// (e.g. "fra") and the image's resolution in dpi, and returns the text.
// The image never touches the disk.
func Tesseract(ctx context.Context, path string, img []byte, lang string, dpi int) (string, error) {
	cmd := exec.CommandContext(ctx, path, "stdin", "stdout", "-l", lang, "--dpi", strconv.Itoa(dpi))
	cmd.Stdin = bytes.NewReader(img)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ocrcheck: tesseract: %w: %s", err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.String(), nil
}
