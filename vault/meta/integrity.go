package meta

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"time"
)

// Row integrity (migration 12). Someone who can write the database but
// does not hold the pepper must not be able to grant anything by editing
// rows: extend or confirm a session, re-enable a worker, put a worker in
// an organisation, push a consent's expiry later or add a paper or a type
// to it, raise a drop link's uses, point a request at another worker,
// plant a passkey or a key rotation, move a storage setting, or swap two
// rows. Each row that decides access carries mac, an HMAC-SHA256 under
// the row key (derived from the pepper by the vault, never stored) of a
// domain string, the table, and the row's key and decisive fields, each
// length-prefixed (the macInput methods list them per table). Columns
// that decide nothing (display names, sealed titles, counters of
// notifications) are left out, so that changing them needs no new mac.
//
// Reads check the mac before anything is granted: a row whose mac does not
// verify is treated as absent (ErrTampered, which also matches
// ErrNotFound; lists skip it), is counted (Tampered), and is never
// rewritten: every write that changes a row's decisive fields first reads
// it through the same check, in the same transaction, and refuses to
// build on a row that fails it. A field that only ever moves one way
// (disabled_at, revoked_at, a drop link's uses, a passkey's counter) is
// in the mac, so clearing it breaks the mac.
//
// What the mac cannot tell: a row deleted (a denial, never a grant: a
// deleted consent, session or link grants nothing), and a whole row put
// back from an earlier genuine state (a backup) with its genuine mac.
//
// A store opened without a row key (WithRowKey) writes no mac and checks
// none: only tests of this package do that; the vault refuses such a
// store.

// ErrTampered: a row's mac does not verify (it was changed, added or
// copied without the pepper). It also matches ErrNotFound: the row is
// treated as absent.
var ErrTampered = fmt.Errorf("meta: row fails its integrity check: %w", ErrNotFound)

// RowKeySize is the length of the row key.
const RowKeySize = 32

const macDomain = "coffre/meta/row-mac/v1"

// rowKey computes and checks row macs and counts failures per table.
type rowKey struct {
	key      []byte
	mu       sync.Mutex
	failures map[string]*atomic.Int64
}

// WithRowKey makes the store write and check row macs under key (32
// bytes, derived from the pepper: vault.RowKey). At open, rows written
// before migration 12 get their mac once (sealRows).
func WithRowKey(key []byte) Option {
	return func(db *DB) {
		if len(key) != RowKeySize {
			db.optErr = fmt.Errorf("meta: row key of %d bytes, want %d", len(key), RowKeySize)
			return
		}
		db.ops.rk = &rowKey{key: append([]byte(nil), key...), failures: map[string]*atomic.Int64{}}
	}
}

// RowKeyed reports whether the store checks row macs under key (compared
// in constant time).
func (db *DB) RowKeyed(key []byte) bool {
	return db.ops.rk != nil && hmac.Equal(db.ops.rk.key, key)
}

// Tampered returns, per table, how many rows failed their integrity check
// since the store was opened (each failing read counts once).
func (db *DB) Tampered() map[string]int64 {
	out := map[string]int64{}
	if db.ops.rk == nil {
		return out
	}
	db.ops.rk.mu.Lock()
	defer db.ops.rk.mu.Unlock()
	for t, n := range db.ops.rk.failures {
		out[t] = n.Load()
	}
	return out
}

func (k *rowKey) fail(table string) {
	k.mu.Lock()
	n := k.failures[table]
	if n == nil {
		n = new(atomic.Int64)
		k.failures[table] = n
	}
	k.mu.Unlock()
	n.Add(1)
}

// macw writes the fields of a mac input, each tagged and length-prefixed,
// so that no two different rows give the same input.
type macw struct{ h hash.Hash }

func (m macw) tag(t byte, n uint64) {
	var b [9]byte
	b[0] = t
	binary.BigEndian.PutUint64(b[1:], n)
	m.h.Write(b[:])
}

// str writes a text field (NULL and "" alike).
func (m macw) str(s string) { m.tag('s', uint64(len(s))); m.h.Write([]byte(s)) }

// bytes writes a binary field (NULL and empty alike).
func (m macw) bytes(b []byte) { m.tag('b', uint64(len(b))); m.h.Write(b) }

// int writes an integer.
func (m macw) int(v int64) { m.tag('i', uint64(v)) } // #nosec G115 -- a bit pattern, not a size

// time writes a time as stored (microseconds; the zero time as 0).
func (m macw) time(t time.Time) {
	if t.IsZero() {
		m.int(0)
		return
	}
	m.int(toDB(t))
}

// macInput writes a row's decisive fields (its key first).
type macInput func(m macw)

func (k *rowKey) sum(table string, in macInput) []byte {
	h := hmac.New(sha256.New, k.key)
	m := macw{h}
	m.str(macDomain)
	m.str(table)
	in(m)
	return h.Sum(nil)
}

// intact reports whether mac is the row's mac; a failure is counted. A
// store without a row key checks nothing.
func (o *ops) intact(table string, in macInput, mac []byte) bool {
	if o.rk == nil {
		return true
	}
	if len(mac) == sha256.Size && hmac.Equal(o.rk.sum(table, in), mac) {
		return true
	}
	o.rk.fail(table)
	return false
}

// check is intact as an error: ErrTampered, with context.
func (o *ops) check(table, what string, in macInput, mac []byte) error {
	if o.intact(table, in, mac) {
		return nil
	}
	return fmt.Errorf("meta: %s: %w", what, ErrTampered)
}

// sealSpec describes how to (re)compute the macs of a table's rows.
type sealSpec struct {
	table string
	// key is the WHERE clause naming one row by its key ("id = ?").
	key string
	// cols are the columns load reads, in order.
	cols string
	// load scans one row: its key values (for key) and its mac input.
	load func(s scanner) ([]any, macInput, error)
}

// reseal recomputes and stores the mac of one row, as it now is in the
// transaction. Callers first read the row through its check (never
// reseal a row that failed it) and then change it.
func (tx *Tx) reseal(ctx context.Context, sp *sealSpec, key ...any) error {
	if tx.rk == nil {
		return nil
	}
	keys, in, err := sp.load(tx.queryRow(ctx, `SELECT `+sp.cols+` FROM `+sp.table+` WHERE `+sp.key, key...))
	if err != nil {
		return tx.wrap("seal "+sp.table, err)
	}
	args := append([]any{tx.rk.sum(sp.table, in)}, keys...)
	return tx.execOne(ctx, "seal "+sp.table, `UPDATE `+sp.table+` SET mac = ? WHERE `+sp.key, args...)
}

// sealSpecs are every table whose rows carry a mac (migration 12).
func sealSpecs() []*sealSpec {
	return []*sealSpec{
		ownerSeal, workerSeal, orgSeal, sessionSeal, documentSeal,
		consentSeal, consentDocSeal, consentTypeSeal, consentCatSeal,
		dropLinkSeal, requestSeal, waitingSeal, passkeySeal, targetSeal, rotationSeal,
		redoSeal, // migration 18: every row is sealed as it is written
	}
}

// sealBatch is how many rows one transaction of sealRows handles.
const sealBatch = 200

// ErrSealRecord: the record of the first sealing (row_macs) is missing or
// altered while rows already carry macs. The store then seals nothing
// (rows without a mac stay refused) and opens; the operator is told.
var ErrSealRecord = errors.New("meta: the record of the row sealing is missing or altered")

// sealRows gives every row written before migration 12 its mac, once: it
// records the start (row_macs, under its own mac), seals the rows without
// a mac in batches (a rerun after a crash resumes), then records the end.
// Once the end is recorded a row without a mac is a failure like a forged
// one. When the record is missing or fails its mac while some row already
// carries a valid mac, someone removed or altered it (to have forged rows
// sealed): nothing is sealed, the failure is counted (table row_macs)
// and ErrSealRecord returned for the caller to report.
func (db *DB) sealRows(ctx context.Context) error {
	if db.rk == nil {
		return nil
	}
	started, done, err := db.sealRecord(ctx)
	if errors.Is(err, ErrTampered) {
		db.rk.fail("row_macs")
		return fmt.Errorf("%w (%v)", ErrSealRecord, err)
	}
	if err != nil {
		return err
	}
	if done {
		return nil
	}
	if !started {
		sealed, err := db.anySealed(ctx)
		if err != nil {
			return err
		}
		if sealed {
			db.rk.fail("row_macs")
			return ErrSealRecord
		}
		now := toDB(db.now())
		if _, err := db.exec(ctx, "seal rows: start",
			`INSERT INTO row_macs (id, started_at, sealed_at, mac) VALUES (1, ?, NULL, ?) ON CONFLICT (id) DO NOTHING`,
			now, db.rk.sum("row_macs", sealRecordInput(now, 0))); err != nil {
			return err
		}
		if _, _, err := db.sealRecord(ctx); err != nil { // another instance may have started first
			return err
		}
	}
	for _, sp := range sealSpecs() {
		if err := db.sealTable(ctx, sp); err != nil {
			return err
		}
	}
	return db.Tx(ctx, func(tx *Tx) error {
		var start int64
		if err := tx.queryRow(ctx, `SELECT started_at FROM row_macs WHERE id = 1`).Scan(&start); err != nil {
			return tx.wrap("seal rows: end", err)
		}
		end := toDB(tx.now())
		_, err := tx.exec(ctx, "seal rows: end", `UPDATE row_macs SET sealed_at = ?, mac = ? WHERE id = 1 AND sealed_at IS NULL`,
			end, tx.rk.sum("row_macs", sealRecordInput(start, end)))
		return err
	})
}

func sealRecordInput(started, sealed int64) macInput {
	return func(m macw) { m.int(started); m.int(sealed) }
}

// sealRecord reads row_macs: whether the sealing started and whether it
// ended. ErrTampered when the row fails its mac.
func (db *DB) sealRecord(ctx context.Context) (started, done bool, err error) {
	var start int64
	var end sql.NullInt64
	var mac []byte
	err = db.queryRow(ctx, `SELECT started_at, sealed_at, mac FROM row_macs WHERE id = 1`).Scan(&start, &end, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, db.wrap("seal record", err)
	}
	if !hmac.Equal(db.rk.sum("row_macs", sealRecordInput(start, end.Int64)), mac) {
		return false, false, fmt.Errorf("meta: seal record: %w", ErrTampered)
	}
	return true, end.Valid, nil
}

// anySealed reports whether some row already carries a valid mac.
func (db *DB) anySealed(ctx context.Context) (bool, error) {
	for _, sp := range sealSpecs() {
		rows, err := db.query(ctx, `SELECT `+sp.cols+`, mac FROM `+sp.table+` WHERE mac IS NOT NULL LIMIT 20`)
		if err != nil {
			return false, db.wrap("seal rows", err)
		}
		found := false
		for rows.Next() && !found {
			var mac []byte
			_, in, err := sp.load(macScanner{rows, &mac})
			if err != nil {
				rows.Close()
				return false, db.wrap("seal rows", err)
			}
			found = hmac.Equal(db.rk.sum(sp.table, in), mac)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return false, db.wrap("seal rows", err)
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// macScanner scans a row of a spec's columns followed by its mac.
type macScanner struct {
	s   scanner
	mac *[]byte
}

func (m macScanner) Scan(dest ...any) error { return m.s.Scan(append(dest, m.mac)...) }

// sealBatchHook, set by tests only, runs after each committed batch of
// sealTable; an error stops the sealing there (a simulated crash).
var sealBatchHook func(table string) error

// sealTable seals a table's rows without a mac, sealBatch per transaction.
func (db *DB) sealTable(ctx context.Context, sp *sealSpec) error {
	for {
		n := 0
		err := db.Tx(ctx, func(tx *Tx) error {
			n = 0
			rows, err := tx.query(ctx, `SELECT `+sp.cols+` FROM `+sp.table+` WHERE mac IS NULL LIMIT `+fmt.Sprint(sealBatch))
			if err != nil {
				return tx.wrap("seal "+sp.table, err)
			}
			type pending struct {
				keys []any
				mac  []byte
			}
			var todo []pending
			for rows.Next() {
				keys, in, err := sp.load(rows)
				if err != nil {
					rows.Close()
					return tx.wrap("seal "+sp.table, err)
				}
				todo = append(todo, pending{keys, tx.rk.sum(sp.table, in)})
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return tx.wrap("seal "+sp.table, err)
			}
			for _, p := range todo {
				if _, err := tx.exec(ctx, "seal "+sp.table,
					`UPDATE `+sp.table+` SET mac = ? WHERE `+sp.key+` AND mac IS NULL`, append([]any{p.mac}, p.keys...)...); err != nil {
					return err
				}
			}
			n = len(todo)
			return nil
		})
		if err != nil {
			return err
		}
		db.sealedAtOpen += n
		if sealBatchHook != nil {
			if err := sealBatchHook(sp.table); err != nil {
				return err
			}
		}
		if n < sealBatch {
			return nil
		}
	}
}
