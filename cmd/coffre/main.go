// Command coffre is Coffre's single binary: the web service (serve), the
// converter (convert), export and decryption tools (export, decrypt) and the
// operator's admin verbs. Everything is wired explicitly from flags and
// COFFRE_* environment variables; there is no global registry.
//
// Exit codes: 0 success, 1 failure, 2 usage or configuration error; verbs may
// document more specific codes (see convert).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: coffre <command> [flags]

Commands:
  serve     run the web service (embedded defaults: one data directory)
  convert   turn photos and PDFs into the PDF a portal accepts
  check     say whether each photographed page will be readable (ok or retake)
  decrypt   open an exported age file with the owner's identity
  init-pepper
            create the server pepper file shared by several instances
  admin     operator verbs: organisations, workers, journal check, fsck
  healthcheck
            exit 0 when the local server answers /healthz (container probe)
  version   print the version

Run "coffre <command> -h" for the flags of a command.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command; it is main without the process around it, so
// tests can call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, os.Environ(), stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, os.Environ(), stdin, stdout, stderr)
	case "init-pepper":
		return runInitPepper(ctx, rest, stdout, stderr)
	case "decrypt":
		return runDecrypt(ctx, rest, stdin, stdout, stderr)
	case "convert":
		return runConvert(ctx, rest, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, os.Environ(), stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "coffre", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "coffre: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
