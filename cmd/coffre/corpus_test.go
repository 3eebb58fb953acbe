package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/internal/hostile"
	"github.com/coffre/coffre/internal/testenv"
)

// TestHostileCorpusDecrypt feeds every file of the hostile corpus
// (internal/hostile) to `coffre decrypt`, the import path of exports: each
// must end with exit code 4 (not an age file, damaged) and an explanation,
// write no output file, and stay within time and allocation bounds. Its
// HTTP and converter side is TestHostileCorpus in package api.
func TestHostileCorpusDecrypt(t *testing.T) {
	cases, err := hostile.Load(testenv.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idPath := filepath.Join(dir, "identity.txt")
	if err := os.WriteFile(idPath, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			in := filepath.Join(dir, "in")
			if err := os.WriteFile(in, tc.Data, 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.pdf")
			var stdout, stderr bytes.Buffer
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			code := runDecrypt(ctx, []string{"-i", idPath, "-o", out, "-lang", "fr", in}, nil, &stdout, &stderr)
			cancel()
			took := time.Since(start)
			runtime.ReadMemStats(&ms1)
			if code != exitDamaged {
				t.Errorf("exit code %d, want %d; stderr %s", code, exitDamaged, stderr.String())
			}
			if !bytes.Contains(stderr.Bytes(), []byte("abîmé")) {
				t.Errorf("no French explanation: %s", stderr.String())
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("an output file exists: %v", err)
			}
			if took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 2 {
				t.Errorf("files left in the directory: %v", ents)
			}
		})
	}
}
