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

// The admin verbs about workers and organisation keys: list-workers,
// disable-worker, enable-worker, remove-member, rotate-org-key. Each
// decision is stored in the database and holds on every instance from the
// worker's next request on.

const adminWorkersUsage = `  list-workers [--org ID]
        list workers (of one organisation): id, status (active, pending,
        disabled), organisation, e-mail, name
  disable-worker --worker ID|EMAIL
        refuse the worker everywhere from their next request on (sessions
        end on every instance; login fails like a wrong secret); the owners
        who share with them are told in their journal
  enable-worker --worker ID|EMAIL
        lift disable-worker
  remove-member --worker ID|EMAIL
        take the worker out of their organisation: from their next request
        on they read nothing (neither what was shared with the organisation
        nor what was given to them by name); owners are told. Follow with
        rotate-org-key if they could have copied the organisation's key
  rotate-org-key --org ID [--recovery-key-file F]
        give the organisation a new key: every live grant is re-wrapped to
        it and the old wraps overwritten; each affected owner is told in
        their journal. The organisation recovery key (standard input, or
        the file) stays the same. If interrupted, run it again: it resumes
`

// workerFlag reads the --worker flag of a verb.
func workerFlag(name string, args []string) (string, error) {
	var who string
	pos, err := verbFlags(name, args, func(fs *flag.FlagSet) {
		fs.StringVar(&who, "worker", "", "worker id or e-mail address")
	})
	if err != nil {
		return "", err
	}
	if len(pos) > 0 || strings.TrimSpace(who) == "" {
		return "", fmt.Errorf("%w: want --worker ID or --worker EMAIL", errUsage)
	}
	return who, nil
}

// workerErr says a vault error about a worker in plain words.
func workerErr(err error, conflict string) error {
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return errors.New("no worker with this id or e-mail address (see list-workers)")
	case errors.Is(err, vault.ErrConflict):
		return errors.New(conflict)
	case errors.Is(err, vault.ErrInvalid):
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return errors.New(msg)
	}
	return err
}

func adminListWorkers(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	var org string
	pos, err := verbFlags("list-workers", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organisation id (default: every worker)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: list-workers takes no argument", errUsage)
	}
	v, err := open()
	if err != nil {
		return err
	}
	if org != "" {
		if _, err := v.OrganisationInfo(ctx, org); err != nil {
			if errors.Is(err, vault.ErrNotFound) {
				return fmt.Errorf("no organisation %q (see list-orgs)", org)
			}
			return err
		}
	}
	ws, err := v.Workers(ctx, org)
	if err != nil {
		return err
	}
	for _, w := range ws {
		o := w.OrgID
		if o == "" {
			o = "-"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", w.ID, w.Status, o, w.Email, w.Name)
	}
	return nil
}

// workerVerb runs one decision about a worker.
func workerVerb(name, done, conflict string, do func(v *vault.Service, ctx context.Context, id string) error) func(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
	return func(ctx context.Context, open opener, args []string, _ io.Reader, stdout io.Writer) error {
		who, err := workerFlag(name, args)
		if err != nil {
			return err
		}
		v, err := open()
		if err != nil {
			return err
		}
		id, err := v.FindWorker(ctx, who)
		if err != nil {
			return workerErr(err, conflict)
		}
		if err := do(v, ctx, id); err != nil {
			return workerErr(err, conflict)
		}
		fmt.Fprintf(stdout, "worker %s: %s\n", id, done)
		return nil
	}
}

var (
	adminDisableWorker = workerVerb("disable-worker",
		"disabled on every instance from the next request on; the owners sharing with them were told",
		"this worker is already disabled", (*vault.Service).DisableWorker)
	adminEnableWorker = workerVerb("enable-worker", "enabled again; the owners sharing with them were told",
		"this worker is not disabled", (*vault.Service).EnableWorker)
	adminRemoveMember = workerVerb("remove-member",
		"no longer a member: from the next request on they read nothing; the owners concerned were told.\n"+
			"If they could have kept the organisation's key, run rotate-org-key now",
		"this worker belongs to no organisation", (*vault.Service).RemoveMember)
)

func adminRotateOrgKey(ctx context.Context, open opener, args []string, stdin io.Reader, stdout io.Writer) error {
	var org, keyFile string
	pos, err := verbFlags("rotate-org-key", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organisation id")
		fs.StringVar(&keyFile, "recovery-key-file", "", "organisation recovery key (default: standard input)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 || org == "" {
		return fmt.Errorf("%w: want --org, the recovery key on standard input or in --recovery-key-file", errUsage)
	}
	var key string
	if keyFile != "" {
		if key, err = readSecretFile(keyFile); err != nil {
			return fmt.Errorf("%w: --recovery-key-file: %v", errUsage, err)
		}
	} else {
		b, err := readLine(stdin, "the organisation recovery key")
		if err != nil {
			return err
		}
		key = string(b)
	}
	v, err := open()
	if err != nil {
		return err
	}
	rep, err := v.RotateOrganisationKey(ctx, org, key)
	switch {
	case errors.Is(err, vault.ErrNotFound) && rep.PublicKey == "":
		return fmt.Errorf("no organisation %q (see list-orgs)", org)
	case errors.Is(err, vault.ErrInvalid):
		return fmt.Errorf("%w: the recovery key is malformed (it starts with AGE-SECRET-KEY-1)", errUsage)
	case errors.Is(err, vault.ErrWrongRecoveryCode):
		return errors.New("this is not this organisation's recovery key; nothing was changed")
	case err != nil:
		return fmt.Errorf("%w\nnothing is unreadable: run rotate-org-key again to finish the rotation", err)
	}
	if rep.Resumed {
		fmt.Fprintln(stdout, "an interrupted rotation was resumed and finished")
	}
	fmt.Fprintf(stdout, "organisation %s: new key %s\nre-wrapped: %d documents, %d consents, %d members; owners told: %d\n",
		org, rep.PublicKey, rep.Wraps, rep.Consents, rep.Members, rep.Owners)
	return nil
}
