package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/vault/seal"
)

// Issue 18: a dump of the database holds no PRF output and no key that
// opens the vault without the authenticator. Every column of the passkeys
// and challenges tables is tried against the passkey's wrap as a PRF
// output — raw, base64url- and hex-decoded, granting the attacker the
// pepper — and none opens it; the real output does (so the test would see
// a leak). Nor do the PRF output or the identity appear in the files.
func TestPasskeyDumpRevealsNoKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := internalService(t, dir)
	secret := []byte("jardin violon tempete cerise")
	if _, _, err := s.SignUp(ctx, NewOwner{Identifier: "dump-passkey", Secret: secret}, nil); err != nil {
		t.Fatal(err)
	}
	p, err := s.Login(ctx, "dump-passkey", secret, "")
	if err != nil {
		t.Fatal(err)
	}
	outs := make([][]byte, 2)
	for i := range outs {
		outs[i] = make([]byte, PRFOutputSize)
		_, _ = rand.Read(outs[i])
		cred := fmt.Appendf(nil, "credential-%d", i)
		if _, err := s.AddPasskey(ctx, p, NewPasskey{CredentialID: cred, PublicKey: []byte("cose"), Name: "Téléphone", PRF: outs[i]}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.LoginWithPasskey(ctx, PasskeyAssertion{CredentialID: cred, SignCount: 1, PRF: outs[i]}, Client{}); err != nil {
			t.Fatal(err)
		}
	}
	// A ceremony waiting for its answer is in the dump too.
	if err := s.SaveCeremony(ctx, bytes.Repeat([]byte{9}, 32), "browser:x", "login", []byte(`{"challenge":"x"}`)); err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(filepath.Join(dir, "coffre.db"+suffix))
		if err == nil {
			all = append(all, b...)
		}
	}
	idText := p.identity.String()
	if bytes.Contains(all, []byte(idText)) || bytes.Contains(bytes.ToLower(all), []byte(strings.ToLower(idText))) {
		t.Fatal("the owner's key is in the database files")
	}
	for _, out := range outs {
		for _, form := range [][]byte{out, []byte(hex.EncodeToString(out)), []byte(base64.RawURLEncoding.EncodeToString(out)), []byte(base64.StdEncoding.EncodeToString(out))} {
			if bytes.Contains(all, form) {
				t.Fatal("a PRF output is in the database files")
			}
		}
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "coffre.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wraps, values [][]byte
	for _, table := range []string{"passkeys", "webauthn_challenges"} {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var b []byte
				switch x := v.(type) {
				case []byte:
					b = x
				case string:
					b = []byte(x)
				case int64:
					b = fmt.Append(nil, x)
				default:
					continue
				}
				if cols[i] == "identity_by_prf" {
					wraps = append(wraps, b)
				}
				values = append(values, b)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(wraps) != 2 {
		t.Fatalf("%d wraps, want 2", len(wraps))
	}
	opens := func(wrap, cand []byte) bool {
		id, err := seal.UnwrapWithSecret(wrap, cand, s.pepper)
		return err == nil && id.String() == idText
	}
	tried := 0
	for _, v := range values {
		cands := [][]byte{v}
		if b, err := base64.RawURLEncoding.DecodeString(string(v)); err == nil {
			cands = append(cands, b)
		}
		if b, err := hex.DecodeString(string(v)); err == nil {
			cands = append(cands, b)
		}
		for _, c := range cands {
			for _, w := range wraps {
				tried++
				if opens(w, c) {
					t.Fatalf("a column value (%d bytes) opens a passkey's wrap", len(c))
				}
			}
			if strings.Contains(string(c), idText) {
				t.Fatal("a column holds the owner's key")
			}
		}
	}
	// Control: the real outputs open their wraps.
	opened := 0
	for _, out := range outs {
		for _, w := range wraps {
			if opens(w, out) {
				opened++
			}
		}
	}
	if opened != len(outs) {
		t.Fatalf("control: %d of %d outputs open their wrap", opened, len(outs))
	}
	t.Logf("tried %d candidates from the passkeys and challenges tables: none opens a wrap", tried)
}
