package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgres(t *testing.T) {
	ctx := context.Background()
	s := Postgres(t) // this package has no PostgresMain: a server of its own
	if !isLoopback(fmt.Sprintf("%s:%d", s.Host, s.Port)) {
		t.Fatalf("server on %s:%d, want loopback", s.Host, s.Port)
	}
	url1, url2 := s.NewDatabase(t), s.NewDatabase(t)
	if url1 == url2 {
		t.Fatalf("NewDatabase returned %s twice", url1)
	}
	c1, err := pgx.Connect(ctx, url1)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close(ctx)
	var fsync, listen string
	if err := c1.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('listen_addresses')`).Scan(&fsync, &listen); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" || listen != "127.0.0.1" {
		t.Errorf("fsync = %s, listen_addresses = %s", fsync, listen)
	}
	if _, err := c1.Exec(ctx, `CREATE TABLE only_here (x int)`); err != nil {
		t.Fatal(err)
	}
	c2, err := pgx.Connect(ctx, url2)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, `SELECT * FROM only_here`); err == nil {
		t.Fatal("databases are not separate")
	}
	if os.Geteuid() == 0 {
		st, err := os.Stat(s.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Sys().(*syscall.Stat_t).Uid == 0 {
			t.Fatal("running as root, the cluster belongs to root")
		}
	}
}

// stop shuts the server down and removes every file.
func TestPostgresStop(t *testing.T) {
	s, missing, err := startPostgres()
	if missing != "" {
		Missing(t, "%s", missing)
	}
	if err != nil {
		t.Fatal(err)
	}
	url := s.URL("postgres")
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory left behind: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, url); err == nil {
		c.Close(ctx)
		t.Fatal("server still answers after stop")
	}
	if err := s.stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}
