package vault_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
)

// Acceptance (issue 3): a session works on any instance sharing the
// database and the pepper. Two Service values, each with its own database
// handle on one SQLite file: a session started on A is resumed on B, reads
// a document there, and logging out everywhere on B ends it on A.
func TestSessionAcrossInstances(t *testing.T) {
	d := newAcctDir(t)
	a, b := d.open(t), d.open(t)
	ctx := testCtx(t)
	p, _ := a.signUp(t, "nomade")
	content := randomBytes(t, 5000)
	doc, err := a.svc.AddDocument(ctx, p.ID(), vault.NewDocument{Category: "income", Title: "bulletin", Pages: 1, Profile: "caf"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	tok, sessA, err := a.svc.StartSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, err := a.svc.StartSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	pb, sessB, err := b.svc.ResumeSession(ctx, tok)
	if err != nil {
		t.Fatalf("resume on instance B: %v", err)
	}
	if pb.ID() != p.ID() || pb.Kind() != vault.KindOwner || pb.PublicKey() != p.PublicKey() || sessB.CSRF != sessA.CSRF {
		t.Fatalf("resumed %v %+v, started %+v", pb, sessB, sessA)
	}
	got, err := readDoc(t, b.svc, pb, doc.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read on B: %v", err)
	}
	if err := b.svc.EndAllSessions(ctx, pb); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tok, tok2} {
		if _, _, err := a.svc.ResumeSession(ctx, tk); !errors.Is(err, vault.ErrNoSession) {
			t.Fatalf("after logout everywhere on B, A resumes: %v", err)
		}
	}
	// Another pepper (another deployment) cannot resume a session.
	tok3, _, err := a.svc.StartSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	other := d.openOther(t, bytes.Repeat([]byte{1}, 32))
	if _, _, err := other.ResumeSession(ctx, tok3); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("resume with another pepper: %v", err)
	}
}

func TestSessionLifecycle(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	ctx := testCtx(t)
	p, _ := in.signUp(t, "horloge")
	tok, s, err := in.svc.StartSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not 256-bit base64url", tok)
	}
	if s.Kind != vault.KindOwner || s.PrincipalID != p.ID() || len(s.CSRF) < 43 || s.CSRF == tok ||
		s.IdleExpires.Sub(s.Created) != 30*time.Minute || s.AbsoluteExpires.Sub(s.Created) != 12*time.Hour {
		t.Fatalf("session = %+v", s)
	}
	tok2, s2, _ := in.svc.StartSession(ctx, p)
	if tok2 == tok || s2.CSRF == s.CSRF {
		t.Fatal("two sessions share a token or CSRF token")
	}

	// Idle timeout is pushed forward by use, at most one write a minute.
	d.clock.Add(20 * time.Minute)
	_, r, err := in.svc.ResumeSession(ctx, tok)
	if err != nil || !r.IdleExpires.Equal(d.clock.Now().Add(30*time.Minute)) || !r.LastSeen.Equal(d.clock.Now()) {
		t.Fatalf("resume after 20 min = %+v, %v", r, err)
	}
	d.clock.Add(30 * time.Second)
	if _, r2, err := in.svc.ResumeSession(ctx, tok); err != nil || !r2.LastSeen.Equal(r.LastSeen) {
		t.Fatalf("resume 30 s later = %+v, %v (touched too often)", r2, err)
	}
	// The second session, unused for 30 minutes, is gone.
	d.clock.Add(10 * time.Minute)
	if _, _, err := in.svc.ResumeSession(ctx, tok2); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("idle session: %v", err)
	}
	// Used every 20 minutes, the first lives until the absolute limit.
	for d.clock.Now().Before(s.AbsoluteExpires.Add(-20 * time.Minute)) {
		if _, _, err := in.svc.ResumeSession(ctx, tok); err != nil {
			t.Fatalf("active session at %v: %v", d.clock.Now().Sub(s.Created), err)
		}
		d.clock.Add(20 * time.Minute)
	}
	d.clock.Add(21 * time.Minute)
	if _, _, err := in.svc.ResumeSession(ctx, tok); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("session past 12 h: %v", err)
	}

	// Logout.
	tok3, _, _ := in.svc.StartSession(ctx, p)
	if err := in.svc.EndSession(ctx, tok3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.svc.ResumeSession(ctx, tok3); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("ended session: %v", err)
	}
	if err := in.svc.EndSession(ctx, tok3); err != nil {
		t.Fatalf("ending twice: %v", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("A", 44), tok3 + "=", "../../etc/passwd", strings.Repeat("é", 22)} {
		if _, _, err := in.svc.ResumeSession(ctx, bad); !errors.Is(err, vault.ErrNoSession) {
			t.Fatalf("ResumeSession(%q) = %v", bad, err)
		}
		if err := in.svc.EndSession(ctx, bad); err != nil {
			t.Fatalf("EndSession(%q) = %v", bad, err)
		}
	}
	if _, _, err := in.svc.StartSession(ctx, nil); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("StartSession(nil) = %v", err)
	}
	// Sweep removes expired rows.
	in.svc.StartSession(ctx, p)
	d.clock.Add(13 * time.Hour)
	n, _, err := in.svc.SweepAccounts(ctx)
	if err != nil || n < 1 {
		t.Fatalf("SweepAccounts = %d, %v", n, err)
	}
}

func TestWorkerSession(t *testing.T) {
	d := newAcctDir(t)
	a, b := d.open(t), d.open(t)
	ctx := testCtx(t)
	org, key, err := a.svc.CreateOrganisation(ctx, "France Services Lens")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.AddWorker(ctx, org.ID, "k@fs-lens.fr", "Kevin", []byte(goodSecret), false); err != nil {
		t.Fatal(err)
	}
	if n, err := a.svc.ActivateMembers(ctx, org.ID, key); err != nil || n != 1 {
		t.Fatalf("ActivateMembers = %d, %v", n, err)
	}
	w, err := a.svc.LoginWorker(ctx, "k@fs-lens.fr", []byte(goodSecret), "", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, s, err := a.svc.StartSession(ctx, w)
	if err != nil || s.Kind != vault.KindWorker {
		t.Fatalf("StartSession(worker) = %+v, %v", s, err)
	}
	wb, _, err := b.svc.ResumeSession(ctx, tok)
	if err != nil || wb.ID() != w.ID() || wb.OrgID() != org.ID || vault.OrgPublicKeyHeld(wb) != org.PublicKey {
		t.Fatalf("worker resumed on B = %v, %v", wb, err)
	}
	if err := b.svc.EndAllSessions(ctx, wb); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.ResumeSession(ctx, tok); !errors.Is(err, vault.ErrNoSession) {
		t.Fatalf("worker session after logout everywhere: %v", err)
	}
}
