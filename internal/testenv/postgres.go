package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresStartTimeout bounds initdb plus start-up on a small shared machine.
const postgresStartTimeout = 90 * time.Second

// PostgresServer is a real PostgreSQL server for the tests (see Postgres):
// a fresh cluster in a temporary directory, listening on 127.0.0.1 only
// (and on a unix socket in that directory), trust authentication for the
// superuser "postgres", durability off (fsync, synchronous_commit,
// full_page_writes) since nothing must survive the run.
type PostgresServer struct {
	// Host and Port of the TCP listener; Host is always 127.0.0.1.
	Host string
	Port int
	// User is the superuser, authenticated by trust.
	User string
	// Dir holds everything: the cluster (DataDir), the socket and the log.
	Dir     string
	DataDir string
	// Version is the server's major version directory name ("15").
	Version string

	bin     string // directory holding initdb and postgres
	logPath string
	runAs   *runAsUser // nil: the current user

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// runAsUser is the unprivileged account PostgreSQL runs as when the tests
// run as root (PostgreSQL refuses to run as root).
type runAsUser struct {
	name     string
	uid, gid uint32
}

// shared is the server of a test binary whose TestMain calls PostgresMain.
var shared struct {
	mu   sync.Mutex
	main bool // PostgresMain is running the tests
	once sync.Once
	srv  *PostgresServer
	// missing is set when PostgreSQL is not installed; err when it failed.
	missing string
	err     error
}

// PostgresMain runs the tests of a package that uses Postgres and then stops
// the server they shared. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.PostgresMain(m)) }
//
// With it, one server serves the whole test binary (started by the first
// test that asks, once); without it, each test calling Postgres gets its own
// server, stopped when that test ends.
func PostgresMain(m *testing.M) int {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	srv := shared.srv
	shared.mu.Unlock()
	if srv != nil {
		if err := srv.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: postgres: stop: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Postgres returns a running PostgreSQL server: the test binary's shared one
// when TestMain calls PostgresMain, else one for this test alone (stopped in
// t.Cleanup). The binaries are looked for in /usr/lib/postgresql/<version>/bin
// (Debian's postgresql package, newest version first) and beside an initdb
// found in the tools folder or on PATH; without them the test is reported
// Missing (a failure when CI=true). Use NewDatabase for a database of one's own.
func Postgres(t testing.TB) *PostgresServer {
	t.Helper()
	shared.mu.Lock()
	isShared := shared.main
	shared.mu.Unlock()
	if !isShared {
		s, missing, err := startPostgres()
		if missing != "" {
			Missing(t, "%s", missing)
		}
		if err != nil {
			t.Fatalf("testenv: postgres: %v", err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("testenv: postgres log (%s):\n%s", s.logPath, s.Log())
			}
			if err := s.stop(); err != nil {
				t.Errorf("testenv: postgres: stop: %v", err)
			}
		})
		return s
	}
	shared.once.Do(func() {
		s, missing, err := startPostgres()
		shared.mu.Lock()
		shared.srv, shared.missing, shared.err = s, missing, err
		shared.mu.Unlock()
	})
	if shared.missing != "" {
		Missing(t, "%s", shared.missing)
	}
	if shared.err != nil {
		t.Fatalf("testenv: postgres: %v", shared.err)
	}
	return shared.srv
}

// URL returns the connection URL of a database of the server.
func (s *PostgresServer) URL(database string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", s.User, s.Host, s.Port, database)
}

// NewDatabase creates an empty database for the test, dropped (with any
// connection left to it) when the test ends, and returns its URL.
func (s *PostgresServer) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "t_" + randHex(t, 8)
	if err := s.admin(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: postgres: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := s.admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: postgres: drop database %s: %v", name, err)
		}
	})
	return s.URL(name)
}

// admin runs one statement on the maintenance database.
func (s *PostgresServer) admin(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

// Log returns the end of the server's log (for failure messages).
func (s *PostgresServer) Log() string { return tail(s.logPath, 32<<10) }

// findPostgres returns the directory holding initdb and postgres, and the
// major version, or "" when PostgreSQL is not installed.
func findPostgres() (bin, version string) {
	var dirs []string
	if d := os.Getenv("COFFRE_POSTGRES_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return pgVersionOf(versions[i]) > pgVersionOf(versions[j]) })
	dirs = append(dirs, versions...)
	if p := LookTool("initdb"); p != "" {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(r))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			v := filepath.Base(filepath.Dir(d))
			if pgVersionOf(d) == 0 {
				v = "?"
			}
			return d, v
		}
	}
	return "", ""
}

// pgVersionOf reads the version of /usr/lib/postgresql/<version>/bin.
func pgVersionOf(dir string) int {
	v, err := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	if err != nil {
		return 0
	}
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p) // #nosec G703 -- test harness probing fixed install locations
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// startPostgres creates a cluster and starts it. missing explains an absent
// installation; err any other failure (the log is included).
func startPostgres() (s *PostgresServer, missing string, err error) {
	bin, version := findPostgres()
	if bin == "" {
		return nil, "PostgreSQL (initdb, postgres) not in /usr/lib/postgresql/*/bin nor beside an initdb on PATH " +
			"(install the Debian package postgresql: the README's test command does it as root)", nil
	}
	runAs, err := pgRunAs()
	if err != nil {
		return nil, "", err
	}
	// Not t.TempDir: the server's account must reach the directory, and
	// the test binary's temporary directories are private to root.
	dir, err := os.MkdirTemp("", "coffre-pg-")
	if err != nil {
		return nil, "", err
	}
	s = &PostgresServer{
		Host: "127.0.0.1", User: "postgres", Dir: dir, DataDir: filepath.Join(dir, "data"),
		Version: version, bin: bin, logPath: filepath.Join(dir, "postgres.log"), runAs: runAs,
	}
	fail := func(err error) (*PostgresServer, string, error) {
		msg := fmt.Errorf("%w\nlog (%s):\n%s", err, s.logPath, s.Log())
		_ = os.RemoveAll(dir)
		return nil, "", msg
	}
	if runAs != nil {
		if err := os.Chown(dir, int(runAs.uid), int(runAs.gid)); err != nil {
			return fail(fmt.Errorf("chown %s to %s: %w", dir, runAs.name, err))
		}
	}
	if err := s.initdb(); err != nil {
		return fail(err)
	}
	// A free port can be taken between the probe and the bind: retry.
	for attempt := 0; attempt < 4; attempt++ {
		if s.Port, err = freeLoopbackPort(); err != nil {
			return fail(err)
		}
		if err = s.start(); err == nil {
			return s, "", nil
		}
	}
	return fail(err)
}

// pgRunAs picks the account to run PostgreSQL as: nil when not root, else
// the postgres account (created by the Debian package) or nobody.
func pgRunAs() (*runAsUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &runAsUser{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL as")
}

// command prepares one of the server's programs: clean environment, the
// unprivileged account, its own process group, output to the log.
func (s *PostgresServer) command(logf *os.File, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC", "HOME=" + s.Dir}
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if s.runAs != nil {
		setCredential(cmd, s.runAs.uid, s.runAs.gid)
	}
	return cmd
}

func (s *PostgresServer) openLog() (*os.File, error) {
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if s.runAs != nil {
		_ = f.Chown(int(s.runAs.uid), int(s.runAs.gid))
	}
	return f, nil
}

func (s *PostgresServer) initdb() error {
	logf, err := s.openLog()
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := s.command(logf, "initdb", "--pgdata", s.DataDir, "--username", s.User, "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb (%s): %w", s.bin, err)
	}
	return nil
}

// start runs the postmaster and waits until it accepts connections.
func (s *PostgresServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := s.openLog()
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== testenv: starting postgres on %s:%d at %s\n", s.Host, s.Port, time.Now().Format(time.RFC3339Nano))
	sockets := s.Dir
	if len(sockets) > 90 { // unix socket paths are limited to ~107 bytes
		sockets = ""
	}
	cmd := s.command(logf, "postgres", "-D", s.DataDir,
		"-p", strconv.Itoa(s.Port),
		"-c", "listen_addresses="+s.Host,
		"-c", "unix_socket_directories="+sockets,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "wal_level=minimal",
		"-c", "max_wal_senders=0",
		"-c", "autovacuum=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=32MB",
		"-c", "dynamic_shared_memory_type=mmap",
		"-c", "log_min_messages=warning",
	)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	if err := s.waitReady(done); err != nil {
		_ = s.stopLocked()
		return err
	}
	return nil
}

func (s *PostgresServer) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(postgresStartTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("postgres exited during start-up")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres not ready after %v: %v", postgresStartTimeout, last)
}

// stop shuts the server down (fast shutdown: connections are closed) and
// removes its directory.
func (s *PostgresServer) stop() error {
	s.mu.Lock()
	err := s.stopLocked()
	s.mu.Unlock()
	if rerr := os.RemoveAll(s.Dir); err == nil && rerr != nil {
		err = rerr
	}
	return err
}

func (s *PostgresServer) stopLocked() error {
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	for _, sig := range []pgSignal{pgFastShutdown, pgImmediateShutdown, pgKill} {
		select {
		case <-done:
			return nil
		default:
		}
		signalPostgres(cmd, sig)
		select {
		case <-done:
			return nil
		case <-time.After(15 * time.Second):
		}
	}
	return fmt.Errorf("postgres (pid %d) did not exit", cmd.Process.Pid)
}

// freeLoopbackPort returns a TCP port free on 127.0.0.1 right now.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
