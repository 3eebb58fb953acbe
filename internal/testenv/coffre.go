package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// coffreStartTimeout bounds how long `coffre serve` may take to print its
// URL (migrations on a fresh database included) on a small shared machine.
const coffreStartTimeout = 60 * time.Second

var (
	coffreOnce sync.Once
	coffrePath string
	coffreErr  error
	coffreDir  string
)

// CoffreBinary builds cmd/coffre from this tree once per test binary and
// returns its path. Call RemoveCoffreBinary from TestMain after m.Run.
func CoffreBinary(t testing.TB) string {
	t.Helper()
	coffreOnce.Do(func() {
		coffreDir, coffreErr = os.MkdirTemp("", "coffre-bin-")
		if coffreErr != nil {
			return
		}
		coffrePath = filepath.Join(coffreDir, "coffre")
		cmd := exec.Command("go", "build", "-o", coffrePath, "github.com/coffre/coffre/cmd/coffre")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			coffreErr = fmt.Errorf("go build cmd/coffre: %w\n%s", err, out)
		}
	})
	if coffreErr != nil {
		t.Fatal(coffreErr)
	}
	return coffrePath
}

// RemoveCoffreBinary removes the binary CoffreBinary built, if any.
func RemoveCoffreBinary() {
	if coffreDir != "" {
		_ = os.RemoveAll(coffreDir)
	}
}

// CoffreEnv is the caller's environment without the variables that would
// change how a `coffre serve` under test behaves: every COFFRE_* (serve
// refuses unknown ones) and GOMEMLIMIT (a test sets it explicitly). Later
// entries of an exec.Cmd's Env win, so callers append their own settings.
func CoffreEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COFFRE_") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}

// SharedCoffreEnv prepares what several `coffre serve` instances share: a
// fresh database on pg, a fresh bucket on mio, the S3 secret in a file and
// one pepper file (made with `coffre init-pepper`). It returns the COFFRE_*
// settings; each instance still needs a data directory of its own.
func SharedCoffreEnv(t testing.TB, bin string, pg *PostgresServer, mio *MinIOServer) []string {
	t.Helper()
	dbURL := pg.NewDatabase(t)
	bucket := mio.NewBucket(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "s3-secret")
	if err := os.WriteFile(secretFile, []byte(mio.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pepper := filepath.Join(dir, "pepper.key")
	if out, err := exec.Command(bin, "init-pepper", "--pepper-file", pepper).CombinedOutput(); err != nil {
		t.Fatalf("init-pepper: %v\n%s", err, out)
	}
	return []string{
		"COFFRE_DATABASE_URL=" + dbURL,
		"COFFRE_S3_ENDPOINT=" + mio.Endpoint,
		"COFFRE_S3_BUCKET=" + bucket,
		"COFFRE_S3_ACCESS_KEY=" + mio.AccessKey,
		"COFFRE_S3_SECRET_KEY_FILE=" + secretFile,
		"COFFRE_PEPPER_FILE=" + pepper,
		"COFFRE_SCRYPT_LOG_N=15",
		"COFFRE_TRUSTED_PROXIES=127.0.0.1",
	}
}

// SyncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// CoffreProcess is one running `coffre serve` started by StartCoffre.
type CoffreProcess struct {
	Name string
	URL  string
	// MetricsURL is the metrics listener's URL when COFFRE_METRICS_ADDR
	// asked for one.
	MetricsURL string
	Cmd        *exec.Cmd
	Stderr     *SyncBuffer
	// Done is closed when the process has exited; ExitErr is then its
	// exit status.
	Done    chan struct{}
	ExitErr error
}

// StartCoffre runs `bin serve --addr 127.0.0.1:0 args...` with CoffreEnv
// plus env, waits until it prints its URL (and its metrics URL when env
// sets COFFRE_METRICS_ADDR), and kills it when the test ends; its stderr is
// logged if the test failed.
func StartCoffre(t testing.TB, bin, name string, args, env []string) *CoffreProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(CoffreEnv(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &CoffreProcess{Name: name, Cmd: cmd, Stderr: &SyncBuffer{}, Done: make(chan struct{})}
	cmd.Stderr = p.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.ExitErr = cmd.Wait(); close(p.Done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.Stderr.String())
		}
	})
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	metrics := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "COFFRE_METRICS_ADDR="); ok {
			metrics = v != ""
		}
	}
	deadline := time.After(coffreStartTimeout)
	for p.URL == "" || (metrics && p.MetricsURL == "") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s exited before listening: %s", name, p.Stderr.String())
			}
			if u, ok := strings.CutPrefix(l, "Coffre is listening on "); ok {
				p.URL = strings.TrimSpace(u)
			}
			if u, ok := strings.CutPrefix(l, "Metrics are served on "); ok {
				p.MetricsURL = strings.TrimSpace(u)
			}
		case <-deadline:
			t.Fatalf("%s did not print its URL: %s", name, p.Stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *CoffreProcess) Kill() {
	select {
	case <-p.Done:
	default:
		_ = p.Cmd.Process.Kill()
		<-p.Done
	}
}

// PeakRSS is the process's peak resident set size (VmHWM) in bytes, read
// from /proc while it runs (Linux only).
func (p *CoffreProcess) PeakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading VmHWM: %w", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.Cmd.Process.Pid)
}
