package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob/s3"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

const ownerSecret = "citron bougie marmotte flocon"

// markerPDF is a one-page PDF whose uncompressed page text is marker.
func markerPDF(marker string) []byte {
	content := fmt.Sprintf("BT /F1 18 Tf 72 700 Td (%s) Tj ET", marker)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// withComment inserts a JPEG COM segment holding marker after SOI.
func withComment(jpg []byte, marker string) []byte {
	seg := []byte{0xFF, 0xFE, byte((len(marker) + 2) >> 8), byte(len(marker) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, marker...)
	return append(out, jpg[2:]...)
}

func multipartPages(fields map[string]string, pages ...[]byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for i, p := range pages {
		fw, _ := mw.CreateFormFile("page", fmt.Sprintf("p%d", i))
		_, _ = fw.Write(p)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// scanFor fails the test if any file under dirs contains marker.
func scanFor(t *testing.T, marker string, dirs ...string) int {
	t.Helper()
	n := 0
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if !de.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p) // #nosec G304 -- test scan of its own temp dirs
			if err != nil {
				return err
			}
			n++
			if bytes.Contains(b, []byte(marker)) {
				t.Errorf("plaintext marker found in %s", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// openVault opens the stack's vault in this process with a clock two hours
// ahead, so that what the killed server left behind is past fsck's grace.
func (s *stack) openVault(t *testing.T) *vault.Service {
	t.Helper()
	ctx := context.Background()
	bl, err := s3.New(ctx, s3.Config{Endpoint: s.mio.Endpoint, AccessKey: s.mio.AccessKey, SecretKey: s.mio.SecretKey, Bucket: s.bucket})
	if err != nil {
		t.Fatal(err)
	}
	hx, err := os.ReadFile(filepath.Join(s.dataDir, "pepper.key"))
	if err != nil {
		t.Fatal(err)
	}
	pepper, err := hex.DecodeString(strings.TrimSpace(string(hx)))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := meta.OpenSQLite(ctx, filepath.Join(s.dataDir, "coffre.db"), vault.RowKeyOption(pepper))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	v, err := vault.New(vault.Config{Meta: ms, Blobs: bl, Pepper: pepper, Scrypt: seal.ScryptParams{LogN: 15},
		Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// objects counts the objects of the stack's bucket in MinIO's data dir.
func (s *stack) objects(t *testing.T) int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(s.mio.DataDir, s.bucket), func(p string, de fs.DirEntry, err error) error {
		if err == nil && de.Name() == "xl.meta" {
			n++
		}
		return nil
	})
	return n
}

// admin runs `coffre admin ARGS` on the stack.
func (s *stack) admin(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append([]string{"admin"}, args...)...)
	cmd.Env = append(baseEnv(), s.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("coffre admin %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestSIGKILL kills `coffre serve` (SQLite + MinIO) with SIGKILL in the
// middle of uploads (a slow client mid-body, then at several instants
// during conversion and storage) and of consent changes, restarting it each
// time. After each restart no partial document is visible (every listed
// document downloads whole) and the consents list answers; at the end, fsck
// (the vault's FindOrphans/RemoveOrphans behind `coffre admin fsck`, with a
// clock past the grace period) reports what the kills left, --fix removes
// it and a second pass is clean, and a marker contained in the uploaded
// plaintext is found in no file of the data directory, the server's
// temporary directory or MinIO's data directory.
func TestSIGKILL(t *testing.T) {
	s := newStack(t)
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	marker := "COFFRE-SIGKILL-MARKER-" + hex.EncodeToString(rb[:])
	pdf := markerPDF(marker)
	jpg := withComment(pagePhoto(1200, 1600, 2), marker)
	ctx := context.Background()

	srv := s.serve()
	owner := newPerson(1)
	var su struct {
		Session struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	if err := owner.json(ctx, srv.URL, "POST", "/api/v1/signup", map[string]string{"identifier": "kill.owner", "secret": ownerSecret}, &su); err != nil {
		t.Fatal(err)
	}
	owner.csrf = su.Session.CSRFToken
	// Granting (a scenario below) needs the secret again in the session.
	confirm := func() {
		if err := owner.json(ctx, srv.URL, "POST", "/api/v1/reauth", map[string]string{"secret": ownerSecret}, nil); err != nil {
			t.Fatal(err)
		}
	}
	confirm()
	var link struct {
		Token string `json:"token"`
	}
	if err := owner.json(ctx, srv.URL, "POST", "/api/v1/droplinks", map[string]any{"label": "Kill", "max_uses": 50}, &link); err != nil {
		t.Fatal(err)
	}
	orgID := regexp.MustCompile(`organisation: (\S+)`).FindStringSubmatch(s.admin(t, "create-org", "CCAS Kill"))
	if orgID == nil {
		t.Fatal("no organisation id")
	}
	// The first upload, whole, tells how long one takes: the kills below
	// fall at fractions of it, so that some land while the payload is
	// being stored.
	body, ct := multipartPages(map[string]string{"type": "rib"}, jpg, pdf)
	var first struct {
		Document document `json:"document"`
	}
	t0 := time.Now()
	st, _, b, err := owner.do(ctx, srv.URL, "POST", "/api/v1/documents", ct, body)
	if err != nil || st != 201 {
		t.Fatalf("first upload: %d %v %s", st, err, b)
	}
	whole := time.Since(t0)
	t.Logf("one upload takes %v", whole)
	_ = jsonUnmarshal(b, &first)

	relogin := func() {
		var ses struct {
			CSRFToken string `json:"csrf_token"`
		}
		if err := owner.json(ctx, srv.URL, "POST", "/api/v1/login", map[string]string{"identifier": "kill.owner", "secret": ownerSecret}, &ses); err != nil {
			t.Fatal(err)
		}
		owner.csrf = ses.CSRFToken
		confirm()
	}
	checkConsistent := func(when string) int {
		var list struct {
			Documents []document `json:"documents"`
		}
		if err := owner.json(ctx, srv.URL, "GET", "/api/v1/documents", nil, &list); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		for _, d := range list.Documents {
			st, _, b, err := owner.do(ctx, srv.URL, "GET", "/api/v1/documents/"+d.ID+"/content", "", nil)
			if err != nil || st != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) || int64(len(b)) != d.Size {
				t.Errorf("%s: document %s listed but not whole: %d %v (%d of %d bytes)", when, d.ID, st, err, len(b), d.Size)
			}
		}
		if err := owner.json(ctx, srv.URL, "GET", "/api/v1/consents", nil, nil); err != nil {
			t.Errorf("%s: consents: %v", when, err)
		}
		return len(list.Documents)
	}

	type scenario struct {
		name string
		run  func(url string) // starts the request; returns when it is time to kill
	}
	send := func(url, method, path, ct string, body io.Reader) {
		go func() {
			req, _ := http.NewRequest(method, url+path, body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Origin", url)
			req.Header.Set("X-CSRF-Token", owner.csrf)
			req.Header.Set("X-Forwarded-For", owner.ip)
			if res, err := owner.hc.Do(req); err == nil {
				res.Body.Close()
			}
		}()
	}
	var scenarios []scenario
	// A slow helper: half the body, then the kill.
	scenarios = append(scenarios, scenario{"drop upload, slow client mid-body", func(url string) {
		b, ct := multipartPages(nil, jpg, pdf)
		pr, pw := io.Pipe()
		send(url, "POST", "/api/v1/drop/"+link.Token+"/pages", ct, pr)
		_, _ = pw.Write(b[:len(b)/2])
		time.Sleep(500 * time.Millisecond)
	}})
	for _, f := range []float64{0, 0.5, 1, 1.5, 2} {
		d := time.Duration(f * float64(whole))
		scenarios = append(scenarios, scenario{fmt.Sprintf("owner upload, kill %v after sending", d.Round(time.Millisecond)), func(url string) {
			b, ct := multipartPages(map[string]string{"type": "rib"}, jpg, pdf)
			send(url, "POST", "/api/v1/documents", ct, bytes.NewReader(b))
			time.Sleep(d)
		}})
	}
	// The narrowest window: the payload is complete in MinIO but the
	// document row may not be committed yet.
	for i := 0; i < 3; i++ {
		scenarios = append(scenarios, scenario{"owner upload, kill as soon as the payload is in MinIO", func(url string) {
			before := s.objects(t)
			b, ct := multipartPages(map[string]string{"type": "rib"}, jpg, pdf)
			send(url, "POST", "/api/v1/documents", ct, bytes.NewReader(b))
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && s.objects(t) == before; {
				time.Sleep(time.Millisecond)
			}
		}})
	}
	for _, d := range []time.Duration{0, 5 * time.Millisecond, 30 * time.Millisecond} {
		scenarios = append(scenarios, scenario{fmt.Sprintf("consent grant, kill %v after sending", d), func(url string) {
			g := fmt.Sprintf(`{"grantee":{"kind":"organisation","id":%q},"scope":{"documents":[%q]},"purpose":"RSA","days":31}`, orgID[1], first.Document.ID)
			send(url, "POST", "/api/v1/consents", "application/json", strings.NewReader(g))
			time.Sleep(d)
		}})
	}
	visible := 0
	for _, sc := range scenarios {
		sc.run(srv.URL)
		srv.kill()
		srv = s.serve()
		relogin()
		visible = checkConsistent("after " + sc.name)
		t.Logf("%s: restart ok, %d documents visible", sc.name, visible)
	}
	srv.kill()

	v := s.openVault(t)
	o, err := v.FindOrphans(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fsck after %d kills: %d orphan payloads, %d unfinished documents", len(scenarios), len(o.Blobs), len(o.Stale))
	if len(o.Blobs)+len(o.Stale) == 0 {
		t.Error("the kills while the payload was being stored left nothing for fsck to report")
	}
	nb, nr, err := v.RemoveOrphans(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fsck --fix: removed %d payloads, %d rows", nb, nr)
	if o2, err := v.FindOrphans(ctx, time.Hour); err != nil || len(o2.Blobs)+len(o2.Stale) != 0 {
		t.Errorf("after fix: %d orphans, %d stale, %v", len(o2.Blobs), len(o2.Stale), err)
	}
	// The real command agrees (its grace is at least an hour, so on the
	// real clock it has nothing left to report either).
	if out := s.admin(t, "fsck", "--grace", "1h"); !strings.Contains(out, "found: 0 orphan payloads, 0 unfinished documents") {
		t.Errorf("coffre admin fsck: %s", out)
	}
	srv = s.serve()
	relogin()
	if n := checkConsistent("after fsck --fix"); n != visible {
		t.Errorf("fsck --fix changed the visible documents: %d, was %d", n, visible)
	}
	srv.kill()
	files := scanFor(t, marker, s.dataDir, s.tmpDir, s.mio.DataDir)
	t.Logf("marker scan: %d files under the data dir, the temp dir and MinIO's data dir, marker in none", files)
	if files == 0 {
		t.Error("nothing scanned")
	}
}
