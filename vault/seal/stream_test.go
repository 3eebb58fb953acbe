package seal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"filippo.io/age"
	"filippo.io/age/armor"
)

const chunk = 64 << 10 // age's STREAM chunk size

func mustIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pseudoRandom returns n deterministic bytes.
func pseudoRandom(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func encryptBytes(t testing.TB, plain []byte, to ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := Encrypt(context.Background(), &buf, to...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decryptBytes(file []byte, ids ...age.Identity) ([]byte, error) {
	r, err := Decrypt(context.Background(), bytes.NewReader(file), ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	owner, grantee, other := mustIdentity(t), mustIdentity(t), mustIdentity(t)
	for _, tc := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"short", 1000},
		{"one chunk minus one", chunk - 1},
		{"exactly one chunk", chunk},
		{"one chunk plus one", chunk + 1},
		{"three chunks", 3 * chunk},
		{"1 MB", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := pseudoRandom(tc.size, uint64(tc.size))
			file := encryptBytes(t, plain, owner.Recipient(), grantee.Recipient())
			if !bytes.HasPrefix(file, []byte("age-encryption.org/v1\n")) {
				t.Fatalf("not a binary age v1 file: %q", file[:min(len(file), 30)])
			}
			for _, ids := range [][]age.Identity{{owner}, {grantee}, {other, grantee}} {
				got, err := decryptBytes(file, ids...)
				if err != nil {
					t.Fatalf("decrypt: %v", err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("plaintext mismatch: %d bytes, want %d", len(got), len(plain))
				}
			}
			// Small reads and one-byte source reads still round-trip.
			r, err := Decrypt(context.Background(), iotest.OneByteReader(bytes.NewReader(file)), owner)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("one-byte reads: err %v, equal %v", err, bytes.Equal(got, plain))
			}
			_, err = decryptBytes(file, other)
			if !errors.Is(err, ErrNoIdentityMatched) || Classify(err) != KindNoMatch {
				t.Fatalf("unrelated identity: got %v, want ErrNoIdentityMatched", err)
			}
			var nm *age.NoIdentityMatchError
			if !errors.As(err, &nm) {
				t.Fatalf("unrelated identity: *age.NoIdentityMatchError not reachable: %v", err)
			}
		})
	}
}

func TestEncryptRefusesRecipients(t *testing.T) {
	x := mustIdentity(t).Recipient()
	scrypt, err := age.NewScryptRecipient("pass")
	if err != nil {
		t.Fatal(err)
	}
	hybridID, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		to   []age.Recipient
	}{
		{"none", nil},
		{"nil interface", []age.Recipient{nil}},
		{"nil X25519", []age.Recipient{(*age.X25519Recipient)(nil)}},
		{"scrypt", []age.Recipient{scrypt}},
		{"hybrid", []age.Recipient{hybridID.Recipient()}},
		{"X25519 then foreign", []age.Recipient{x, fakeRecipient{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := Encrypt(context.Background(), &buf, tc.to...); !errors.Is(err, ErrUnsupportedRecipient) {
				t.Fatalf("Encrypt: got %v, want ErrUnsupportedRecipient", err)
			}
			if buf.Len() != 0 {
				t.Fatalf("Encrypt wrote %d bytes before refusing", buf.Len())
			}
			if _, err := WrapIdentity(mustIdentity(t), tc.to...); !errors.Is(err, ErrUnsupportedRecipient) {
				t.Fatalf("WrapIdentity: got %v, want ErrUnsupportedRecipient", err)
			}
			if _, err := SealString("title", tc.to...); !errors.Is(err, ErrUnsupportedRecipient) {
				t.Fatalf("SealString: got %v, want ErrUnsupportedRecipient", err)
			}
		})
	}
}

type fakeRecipient struct{}

func (fakeRecipient) Wrap([]byte) ([]*age.Stanza, error) {
	return []*age.Stanza{{Type: "fake"}}, nil
}

type fakeIdentity struct{}

func (fakeIdentity) Unwrap([]*age.Stanza) ([]byte, error) { return make([]byte, 16), nil }

func TestDecryptRefusesIdentities(t *testing.T) {
	id := mustIdentity(t)
	file := encryptBytes(t, []byte("x"), id.Recipient())
	for _, tc := range []struct {
		name string
		ids  []age.Identity
	}{
		{"none", nil},
		{"nil interface", []age.Identity{nil}},
		{"nil X25519", []age.Identity{(*age.X25519Identity)(nil)}},
		{"plugin-like", []age.Identity{id, fakeIdentity{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decrypt(context.Background(), bytes.NewReader(file), tc.ids...)
			if !errors.Is(err, ErrUnsupportedIdentity) {
				t.Fatalf("got %v, want ErrUnsupportedIdentity", err)
			}
		})
	}
}

// TestDecryptCorruptedBytes flips every byte of a small file: each variant
// must fail with a corruption or no-match error, never decrypt.
func TestDecryptCorruptedBytes(t *testing.T) {
	id := mustIdentity(t)
	file := encryptBytes(t, []byte("Avis d'imposition 2025 — page 1"), id.Recipient())
	for i := range file {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(file)
			bad[i] ^= mask
			_, err := decryptBytes(bad, id)
			switch Classify(err) {
			case KindHeader, KindHeaderMAC, KindPayload, KindNoMatch:
			default:
				t.Fatalf("byte %d ^ %#x: got %v (kind %v), want a decryption failure", i, mask, err, Classify(err))
			}
		}
	}
}

func TestDecryptCorruptedClasses(t *testing.T) {
	id := mustIdentity(t)
	plain := pseudoRandom(2*chunk+10, 7)
	file := encryptBytes(t, plain, id.Recipient())
	hdrLen := bytes.Index(file, []byte("\n--- ")) + 1
	macEnd := hdrLen + bytes.IndexByte(file[hdrLen:], '\n') + 1
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want Kind
	}{
		{"intro", func(b []byte) []byte { b[0] = 'A'; return b }, KindHeader},
		{"MAC character", func(b []byte) []byte {
			i := macEnd - 5
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return b
		}, KindHeaderMAC},
		{"nonce", func(b []byte) []byte { b[macEnd] ^= 1; return b }, KindPayload},
		{"first chunk", func(b []byte) []byte { b[macEnd+16+100] ^= 1; return b }, KindPayload},
		{"last chunk tag", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, KindPayload},
		{"trailing garbage", func(b []byte) []byte { return append(b, 0) }, KindPayload},
		{"empty", func([]byte) []byte { return nil }, KindHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decryptBytes(tc.edit(bytes.Clone(file)), id)
			if got := Classify(err); got != tc.want {
				t.Fatalf("got %v (%v), want %v", got, err, tc.want)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v does not wrap ErrCorrupt", err)
			}
		})
	}
}

// TestDecryptTruncated checks every prefix of a small file, and prefixes of
// a multi-chunk file at and around chunk boundaries: a truncated stream is
// never taken for a shorter valid one.
func TestDecryptTruncated(t *testing.T) {
	id := mustIdentity(t)
	small := encryptBytes(t, []byte("bulletin de salaire"), id.Recipient())
	for n := 0; n < len(small); n++ {
		if _, err := decryptBytes(small[:n], id); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix %d/%d: got %v, want ErrCorrupt", n, len(small), err)
		}
	}
	big := encryptBytes(t, pseudoRandom(3*chunk, 3), id.Recipient())
	payloadStart := bytes.Index(big, []byte("\n--- ")) + 1
	payloadStart += bytes.IndexByte(big[payloadStart:], '\n') + 1 + 16
	enc := chunk + 16 // sealed chunk size
	for _, n := range []int{payloadStart, payloadStart + 1, payloadStart + enc - 1, payloadStart + enc,
		payloadStart + enc + 1, payloadStart + 2*enc, payloadStart + 2*enc + 17, len(big) - 1} {
		r, err := Decrypt(context.Background(), bytes.NewReader(big[:n]), id)
		if err != nil {
			t.Fatalf("prefix %d: Decrypt: %v (the header is whole)", n, err)
		}
		got, err := io.ReadAll(r)
		if Classify(err) != KindPayload {
			t.Fatalf("prefix %d: got %v after %d bytes, want ErrPayload", n, err, len(got))
		}
	}
}

var errInjected = errors.New("injected source failure")

// failingReader returns its data then fails with errInjected.
type failingReader struct {
	r io.Reader
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errInjected
	}
	return n, err
}

// TestDecryptSourceErrors: an error from the source is passed through as is,
// at any offset, binary or armored, and never reported as corruption.
func TestDecryptSourceErrors(t *testing.T) {
	id := mustIdentity(t)
	plain := pseudoRandom(2*chunk+5, 11)
	file := encryptBytes(t, plain, id.Recipient())
	armored := armorBytes(t, file)
	for _, tc := range []struct {
		name    string
		file    []byte
		armored bool
	}{{"binary", file, false}, {"armored", armored, true}} {
		for _, n := range []int{0, 5, 40, 150, 200, 1000, chunk, len(tc.file) / 2, len(tc.file) - 1} {
			src := &failingReader{r: bytes.NewReader(tc.file[:n])}
			open := Decrypt
			if tc.armored {
				open = DecryptArmored
			}
			r, err := open(context.Background(), src, id)
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.Is(err, errInjected) || errors.Is(err, ErrCorrupt) || Classify(err) != KindUnknown {
				t.Fatalf("%s, fail after %d bytes: got %v, want the source error only", tc.name, n, err)
			}
		}
	}
}

func TestDecryptContextCancel(t *testing.T) {
	id := mustIdentity(t)
	file := encryptBytes(t, pseudoRandom(3*chunk, 1), id.Recipient())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Decrypt(ctx, bytes.NewReader(file), id); !errors.Is(err, context.Canceled) {
		t.Fatalf("Decrypt with done ctx: got %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	r, err := Decrypt(ctx, bytes.NewReader(file), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = io.ReadAll(r)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read after cancel: got %v, want context.Canceled", err)
	}
}

// TestEncryptContextCancel: after cancellation Close does not seal the final
// chunk, so the partial output never decrypts as a (shorter) valid file.
func TestEncryptContextCancel(t *testing.T) {
	id := mustIdentity(t)
	ctx, cancel := context.WithCancel(context.Background())
	var buf bytes.Buffer
	w, err := Encrypt(ctx, &buf, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pseudoRandom(2*chunk+1, 2)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := w.Write([]byte("more")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write after cancel: %v", err)
	}
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close after cancel: %v", err)
	}
	if _, err := decryptBytes(buf.Bytes(), id); Classify(err) != KindPayload {
		t.Fatalf("partial output: got %v, want ErrPayload", err)
	}
	if _, err := Encrypt(ctx, &buf, id.Recipient()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Encrypt with done ctx: %v", err)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errInjected }

func TestEncryptDestinationError(t *testing.T) {
	_, err := Encrypt(context.Background(), errWriter{}, mustIdentity(t).Recipient())
	if !errors.Is(err, errInjected) {
		t.Fatalf("got %v, want the destination error", err)
	}
}

func TestDecryptArmored(t *testing.T) {
	id := mustIdentity(t)
	plain := pseudoRandom(chunk+3, 5)
	armored := armorBytes(t, encryptBytes(t, plain, id.Recipient()))
	r, err := DecryptArmored(context.Background(), bytes.NewReader(armored), id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("armored round trip: %v, equal %v", err, bytes.Equal(got, plain))
	}
	// Damage a base64 character deep in the body: armor failure at Read.
	bad := bytes.Clone(armored)
	bad[len(bad)/2] = '*'
	r, err = DecryptArmored(context.Background(), bytes.NewReader(bad), id)
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if Classify(err) != KindArmor || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged armor: got %v, want ErrArmor", err)
	}
	// A binary file given to DecryptArmored is an armor failure.
	_, err = DecryptArmored(context.Background(), bytes.NewReader(encryptBytes(t, plain, id.Recipient())), id)
	if Classify(err) != KindArmor {
		t.Fatalf("binary as armored: got %v, want ErrArmor", err)
	}
}

func armorBytes(t testing.TB, file []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	if _, err := w.Write(file); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{
		KindHeader: "header failure", KindHeaderMAC: "HMAC failure", KindPayload: "payload failure",
		KindArmor: "armor failure", KindNoMatch: "no match", KindContent: "content failure",
		KindUnknown: "unknown", Kind(99): "Kind(99)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
	if Classify(nil) != KindUnknown || Classify(errInjected) != KindUnknown {
		t.Error("Classify of nil or a foreign error is not KindUnknown")
	}
}

// TestEncryptSizeContract checks the documented size guarantee: header and
// nonce written by Encrypt, then 16 bytes of tag per (at least one) chunk.
func TestEncryptSizeContract(t *testing.T) {
	id := mustIdentity(t)
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 5*chunk + 7} {
		var buf bytes.Buffer
		w, err := Encrypt(context.Background(), &buf, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		prefix := buf.Len()
		hdrEnd := bytes.Index(buf.Bytes(), []byte("\n--- ")) + 1
		hdrEnd += bytes.IndexByte(buf.Bytes()[hdrEnd:], '\n') + 1
		if prefix != hdrEnd+16 {
			t.Fatalf("Encrypt wrote %d bytes, want header (%d) + 16-byte nonce", prefix, hdrEnd)
		}
		if _, err := w.Write(pseudoRandom(n, 9)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		chunks := max(1, (n+chunk-1)/chunk)
		if want := prefix + n + 16*chunks; buf.Len() != want {
			t.Fatalf("n=%d: file is %d bytes, want %d", n, buf.Len(), want)
		}
	}
}
