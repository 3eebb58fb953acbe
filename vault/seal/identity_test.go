package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestWrapIdentityToRecipients(t *testing.T) {
	doc, owner, grantee, stranger := mustIdentity(t), mustIdentity(t), mustIdentity(t), mustIdentity(t)
	ownerWrap, err := WrapIdentity(doc, owner.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	grantWrap, err := WrapIdentity(doc, grantee.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		wrapped []byte
		ids     []age.Identity
		want    error // nil: success
	}{
		{"owner opens own wrap", ownerWrap, []age.Identity{owner}, nil},
		{"grantee opens grant", grantWrap, []age.Identity{grantee}, nil},
		{"second identity matches", grantWrap, []age.Identity{stranger, grantee}, nil},
		{"grantee cannot open owner wrap (revoked grant)", ownerWrap, []age.Identity{grantee}, ErrNoIdentityMatched},
		{"stranger", grantWrap, []age.Identity{stranger}, ErrNoIdentityMatched},
		{"tampered", append(bytes.Clone(ownerWrap), 'x'), []age.Identity{owner}, ErrCorrupt},
		{"garbage", []byte("AGE-SECRET-KEY-1"), []age.Identity{owner}, ErrCorrupt},
		{"no identity", ownerWrap, nil, ErrUnsupportedIdentity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UnwrapIdentity(tc.wrapped, tc.ids...)
			if tc.want == nil {
				if err != nil || got.String() != doc.String() {
					t.Fatalf("got %v; want the document identity", err)
				}
				if got.Recipient().String() != doc.Recipient().String() {
					t.Fatal("recipient mismatch")
				}
				return
			}
			if got != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
	if _, err := WrapIdentity(nil, owner.Recipient()); err == nil {
		t.Fatal("WrapIdentity(nil) accepted")
	}
}

// TestUnwrapIdentityContent: an authentic age file whose plaintext is not
// exactly one X25519 identity is ErrContent, and the error never echoes key
// material.
func TestUnwrapIdentityContent(t *testing.T) {
	owner, other := mustIdentity(t), mustIdentity(t)
	hybrid, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, plain string
		ok          bool
	}{
		{"bare key", other.String(), true},
		{"identity file with comments", "# created: 2026-01-01\n# public key: x\n\n" + other.String() + "\n", true},
		{"empty", "", false},
		{"only comments", "# nothing\n", false},
		{"two keys", other.String() + "\n" + owner.String() + "\n", false},
		{"recipient not identity", other.Recipient().String(), false},
		{"hybrid identity", hybrid.String(), false},
		{"mangled key", strings.ToLower(other.String()[:40]), false},
		{"too long", strings.Repeat("#", 2000) + "\n" + other.String(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := encryptBytes(t, []byte(tc.plain), owner.Recipient())
			got, err := UnwrapIdentity(file, owner)
			if tc.ok {
				if err != nil || got.String() != other.String() {
					t.Fatalf("got %v", err)
				}
				return
			}
			if Classify(err) != KindContent || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v (kind %v), want ErrContent", err, Classify(err))
			}
			if strings.Contains(err.Error(), "SECRET-KEY") || strings.Contains(strings.ToUpper(err.Error()), other.String()[20:40]) {
				t.Fatalf("error echoes key material: %v", err)
			}
		})
	}
}

func TestParseRecipient(t *testing.T) {
	id := mustIdentity(t)
	r, err := ParseRecipient(id.Recipient().String())
	if err != nil || r.String() != id.Recipient().String() {
		t.Fatalf("ParseRecipient: %v", err)
	}
	hybrid, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "age1", id.String(), hybrid.Recipient().String(),
		"age1yubikey1qwerty", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC"} {
		if _, err := ParseRecipient(s); !errors.Is(err, ErrUnsupportedRecipient) {
			t.Errorf("ParseRecipient(%.20q): got %v, want ErrUnsupportedRecipient", s, err)
		}
	}
}

func TestSealString(t *testing.T) {
	doc, other := mustIdentity(t), mustIdentity(t)
	for _, tc := range []struct{ name, s string }{
		{"empty", ""},
		{"title", "Avis d'impôt sur le revenu 2025 — Mme Dupont"},
		{"maximum", strings.Repeat("é", MaxStringSize/2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := SealString(tc.s, doc.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			if tc.s != "" && bytes.Contains(sealed, []byte(tc.s)) {
				t.Fatal("plaintext visible in sealed bytes")
			}
			got, err := OpenString(sealed, doc)
			if err != nil || got != tc.s {
				t.Fatalf("OpenString: %q, %v", got, err)
			}
			if _, err := OpenString(sealed, other); !errors.Is(err, ErrNoIdentityMatched) {
				t.Fatalf("other identity: %v", err)
			}
		})
	}
	if _, err := SealString(strings.Repeat("x", MaxStringSize+1), doc.Recipient()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized SealString: %v", err)
	}
	// A file holding more than MaxStringSize is refused by OpenString.
	big := encryptBytes(t, bytes.Repeat([]byte("x"), MaxStringSize+1), doc.Recipient())
	if _, err := OpenString(big, doc); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized OpenString: %v", err)
	}
	sealed, err := SealString("titre", doc.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := OpenString(sealed, doc); Classify(err) != KindPayload {
		t.Fatalf("tampered sealed string: %v", err)
	}
}
