package meta

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"
)

func openRaw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db")+"?_txlock=immediate&_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestMigrateAppliesOnceAndRollsBackFailures(t *testing.T) {
	ctx := context.Background()
	db := openRaw(t)
	good := []Migration{
		{Version: 1, Name: "a", SQL: "CREATE TABLE a (x INTEGER);"},
		{Version: 2, Name: "b", SQL: "CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (1);"},
	}
	got, err := migrate(ctx, db, SQLiteDialect, good, time.Now)
	if err != nil || !reflect.DeepEqual(got, []int{1, 2}) {
		t.Fatalf("first migrate = %v, %v", got, err)
	}
	got, err = migrate(ctx, db, SQLiteDialect, good, time.Now)
	if err != nil || len(got) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", got, err)
	}
	// Version 3 creates a table then fails: neither the table nor the
	// version row may remain.
	bad := append(good, Migration{Version: 3, Name: "c", SQL: "CREATE TABLE c (x INTEGER); INSERT INTO nowhere VALUES (1);"})
	if _, err := migrate(ctx, db, SQLiteDialect, bad, time.Now); err == nil {
		t.Fatal("failing migration succeeded")
	}
	if tb := tables(t, db); !reflect.DeepEqual(tb, []string{"a", "b", "schema_migrations"}) {
		t.Fatalf("tables after failed migration = %v", tb)
	}
	var maxV int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&maxV); err != nil || maxV != 2 {
		t.Fatalf("version = %d, %v", maxV, err)
	}
	// A program knowing only version 1 refuses a database at version 2.
	_, err = migrate(ctx, db, SQLiteDialect, good[:1], time.Now)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("older program: %v, want ErrSchemaTooNew", err)
	}
}

func TestLoadMigrations(t *testing.T) {
	sqlf := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"ordered", fstest.MapFS{"0002_b.sql": sqlf("B"), "0001_a.sql": sqlf("A"), "README": sqlf("x")}, []int{1, 2}, false},
		{"gap", fstest.MapFS{"0001_a.sql": sqlf("A"), "0003_c.sql": sqlf("C")}, nil, true},
		{"duplicate", fstest.MapFS{"0001_a.sql": sqlf("A"), "0001_b.sql": sqlf("B")}, nil, true},
		{"bad name", fstest.MapFS{"init.sql": sqlf("A")}, nil, true},
		{"no name", fstest.MapFS{"0001.sql": sqlf("A")}, nil, true},
		{"empty", fstest.MapFS{}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := loadMigrations(c.fs)
			if c.wantErr {
				if err == nil {
					t.Fatalf("loadMigrations = %v, want error", ms)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("versions = %v, want %v", got, c.want)
			}
		})
	}
}

// Every dialect must carry the same migration versions and names.
func TestDialectsShareVersions(t *testing.T) {
	dirs, err := fs.ReadDir(migrationsFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var ref []string
	for _, d := range dirs {
		ms, err := Migrations(d.Name())
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		if ref == nil {
			ref = names
		} else if !reflect.DeepEqual(names, ref) {
			t.Fatalf("dialect %s migrations %v differ from %v", d.Name(), names, ref)
		}
	}
	if ref == nil {
		t.Fatal("no dialect migrations embedded")
	}
}

func TestRebind(t *testing.T) {
	pg := &Dialect{Dollar: true}
	cases := []struct {
		name, in, want string
		d              *Dialect
	}{
		{"sqlite unchanged", "SELECT ? , ?", "SELECT ? , ?", SQLiteDialect},
		{"dollar", "UPDATE t SET a = ? WHERE b = ? AND c = ?", "UPDATE t SET a = $1 WHERE b = $2 AND c = $3", pg},
		{"none", "SELECT 1", "SELECT 1", pg},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.d.Rebind(c.in); got != c.want {
				t.Fatalf("Rebind = %q, want %q", got, c.want)
			}
		})
	}
}
