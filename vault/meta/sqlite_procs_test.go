package meta_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// Several OS processes writing one SQLite file (a `coffre admin` verb run
// beside `coffre serve`, or two serve processes on one data directory): no
// writer may fail with SQLITE_BUSY or SQLITE_LOCKED, and no update may be
// lost. The children are this test binary run again in child mode.
const (
	childDBEnv     = "COFFRE_SQLITE_CHILD_DB"
	childIDEnv     = "COFFRE_SQLITE_CHILD_ID"
	childGoEnv     = "COFFRE_SQLITE_CHILD_GO"
	procChildren   = 4
	procIterations = 60
	sharedThrottle = "shared-counter"
)

func TestSQLiteWritersAcrossProcesses(t *testing.T) {
	if os.Getenv(childDBEnv) != "" {
		t.Skip("child mode")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "coffre.db")
	parent := openSQLite(t, path) // creates the file and applies migrations
	goFile := filepath.Join(dir, "go")

	type child struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	children := make([]*child, procChildren)
	for i := range children {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestSQLiteWriterChild$", "-test.count=1", "-test.v")}
		c.cmd.Env = append(os.Environ(), childDBEnv+"="+path, childIDEnv+"="+strconv.Itoa(i), childGoEnv+"="+goFile)
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		if err := c.cmd.Start(); err != nil {
			t.Fatalf("start child %d: %v", i, err)
		}
		children[i] = c
	}
	// Release the children together, then hold the write lock ourselves
	// for a while in the middle of their run: they must wait, not fail.
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	held := time.Now()
	err := parent.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.CreateOwner(ctx, meta.Owner{ID: "parent", PublicKey: "pk-parent", IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{1}}); err != nil {
			return err
		}
		time.Sleep(1500 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatalf("parent's long transaction: %v", err)
	}
	t.Logf("parent held the write lock for %v", time.Since(held).Round(time.Millisecond))

	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, c.out.String())
		} else if !bytes.Contains(c.out.Bytes(), []byte("child done")) {
			t.Errorf("child %d did not run its writes:\n%s", i, c.out.String())
		}
	}
	if t.Failed() {
		return
	}
	for i := range procChildren {
		for j := range procIterations {
			if _, err := parent.Owner(ctx, fmt.Sprintf("c%d-%d", i, j)); err != nil {
				t.Fatalf("row written by child %d (#%d) missing: %v", i, j, err)
			}
		}
	}
	st, err := parent.Throttle(ctx, sharedThrottle)
	if err != nil {
		t.Fatal(err)
	}
	if want := procChildren * procIterations; st.Failures != want {
		t.Fatalf("shared counter = %d after %d increments from %d processes: updates lost", st.Failures, want, procChildren)
	}
	t.Logf("%d processes × %d transactions: every row present, counter %d", procChildren, procIterations, st.Failures)
}

// TestSQLiteWriterChild is the child side of TestSQLiteWritersAcrossProcesses;
// it does nothing in a normal run.
func TestSQLiteWriterChild(t *testing.T) {
	path := os.Getenv(childDBEnv)
	if path == "" {
		t.Skip("run by TestSQLiteWritersAcrossProcesses")
	}
	id := os.Getenv(childIDEnv)
	ctx := context.Background()
	s := openSQLite(t, path)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(os.Getenv(childGoEnv)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	rule := meta.ThrottleRule{Key: sharedThrottle, Window: time.Hour, Block: func(int) time.Duration { return 0 }}
	for j := range procIterations {
		oid := fmt.Sprintf("c%s-%d", id, j)
		if err := s.CreateOwner(ctx, meta.Owner{ID: oid, PublicKey: "pk-" + oid, IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{1}}); err != nil {
			t.Fatalf("child %s: create owner %d: %v", id, j, err)
		}
		ok, _, err := s.BeginAttempt(ctx, time.Now(), rule)
		if err != nil || !ok {
			t.Fatalf("child %s: attempt %d: ok=%v err=%v", id, j, ok, err)
		}
		// Reads from the pool run beside the writers (WAL) and must not fail.
		if _, err := s.Throttle(ctx, sharedThrottle); err != nil {
			t.Fatalf("child %s: read %d: %v", id, j, err)
		}
	}
	t.Log("child done")
}
