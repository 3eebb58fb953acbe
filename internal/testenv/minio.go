package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// minioStartTimeout bounds how long MinIO may take to become ready. The
// machines running the tests are small and shared, so it is generous.
const minioStartTimeout = 90 * time.Second

// MinIOServer is a real MinIO server started for one test (see MinIO). It
// listens on 127.0.0.1 only, keeps its data in a temporary directory and is
// stopped when the test ends.
type MinIOServer struct {
	// Endpoint is host:port of the S3 API, always on 127.0.0.1.
	Endpoint string
	// AccessKey and SecretKey are the random root credentials.
	AccessKey string
	SecretKey string
	// DataDir is the single drive MinIO serves from.
	DataDir string

	bin     string
	console string // host:port the (disabled) console would bind to
	home    string // HOME, config and certs dir for the process
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// MinIO starts a MinIO server for the test and stops it in t.Cleanup. The
// binary is found with LookTool("minio"); without it the test is reported
// Missing. The server's output goes to a log file that is printed only if the
// test fails.
func MinIO(t testing.TB) *MinIOServer {
	t.Helper()
	bin := LookTool("minio")
	if bin == "" {
		Missing(t, "executable %q not in %s nor on PATH (go install github.com/minio/minio@<version> with GOBIN=%s)",
			"minio", ToolsBin(), ToolsBin())
	}
	base := t.TempDir()
	s := &MinIOServer{
		AccessKey: "coffre" + randHex(t, 7),
		SecretKey: randHex(t, 20),
		DataDir:   filepath.Join(base, "data"),
		bin:       bin,
		home:      filepath.Join(base, "home"),
		logPath:   filepath.Join(base, "minio.log"),
	}
	for _, d := range []string{s.DataDir, s.home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatalf("testenv: minio: %v", err)
		}
	}
	// Registered after t.TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("testenv: minio: stop: %v", err)
		}
		if t.Failed() {
			t.Logf("testenv: minio log (%s):\n%s", s.logPath, tail(s.logPath, 32<<10))
		}
	})

	// A free port can be taken by someone else between our probe and MinIO's
	// bind: try a few ports before giving up.
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		s.Endpoint, s.console = freeLoopbackAddr(t), freeLoopbackAddr(t)
		if err = s.Start(); err == nil {
			return s
		}
	}
	t.Fatalf("testenv: minio: %v\nlog:\n%s", err, tail(s.logPath, 32<<10))
	return nil
}

// Start starts the server again after Stop, on the same address, credentials
// and data directory. Starting a running server is a no-op. It returns once
// the server answers S3 requests.
func (s *MinIOServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fmt.Fprintf(logf, "=== testenv: starting minio on %s at %s\n", s.Endpoint, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "server",
		"--address", s.Endpoint,
		"--console-address", s.console,
		"--certs-dir", filepath.Join(s.home, "certs"),
		"--quiet",
		s.DataDir)
	cmd.Env = s.env()
	cmd.Dir = s.home
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	if err := s.waitReady(done); err != nil {
		s.stopLocked()
		return err
	}
	return nil
}

// Stop stops the server (SIGTERM to its process group, SIGKILL after a
// grace period) and waits for it to exit. The data directory is kept, so
// Start brings back the same objects. Stopping a stopped server is a no-op.
func (s *MinIOServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *MinIOServer) stopLocked() error {
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	select {
	case <-done: // already exited
		return nil
	default:
	}
	signalGroup(cmd, false)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
	}
	signalGroup(cmd, true)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("minio (pid %d) did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// Client returns a minio-go client for the server's root account.
func (s *MinIOServer) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := s.newClient()
	if err != nil {
		t.Fatalf("testenv: minio client: %v", err)
	}
	return c
}

// NewBucket creates a bucket with a fresh random name and returns the name.
func (s *MinIOServer) NewBucket(t testing.TB) string {
	t.Helper()
	name := "t-" + randHex(t, 12)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client(t).MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("testenv: minio: make bucket %s: %v", name, err)
	}
	return name
}

func (s *MinIOServer) newClient() (*minio.Client, error) {
	if !isLoopback(s.Endpoint) {
		// Guard: tests never talk to anything but the local server.
		return nil, fmt.Errorf("endpoint %q is not a loopback address", s.Endpoint)
	}
	return minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure: false,
	})
}

// env is the server's whole environment: nothing from the caller's MINIO_*
// variables leaks in, and every phone-home feature is off.
func (s *MinIOServer) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "MINIO_"), k == "HOME", k == "GOMAXPROCS", k == "GOGC":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+s.home,
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
		"MINIO_CI_CD=on", // allow a drive on the root filesystem
		"MINIO_SCANNER_SPEED=slowest",
		"GOMAXPROCS=2",
	)
}

func (s *MinIOServer) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(minioStartTimeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	client, err := s.newClient()
	if err != nil {
		return err
	}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("minio exited during start-up")
		default:
		}
		last = probe(hc, client, s.Endpoint)
		if last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("minio not ready after %v: %v", minioStartTimeout, last)
}

// probe checks the liveness endpoint, then that S3 requests are served.
func probe(hc *http.Client, client *minio.Client, endpoint string) error {
	resp, err := hc.Get("http://" + endpoint + "/minio/health/live")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health/live: %s", resp.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = client.ListBuckets(ctx)
	return err
}

func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: random: %v", err)
	}
	return hex.EncodeToString(b)
}

// tail returns at most the last n bytes of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
