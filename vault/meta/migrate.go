package meta

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationsFS embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations of a dialect, in version order.
func Migrations(dialect string) ([]Migration, error) {
	sub, err := fs.Sub(migrationsFS, path.Join("migrations", dialect))
	if err != nil {
		return nil, fmt.Errorf("meta: migrations for %q: %w", dialect, err)
	}
	return loadMigrations(sub)
}

// loadMigrations reads NNNN_name.sql files from fsys. Versions must be
// unique and start at 1 without gaps.
func loadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("meta: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || rest == "" {
			return nil, fmt.Errorf("meta: migration file %q: want NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("meta: read migration %q: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("meta: migrations: version %d found where %d expected", m.Version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("meta: no migrations")
	}
	return ms, nil
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// migrate applies every migration newer than the database's version, each in
// its own transaction together with its schema_migrations row. It fails with
// ErrSchemaTooNew when the database holds versions this program does not know.
// It returns the versions it applied.
func migrate(ctx context.Context, db *sql.DB, d *Dialect, ms []Migration, now func() time.Time) ([]int, error) {
	var applied []int
	for _, m := range ms {
		did, err := applyMigration(ctx, db, d, m, len(ms), now)
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, db *sql.DB, d *Dialect, m Migration, latest int, now func() time.Time) (did bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("meta: migration %d: begin: %w", m.Version, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if d.LockMigrations != nil {
		if err := d.LockMigrations(ctx, tx); err != nil {
			return false, fmt.Errorf("meta: migration %d: lock: %w", m.Version, err)
		}
	}
	// Created under the lock, so that concurrent first starts do not race.
	if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
		return false, fmt.Errorf("meta: create schema_migrations: %w", err)
	}
	var maxV sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&maxV); err != nil {
		return false, fmt.Errorf("meta: migration %d: read version: %w", m.Version, err)
	}
	if maxV.Valid && maxV.Int64 > int64(latest) {
		return false, fmt.Errorf("%w: database at version %d, program knows up to %d", ErrSchemaTooNew, maxV.Int64, latest)
	}
	var n int
	if err := tx.QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("meta: migration %d: read version: %w", m.Version, err)
	}
	if n > 0 {
		return false, tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("meta: migration %d (%s): %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, toDB(now())); err != nil {
		return false, fmt.Errorf("meta: migration %d: record: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("meta: migration %d: commit: %w", m.Version, err)
	}
	return true, nil
}
