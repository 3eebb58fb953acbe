package seal

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/iotest"

	agetest "c2sp.org/CCTV/age"
	"filippo.io/age"
)

// ageVector is one CCTV age test vector, parsed as in age's testkit_test.go.
type ageVector struct {
	name        string
	expect      string // "success", "header failure", "HMAC failure", ...
	payloadHash *[32]byte
	identities  []age.Identity
	armored     bool
	file        []byte
}

var expectKinds = map[string]Kind{
	"header failure":  KindHeader,
	"HMAC failure":    KindHeaderMAC,
	"payload failure": KindPayload,
	"armor failure":   KindArmor,
	"no match":        KindNoMatch,
}

func loadVectors(tb testing.TB) []*ageVector {
	tb.Helper()
	entries, err := fs.ReadDir(agetest.Vectors, ".")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []*ageVector
	for _, e := range entries {
		b, err := fs.ReadFile(agetest.Vectors, e.Name())
		if err != nil {
			tb.Fatal(err)
		}
		v, err := parseVector(e.Name(), b)
		if err != nil {
			tb.Fatalf("vector %s: %v", e.Name(), err)
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		tb.Fatal("no CCTV age vectors found")
	}
	return vs
}

func parseVector(name string, b []byte) (*ageVector, error) {
	v := &ageVector{name: name, file: b}
	compressed := false
	for {
		line, rest, ok := bytes.Cut(v.file, []byte("\n"))
		if !ok {
			return nil, errors.New("no blank line before the file")
		}
		v.file = rest
		if len(line) == 0 {
			break
		}
		key, value, _ := strings.Cut(string(line), ": ")
		switch key {
		case "expect":
			if _, ok := expectKinds[value]; !ok && value != "success" {
				return nil, fmt.Errorf("unknown expect %q", value)
			}
			v.expect = value
		case "payload":
			h, err := hex.DecodeString(value)
			if err != nil || len(h) != 32 {
				return nil, fmt.Errorf("bad payload hash %q", value)
			}
			v.payloadHash = (*[32]byte)(h)
		case "file key":
			// Not needed: we only go through the public decrypt path.
		case "identity":
			var id age.Identity
			id, err := age.ParseX25519Identity(value)
			if err != nil {
				id, err = age.ParseHybridIdentity(value)
			}
			if err != nil {
				return nil, err
			}
			v.identities = append(v.identities, id)
		case "passphrase":
			id, err := age.NewScryptIdentity(value)
			if err != nil {
				return nil, err
			}
			v.identities = append(v.identities, id)
		case "armored":
			v.armored = true
		case "compressed":
			if value != "zlib" {
				return nil, fmt.Errorf("unknown compression %q", value)
			}
			compressed = true
		case "comment":
		default:
			return nil, fmt.Errorf("unknown header key %q", key)
		}
	}
	if v.expect == "" {
		return nil, errors.New("no expect line")
	}
	if len(v.identities) == 0 {
		// A few vectors ("empty", "armor_empty") give no identity: they fail
		// before any identity is used. Decrypt refuses an empty identity list
		// (ErrUnsupportedIdentity), so pass an unrelated fresh one.
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		v.identities = []age.Identity{id}
	}
	if compressed {
		r, err := zlib.NewReader(bytes.NewReader(v.file))
		if err != nil {
			return nil, err
		}
		if v.file, err = io.ReadAll(r); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// decryptVector runs v through our decrypt path and returns the plaintext
// read and the first error (from Decrypt or from reading).
func decryptVector(v *ageVector, src io.Reader) (plain []byte, atHeader bool, err error) {
	open := Decrypt
	if v.armored {
		open = DecryptArmored
	}
	r, err := open(context.Background(), src, v.identities...)
	if err != nil {
		return nil, true, err
	}
	plain, err = io.ReadAll(r)
	return plain, false, err
}

// smallReads returns a source wrapper that serves short reads: one byte at a
// time for files up to 256 KiB, 97 bytes at a time (crossing every line,
// chunk and armor boundary at odd offsets) for the few multi-megabyte
// vectors, which would otherwise take minutes under -race.
func smallReads(size int) func(io.Reader) io.Reader {
	if size <= 256<<10 {
		return iotest.OneByteReader
	}
	return func(r io.Reader) io.Reader { return &shortReader{r: r, n: 97} }
}

type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) {
	return s.r.Read(p[:min(len(p), s.n)])
}

// TestCCTVVectors runs every c2sp.org/CCTV/age vector through Decrypt /
// DecryptArmored and checks the outcome class, reading the file whole and
// in short reads.
func TestCCTVVectors(t *testing.T) {
	vs := loadVectors(t)
	counts := map[string]int{}
	ran := 0
	for _, v := range vs {
		counts[v.expect]++
		t.Run(v.name, func(t *testing.T) {
			for _, mode := range []struct {
				name string
				wrap func(io.Reader) io.Reader
			}{
				{"whole", func(r io.Reader) io.Reader { return r }},
				{"small reads", smallReads(len(v.file))},
			} {
				plain, atHeader, err := decryptVector(v, mode.wrap(bytes.NewReader(v.file)))
				checkVectorOutcome(t, v, mode.name, plain, atHeader, err)
			}
		})
		ran++
	}
	if ran != len(vs) {
		t.Fatalf("ran %d of %d vectors", ran, len(vs))
	}
	t.Logf("CCTV age vectors run: %d (%v)", ran, counts)
}

func checkVectorOutcome(t *testing.T, v *ageVector, mode string, plain []byte, atHeader bool, err error) {
	t.Helper()
	if v.expect == "success" {
		if err != nil {
			t.Fatalf("%s: expected success, got %v (kind %v)", mode, err, Classify(err))
		}
		if v.payloadHash == nil || sha256.Sum256(plain) != *v.payloadHash {
			t.Fatalf("%s: payload hash mismatch (%d bytes)", mode, len(plain))
		}
		return
	}
	want := expectKinds[v.expect]
	if err == nil {
		t.Fatalf("%s: expected %s, got success", mode, v.expect)
	}
	if got := Classify(err); got != want {
		t.Fatalf("%s: expected %s, got %s: %v", mode, want, got, err)
	}
	switch want {
	case KindNoMatch:
		var nm *age.NoIdentityMatchError
		if !errors.Is(err, ErrNoIdentityMatched) || !errors.As(err, &nm) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: no-match error not ErrNoIdentityMatched/*age.NoIdentityMatchError only: %v", mode, err)
		}
	default:
		if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNoIdentityMatched) {
			t.Fatalf("%s: %s error does not wrap ErrCorrupt alone: %v", mode, want, err)
		}
	}
	// Cross-check our structural HMAC detection against age's own message,
	// which is what age's testkit keys on.
	if mac := strings.HasSuffix(err.Error(), "bad header MAC"); mac != (want == KindHeaderMAC) {
		t.Fatalf("%s: kind %s but age message %q", mode, want, err)
	}
	switch want {
	case KindHeader, KindHeaderMAC, KindNoMatch:
		if !atHeader {
			t.Fatalf("%s: %s reported while reading, want from Decrypt", mode, want)
		}
	case KindPayload:
		if atHeader {
			t.Fatalf("%s: payload failure reported by Decrypt, want while reading", mode)
		}
		// The plaintext released before the failure is a prefix of the
		// expected payload, whose hash the vector gives.
		if v.payloadHash != nil && sha256.Sum256(plain) != *v.payloadHash {
			t.Fatalf("%s: partial payload hash mismatch (%d bytes)", mode, len(plain))
		}
	}
	t.Logf("%s: %v", mode, err)
}
