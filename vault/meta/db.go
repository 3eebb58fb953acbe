package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ops carries the queries shared by DB and Tx. Reads go to r, writes to w;
// inside a transaction both are the transaction.
type ops struct {
	r, w querier
	d    *Dialect
	now  func() time.Time
	// rk computes and checks row macs (integrity.go); nil: none.
	rk *rowKey
	// atomic runs fn in one transaction: a new one for DB, the current one for Tx.
	atomic func(ctx context.Context, fn func(*Tx) error) error
}

// Tx is a transaction: every store method is available and runs inside it.
// Nested atomic operations join the transaction.
type Tx struct{ ops }

// DB is the SQL metadata store on database/sql. Use OpenSQLite or
// OpenPostgres to get one.
type DB struct {
	ops
	writer, reader *sql.DB
	dialect        *Dialect
	retries        int
	// optErr is an invalid option; sealErr what sealing rows at open
	// reported without failing the open (SealStatus).
	optErr, sealErr error
	// sealedAtOpen counts the rows sealed at open (SealedAtOpen).
	sealedAtOpen int
}

// Option configures a DB.
type Option func(*DB)

// WithClock sets the clock used for state timestamps (tests).
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// New wraps open database handles: writer takes every write transaction
// (SQLite: one connection), reader the plain reads (may be the same handle).
// It applies pending migrations before returning. Close closes both handles.
func New(ctx context.Context, writer, reader *sql.DB, d *Dialect, opts ...Option) (*DB, error) {
	db := &DB{writer: writer, reader: reader, dialect: d, retries: 5}
	db.ops = ops{r: reader, w: writer, d: d, now: time.Now, atomic: db.Tx}
	for _, o := range opts {
		o(db)
	}
	if db.optErr != nil {
		return nil, db.optErr
	}
	ms, err := Migrations(d.Name)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, writer, d, ms, db.now); err != nil {
		return nil, err
	}
	if err := db.sealRows(ctx); errors.Is(err, ErrSealRecord) {
		db.sealErr = err
	} else if err != nil {
		return nil, err
	}
	return db, nil
}

// SealStatus reports what sealing the rows at open found wrong without
// failing the open: ErrSealRecord when its record was removed or altered
// (rows without a mac then stay refused). nil otherwise.
func (db *DB) SealStatus() error { return db.sealErr }

// SealedAtOpen is how many rows written before migration 12 this open gave
// their mac (0 once they all have one).
func (db *DB) SealedAtOpen() int { return db.sealedAtOpen }

// Tx runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise. When the engine reports a transient conflict (lock
// contention from another process, serialisation failure) the whole fn is
// retried a few times, so fn must have no effect outside the transaction.
// fn must use tx only: calling the DB's own write methods from fn waits for
// the connection fn holds (SQLite has one writer connection) and deadlocks.
// Isolation differs by engine but outcomes do not (see locking.go): SQLite
// runs write transactions one at a time; PostgreSQL runs them concurrently
// at READ COMMITTED, where every conditional write re-checks its condition
// in its WHERE clause under the row lock, and read-check-write sequences
// lock the row first (lockRow).
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = db.tx1(ctx, fn)
		if err == nil || db.dialect.Retryable == nil || !db.dialect.Retryable(err) || attempt >= db.retries {
			return err
		}
		t := time.NewTimer(time.Duration(attempt+1) * 20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("meta: transaction: %w (after %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (db *DB) tx1(ctx context.Context, fn func(*Tx) error) (err error) {
	stx, err := db.writer.BeginTx(ctx, db.dialect.TxOptions)
	if err != nil {
		return fmt.Errorf("meta: begin: %w", err)
	}
	tx := &Tx{}
	tx.ops = ops{r: stx, w: stx, d: db.dialect, now: db.now, rk: db.rk}
	tx.atomic = func(_ context.Context, fn func(*Tx) error) error { return fn(tx) }
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("meta: commit: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("meta: ping: %w", err)
	}
	return nil
}

// Close closes the database handles.
func (db *DB) Close() error {
	err := db.writer.Close()
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return err
}

// SchemaVersion returns the highest applied migration version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := db.reader.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("meta: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// exec runs a write statement and maps engine errors to sentinels.
func (o *ops) exec(ctx context.Context, what, q string, args ...any) (sql.Result, error) {
	res, err := o.w.ExecContext(ctx, o.d.Rebind(q), args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	return res, nil
}

// execOne is exec that wants exactly one affected row, else ErrNotFound.
func (o *ops) execOne(ctx context.Context, what, q string, args ...any) error {
	res, err := o.exec(ctx, what, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("meta: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("meta: %s: %w", what, ErrNotFound)
	}
	return nil
}

func (o *ops) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return o.r.QueryRowContext(ctx, o.d.Rebind(q), args...)
}

func (o *ops) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return o.r.QueryContext(ctx, o.d.Rebind(q), args...)
}

// wrap maps an engine error to the package's sentinels, with context.
func (o *ops) wrap(what string, err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("meta: %s: %w", what, ErrNotFound)
	case o.d.IsUnique != nil && o.d.IsUnique(err):
		return fmt.Errorf("meta: %s: %w (%v)", what, ErrConflict, err)
	case o.d.IsForeignKey != nil && o.d.IsForeignKey(err):
		return fmt.Errorf("meta: %s: referenced row missing: %w (%v)", what, ErrNotFound, err)
	}
	return fmt.Errorf("meta: %s: %w", what, err)
}

// toDB converts a time to the stored form: microseconds since the epoch.
func toDB(t time.Time) int64 { return t.UnixMicro() }

func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

// optTime stores the zero time as NULL.
func optTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toDB(t), Valid: true}
}

func fromOptTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromDB(v.Int64)
}
