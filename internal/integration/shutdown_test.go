package integration

import (
	"errors"
	"io"
	"net"
	"net/url"
	"os/exec"
	"testing"
	"time"
)

// TestGracefulShutdown: SIGTERM while a slow client is halfway through an
// upload. The instance stops accepting connections at once, lets the upload
// finish (201), and exits 0 within its shutdown timeout; the document is
// then readable through another instance.
func TestGracefulShutdown(t *testing.T) {
	start := time.Now()
	c := newCluster(t)
	const timeout = 20 * time.Second
	in := c.start("S", "COFFRE_SHUTDOWN_TIMEOUT="+timeout.String())
	owner := newClient()
	owner.signUpOwner(t, in, "arret.propre", "mouette cuivre sentier abricot")

	img := photo(t, 600, 800, 4)
	body, ct := multipartBody(t, field("type", "avis-impot"), field("title", "Avis envoyé lentement"), page(img))
	pr, pw := io.Pipe()
	type result struct {
		r   resp
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := owner.trySend(in, "POST", "/api/v1/documents", ct, pr)
		done <- result{r, err}
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the request is being read by the handler

	in.terminate(t)
	sigterm := time.Now()
	u, _ := url.Parse(in.URL)
	refused := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			refused = true
			break
		}
		_ = conn.Close()
	}
	if !refused {
		t.Fatal("the instance still accepts connections 10 s after SIGTERM")
	}
	refusedAfter := time.Since(sigterm)
	select {
	case <-in.Done:
		t.Fatalf("the instance exited with an upload in flight: %v", in.ExitErr)
	case r := <-done:
		t.Fatalf("the upload ended before its body was sent: %d %v %s", r.r.status, r.err, r.r.body)
	default:
	}

	// The slow client sends the rest, a little at a time.
	rest := body[half:]
	for len(rest) > 0 {
		n := min(len(rest), 4096)
		if _, err := pw.Write(rest[:n]); err != nil {
			t.Fatalf("writing the rest of the upload: %v", err)
		}
		rest = rest[n:]
		time.Sleep(5 * time.Millisecond)
	}
	_ = pw.Close()
	var r result
	select {
	case r = <-done:
	case <-time.After(timeout):
		t.Fatal("the upload did not finish")
	}
	if r.err != nil {
		t.Fatalf("upload: %v", r.err)
	}
	var up struct {
		Document struct {
			ID    string `json:"id"`
			Pages int    `json:"pages"`
		} `json:"document"`
	}
	want(t, r.r, 201, "upload in flight during shutdown").json(t, &up)
	select {
	case <-in.Done:
	case <-time.After(timeout + 5*time.Second):
		t.Fatalf("the instance did not exit within the shutdown timeout (%s)", timeout)
	}
	exited := time.Since(sigterm)
	var ee *exec.ExitError
	if in.ExitErr != nil {
		if errors.As(in.ExitErr, &ee) {
			t.Fatalf("exit code %d; stderr:\n%s", ee.ExitCode(), in.Stderr.String())
		}
		t.Fatal(in.ExitErr)
	}
	if exited > timeout {
		t.Fatalf("exited %s after SIGTERM, timeout %s", exited, timeout)
	}

	// The document was stored whole: another instance serves it.
	next := c.start("S2")
	got := want(t, owner.get(t, next, "/api/v1/documents/"+up.Document.ID+"/content"), 200, "download after the restart")
	if len(got.body) < 5 || string(got.body[:5]) != "%PDF-" || up.Document.Pages != 1 {
		t.Fatalf("document after the restart: pages %d, %.20q", up.Document.Pages, got.body)
	}
	t.Logf("connections refused %s after SIGTERM; upload finished, exit 0 %s after SIGTERM; test %s",
		refusedAfter.Round(time.Millisecond), exited.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
