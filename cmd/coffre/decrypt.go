package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/seal"
)

// Exit codes of "coffre decrypt" (besides exitOK, exitFailure, exitUsage).
const (
	exitWrongKey = 3 // no identity in the file opens it
	exitDamaged  = 4 // the file is not age, or damaged or truncated
)

const (
	maxIdentityFile = 1 << 20
	decryptUsageMsg = `Usage: coffre decrypt -i identity.txt [-o out.pdf] file.age

Opens a document from a Coffre export ("age" format) with identity.txt from
the same export, or with your own age identity file. Without -o, or with
-o -, the document goes to stdout. "-" as the file reads stdin. Armored
files (-----BEGIN AGE ENCRYPTED FILE-----) are accepted too.
The output file appears only once the whole document is authenticated.

Flags:
`
	decryptExitCodes = `
Exit codes: 0 success; 1 failure (I/O); 2 usage error; 3 no key in the
identity file opens this file; 4 not an age file, damaged or truncated.
`
)

// decryptMessages are the person-facing explanations, per language.
var decryptMessages = map[string]map[int]string{
	"en": {
		exitWrongKey: "none of the keys in the identity file opens this document: use identity.txt from the same export",
		exitDamaged:  "this file is not an age document, or it is damaged or incomplete: export it again",
	},
	"fr": {
		exitWrongKey: "aucune clé du fichier d'identité n'ouvre ce document : utilisez identity.txt du même export",
		exitDamaged:  "ce fichier n'est pas un document age, ou il est abîmé ou incomplet : refaites l'export",
	},
}

// runDecrypt implements "coffre decrypt".
func runDecrypt(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decrypt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		idPath = fs.String("i", "", "age identity file (identity.txt of an export; required)")
		out    = fs.String("o", "", "output file (default stdout)")
		lang   = fs.String("lang", defaultLang(), "language of error explanations: en or fr")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, decryptUsageMsg)
		fs.PrintDefaults()
		fmt.Fprint(stderr, decryptExitCodes)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(stderr, "coffre decrypt: %s\n", msg)
		fs.Usage()
		return exitUsage
	}
	if _, ok := decryptMessages[*lang]; !ok {
		return usageErr(fmt.Sprintf("-lang %q: want en or fr", *lang))
	}
	if *idPath == "" {
		return usageErr("-i identity file is required")
	}
	if fs.NArg() != 1 {
		return usageErr("want exactly one file to decrypt")
	}
	ids, err := readIdentities(*idPath)
	if err != nil {
		fmt.Fprintf(stderr, "coffre decrypt: %v\n", err)
		return exitUsage
	}
	var src io.Reader = stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "coffre decrypt: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		src = f
	}
	if err := decryptTo(ctx, src, ids, *out, stdout); err != nil {
		code := exitFailure
		switch seal.Classify(err) {
		case seal.KindNoMatch:
			code = exitWrongKey
		case seal.KindUnknown:
		default:
			code = exitDamaged
		}
		if msg, ok := decryptMessages[*lang][code]; ok {
			fmt.Fprintf(stderr, "coffre decrypt: %s\n(%v)\n", msg, err)
		} else {
			fmt.Fprintf(stderr, "coffre decrypt: %v\n", err)
		}
		return code
	}
	return exitOK
}

// readIdentities parses an age identity file, refusing anything but native
// X25519 identities (no plugins, no passphrase files).
func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxIdentityFile+1))
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	if len(b) > maxIdentityFile {
		return nil, errors.New("identity file: larger than 1 MiB, not an identity file")
	}
	ids, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("identity file %s: no valid age identity (AGE-SECRET-KEY-1…): %v", filepath.Base(path), err)
	}
	for _, id := range ids {
		if _, ok := id.(*age.X25519Identity); !ok {
			return nil, fmt.Errorf("identity file %s: only X25519 identities (AGE-SECRET-KEY-1…) are accepted", filepath.Base(path))
		}
	}
	return ids, nil
}

var armorHeader = []byte("-----BEGIN AGE ENCRYPTED FILE-----")

// decryptTo decrypts src to the file out (or to stdout when out is "" or
// "-"). A file output is written beside its final name and renamed only
// after the last chunk authenticated, so a damaged input never leaves a
// partial document behind.
func decryptTo(ctx context.Context, src io.Reader, ids []age.Identity, out string, stdout io.Writer) error {
	br := bufio.NewReader(src)
	head, _ := br.Peek(len(armorHeader))
	open := seal.Decrypt
	if bytes.Equal(head, armorHeader) {
		open = seal.DecryptArmored
	}
	pt, err := open(ctx, br, ids...)
	if err != nil {
		return err
	}
	if out == "" || out == "-" {
		// On stdout the bytes flow as they come; a failure is reported
		// with a non-zero exit code.
		_, err := io.Copy(stdout, pt)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.part")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, pt); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	ok = true
	return nil
}
