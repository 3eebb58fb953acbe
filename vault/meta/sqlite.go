package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite is the embedded metadata store: one database file in WAL mode, one
// writer connection (write transactions begin IMMEDIATE, so writers from
// another process wait on busy_timeout instead of failing) and a small pool
// of read-only connections.
type SQLite struct {
	*DB
	path string
}

// SQLiteDialect is the dialect of modernc.org/sqlite.
var SQLiteDialect = &Dialect{
	Name: "sqlite",
	IsUnique: func(err error) bool {
		return sqliteCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsForeignKey: func(err error) bool { return sqliteCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) },
	Retryable: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		primary := e.Code() & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	},
}

func sqliteCode(err error, codes ...int) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code() == c {
			return true
		}
	}
	return false
}

// busyTimeoutMS is how long a connection waits for a lock held elsewhere.
const busyTimeoutMS = 10000

// OpenSQLite opens (creating if needed) the database file at path and applies
// pending migrations. The directory must exist.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" {
		return nil, fmt.Errorf("meta: open sqlite: unusable path %q", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("meta: open sqlite: %w", err)
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("meta: open sqlite: directory of %q missing", abs)
	}
	common := url.Values{}
	common.Set("_busy_timeout", fmt.Sprint(busyTimeoutMS))
	common.Set("_foreign_keys", "1")
	common.Set("_synchronous", "FULL")
	wq := url.Values{}
	for k, v := range common {
		wq[k] = v
	}
	wq.Set("_journal_mode", "WAL")
	wq.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", abs+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("meta: open sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// The writer connection switches the file to WAL before any reader opens.
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("meta: open sqlite %s: %w", abs, err)
	}
	rq := url.Values{}
	for k, v := range common {
		rq[k] = v
	}
	rq.Set("_query_only", "1")
	reader, err := sql.Open("sqlite", abs+"?"+rq.Encode())
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("meta: open sqlite: %w", err)
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	db, err := New(ctx, writer, reader, SQLiteDialect, opts...)
	if err != nil {
		_ = writer.Close()
		_ = reader.Close()
		return nil, err
	}
	return &SQLite{DB: db, path: abs}, nil
}

// Path returns the database file's absolute path (the -wal and -shm files
// sit beside it).
func (s *SQLite) Path() string { return s.path }
