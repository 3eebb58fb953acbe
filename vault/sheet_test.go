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

// A sheet in Pashto: every letter has its glyph (ښ ږ ګ ړ ډ ټ ڼ ې ۍ have no
// presentation forms: only the font's OpenType tables shape them), the
// file is sound, it stays light (the fonts are subset), and pdftotext
// reads the words back, Latin words and the identifier included.
func TestRecoverySheetPashto(t *testing.T) {
	code, err := seal.NewRecoveryCode()
	if err != nil {
		t.Fatal(err)
	}
	words := vault.SheetText{Title: "Coffre — د بیا راګرځولو پاڼه", Intro: "دا پاڼه په کور کې وساتئ. ښځې، کورنۍ او ماشومان.",
		Identifier: "ستاسو پېژندنه:", Code: "ستاسو کوډ:", QR: "همدا کوډ، د سکین لپاره:", How: "که مو خپل رمز هېر کړی وي:",
		Steps: []string{"1. د Coffre پاڼه پرانیزئ.", "2. ږمنځ، ډوډۍ، ټوپۍ، ړنګ."}, Notes: []string{"دا کوډ هېچا ته مه ورکوئ."}}
	var buf bytes.Buffer
	if err := vault.RecoverySheet(&buf, "+33612345678", code, words); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 60<<10 {
		t.Errorf("the Pashto sheet weighs %d bytes", buf.Len())
	}
	path := filepath.Join(t.TempDir(), "sheet.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
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
	out, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	marks := strings.NewReplacer("\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "", "\u200e", "", "\u200f", "")
	text := strings.Join(strings.Fields(marks.Replace(string(out))), " ")
	for _, w := range []string{"د بیا راګرځولو پاڼه", "ښځې", "کورنۍ", "ږمنځ", "ډوډۍ", "ټوپۍ", "ړنګ", "ستاسو پېژندنه",
		"Coffre", "06 12 34 56 78", code.String()} {
		if !strings.Contains(text, w) {
			t.Errorf("sheet text lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "?") {
		t.Errorf("a letter printed as '?':\n%s", text)
	}
}
