package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// runInitPepper implements "coffre init-pepper": it creates the server
// pepper file (mode 0600) when it is missing and checks it when present. An
// operator runs it once before starting several instances that share the
// file (a compose init service, a Kubernetes secret generated from it). The
// pepper itself is never printed.
func runInitPepper(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init-pepper", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("pepper-file", "", "pepper file to create or check (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "coffre init-pepper: usage: coffre init-pepper --pepper-file FILE")
		return exitUsage
	}
	_, created, err := loadOrCreatePepper(*path)
	if err != nil {
		fmt.Fprintf(stderr, "coffre init-pepper: %v\n", err)
		return exitFailure
	}
	if created {
		fmt.Fprintf(stdout, "created %s: back it up apart from the database\n", *path)
	} else {
		fmt.Fprintf(stdout, "%s holds a valid pepper\n", *path)
	}
	return exitOK
}
