package vault_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/meta"
)

// copyDir copies a directory tree (files only).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateFromPreviousRelease opens a data directory made by the
// release before this one (testdata/release-913e936: a request accepted
// with one payslip ticked, which that release turned into a consent for
// the categories "income" and "other" too) and checks what the migration
// keeps: the consent keeps working and says its real scope (the paper plus
// the category "income", papers added later included); the category
// "other" is gone, and neither a paper of type "other" nor an untyped one
// is readable any more; the worker's drop link is tied to that consent and
// stops when it is revoked.
func TestMigrateFromPreviousRelease(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join("testdata", "release-913e936"), dir)
	var fx struct {
		OwnerID, Identifier, Secret string
		WorkerEmail                 string            `json:"worker_email"`
		Docs                        map[string]string `json:"docs"`
		ConsentID                   string            `json:"consent_id"`
		WorkerLink                  string            `json:"worker_link"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	ms, err := meta.OpenSQLite(ctx, filepath.Join(dir, "coffre.db"), vault.RowKeyOption(testPepper))
	if err != nil {
		t.Fatalf("opening the previous release's database: %v", err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	if v, err := ms.SchemaVersion(ctx); err != nil || v < 7 {
		t.Fatalf("schema version after opening = %d, %v; want 7 or later", v, err)
	}
	bs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	svc, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{svc: svc, meta: ms}
	owner, err := svc.Login(ctx, fx.Identifier, []byte(fx.Secret), "192.0.2.1")
	if err != nil {
		t.Fatalf("owner login: %v", err)
	}
	worker, err := svc.LoginWorker(ctx, fx.WorkerEmail, []byte(fx.Secret), "", "192.0.2.2")
	if err != nil {
		t.Fatalf("worker login: %v", err)
	}
	cs, err := svc.Consents(ctx, owner)
	if err != nil || len(cs) != 1 {
		t.Fatalf("owner's consents = %+v, %v", cs, err)
	}
	c := cs[0]
	if c.ID != fx.ConsentID || !c.Live || !slices.Equal(c.Scope.Documents, []string{fx.Docs["ticked"]}) ||
		!slices.Equal(c.Scope.Categories, []string{"income"}) || len(c.Scope.Types) != 0 {
		t.Fatalf("migrated consent = %+v (want the ticked paper and the category income, as granted)", c)
	}
	docs, err := svc.List(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]vault.Document{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	for name, readable := range map[string]bool{
		"ticked": true, "unticked": true, "caf": true, // what the category gave keeps working
		"other": false, "untyped": false, // never covered by a category
	} {
		d := byID[fx.Docs[name]]
		if readable {
			in.mustRead(t, worker, d, name)
		} else {
			in.mustNotRead(t, worker, d)
		}
	}
	// The worker's link was made under that consent: it works while the
	// consent lives, and stops when the owner revokes it.
	if _, err := svc.DropLinkInfo(ctx, fx.WorkerLink); err != nil {
		t.Fatalf("the worker's link after migration: %v", err)
	}
	clk.Add(time.Minute)
	if _, err := svc.Deposit(ctx, fx.WorkerLink, vault.NewDocument{Type: "bulletin-paie", Title: "Paie d'avril"}, strings.NewReader("avril")); err != nil {
		t.Fatalf("deposit through the worker's link: %v", err)
	}
	if err := svc.RevokeConsent(ctx, owner, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DropLinkInfo(ctx, fx.WorkerLink); !errors.Is(err, vault.ErrNoLink) {
		t.Fatalf("the worker's link after revocation: %v, want ErrNoLink", err)
	}
	in.mustNotRead(t, worker, byID[fx.Docs["unticked"]])
}
