package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// SMTP security modes.
const (
	// SMTPStartTLS upgrades the connection with STARTTLS and refuses a
	// server that does not offer it (port 587). The default.
	SMTPStartTLS = "starttls"
	// SMTPTLS speaks TLS from the first byte (port 465).
	SMTPTLS = "tls"
	// SMTPPlain sends in clear: only for a relay on the same host or a
	// private network the operator trusts.
	SMTPPlain = "none"
)

// SMTPConfig configures the e-mail channel.
type SMTPConfig struct {
	Host string
	Port int
	// Security is SMTPStartTLS (default), SMTPTLS or SMTPPlain.
	Security string
	// Username and Password, if set, authenticate with PLAIN (only over
	// TLS or to localhost).
	Username, Password string
	// From is the sender, e.g. "Coffre <no-reply@coffre.example>".
	From string
	// HeloName is the name given in EHLO (default "localhost").
	HeloName string
	// TLSConfig overrides the TLS settings (tests: a private CA).
	TLSConfig *tls.Config
}

// SMTP sends notifications as plain-text e-mail through a submission
// server (net/smtp). It implements Notifier and AddressValidator.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
	// domain of the sender, for Message-ID.
	domain string
}

var (
	_ Notifier         = (*SMTP)(nil)
	_ AddressValidator = (*SMTP)(nil)
)

// NewSMTP checks cfg. ErrInvalid.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("%w: smtp host and port", ErrInvalid)
	}
	switch cfg.Security {
	case "":
		cfg.Security = SMTPStartTLS
	case SMTPStartTLS, SMTPTLS, SMTPPlain:
	default:
		return nil, fmt.Errorf("%w: smtp security %q (starttls, tls or none)", ErrInvalid, cfg.Security)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("%w: smtp from: %v", ErrInvalid, err)
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &SMTP{cfg: cfg, from: from, domain: domain}, nil
}

// ValidateAddress accepts one bare e-mail address (no display name) and
// returns it with the domain in lower case.
func (c *SMTP) ValidateAddress(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || len(addr) > 254 || strings.ContainsAny(addr, "\r\n") {
		return "", fmt.Errorf("%w: e-mail address", ErrInvalid)
	}
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") && domain != "localhost" {
		return "", fmt.Errorf("%w: e-mail address", ErrInvalid)
	}
	return local + "@" + strings.ToLower(domain), nil
}

// Send delivers m to m.To. 4xx replies, refused connections and
// timeouts are ErrTemporary; 5xx replies and bad addresses ErrPermanent.
func (c *SMTP) Send(ctx context.Context, m Message) error {
	to, err := c.ValidateAddress(m.To)
	if err != nil {
		return Permanent("smtp: recipient", err)
	}
	body, err := c.compose(m, to)
	if err != nil {
		return Permanent("smtp: compose", err)
	}
	addr := net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))
	d := &net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	if c.cfg.Security == SMTPTLS {
		td := &tls.Dialer{NetDialer: d, Config: c.tlsConfig()}
		conn, err = td.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return Temporary("smtp: connect", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection unblocks a conversation when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	err = c.converse(conn, to, body)
	if err != nil && ctx.Err() != nil {
		return Temporary("smtp", fmt.Errorf("%w (%v)", ctx.Err(), err))
	}
	return err
}

func (c *SMTP) tlsConfig() *tls.Config {
	if c.cfg.TLSConfig != nil {
		return c.cfg.TLSConfig.Clone()
	}
	return &tls.Config{ServerName: c.cfg.Host, MinVersion: tls.VersionTLS12}
}

// converse runs one SMTP transaction on conn.
func (c *SMTP) converse(conn net.Conn, to string, body []byte) error {
	cl, err := smtp.NewClient(conn, c.cfg.Host)
	if err != nil {
		return classifySMTP("greeting", err)
	}
	defer cl.Close()
	if err := cl.Hello(c.cfg.HeloName); err != nil {
		return classifySMTP("ehlo", err)
	}
	if c.cfg.Security == SMTPStartTLS {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return Temporary("smtp", errors.New("server does not offer STARTTLS"))
		}
		if err := cl.StartTLS(c.tlsConfig()); err != nil {
			return classifySMTP("starttls", err)
		}
	}
	if c.cfg.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.cfg.Username, c.cfg.Password, c.cfg.Host)); err != nil {
			// A refused login is a configuration problem: retry (the
			// operator fixes it) rather than drop messages.
			return Temporary("smtp: auth", err)
		}
	}
	if err := cl.Mail(c.from.Address); err != nil {
		return classifySMTP("mail from", err)
	}
	if err := cl.Rcpt(to); err != nil {
		return classifySMTP("rcpt to", err)
	}
	w, err := cl.Data()
	if err != nil {
		return classifySMTP("data", err)
	}
	if _, err := w.Write(body); err != nil {
		return classifySMTP("data", err)
	}
	if err := w.Close(); err != nil {
		return classifySMTP("data", err)
	}
	_ = cl.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// classifySMTP sorts a reply: 5xx permanent, anything else temporary.
func classifySMTP(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return Permanent("smtp: "+step, err)
	}
	return Temporary("smtp: "+step, err)
}

// compose builds the message: UTF-8 plain text, quoted-printable.
func (c *SMTP) compose(m Message, to string) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.ID, "\r\n<>@ ") {
		return nil, fmt.Errorf("%w: header", ErrInvalid)
	}
	h("From", c.from.String())
	h("To", "<"+to+">")
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", m.Created.Format(time.RFC1123Z))
	h("Message-ID", "<"+m.ID+"@"+c.domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Content-Language", m.Lang)
	h("Auto-Submitted", "auto-generated")
	h("X-Auto-Response-Suppress", "All")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(m.Body, "\r\n", "\n")
	if m.Link != "" && !strings.Contains(text, m.Link) {
		text += "\n" + m.Link
	}
	if _, err := io.WriteString(qp, strings.ReplaceAll(text, "\n", "\r\n")+"\r\n"); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
