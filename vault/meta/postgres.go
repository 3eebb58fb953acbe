package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Postgres is the metadata store on PostgreSQL, for several Coffre instances
// sharing one database. It runs the same queries as SQLite through
// database/sql and the pgx driver, with one connection pool for reads and
// writes; its migrations (migrations/postgres) hold the same versions as
// SQLite's.
type Postgres struct {
	*DB
}

// PostgreSQL error codes the store classifies.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgLockNotAvailable     = "55P03"
)

// migrationLockKey is the advisory lock that serialises migrators: "coffre"
// in ASCII. Every instance starting at once takes it in each migration
// transaction, so each version is applied exactly once.
const migrationLockKey int64 = 0x636f66667265

// PostgresDialect is the dialect of PostgreSQL through pgx.
var PostgresDialect = &Dialect{
	Name:         "postgres",
	Dollar:       true,
	IsUnique:     func(err error) bool { return pgCode(err, pgUniqueViolation) },
	IsForeignKey: func(err error) bool { return pgCode(err, pgForeignKeyViolation) },
	Retryable: func(err error) bool {
		return pgCode(err, pgSerializationFailure, pgDeadlockDetected, pgLockNotAvailable)
	},
	LockMigrations: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey)
		return err
	},
	TxOptions: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	// FOR UPDATE also holds off inserts of rows referencing the locked one
	// (their foreign-key checks take KEY SHARE): an owner being deleted
	// gets no new document meanwhile, as with SQLite's exclusive writer.
	RowLock: "FOR UPDATE",
}

func pgCode(err error, codes ...string) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// Pool defaults, used when the URL does not set pool_max_conns,
// pool_max_conn_lifetime or pool_max_conn_idle_time (pgxpool's names).
const (
	pgDefaultMaxConns    = 10
	pgDefaultConnTimeout = 10 * time.Second
)

// OpenPostgres connects to the database at url (postgres://user:pass@host/db?…
// or a keyword/value string, as pgx accepts) and applies pending migrations;
// instances starting together migrate once. The pool takes pgxpool's URL
// settings: pool_max_conns (default 10), pool_max_conn_lifetime (1 h),
// pool_max_conn_idle_time (30 min). The connection timeout defaults to 10 s
// (connect_timeout overrides it) and application_name to "coffre".
func OpenPostgres(ctx context.Context, url string, opts ...Option) (*Postgres, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included: say less.
		return nil, errors.New("meta: open postgres: unparsable database URL")
	}
	cc := pc.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = pgDefaultConnTimeout
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "coffre"
	}
	maxConns := int(pc.MaxConns)
	if !strings.Contains(url, "pool_max_conns") {
		maxConns = pgDefaultMaxConns
	}
	pool := stdlib.OpenDB(*cc)
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	pool.SetConnMaxLifetime(pc.MaxConnLifetime)
	pool.SetConnMaxIdleTime(pc.MaxConnIdleTime)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("meta: open postgres %s: %w", describePG(cc.Host, cc.Port, cc.Database), err)
	}
	db, err := New(ctx, pool, pool, PostgresDialect, opts...)
	if err != nil {
		_ = pool.Close()
		return nil, err
	}
	return &Postgres{DB: db}, nil
}

// describePG names a server without its credentials.
func describePG(host string, port uint16, database string) string {
	return fmt.Sprintf("%s:%d/%s", host, port, database)
}
