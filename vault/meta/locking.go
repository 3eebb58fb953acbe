package meta

import (
	"context"
	"fmt"
)

// Concurrency model, identical in outcome on both engines.
//
// SQLite runs write transactions one at a time (BEGIN IMMEDIATE on the single
// writer connection; other processes wait on busy_timeout), so a transaction
// may read, decide and write without interference.
//
// PostgreSQL runs them concurrently at READ COMMITTED, which keeps hot rows
// (a login throttle counter, a drop link redeemed by many helpers at once)
// queueing on row locks instead of failing with serialisation errors. The
// store's queries are written so that this gives SQLite's outcomes:
//   - a conditional write carries its condition in its WHERE clause
//     (UPDATE … SET uses = uses + 1 WHERE … uses < max_uses), which PostgreSQL
//     re-evaluates on the latest row version once it holds the row lock;
//   - uniqueness is enforced by keys: of two racing inserts one fails with a
//     unique violation (ErrConflict), after waiting for the other to commit;
//   - a read whose result decides an error kind or a later write first locks
//     the row it reads (lockRow), so that no concurrent writer of that row
//     can slip in between;
//   - deadlocks and serialisation failures (an operator-configured stricter
//     isolation) are retried by DB.Tx.

// lockRow takes the write lock of the row of table whose keyCol is key, until
// the end of the transaction. A missing row is not an error (the read that
// follows reports it). On SQLite it does nothing: the transaction already
// excludes every other writer. table and keyCol are constants of this
// package, never input.
func (tx *Tx) lockRow(ctx context.Context, table, keyCol string, key any) error {
	if tx.d.RowLock == "" {
		return nil
	}
	rows, err := tx.w.QueryContext(ctx,
		tx.d.Rebind(`SELECT 1 FROM `+table+` WHERE `+keyCol+` = ? `+tx.d.RowLock), key)
	if err != nil {
		return tx.wrap("lock "+table, err)
	}
	for rows.Next() {
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("meta: lock %s: %w", table, err)
	}
	return nil
}
