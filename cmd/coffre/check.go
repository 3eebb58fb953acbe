package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/converter"
)

const checkUsageMsg = `Usage: coffre check [--json] [--profile ID] FILE...

Checks that each photographed page will be readable: page found, not cut
off, sharp, no glare, not too dark, not blank, text large enough for the
profile's resolution. Prints, per page, the findings and a verdict (ok or
retake). PDF inputs are validated but not checked (they are not photos).

Flags:
`

const checkExitCodes = `
Exit codes: 0 every file could be read (whatever the verdicts); 1 a file
could not be opened; 2 usage error; 3 unsupported, damaged or hostile input.
`

// checkReport is the --json output (documented in api/openapi.yaml as
// CheckReport).
type checkReport struct {
	Pages []converter.PageCheck `json:"pages"`
}

// runCheck implements "coffre check". Files are checked one by one, so a
// bad file does not hide the verdicts of the others; the exit code is the
// worst.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		asJSON  = fs.Bool("json", false, "print the findings as JSON")
		profile = fs.String("profile", converter.GenericProfileID, "portal profile (its resolution decides what is too small)")
		lang    = fs.String("lang", defaultLang(), "language of error explanations: en or fr")
		timeout = fs.Duration("timeout", convertTimeout, "give up after this long")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, checkUsageMsg)
		fs.PrintDefaults()
		fmt.Fprint(stderr, checkExitCodes)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if _, err := converter.LookupProfile(*profile); err != nil {
		fmt.Fprintf(stderr, "coffre check: %v (see coffre convert --list-profiles)\n", err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "coffre check: need at least one file")
		fs.Usage()
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	conv := &converter.Converter{}
	report := checkReport{Pages: []converter.PageCheck{}}
	code := exitOK
	for _, name := range fs.Args() {
		in, err := readInputFile(name, converter.DefaultMaxInputBytes)
		if err != nil {
			fmt.Fprintf(stderr, "coffre check: %s: %v\n", name, err)
			c := exitFailure
			if errors.Is(err, converter.ErrInputTooLarge) {
				c = exitBadInput
			}
			code = max(code, c)
			continue
		}
		pages, err := conv.Check(ctx, []converter.Input{in}, converter.Options{Profile: *profile})
		if err != nil {
			fmt.Fprintf(stderr, "coffre check: %v\n%s\n", err, api.ExplainConversion(err, *lang))
			code = max(code, exitCode(err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if len(pages) == 0 && !*asJSON {
			fmt.Fprintf(stdout, "%s: PDF, not a photo: not checked\n", name)
		}
		report.Pages = append(report.Pages, pages...)
		if !*asJSON {
			for _, p := range pages {
				fmt.Fprintf(stdout, "%s page %d: %s%s\n", p.File, p.Page, p.Verdict, describeFindings(p.Findings))
				for _, f := range p.Findings {
					fmt.Fprintf(stdout, "  %s\n", api.ExplainCheck(f.Code, *lang))
				}
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(stderr, "coffre check: %v\n", err)
			return exitFailure
		}
	}
	return code
}

// describeFindings is " (blurry 0.83, glare 0.61)", or "" for none.
func describeFindings(fs []converter.Finding) string {
	if len(fs) == 0 {
		return ""
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s %.2f", f.Code, f.Score)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
