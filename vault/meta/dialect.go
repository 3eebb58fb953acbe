package meta

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Dialect is what differs between SQL engines. Queries in this package are
// written in portable SQL with '?' placeholders; Rebind turns them into the
// engine's form.
type Dialect struct {
	// Name selects the migrations directory (migrations/<Name>).
	Name string
	// Dollar placeholders ($1, $2, …) instead of '?'.
	Dollar bool
	// IsUnique reports a unique or primary-key violation.
	IsUnique func(error) bool
	// IsForeignKey reports a foreign-key violation.
	IsForeignKey func(error) bool
	// Retryable reports a transient failure after which a whole transaction
	// may be retried (lock contention, serialisation failure).
	Retryable func(error) bool
	// LockMigrations, if set, runs first in every migration transaction and
	// serialises concurrent migrators (PostgreSQL: an advisory transaction
	// lock). SQLite needs none: write transactions begin IMMEDIATE.
	LockMigrations func(ctx context.Context, tx *sql.Tx) error
	// TxOptions are the options of every write transaction (nil: the
	// driver's default). PostgreSQL pins READ COMMITTED; see DB.Tx.
	TxOptions *sql.TxOptions
	// RowLock, if set, is the locking clause (PostgreSQL: "FOR UPDATE")
	// with which Tx.lockRow takes a row's write lock before a
	// read-check-write sequence. SQLite needs none: its write transactions
	// are exclusive.
	RowLock string
}

// Rebind rewrites '?' placeholders for the dialect. Queries in this package
// never hold '?' inside string literals.
func (d *Dialect) Rebind(q string) string {
	if !d.Dollar || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
