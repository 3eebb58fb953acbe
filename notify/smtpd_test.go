package notify_test

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpd is a real SMTP server on 127.0.0.1 (github.com/emersion/go-smtp)
// that records every message it accepts. It can be stopped (connections
// refused) and started again on the same port, or made to refuse with a
// reply code.
type smtpd struct {
	t    testing.TB
	addr string
	user string // "" accepts without AUTH
	pass string

	mu     sync.Mutex
	srv    *smtp.Server
	msgs   []mailMsg
	refuse int // reply code for RCPT (0: accept)
	tries  int // transactions attempted (MAIL FROM)
}

// mailMsg is one accepted message, decoded.
type mailMsg struct {
	From, To string
	Raw      string
	Header   mail.Header
	Subject  string
	Body     string
	At       time.Time
}

func newSMTPD(t testing.TB) *smtpd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpd listen: %v", err)
	}
	d := &smtpd{t: t, addr: ln.Addr().String()}
	d.serve(ln)
	t.Cleanup(d.stop)
	return d
}

func (d *smtpd) port() int { return d.addr2().Port }

func (d *smtpd) addr2() *net.TCPAddr {
	a, _ := net.ResolveTCPAddr("tcp", d.addr)
	return a
}

func (d *smtpd) serve(ln net.Listener) {
	srv := smtp.NewServer(d)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	d.mu.Lock()
	d.srv = srv
	d.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection: the server is down.
func (d *smtpd) stop() {
	d.mu.Lock()
	srv := d.srv
	d.srv = nil
	d.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// start listens again on the same address.
func (d *smtpd) start() {
	d.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", d.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		d.t.Fatalf("smtpd restart: %v", err)
	}
	d.serve(ln)
}

func (d *smtpd) setRefuse(code int) {
	d.mu.Lock()
	d.refuse = code
	d.mu.Unlock()
}

func (d *smtpd) messages() []mailMsg {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]mailMsg(nil), d.msgs...)
}

func (d *smtpd) attempts() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tries
}

// NewSession implements smtp.Backend.
func (d *smtpd) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{d: d}, nil }

type smtpSession struct {
	d        *smtpd
	authed   bool
	from, to string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.d.user || pass != s.d.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.d.mu.Lock()
	s.d.tries++
	s.d.mu.Unlock()
	if s.d.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.d.mu.Lock()
	code := s.d.refuse
	s.d.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "refused for the test"}
	}
	s.to = to
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := mailMsg{From: s.from, To: s.to, Raw: string(raw), At: time.Now()}
	pm, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparsable message"}
	}
	m.Header = pm.Header
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(pm.Header.Get("Subject")); err != nil {
		return &smtp.SMTPError{Code: 554, Message: "bad subject"}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(pm.Body))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "bad quoted-printable"}
	}
	m.Body = string(body)
	s.d.mu.Lock()
	s.d.msgs = append(s.d.msgs, m)
	s.d.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
