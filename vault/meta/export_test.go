package meta

import (
	"context"
	"fmt"
)

// SQLitePragma reads a pragma on the writer connection (tests only).
func SQLitePragma(ctx context.Context, s *SQLite, name string) (string, error) {
	var v string
	err := s.writer.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return fmt.Sprint(v), err
}

// MigrationCounts returns how many times each version is recorded (tests).
func MigrationCounts(ctx context.Context, db *DB) (map[int]int, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT version, COUNT(*) FROM schema_migrations GROUP BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		out[v] = n
	}
	return out, rows.Err()
}

// Analyze refreshes the planner statistics, as PostgreSQL's autovacuum does
// in production (tests and benchmarks).
func Analyze(ctx context.Context, db *DB) error {
	_, err := db.writer.ExecContext(ctx, `ANALYZE`)
	return err
}
