package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
)

// Exit codes of "coffre convert".
const (
	exitOK          = 0
	exitFailure     = 1 // anything else (I/O, internal)
	exitUsage       = 2 // bad flags or arguments
	exitBadInput    = 3 // unsupported, damaged, password-protected or hostile input
	exitTooLarge    = 4 // cannot fit the profile's size or page limit legibly
	convertTimeout  = 5 * time.Minute
	convertUsageMsg = `Usage: coffre convert [flags] -o out.pdf in1 [in2 ...]

Turns photos (JPEG, HEIC, PNG, WebP), scans (TIFF) and PDFs into one PDF,
in order, as a portal profile accepts it. "-" reads one input from stdin;
"-o -" writes the PDF to stdout.

Flags:
`
	convertExitCodes = `
Exit codes: 0 success; 1 failure; 2 usage error; 3 unsupported, damaged,
password-protected or hostile input; 4 too large for the profile (even after
lowering quality), or too many pages.
`
)

// runConvert implements "coffre convert". It prints the size, page count and
// time on stdout (stderr when the PDF goes to stdout), with one progress line
// per input for multi-input jobs.
func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out       = fs.String("o", "", "output PDF file (required; - for stdout)")
		profile   = fs.String("profile", converter.GenericProfileID, "portal profile (see --list-profiles)")
		modeName  = fs.String("mode", "auto", "page rendering: auto, color, gray or bw")
		kind      = fs.String("kind", "", "document kind for per-kind page limits (e.g. id, tax)")
		pairCards = fs.Bool("pair-cards", false, "put an ID card's recto and verso on one page")
		list      = fs.Bool("list-profiles", false, "list the profiles and exit")
		lang      = fs.String("lang", defaultLang(), "language of error explanations: en or fr")
		timeout   = fs.Duration("timeout", convertTimeout, "give up after this long")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, convertUsageMsg)
		fs.PrintDefaults()
		fmt.Fprint(stderr, convertExitCodes)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *list {
		printProfiles(stdout)
		return exitOK
	}
	mode, err := converter.ParseMode(*modeName)
	if err != nil {
		fmt.Fprintf(stderr, "coffre convert: %v\n", err)
		return exitUsage
	}
	if _, err := converter.LookupProfile(*profile); err != nil {
		fmt.Fprintf(stderr, "coffre convert: %v (see --list-profiles)\n", err)
		return exitUsage
	}
	if *out == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "coffre convert: need -o and at least one input")
		fs.Usage()
		return exitUsage
	}
	info := stdout
	if *out == "-" {
		info = stderr
	}

	conv := &converter.Converter{}
	var inputs []converter.Input
	for _, name := range fs.Args() {
		in, err := readInputFile(name, converter.DefaultMaxInputBytes)
		if err != nil {
			fmt.Fprintf(stderr, "coffre convert: %s: %v\n", name, err)
			if errors.Is(err, converter.ErrInputTooLarge) {
				return exitBadInput
			}
			return exitFailure
		}
		inputs = append(inputs, in)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	opts := converter.Options{Profile: *profile, Mode: mode, Kind: *kind, CardPairs: *pairCards}
	if len(inputs) > 1 {
		opts.Progress = func(p converter.PageInfo) {
			fmt.Fprintf(info, "  [%d/%d] %s → %s\n", p.Input+1, len(inputs), p.Name, describePage(p))
		}
	}
	var buf bytes.Buffer
	start := time.Now()
	res, err := conv.Convert(ctx, inputs, opts, &buf)
	if err != nil {
		fmt.Fprintf(stderr, "coffre convert: %v\n%s\n", err, api.ExplainConversion(err, *lang))
		return exitCode(err)
	}
	if *out == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			fmt.Fprintf(stderr, "coffre convert: write: %v\n", err)
			return exitFailure
		}
	} else if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		fmt.Fprintf(stderr, "coffre convert: %v\n", err)
		return exitFailure
	}
	for _, p := range res.Inputs {
		if len(p.Findings) > 0 {
			fmt.Fprintf(stderr, "coffre convert: warning: %s page %d: retake%s\n", p.Name, p.Page, describeFindings(p.Findings))
		}
	}
	prof, _ := converter.LookupProfile(res.Profile)
	shrunk := ""
	if res.Shrunk {
		shrunk = " (quality lowered to fit)"
	}
	fmt.Fprintf(info, "%s: %d page(s), %s (profile %s allows %s), %s%s\n",
		*out, res.Pages, kb(res.Bytes), prof.ID, kb(prof.MaxBytes), time.Since(start).Round(time.Millisecond), shrunk)
	return exitOK
}

// exitCode maps a conversion error to the documented exit codes.
func exitCode(err error) int {
	switch {
	case errors.Is(err, converter.ErrTooLarge):
		return exitTooLarge
	case errors.Is(err, converter.ErrUnsupported), errors.Is(err, converter.ErrMalformedImage),
		errors.Is(err, converter.ErrImageTooLarge), errors.Is(err, converter.ErrInputTooLarge),
		errors.Is(err, converter.ErrMalformedPDF), errors.Is(err, converter.ErrEncryptedPDF),
		errors.Is(err, converter.ErrActivePDF):
		return exitBadInput
	}
	return exitFailure
}

// readInputFile reads a file (or stdin for "-") up to limit bytes.
func readInputFile(name string, limit int64) (converter.Input, error) {
	if name == "-" {
		return converter.ReadInput(os.Stdin, "stdin", limit)
	}
	f, err := os.Open(name)
	if err != nil {
		return converter.Input{}, err
	}
	defer f.Close()
	return converter.ReadInput(f, name, limit)
}

func describePage(p converter.PageInfo) string {
	if p.Format == converter.FormatPDF {
		return fmt.Sprintf("PDF, %d page(s) from page %d, %s", p.Pages, p.Page, kb(p.Bytes))
	}
	what := p.Mode.String()
	if p.Card {
		what += ", ID card"
	}
	return fmt.Sprintf("page %d, %s, %d DPI, %s, %s", p.Page, what, p.DPI, kb(p.Bytes), p.Duration.Round(time.Millisecond))
}

func printProfiles(w io.Writer) {
	for _, p := range converter.Profiles() {
		pages := "no page limit"
		if p.MaxPages > 0 {
			pages = fmt.Sprintf("%d pages", p.MaxPages)
		}
		for k, n := range p.MaxPagesByKind {
			pages += fmt.Sprintf(", %s: %d", k, n)
		}
		fmt.Fprintf(w, "%-15s %s — %s per file, %s, %d DPI, colour %s\n", p.ID, p.Name, kb(p.MaxBytes), pages, p.DPI, p.Color)
		for _, f := range p.Facts {
			state := "verified"
			if !f.Verified {
				state = "unverified"
			}
			if !f.Applied {
				state += ", not applied (generic value used)"
			}
			fmt.Fprintf(w, "    %-18s %s [%s] source: %s\n", f.Field, f.Value, state, f.Source)
		}
	}
}

func kb(n int64) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1e3)
}

func defaultLang() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			if strings.HasPrefix(v, "fr") {
				return "fr"
			}
			return "en"
		}
	}
	return "en"
}
