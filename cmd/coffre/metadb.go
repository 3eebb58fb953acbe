package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// metaStore is an opened metadata store: what the vault needs, plus the
// readiness check and closing.
type metaStore interface {
	vault.MetaStore
	Ping(ctx context.Context) error
	Close() error
	// Row integrity (meta.WithRowKey): failures per table, and what the
	// sealing of older rows did at open.
	Tampered() map[string]int64
	SealStatus() error
	SealedAtOpen() int
}

var (
	_ metaStore = (*meta.SQLite)(nil)
	_ metaStore = (*meta.Postgres)(nil)
)

// openMeta opens the metadata store named by --database-url: sqlite:PATH
// (embedded, one instance) or postgres://… / postgresql://… (any number of
// instances sharing the database). Pending migrations are applied; instances
// starting together on PostgreSQL migrate once. The vault's stores are
// opened with the row key of the pepper (vault.RowKeyOption).
func openMeta(ctx context.Context, databaseURL string, opts ...meta.Option) (metaStore, error) {
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		db, err := meta.OpenSQLite(ctx, path, opts...)
		if err != nil {
			return nil, fmt.Errorf("metadata database: %w", err)
		}
		return db, nil
	}
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		db, err := meta.OpenPostgres(ctx, databaseURL, opts...)
		if err != nil {
			// meta's errors never quote the URL (it may hold a password).
			return nil, fmt.Errorf("metadata database: %w", err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("%w: --database-url: want sqlite:PATH or postgres://…", errUsage)
}
