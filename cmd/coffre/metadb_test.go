package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/meta"
)

func TestOpenMeta(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		db, err := openMeta(ctx, "sqlite:"+filepath.Join(t.TempDir(), "coffre.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, ok := db.(*meta.SQLite); !ok {
			t.Fatalf("sqlite: opened %T", db)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("postgres, two instances", func(t *testing.T) {
		url := testenv.Postgres(t).NewDatabase(t)
		a, err := openMeta(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := openMeta(ctx, strings.Replace(url, "postgres://", "postgresql://", 1))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if _, ok := a.(*meta.Postgres); !ok {
			t.Fatalf("postgres: opened %T", a)
		}
		if err := a.CreateOwner(ctx, meta.Owner{ID: "o1", PublicKey: "age1o1", IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Owner(ctx, "o1"); err != nil {
			t.Fatalf("the second instance does not see the first's write: %v", err)
		}
		if err := b.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("COFFRE_DATABASE_URL selects postgres in openVault", func(t *testing.T) {
		url := testenv.Postgres(t).NewDatabase(t)
		cfg, err := parseServeConfig([]string{"--data-dir", t.TempDir(), "--scrypt-log-n", "15"},
			[]string{"COFFRE_DATABASE_URL=" + url}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		w, err := openVault(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if _, ok := w.Meta.(*meta.Postgres); !ok {
			t.Fatalf("openVault opened %T", w.Meta)
		}
		if err := w.Ready["database"].Check(ctx); err != nil {
			t.Fatalf("readiness: %v", err)
		}
	})
	t.Run("unreachable postgres keeps the password out", func(t *testing.T) {
		_, err := openMeta(ctx, "postgres://coffre:pw-XYZZY@127.0.0.1:1/coffre?sslmode=disable&connect_timeout=2")
		if err == nil || strings.Contains(err.Error(), "pw-XYZZY") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown scheme", func(t *testing.T) {
		if _, err := openMeta(ctx, "mysql://x/y"); !errors.Is(err, errUsage) {
			t.Fatalf("err = %v, want errUsage", err)
		}
	})
}
