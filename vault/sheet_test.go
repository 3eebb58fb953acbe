package vault_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/seal"
)

func TestRecoverySheet(t *testing.T) {
	code, err := seal.NewRecoveryCode()
	if err != nil {
		t.Fatal(err)
	}
	// The wording comes from the edge (the catalogue): the sheet lays out
	// whatever it is given, every paragraph of it.
	words := vault.SheetText{Title: "Coffre sheet title", Intro: "An introduction long enough to wrap over two lines of the page, as the real one does on every sheet.",
		Identifier: "Identifier label", Code: "Code label", QR: "QR label", How: "How heading",
		Steps: []string{"1. First step", "2. Second step", "3. Third step"}, Notes: []string{"First note", "Second note"}}
	for _, c := range []struct {
		name, ident string
		want        []string
	}{
		{"canonical phone", "+33612345678", []string{"06 12 34 56 78"}},
		{"as typed", "06.12.34.56.78", []string{"06.12.34.56.78"}},
		{"pseudonym", "élodie_59", []string{"élodie_59"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			c.want = append(c.want, "Coffre sheet title", "Identifier label", "QR label", "Third step", "Second note")
			if err := vault.RecoverySheet(&buf, c.ident, code, words); err != nil {
				t.Fatal(err)
			}
			pdf := buf.Bytes()
			if !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
				t.Fatalf("not a PDF: %q…", pdf[:20])
			}
			path := filepath.Join(t.TempDir(), "sheet.pdf")
			if err := os.WriteFile(path, pdf, 0o600); err != nil {
				t.Fatal(err)
			}
			if qpdf, err := exec.LookPath("qpdf"); err == nil {
				if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil {
					t.Fatalf("qpdf --check: %v\n%s", err, out)
				}
			} else {
				testenv.Missing(t, "qpdf")
			}
			pdftotext, err := exec.LookPath("pdftotext")
			if err != nil {
				testenv.Missing(t, "pdftotext")
				return
			}
			out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := string(out)
			if strings.Count(text, "\f") > 1 {
				t.Fatalf("sheet has %d pages", strings.Count(text, "\f"))
			}
			for _, w := range append(c.want, code.String()) {
				if !strings.Contains(text, w) {
					t.Errorf("sheet text lacks %q:\n%s", w, text)
				}
			}
			// The QR code scans back to the code (when a decoder is around).
			if zbar, err := exec.LookPath("zbarimg"); err == nil {
				png := filepath.Join(filepath.Dir(path), "sheet")
				if out, err := exec.Command("pdftoppm", "-r", "150", "-png", "-singlefile", path, png).CombinedOutput(); err != nil {
					t.Fatalf("pdftoppm: %v\n%s", err, out)
				}
				out, err := exec.Command(zbar, "-q", "--raw", png+".png").Output()
				if err != nil || strings.TrimSpace(string(out)) != code.String() {
					t.Fatalf("QR code scans to %q, %v; want %q", out, err, code)
				}
			}
			// The code printed on the sheet parses back to the code.
			if back, err := seal.ParseRecoveryCode(code.String()); err != nil || back != code {
				t.Fatal("code does not round-trip")
			}
		})
	}
	if err := vault.RecoverySheet(&bytes.Buffer{}, "x", seal.RecoveryCode{}, words); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("empty code: %v", err)
	}
}
