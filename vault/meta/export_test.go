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
