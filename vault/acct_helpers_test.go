package vault_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 3, 14, 2, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// instance is one Coffre process: its own database handle and blob store
// on a shared data directory.
type instance struct {
	svc  *vault.Service
	meta *meta.SQLite
}

// acctDir is a data directory shared by instances.
type acctDir struct {
	dir   string
	clock *clock
}

func newAcctDir(t testing.TB) *acctDir { return &acctDir{dir: t.TempDir(), clock: newClock()} }

// open starts an instance on the directory (same DB file, same pepper).
func (d *acctDir) open(t testing.TB) *instance {
	t.Helper()
	ms, err := meta.OpenSQLite(context.Background(), filepath.Join(d.dir, "coffre.db"), vault.RowKeyOption(testPepper))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	bs, err := local.New(filepath.Join(d.dir, "blobs"))
	if err != nil {
		t.Fatalf("local.New: %v", err)
	}
	svc, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: d.clock.Now})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	return &instance{svc: svc, meta: ms}
}

// openOther starts an instance of another deployment on the directory:
// the same database, another pepper (its row key included).
func (d *acctDir) openOther(t testing.TB, pepper []byte) *vault.Service {
	t.Helper()
	ms, err := meta.OpenSQLite(context.Background(), filepath.Join(d.dir, "coffre.db"), vault.RowKeyOption(pepper))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	bs, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: pepper, Scrypt: weakScrypt, Now: d.clock.Now})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	return svc
}

const goodSecret = "jardin violon tempete cerise"

// signUp creates an owner and logs in.
func (in *instance) signUp(t testing.TB, ident string) (*vault.Principal, string) {
	t.Helper()
	ctx := testCtx(t)
	id, code, err := in.svc.SignUp(ctx, vault.NewOwner{Identifier: ident, Secret: []byte(goodSecret)}, nil)
	if err != nil {
		t.Fatalf("SignUp(%q): %v", ident, err)
	}
	p, err := in.svc.Login(ctx, ident, []byte(goodSecret), "192.0.2.1")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if p.ID() != id {
		t.Fatalf("Login id = %s, want %s", p.ID(), id)
	}
	return p, code.String()
}
