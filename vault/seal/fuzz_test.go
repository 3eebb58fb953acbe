package seal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
)

// Fixed test-only keys. Fuzz targets must not depend on random setup: the
// coordinator and each worker process run the setup separately, so seeds made
// with a random key would not match the key a worker checks against.
const (
	fuzzOwnerKey = "AGE-SECRET-KEY-1RLXC9Q7LDXYX27D24YNJVDY2RKXQXZECHMZVXPUDMYQ6AM4XAL8SVLMXE2"
	fuzzDocKey   = "AGE-SECRET-KEY-1UFSCQDRU7NX4C8U7T9EUQ8ACAVGY38RME8JYRYPWWF2RXLNTWLKQ8CSWA4"
)

func fixedIdentity(tb testing.TB, key string) *age.X25519Identity {
	tb.Helper()
	id, err := age.ParseX25519Identity(key)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// fuzzIdentities are the identities the CCTV vectors use (so that seeds
// reach the payload), with scrypt capped at the vectors' work factor 10 to
// keep executions fast.
func fuzzIdentities(tb testing.TB, vs []*ageVector) []age.Identity {
	tb.Helper()
	seen := map[string]bool{}
	var ids []age.Identity
	for _, v := range vs {
		for _, id := range v.identities {
			var key string
			switch id := id.(type) {
			case *age.X25519Identity:
				key = id.String()
			case *age.HybridIdentity:
				key = id.String()
			default:
				continue // scrypt identities are added below
			}
			if !seen[key] {
				seen[key] = true
				ids = append(ids, id)
			}
		}
	}
	// Only one scrypt identity may be tried per file: age refuses scrypt
	// stanzas mixed with others, and the vectors' passphrase is "password".
	sid, err := age.NewScryptIdentity("password")
	if err != nil {
		tb.Fatal(err)
	}
	sid.SetMaxWorkFactor(10)
	return append(ids, sid)
}

// FuzzDecrypt feeds arbitrary bytes to Decrypt / DecryptArmored. Every
// failure must be classified (never KindUnknown: the source is in memory),
// at the right stage, and a success can only yield less plaintext than
// ciphertext.
func FuzzDecrypt(f *testing.F) {
	vs := loadVectors(f)
	for _, v := range vs {
		f.Add(v.file, v.armored)
	}
	ids := fuzzIdentities(f, vs)
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			f.Add(encryptBytes(f, pseudoRandom(chunk+1, 1), x.Recipient()), false)
			break
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, armored bool) {
		open := Decrypt
		if armored {
			open = DecryptArmored
		}
		r, err := open(context.Background(), bytes.NewReader(data), ids...)
		if err != nil {
			switch k := Classify(err); k {
			case KindHeader, KindHeaderMAC, KindNoMatch, KindArmor:
			default:
				t.Fatalf("Decrypt error of kind %v: %v", k, err)
			}
			return
		}
		out, err := io.ReadAll(r)
		if err != nil {
			switch k := Classify(err); k {
			case KindPayload, KindArmor:
			default:
				t.Fatalf("Read error of kind %v: %v", k, err)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Read error does not wrap ErrCorrupt: %v", err)
			}
		}
		if len(out) >= len(data) {
			t.Fatalf("%d bytes of plaintext from %d bytes of input", len(out), len(data))
		}
	})
}

// FuzzParseRecoveryCode: a parsed code prints in canonical form and parses
// back to itself; any failure is one of the two sentinels and never echoes
// the input.
func FuzzParseRecoveryCode(f *testing.F) {
	c := mustCode(f)
	for _, s := range []string{c.String(), strings.ToLower(c.String()), strings.ReplaceAll(c.String(), "-", " "),
		"", "0000-0000-0000-0000-0000-0000-0000", "UUUU", strings.Repeat("-", 300), "OIL0 1l1o"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseRecoveryCode(s)
		if err != nil {
			if !errors.Is(err, ErrRecoveryCodeMalformed) && !errors.Is(err, ErrRecoveryCodeChecksum) {
				t.Fatalf("unexpected error %v", err)
			}
			if !code.IsZero() {
				t.Fatal("error with a non-zero code")
			}
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		out := code.String()
		if !codeShape.MatchString(out) {
			t.Fatalf("canonical form %q has the wrong shape", out)
		}
		back, err := ParseRecoveryCode(out)
		if err != nil || back != code {
			t.Fatalf("canonical form does not round-trip: %v", err)
		}
	})
}

// FuzzUnwrapWithSecret feeds arbitrary wraps to the secret unwrap (with the
// work factor capped at 10 to keep executions fast): the result is either
// the wrapped identity, ErrWrongSecret, or a classified corruption.
func FuzzUnwrapWithSecret(f *testing.F) {
	id := fixedIdentity(f, fuzzDocKey)
	secret, pepper := []byte("1234"), bytes.Repeat([]byte{5}, PepperSize)
	wrapped, err := WrapWithSecret(id, secret, pepper, testScrypt)
	if err != nil {
		f.Fatal(err)
	}
	low, err := WrapWithSecret(id, secret, pepper, ScryptParams{LogN: 1, AllowWeak: true})
	if err != nil {
		f.Fatal(err)
	}
	toRecipient, err := WrapIdentity(id, id.Recipient())
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range [][]byte{wrapped, low, toRecipient, nil, []byte("age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 1\n\n--- AAAA\n")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := unwrapWithSecret(data, secret, pepper, 10)
		checkUnwrapOutcome(t, got, err, ErrWrongSecret)
		// Producing another valid wrap needs the passphrase: a success can
		// only be the identity that was wrapped.
		if err == nil && got.String() != id.String() {
			t.Fatal("unwrapped an identity that was never wrapped")
		}
	})
}

// FuzzUnwrapIdentity feeds arbitrary wraps to UnwrapIdentity.
func FuzzUnwrapIdentity(f *testing.F) {
	owner, doc := fixedIdentity(f, fuzzOwnerKey), fixedIdentity(f, fuzzDocKey)
	for _, plain := range []string{doc.String() + "\n", "# c\n" + doc.String(), "", "AGE-SECRET-KEY-1"} {
		f.Add(encryptBytes(f, []byte(plain), owner.Recipient()))
	}
	w, err := WrapIdentity(doc, owner.Recipient())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(w)
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := UnwrapIdentity(data, owner)
		checkUnwrapOutcome(t, got, err, nil)
	})
}

func checkUnwrapOutcome(t *testing.T, got *age.X25519Identity, err error, wrong error) {
	t.Helper()
	if err == nil {
		if got == nil {
			t.Fatal("nil identity without error")
		}
		if _, perr := age.ParseX25519Identity(got.String()); perr != nil {
			t.Fatalf("returned identity does not round-trip: %v", perr)
		}
		return
	}
	if got != nil {
		t.Fatal("identity returned with an error")
	}
	if wrong != nil && errors.Is(err, wrong) {
		return
	}
	switch k := Classify(err); k {
	case KindHeader, KindHeaderMAC, KindPayload, KindNoMatch, KindContent:
	default:
		t.Fatalf("unclassified error (kind %v): %v", k, err)
	}
}
