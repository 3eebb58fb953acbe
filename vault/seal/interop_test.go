package seal

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
)

// TestStockAgeInterop checks the promise that an export opens with the stock
// age tool, and that files made by it open with seal.
func TestStockAgeInterop(t *testing.T) {
	ageBin := testenv.Tool(t, "age")
	dir := t.TempDir()
	id := mustIdentity(t)
	keyFile := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := pseudoRandom(3*chunk+123, 42)

	run := func(t *testing.T, env []string, stdin []byte, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(ageBin, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = bytes.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("age %v: %v\n%s", args, err, stderr.String())
		}
		return out
	}

	t.Run("seal.Encrypt then age -d", func(t *testing.T) {
		file := encryptBytes(t, plain, id.Recipient())
		if got := run(t, nil, file, "-d", "-i", keyFile); !bytes.Equal(got, plain) {
			t.Fatal("age -d output differs")
		}
	})
	t.Run("age -e then seal.Decrypt", func(t *testing.T) {
		file := run(t, nil, plain, "-e", "-r", id.Recipient().String())
		got, err := decryptBytes(file, id)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("seal.Decrypt: %v", err)
		}
	})
	t.Run("age -e -a then seal.DecryptArmored", func(t *testing.T) {
		file := run(t, nil, plain, "-e", "-a", "-r", id.Recipient().String())
		r, err := DecryptArmored(context.Background(), bytes.NewReader(file), id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("seal.DecryptArmored: %v", err)
		}
	})
	t.Run("document key wrap opens with age -d", func(t *testing.T) {
		doc := mustIdentity(t)
		wrap, err := WrapIdentity(doc, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(run(t, nil, wrap, "-d", "-i", keyFile))); got != doc.String() {
			t.Fatal("age -d of a key wrap did not print the document key")
		}
	})
	t.Run("recovery wrap opens with age and the printed code", func(t *testing.T) {
		plugin := testenv.Tool(t, "age-plugin-batchpass")
		code := mustCode(t)
		wrap, err := WrapWithRecoveryCode(id, code)
		if err != nil {
			t.Fatal(err)
		}
		env := []string{
			"PATH=" + filepath.Dir(plugin) + string(os.PathListSeparator) + os.Getenv("PATH"),
			"AGE_PASSPHRASE=" + code.String(),
		}
		got := strings.TrimSpace(string(run(t, env, wrap, "-d", "-j", "batchpass")))
		if got != id.String() {
			t.Fatal("age -d with the recovery code did not print the owner key")
		}
	})
}
