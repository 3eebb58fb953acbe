package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/coffre/coffre/vault"
)

const storageUsage = `coffre admin storage set|show|clear|move --org ID

  set --org ID --endpoint HOST[:PORT] --bucket B [--region R] [--prefix P] [--tls]
      (--access-key-file F | --access-key-env VAR) (--secret-key-file F | --secret-key-env VAR)
        point the documents of the owners who entrusted the organisation
        (assisted recovery) at its own bucket; the bucket is probed first
        (write, read back, delete), nothing is saved if that fails. Keys are
        read from files or from the named environment variables, never
        from the command line. Documents move at the next sweep of a
        running server, or with "storage move".
  show --org ID
        the organisation's bucket (never the keys) and how many documents
        are in place
  clear --org ID
        stop using the organisation's bucket: documents move back to the
        server's own store
  move [--org ID]
        move now the documents whose storage changed (one organisation's,
        or all); safe to interrupt and to run beside running servers
`

// adminStorage implements `coffre admin storage`; environ gives the
// variables --access-key-env and --secret-key-env name.
func adminStorage(environ []string) func(ctx context.Context, open opener, args []string, stdin io.Reader, stdout io.Writer) error {
	return func(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
		if len(args) == 0 {
			return fmt.Errorf("%w: want set, show, clear or move\n\n%s", errUsage, storageUsage)
		}
		switch args[0] {
		case "set":
			return storageSet(ctx, open, args[1:], environ, stdout)
		case "show":
			return storageShow(ctx, open, args[1:], stdout)
		case "clear":
			return storageClear(ctx, open, args[1:], stdout)
		case "move":
			return storageMove(ctx, open, args[1:], stdout)
		}
		return fmt.Errorf("%w: unknown storage verb %q\n\n%s", errUsage, args[0], storageUsage)
	}
}

// orgFlag parses a verb that takes --org (required unless optional).
func orgFlag(name string, args []string, optional bool) (string, error) {
	var org string
	pos, err := verbFlags("storage "+name, args, func(fs *flag.FlagSet) { fs.StringVar(&org, "org", "", "") })
	if err != nil {
		return "", err
	}
	if len(pos) > 0 {
		return "", fmt.Errorf("%w: unexpected argument", errUsage)
	}
	if org == "" && !optional {
		return "", fmt.Errorf("%w: --org is required", errUsage)
	}
	if len(org) > 64 {
		return "", fmt.Errorf("%w: --org is not an organisation id", errUsage)
	}
	return org, nil
}

// keyFrom reads a key from a file or a named environment variable (one
// of the two).
func keyFrom(what, file, env string, environ []string) (string, error) {
	switch {
	case file != "" && env != "":
		return "", fmt.Errorf("%w: give --%s-file or --%s-env, not both", errUsage, what, what)
	case file != "":
		k, err := readSecretFile(file)
		if err != nil {
			return "", fmt.Errorf("%w: --%s-file: %v", errUsage, what, err)
		}
		return k, nil
	case env != "":
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == env && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v), nil
			}
		}
		return "", fmt.Errorf("%w: --%s-env: variable %q is not set", errUsage, what, env)
	}
	return "", fmt.Errorf("%w: --%s-file or --%s-env is required", errUsage, what, what)
}

func storageSet(ctx context.Context, open opener, args, environ []string, stdout io.Writer) error {
	var org, akFile, akEnv, skFile, skEnv string
	var st vault.StorageSettings
	pos, err := verbFlags("storage set", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "")
		fs.StringVar(&st.Endpoint, "endpoint", "", "")
		fs.StringVar(&st.Bucket, "bucket", "", "")
		fs.StringVar(&st.Region, "region", "", "")
		fs.StringVar(&st.Prefix, "prefix", "", "")
		fs.BoolVar(&st.UseTLS, "tls", false, "")
		fs.StringVar(&akFile, "access-key-file", "", "")
		fs.StringVar(&akEnv, "access-key-env", "", "")
		fs.StringVar(&skFile, "secret-key-file", "", "")
		fs.StringVar(&skEnv, "secret-key-env", "", "")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		// Not echoed: it may be a key typed by mistake.
		return fmt.Errorf("%w: unexpected argument (keys are never given on the command line)", errUsage)
	}
	if org == "" || st.Endpoint == "" || st.Bucket == "" {
		return fmt.Errorf("%w: --org, --endpoint and --bucket are required", errUsage)
	}
	if st.AccessKey, err = keyFrom("access-key", akFile, akEnv, environ); err != nil {
		return err
	}
	if st.SecretKey, err = keyFrom("secret-key", skFile, skEnv, environ); err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	info, err := v.SetOrganisationStorage(ctx, org, st)
	if err != nil {
		return storageErr(err)
	}
	fmt.Fprintf(stdout, "storage target: %s\nbucket %s at %s (probe passed)\n", info.TargetID, info.Bucket, info.Endpoint)
	fmt.Fprintln(stdout, `documents move at the next maintenance sweep, or now with "coffre admin storage move --org `+org+`"`)
	return nil
}

// storageErr turns vault errors into clear operator messages.
func storageErr(err error) error {
	var fe *vault.StorageFieldError
	switch {
	case errors.As(err, &fe):
		return fmt.Errorf("%w: --%s is not valid", errUsage, strings.ReplaceAll(fe.Field, "_", "-"))
	case errors.Is(err, vault.ErrNotFound):
		return errors.New("no such organisation, or no bucket set for it")
	case errors.Is(err, vault.ErrStorageUnreachable):
		return fmt.Errorf("the bucket failed the probe (write, read back, delete), nothing was saved: %v", err)
	}
	return err
}

func storageShow(ctx context.Context, open opener, args []string, stdout io.Writer) error {
	org, err := orgFlag("show", args, false)
	if err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	info, err := v.OrganisationStorage(ctx, org)
	if err != nil {
		return storageErr(err)
	}
	if info.TargetID == "" {
		fmt.Fprintln(stdout, "bucket: none (the server's own store)")
	} else {
		fmt.Fprintf(stdout, "storage target: %s\nendpoint: %s\nbucket: %s\nregion: %s\nprefix: %s\ntls: %v\nsince: %s\n",
			info.TargetID, info.Endpoint, info.Bucket, info.Region, info.Prefix, info.UseTLS, info.Created.Format("2006-01-02 15:04 MST"))
	}
	printProgress(stdout, info.Progress)
	return nil
}

func printProgress(w io.Writer, p vault.StorageProgress) {
	state := "moving"
	if p.Done {
		state = "done"
	}
	fmt.Fprintf(w, "documents in place: %d of %d (%d of %d bytes), %s\n", p.Placed, p.Total, p.PlacedBytes, p.TotalBytes, state)
}

func storageClear(ctx context.Context, open opener, args []string, stdout io.Writer) error {
	org, err := orgFlag("clear", args, false)
	if err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	if err := v.ClearOrganisationStorage(ctx, org); err != nil {
		return storageErr(err)
	}
	fmt.Fprintln(stdout, "bucket cleared: documents move back to the server's own store at the next sweep, or with \"storage move\"")
	return nil
}

func storageMove(ctx context.Context, open opener, args []string, stdout io.Writer) error {
	org, err := orgFlag("move", args, true)
	if err != nil {
		return err
	}
	v, err := open()
	if err != nil {
		return err
	}
	res, err := v.MoveDocuments(ctx, vault.MoveScope{OrgID: org})
	fmt.Fprintf(stdout, "moved: %d (%d bytes), old copies removed: %d, busy: %d, failed: %d\n",
		res.Moved, res.Bytes, res.Cleaned, res.Busy, res.Failed)
	if org != "" {
		if info, ierr := v.OrganisationStorage(ctx, org); ierr == nil {
			printProgress(stdout, info.Progress)
		}
	}
	if err != nil {
		return fmt.Errorf("some documents were not moved (run again to resume): %w", err)
	}
	return nil
}
