package loadgen

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/coffre/coffre/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveCoffreBinary()
	os.Exit(code)
}

// coffreBinary builds cmd/coffre once per test process.
func coffreBinary(t testing.TB) string { return testenv.CoffreBinary(t) }

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

// baseEnv is the caller's environment without COFFRE_* and GOMEMLIMIT.
func baseEnv() []string { return testenv.CoffreEnv() }

// server is one running `coffre serve`.
type server struct{ *testenv.CoffreProcess }

// serve starts `coffre serve` on 127.0.0.1 with extra environment.
func (s *stack) serve(extra ...string) *server {
	s.t.Helper()
	return &server{testenv.StartCoffre(s.t, s.bin, "serve", nil, append(append([]string(nil), s.env...), extra...))}
}

// kill sends SIGKILL and waits for the process to be gone.
func (srv *server) kill() { srv.Kill() }

// peakRSS is the process's VmHWM in bytes (Linux).
func (srv *server) peakRSS(t testing.TB) int64 {
	t.Helper()
	n, err := srv.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	return n
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
