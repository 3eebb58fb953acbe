package converter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/hostile"
	"github.com/coffre/coffre/internal/testenv"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Deadline overshoot of the PDF path: every PDF of the hostile corpus, of
// converter/testdata (fuzz corpus included) and the crafted slow PDFs of
// pdfslow_test.go goes through Convert with a short deadline. The call must
// return within deadlineSlack after the deadline, and leave no goroutine
// and no CPU work behind.

const (
	overshootDeadline = 200 * time.Millisecond
	deadlineSlack     = time.Second
)

// deadlineInputs gathers the PDFs to measure.
func deadlineInputs(t *testing.T) []slowPDF {
	t.Helper()
	// The corpus files only: the generated cases (hostile.Generated) are
	// images, slow to build.
	dir := hostile.Dir(testenv.RepoRoot())
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < len(hostile.Static()) {
		t.Fatalf("hostile corpus: %d files, %v", len(ents), err)
	}
	var in []slowPDF
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if f, err := Sniff(b); err == nil && f == FormatPDF {
			in = append(in, slowPDF{"hostile/" + e.Name(), b})
		}
	}
	files, _ := filepath.Glob("testdata/*.pdf")
	fuzz, _ := filepath.Glob("testdata/fuzz/FuzzPDFIntake/*")
	for _, name := range append(files, fuzz...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(name, "/fuzz/") {
			if b = fuzzCorpusBytes(b); b == nil {
				continue
			}
		}
		in = append(in, slowPDF{name, b})
	}
	in = append(in, slowPDF{"simple-3-pages", simplePDF(3, "")},
		slowPDF{"encrypted", encryptPDF(t, simplePDF(1, ""), "secret", "owner")})
	return append(in, slowPDFs(DefaultMaxInputBytes)...)
}

// fuzzCorpusBytes decodes a "go test fuzz v1" file holding one []byte.
func fuzzCorpusBytes(b []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		return nil
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		return nil
	}
	return []byte(s)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settleGoroutines waits up to 2 s for the goroutine count to drop to n and
// returns the count seen last.
func settleGoroutines(n int) int {
	got := runtime.NumGoroutine()
	for end := time.Now().Add(2 * time.Second); got > n && time.Now().Before(end); got = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

func TestPDFDeadlineOvershoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tens of MB of crafted PDFs")
	}
	slack := deadlineSlack
	if raceEnabled {
		slack *= 10 // the race detector slows pdfcpu's parser about tenfold
	}
	var worst time.Duration
	var worstName string
	for _, in := range deadlineInputs(t) {
		runtime.GC()
		before := runtime.NumGoroutine()
		c := &Converter{MaxConcurrent: 1}
		ctx, cancel := context.WithTimeout(context.Background(), overshootDeadline)
		deadline, _ := ctx.Deadline()
		cpu0 := cpuTime()
		_, err := c.Convert(ctx, []Input{{Name: "in.pdf", Data: in.data}}, Options{}, io.Discard)
		over := max(0, time.Since(deadline))
		cancel()
		cpuCall := cpuTime() - cpu0
		left := settleGoroutines(before)
		cpu1 := cpuTime()
		time.Sleep(300 * time.Millisecond)
		cpuAfter := cpuTime() - cpu1
		t.Logf("%-40s %6d KiB  overshoot %6v  cpu %7v  cpu-after(300ms) %5v  goroutines %d→%d  %v",
			in.name, len(in.data)>>10, over.Round(time.Millisecond), cpuCall.Round(time.Millisecond),
			cpuAfter.Round(time.Millisecond), before, left, err)
		if over > worst {
			worst, worstName = over, in.name
		}
		if over > slack {
			t.Errorf("%s: returned %v after the deadline (bound %v)", in.name, over, slack)
		}
		if left > before {
			t.Errorf("%s: %d goroutines left running", in.name, left-before)
		}
		// The fuzzer or the GC may use some CPU; a stage still running
		// would use the whole 300 ms.
		if cpuAfter > 150*time.Millisecond {
			t.Errorf("%s: %v CPU used after return", in.name, cpuAfter)
		}
	}
	t.Logf("worst overshoot %v (%s), deadline %v", worst.Round(time.Millisecond), worstName, overshootDeadline)
}

// TestPDFStageTimes logs how long each stage of the PDF path takes on every
// input without a deadline (COFFRE_PDF_STAGES=1; a measurement, not a check).
func TestPDFStageTimes(t *testing.T) {
	if os.Getenv("COFFRE_PDF_STAGES") == "" {
		t.Skip("set COFFRE_PDF_STAGES=1 to measure")
	}
	only := os.Getenv("COFFRE_PDF_STAGES")
	for _, in := range deadlineInputs(t) {
		if only != "1" && !strings.Contains(in.name, only) {
			continue
		}
		t.Logf("%-40s %6d KiB  %s", in.name, len(in.data)>>10, stageTimes(in.data))
	}
}

// stageTimes runs the stages of the PDF path one by one, without deadline.
func stageTimes(data []byte) string {
	var line strings.Builder
	stage := func(name string, f func() error) bool {
		start := time.Now()
		err := f()
		line.WriteString(name + " " + time.Since(start).Round(time.Millisecond).String() + " ")
		if err != nil {
			line.WriteString("(" + trim(err.Error()) + ") ")
			return false
		}
		return true
	}
	defer func() {
		if r := recover(); r != nil {
			line.WriteString("panic")
		}
	}()
	ctx := context.Background()
	var m *model.Context
	var part pdfPart
	var b *pdfBuilder
	_ = stage("read", func() (err error) {
		m, err = pdfcpu.ReadWithContext(ctx, bytes.NewReader(data), pdfConfig(DefaultMaxInputBytes))
		return err
	}) && stage("validate", func() error { return api.ValidateContext(m) }) &&
		stage("checkActive", func() error { return checkActive(m) }) &&
		stage("sanitize", func() error { return sanitizePDF(m) }) &&
		stage("write", func() error {
			out, err := writePDFContext(m)
			part = pdfPart{data: out, pages: m.PageCount}
			return err
		}) &&
		stage("merge", func() (err error) {
			if b, err = newPDFBuilder(DefaultMaxInputBytes); err != nil {
				return err
			}
			return b.addPDF(part)
		}) &&
		stage("assemble", func() error { _, err := b.bytes(); return err }) &&
		stage("squash", func() error {
			_, err := squashPDF(ctx, part, squashLadder[0], DefaultMaxPixels)
			return err
		})
	return line.String()
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func TestCheckPDFShape(t *testing.T) {
	if err := checkPDFShape(simplePDF(3, "")); err != nil {
		t.Fatalf("simple PDF refused: %v", err)
	}
	// Brackets inside strings, comments and streams do not count.
	junk := strings.Repeat("[1 ", maxContainerElements)
	ok := buildPDF("<< /Type /Catalog /Pages 2 0 R /X ("+strings.ReplaceAll(junk, "[", "\\[")+") >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>",
		stream("", []byte("% "+junk+"\n"+junk)))
	if err := checkPDFShape(ok); err != nil {
		t.Fatalf("PDF with brackets in a string and a stream refused: %v", err)
	}
	for name, data := range map[string][]byte{
		"array":        hugeArrayPDF(maxContainerElements + 1),
		"dict":         hugeDictPDF(maxContainerElements/2 + 1),
		"nested array": buildPDF("[" + strings.Repeat("[1] ", maxContainerElements/2) + "]"),
	} {
		err := checkPDFShape(data)
		if !errors.Is(err, ErrMalformedPDF) {
			t.Errorf("%s: err = %v, want ErrMalformedPDF", name, err)
		}
		if Code(err) != "malformed_pdf" {
			t.Errorf("%s: Code = %q", name, Code(err))
		}
	}
}
