package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/coffre/coffre/api"
	"github.com/coffre/coffre/vault"
)

const adminUsage = `Usage: coffre admin [serve flags] <verb> [flags] [args]

The database, blob store and pepper are found exactly as by "coffre serve"
(--data-dir, --database-url, COFFRE_* variables, …).

Verbs:
  create-org NAME
        create an organisation; prints its id and its recovery key (once)
  list-orgs
        list organisations
  add-worker --org ID --email E --name N [--totp] [--recovery-key-file F]
        create a worker; the secret is read from standard input (one line).
        With --totp, prints the otpauth:// URI to enrol an authenticator.
        With --recovery-key-file, activates the organisation's pending
        members at once (otherwise the next member login does it)
  activate-members --org ID
        give the organisation's key to its pending members; the
        organisation recovery key is read from standard input
` + adminWorkersUsage + `  verify-journal [--owner ID] [--checkpoint FILE]
        check the journal of every owner of the owners table (or one)
        against its signed checkpoint: a missing or empty journal, altered,
        removed, inserted or reordered entries; with --checkpoint, a
        checkpoint an owner kept, also prove that the owner's journal
        extends it (it did not go back). Exit 1 if any problem
  journal-key
        print the public key that verifies journal checkpoints
  fsck [--fix] [--grace D]
        list payloads without a document and unfinished document rows older
        than D (default 24h); --fix removes them
  storage set|show|clear|move --org ID [flags]
        an organisation's own S3 bucket for its entrusting owners' documents
        ("coffre admin storage" alone lists the flags)
`

// runAdmin implements `coffre admin`.
func runAdmin(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, rest, err := parseAdminConfig(args, environ, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "coffre admin: %v\n", err)
		return 2
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	verb, vargs := rest[0], rest[1:]
	var run func(ctx context.Context, open opener, args []string, stdin io.Reader, stdout io.Writer) error
	switch verb {
	case "create-org":
		run = adminCreateOrg
	case "list-orgs":
		run = adminListOrgs
	case "add-worker":
		run = adminAddWorker
	case "activate-members":
		run = adminActivateMembers
	case "list-workers":
		run = adminListWorkers
	case "disable-worker":
		run = adminDisableWorker
	case "enable-worker":
		run = adminEnableWorker
	case "remove-member":
		run = adminRemoveMember
	case "rotate-org-key":
		run = adminRotateOrgKey
	case "verify-journal":
		run = adminVerifyJournal
	case "journal-key":
		run = adminJournalKey
	case "fsck":
		run = adminFsck
	case "storage":
		run = adminStorage(environ)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, adminUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "coffre admin: unknown verb %q\n\n%s", verb, adminUsage)
		return 2
	}
	var w *wired
	open := func() (*vault.Service, error) {
		var err error
		if w, err = openVault(ctx, cfg); err != nil {
			return nil, err
		}
		return w.Vault, nil
	}
	err = run(ctx, open, vargs, stdin, stdout)
	if w != nil {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	var fe failedCheck
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "coffre admin %s: %v\n", verb, err)
		return 2
	case errors.As(err, &fe):
		fmt.Fprintf(stderr, "coffre admin %s: %v\n", verb, err)
		return 1
	}
	fmt.Fprintf(stderr, "coffre admin %s: %v\n", verb, err)
	return 1
}

// opener opens the vault once the verb's arguments are known to be good.
type opener func() (*vault.Service, error)

// failedCheck is a check that ran and found problems (exit 1).
type failedCheck struct{ msg string }

func (f failedCheck) Error() string { return f.msg }

// parseAdminConfig reads the serve flags that precede the verb and the
// COFFRE_* environment, like parseServeConfig, and returns the verb and
// what follows it.
func parseAdminConfig(args, environ []string, stderr io.Writer) (*serveConfig, []string, error) {
	return parseSettings("coffre admin", args, environ, stderr, func() { fmt.Fprint(stderr, adminUsage) })
}

// verbFlags parses a verb's flags; positional arguments may come before or
// after them.
func verbFlags(name string, args []string, bind func(fs *flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet("coffre admin "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bind(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// A flag given with an empty or blank value (--org "", often an unset
	// shell variable) is a mistake, never "the default": say which.
	var blank []string
	fs.Visit(func(f *flag.Flag) {
		if g, ok := f.Value.(flag.Getter); ok {
			if v, ok := g.Get().(string); ok && strings.TrimSpace(v) == "" {
				blank = append(blank, "--"+f.Name)
			}
		}
	})
	if len(blank) > 0 {
		return nil, fmt.Errorf("%w: %s given empty: give a value, or leave the flag out", errUsage, strings.Join(blank, ", "))
	}
	return pos, nil
}

// readLine reads one line from r (a secret or a key), without its newline.
func readLine(r io.Reader, what string) ([]byte, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s from standard input: %w", what, err)
	}
	line = []byte(strings.TrimRight(string(line), "\r\n"))
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: %s expected on standard input", errUsage, what)
	}
	return line, nil
}

func adminCreateOrg(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	pos, err := verbFlags("create-org", args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return fmt.Errorf("%w: want one organisation name", errUsage)
	}
	v, err := open()
	if err != nil {
		return err
	}
	org, key, err := v.CreateOrganisation(ctx, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "organisation: %s\nname: %s\npublic key: %s\n\n", org.ID, org.Name, org.PublicKey)
	fmt.Fprintf(stdout, "Recovery key (shown once; give it to the organisation, to keep offline — it\n"+
		"activates new members and resets the secret of owners who opted in):\n%s\n", key)
	return nil
}

func adminListOrgs(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	if _, err := verbFlags("list-orgs", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	orgs, err := v.Organisations(ctx)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		fmt.Fprintf(stdout, "%s\t%s\n", o.ID, o.Name)
	}
	return nil
}

func adminAddWorker(ctx context.Context, open opener, args []string, stdin io.Reader, stdout io.Writer) error {
	var org, email, name, keyFile string
	var totp bool
	pos, err := verbFlags("add-worker", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organisation id")
		fs.StringVar(&email, "email", "", "worker e-mail (login)")
		fs.StringVar(&name, "name", "", "worker name shown to owners")
		fs.BoolVar(&totp, "totp", false, "require a TOTP code at login")
		fs.StringVar(&keyFile, "recovery-key-file", "", "organisation recovery key, to activate pending members now")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 || email == "" || name == "" {
		return fmt.Errorf("%w: want --email and --name (and --org), the secret on standard input", errUsage)
	}
	var key string
	if keyFile != "" {
		if org == "" {
			return fmt.Errorf("%w: --recovery-key-file needs --org", errUsage)
		}
		if key, err = readSecretFile(keyFile); err != nil {
			return fmt.Errorf("%w: --recovery-key-file: %v", errUsage, err)
		}
	}
	secret, err := readLine(stdin, "the worker's secret")
	if err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	id, uri, err := v.AddWorker(ctx, org, email, name, secret, totp)
	if err != nil {
		if errors.Is(err, vault.ErrWeakSecret) {
			return errors.New(api.ExplainSecret(err, "en"))
		}
		return err
	}
	fmt.Fprintf(stdout, "worker: %s\n", id)
	if uri != "" {
		fmt.Fprintf(stdout, "TOTP enrolment URI (shown once; open it on the worker's phone or turn it into a QR code):\n%s\n", uri)
	}
	if key != "" {
		n, err := v.ActivateMembers(ctx, org, key)
		if err != nil {
			return fmt.Errorf("activate members: %w", err)
		}
		fmt.Fprintf(stdout, "activated members: %d\n", n)
	} else if org != "" {
		fmt.Fprintln(stdout, "membership pending: the next login of an active member (or activate-members) completes it")
	}
	return nil
}

func adminActivateMembers(ctx context.Context, open opener, args []string, stdin io.Reader, stdout io.Writer) error {
	var org string
	pos, err := verbFlags("activate-members", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organisation id")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 || org == "" {
		return fmt.Errorf("%w: want --org, the recovery key on standard input", errUsage)
	}
	key, err := readLine(stdin, "the organisation recovery key")
	if err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	n, err := v.ActivateMembers(ctx, org, string(key))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "activated members: %d\n", n)
	return nil
}

func adminVerifyJournal(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	var owner, cpFile string
	pos, err := verbFlags("verify-journal", args, func(fs *flag.FlagSet) {
		fs.StringVar(&owner, "owner", "", "owner id (default: every owner)")
		fs.StringVar(&cpFile, "checkpoint", "", "a checkpoint an owner kept (file)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	var kept []byte
	if cpFile != "" {
		if kept, err = os.ReadFile(cpFile); err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
	}
	v, err := open()
	if err != nil {
		return err
	}
	var rep vault.JournalReport
	if kept != nil {
		c, err := v.OpenCheckpoint(kept)
		if err != nil {
			return fmt.Errorf("%s: %w", cpFile, err)
		}
		if owner != "" && owner != c.OwnerID {
			return fmt.Errorf("%w: the checkpoint is owner %s's, not %s's", errUsage, c.OwnerID, owner)
		}
		fmt.Fprintf(stdout, "kept checkpoint: owner %s, %d entries, fingerprint %s\n", c.OwnerID, c.Size, c.Fingerprint())
		rep, err = v.VerifyJournalCheckpoint(ctx, kept)
		if err != nil {
			return err
		}
	} else if rep, err = v.VerifyJournal(ctx, owner); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "journals checked: %d owners, %d entries\n", rep.Owners, rep.Entries)
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "PROBLEM owner %s entry %d: %s\n", p.OwnerID, p.Seq, p.Reason)
	}
	if !rep.OK() {
		return failedCheck{fmt.Sprintf("%d problem(s) found", len(rep.Problems))}
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

func adminJournalKey(_ context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: journal-key takes no argument", errUsage)
	}
	v, err := open()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, v.JournalVerifierKey())
	return nil
}

func adminFsck(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	var fix bool
	var grace time.Duration
	pos, err := verbFlags("fsck", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&fix, "fix", false, "remove what is found")
		fs.DurationVar(&grace, "grace", 24*time.Hour, "only what is older than this")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 || grace < time.Hour {
		return fmt.Errorf("%w: fsck takes --fix and --grace (at least 1h)", errUsage)
	}
	v, err := open()
	if err != nil {
		return err
	}
	o, err := v.FindOrphans(ctx, grace)
	if err != nil {
		return err
	}
	for _, b := range o.Blobs {
		fmt.Fprintf(stdout, "orphan payload %s (%d bytes, %s)\n", b.Key, b.Size, b.ModTime.UTC().Format(time.RFC3339))
	}
	for _, d := range o.Stale {
		fmt.Fprintf(stdout, "unfinished document %s (%s since %s)\n", d.ID, d.State, d.Since.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "found: %d orphan payloads, %d unfinished documents\n", len(o.Blobs), len(o.Stale))
	if !fix {
		return nil
	}
	nb, nr, err := v.RemoveOrphans(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed: %d payloads, %d rows\n", nb, nr)
	return nil
}
