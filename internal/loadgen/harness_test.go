package loadgen

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// coffreBinary builds cmd/coffre once per test process.
func coffreBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "coffre-loadgen-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "coffre")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/coffre/coffre/cmd/coffre")
		cmd.Dir = testenv.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("building coffre: %v\n%s", binErr, binPath)
	}
	return binPath
}

// stack is a data directory, a MinIO bucket and the environment that makes
// `coffre serve` use them (SQLite in the data directory).
type stack struct {
	t       *testing.T
	bin     string
	dataDir string
	tmpDir  string
	mio     *testenv.MinIOServer
	bucket  string
	env     []string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	bin := coffreBinary(t)
	mio := testenv.MinIO(t)
	bucket := mio.NewBucket(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "s3-secret")
	if err := os.WriteFile(secretFile, []byte(mio.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, bin: bin, dataDir: filepath.Join(dir, "data"), tmpDir: filepath.Join(dir, "tmp"), mio: mio, bucket: bucket}
	if err := os.MkdirAll(s.tmpDir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.env = []string{
		"COFFRE_DATA_DIR=" + s.dataDir,
		"COFFRE_S3_ENDPOINT=" + mio.Endpoint,
		"COFFRE_S3_BUCKET=" + bucket,
		"COFFRE_S3_ACCESS_KEY=" + mio.AccessKey,
		"COFFRE_S3_SECRET_KEY_FILE=" + secretFile,
		"COFFRE_SCRYPT_LOG_N=15",
		"COFFRE_TRUSTED_PROXIES=127.0.0.1",
		"COFFRE_LOG_LEVEL=warn",
		"TMPDIR=" + s.tmpDir,
	}
	return s
}

func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COFFRE_") && !strings.HasPrefix(kv, "TMPDIR=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is one running `coffre serve`.
type server struct {
	URL    string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// serve starts `coffre serve` on 127.0.0.1 with extra environment.
func (s *stack) serve(extra ...string) *server {
	t := s.t
	t.Helper()
	cmd := exec.Command(s.bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(append(baseEnv(), s.env...), extra...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = srv.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(srv.done) }()
	t.Cleanup(func() {
		srv.kill()
		if t.Failed() {
			t.Logf("serve stderr:\n%s", srv.stderr.String())
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
	deadline := time.After(60 * time.Second)
	for srv.URL == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before listening: %s", srv.stderr.String())
			}
			if u, ok := strings.CutPrefix(l, "Coffre is listening on "); ok {
				srv.URL = strings.TrimSpace(u)
			}
		case <-deadline:
			t.Fatalf("serve did not print its URL: %s", srv.stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return srv
}

// kill sends SIGKILL and waits for the process to be gone.
func (srv *server) kill() {
	select {
	case <-srv.done:
	default:
		_ = srv.cmd.Process.Kill()
		<-srv.done
	}
}

// peakRSS is the process's VmHWM in bytes (Linux).
func (srv *server) peakRSS(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(srv.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatalf("reading VmHWM: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// pagePhoto is a phone-photo-like JPEG of a document page (w×h), with a
// white sheet and dark strokes on a brown table.
func pagePhoto(w, h int, seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{120, 80, 50, 255}
			if x > w/10 && x < w*9/10 && y > h/12 && y < h*11/12 {
				c = color.RGBA{240, 240, 235, 255}
				if (y/14)%3 == 0 && (x*7+y*3+seed)%11 < 6 {
					c = color.RGBA{30, 30, 30, 255}
				}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}
