package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

// testScrypt keeps secret wraps fast in tests; production uses the default.
var testScrypt = ScryptParams{LogN: 10, AllowWeak: true}

func mustPepper(t testing.TB, fill byte) []byte {
	t.Helper()
	return bytes.Repeat([]byte{fill}, PepperSize)
}

func TestSecretWrapRoundTrip(t *testing.T) {
	id := mustIdentity(t)
	secret := []byte("correct horse battery staple")
	pepper := mustPepper(t, 7)
	wrapped, err := WrapWithSecret(id, secret, pepper, testScrypt)
	if err != nil {
		t.Fatal(err)
	}
	// A standard passphrase-encrypted age file: one scrypt stanza at LogN 10.
	if !bytes.HasPrefix(wrapped, []byte("age-encryption.org/v1\n-> scrypt ")) ||
		!bytes.Contains(wrapped, []byte(" 10\n")) {
		t.Fatalf("not a single-stanza scrypt age file:\n%s", wrapped[:min(len(wrapped), 120)])
	}
	// The wrap is an age file openable by stock age with the derived
	// passphrase, and holds the identity string.
	sid, err := age.NewScryptIdentity(secretPassphrase(secret, pepper))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := decryptBytes(wrapped, sid)
	if err != nil || strings.TrimSpace(string(plain)) != id.String() {
		t.Fatalf("stock age decryption of the wrap: err %v", err)
	}

	got, err := UnwrapWithSecret(wrapped, secret, pepper)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != id.String() {
		t.Fatal("unwrapped a different identity")
	}
	// Two wraps of the same identity differ (random salt and file key).
	again, err := WrapWithSecret(id, secret, pepper, testScrypt)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again, wrapped) {
		t.Fatal("two wraps are identical")
	}
}

func TestSecretWrapFailures(t *testing.T) {
	id := mustIdentity(t)
	secret, pepper := []byte("1234-5678"), mustPepper(t, 1)
	wrapped, err := WrapWithSecret(id, secret, pepper, testScrypt)
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := NewRecoveryCode()
	if err != nil {
		t.Fatal(err)
	}
	toRecipient, err := WrapIdentity(id, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(wrapped)
	tampered[len(tampered)-3] ^= 1 // payload
	highWork := bytes.Replace(wrapped, []byte(" 10\n"), []byte(" 23\n"), 1)

	for _, tc := range []struct {
		name            string
		wrapped, secret []byte
		pepper          []byte
		want            error
		kind            Kind
	}{
		{"wrong secret", wrapped, []byte("1234-5679"), pepper, ErrWrongSecret, KindUnknown},
		{"secret prefix", wrapped, []byte("1234-567"), pepper, ErrWrongSecret, KindUnknown},
		{"empty secret", wrapped, nil, pepper, ErrWrongSecret, KindUnknown},
		{"wrong pepper", wrapped, secret, mustPepper(t, 2), ErrWrongSecret, KindUnknown},
		{"short pepper", wrapped, secret, pepper[:31], ErrBadPepper, KindUnknown},
		{"tampered payload", tampered, secret, pepper, ErrCorrupt, KindPayload},
		{"work factor above maximum", highWork, secret, pepper, ErrCorrupt, KindHeader},
		{"wrap to a recipient", toRecipient, secret, pepper, ErrCorrupt, KindHeader},
		{"garbage", []byte("not age"), secret, pepper, ErrCorrupt, KindHeader},
		{"empty", nil, secret, pepper, ErrCorrupt, KindHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UnwrapWithSecret(tc.wrapped, tc.secret, tc.pepper)
			if got != nil || !errors.Is(err, tc.want) || Classify(err) != tc.kind {
				t.Fatalf("got %v, %v (kind %v); want %v, kind %v", got, err, Classify(err), tc.want, tc.kind)
			}
			if tc.want == ErrWrongSecret && errors.Is(err, ErrCorrupt) {
				t.Fatalf("wrong secret also reported as corruption: %v", err)
			}
		})
	}
	// A recovery-code wrap is not opened by a secret, and vice versa.
	recWrap, err := WrapWithRecoveryCode(id, recovery)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnwrapWithSecret(recWrap, secret, pepper); !errors.Is(err, ErrWrongSecret) {
		t.Fatalf("recovery wrap opened with a secret: %v", err)
	}
}

func TestWrapWithSecretArguments(t *testing.T) {
	id := mustIdentity(t)
	pepper := mustPepper(t, 3)
	for _, tc := range []struct {
		name   string
		id     *age.X25519Identity
		secret []byte
		pepper []byte
		p      ScryptParams
		want   error // nil: any error
	}{
		{"nil identity", nil, []byte("s"), pepper, testScrypt, nil},
		{"empty secret", id, nil, pepper, testScrypt, nil},
		{"no pepper", id, []byte("s"), nil, testScrypt, ErrBadPepper},
		{"long pepper", id, []byte("s"), append(bytes.Clone(pepper), 0), testScrypt, ErrBadPepper},
		{"weak without AllowWeak", id, []byte("s"), pepper, ScryptParams{LogN: 10}, ErrWeakParams},
		{"just below minimum", id, []byte("s"), pepper, ScryptParams{LogN: MinScryptLogN - 1}, ErrWeakParams},
		{"above maximum", id, []byte("s"), pepper, ScryptParams{LogN: MaxScryptLogN + 1}, ErrWeakParams},
		{"above maximum even weak", id, []byte("s"), pepper, ScryptParams{LogN: 31, AllowWeak: true}, ErrWeakParams},
		{"negative", id, []byte("s"), pepper, ScryptParams{LogN: -1, AllowWeak: true}, ErrWeakParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := WrapWithSecret(tc.id, tc.secret, tc.pepper, tc.p)
			if err == nil || b != nil {
				t.Fatalf("got %d bytes, nil error; want an error", len(b))
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestScryptParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		p    ScryptParams
		ok   bool
		logN int
	}{
		{ScryptParams{}, true, DefaultScryptLogN},
		{ScryptParams{LogN: MinScryptLogN}, true, MinScryptLogN},
		{ScryptParams{LogN: MaxScryptLogN}, true, MaxScryptLogN},
		{ScryptParams{LogN: 14}, false, 14},
		{ScryptParams{LogN: 1, AllowWeak: true}, true, 1},
		{ScryptParams{LogN: 23, AllowWeak: true}, false, 23},
	} {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok=%v", tc.p, err, tc.ok)
		}
		if got := tc.p.logN(); got != tc.logN {
			t.Errorf("%+v: logN() = %d, want %d", tc.p, got, tc.logN)
		}
	}
	if DefaultScryptLogN < MinScryptLogN || DefaultScryptLogN > MaxScryptLogN {
		t.Fatal("default work factor outside the accepted range")
	}
}

// TestSecretPassphraseSeparation: the derived passphrase depends on every
// bit of secret and pepper and is not the secret itself.
func TestSecretPassphraseSeparation(t *testing.T) {
	p1, p2 := mustPepper(t, 1), mustPepper(t, 2)
	a := secretPassphrase([]byte("secret"), p1)
	for name, other := range map[string]string{
		"other pepper": secretPassphrase([]byte("secret"), p2),
		"other secret": secretPassphrase([]byte("secreu"), p1),
		"longer":       secretPassphrase([]byte("secret\x00"), p1),
	} {
		if other == a {
			t.Errorf("%s gives the same passphrase", name)
		}
	}
	if len(a) != 43 || strings.Contains(a, "secret") {
		t.Fatalf("unexpected passphrase shape %q", a)
	}
}
