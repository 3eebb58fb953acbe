package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// errUsage marks configuration and usage errors (exit code 2).
var errUsage = errors.New("usage")

// serveConfig is everything `coffre serve` needs. Each field has a flag and a
// COFFRE_* environment variable; a flag given on the command line wins over
// the environment, which wins over the embedded default.
type serveConfig struct {
	DataDir         string
	Addr            string
	BaseURL         string
	PepperFile      string
	DatabaseURL     string
	S3Endpoint      string
	S3Bucket        string
	S3AccessKey     string
	S3SecretKeyFile string
	S3Region        string
	S3TLS           bool
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration
	ScryptLogN      int
	TrustedProxies  string
	MetricsAddr     string
	// TLSCert and TLSKey: PEM files; when set, serve speaks HTTPS itself
	// (tls.go) instead of leaving TLS to a proxy.
	TLSCert string
	TLSKey  string
	// Notifications (package notify): e-mail when SMTPHost is set, Web Push
	// when VAPIDKeyFile is set; the in-app inbox is always on.
	SMTPHost         string
	SMTPPort         int
	SMTPSecurity     string
	SMTPUser         string
	SMTPPasswordFile string
	SMTPFrom         string
	VAPIDKeyFile     string
	PushSubscriber   string
	// Bring your own bucket (storage.go): owners may use their own bucket
	// when OwnerBuckets; OwnerBucketHosts is the endpoint allow-list.
	OwnerBuckets     bool
	OwnerBucketHosts string
}

// setting describes one configuration entry.
type setting struct {
	flag, env, help string
	bind            func(fs *flag.FlagSet, name, help string)
}

func serveSettings(c *serveConfig) []setting {
	str := func(p *string, def string) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.StringVar(p, n, def, h) }
	}
	return []setting{
		{"data-dir", "COFFRE_DATA_DIR", "directory holding the SQLite database, the local blob store and the pepper key", str(&c.DataDir, "coffre-data")},
		{"addr", "COFFRE_ADDR", "listen address (host:port)", str(&c.Addr, "127.0.0.1:8080")},
		{"base-url", "COFFRE_BASE_URL", "public URL used in drop links and QR codes (default: http(s)://<addr>)", str(&c.BaseURL, "")},
		{"tls-cert", "COFFRE_TLS_CERT", "PEM certificate (chain) file: serve HTTPS directly; renewed files are picked up within a minute; empty leaves TLS to a proxy", str(&c.TLSCert, "")},
		{"tls-key", "COFFRE_TLS_KEY", "PEM private key file of --tls-cert", str(&c.TLSKey, "")},
		{"pepper-file", "COFFRE_PEPPER_FILE", "file holding the 32-byte server pepper; created (mode 0600) when absent (default: <data-dir>/pepper.key)", str(&c.PepperFile, "")},
		{"database-url", "COFFRE_DATABASE_URL", "metadata database: sqlite:PATH (one instance; default: sqlite:<data-dir>/coffre.db) or postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=… (several instances)", str(&c.DatabaseURL, "")},
		{"s3-endpoint", "COFFRE_S3_ENDPOINT", "S3 endpoint host:port; empty keeps payloads in <data-dir>/blobs", str(&c.S3Endpoint, "")},
		{"s3-bucket", "COFFRE_S3_BUCKET", "S3 bucket for encrypted payloads", str(&c.S3Bucket, "coffre")},
		{"s3-access-key", "COFFRE_S3_ACCESS_KEY", "S3 access key", str(&c.S3AccessKey, "")},
		{"s3-secret-key-file", "COFFRE_S3_SECRET_KEY_FILE", "file holding the S3 secret key", str(&c.S3SecretKeyFile, "")},
		{"s3-region", "COFFRE_S3_REGION", "S3 region", str(&c.S3Region, "")},
		{"s3-tls", "COFFRE_S3_TLS", "use HTTPS to reach S3", func(fs *flag.FlagSet, n, h string) { fs.BoolVar(&c.S3TLS, n, false, h) }},
		{"log-level", "COFFRE_LOG_LEVEL", "debug, info, warn or error", str(&c.LogLevel, "info")},
		{"log-format", "COFFRE_LOG_FORMAT", "text or json", str(&c.LogFormat, "text")},
		{"shutdown-timeout", "COFFRE_SHUTDOWN_TIMEOUT", "how long in-flight requests may finish on SIGTERM", func(fs *flag.FlagSet, n, h string) {
			fs.DurationVar(&c.ShutdownTimeout, n, 30*time.Second, h)
		}},
		{"trusted-proxies", "COFFRE_TRUSTED_PROXIES", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For gives the client IP (rate limits); empty trusts none", str(&c.TrustedProxies, "")},
		{"metrics-addr", "COFFRE_METRICS_ADDR", "listen address (host:port) of the Prometheus /metrics endpoint, apart from --addr; empty turns metrics off", str(&c.MetricsAddr, "")},
		{"smtp-host", "COFFRE_SMTP_HOST", "SMTP server for e-mail notifications; empty turns e-mail off", str(&c.SMTPHost, "")},
		{"smtp-port", "COFFRE_SMTP_PORT", "SMTP port (587 with starttls, 465 with tls)", func(fs *flag.FlagSet, n, h string) { fs.IntVar(&c.SMTPPort, n, 587, h) }},
		{"smtp-security", "COFFRE_SMTP_SECURITY", "starttls, tls or none (none only for a relay on the same host)", str(&c.SMTPSecurity, "starttls")},
		{"smtp-user", "COFFRE_SMTP_USER", "SMTP login", str(&c.SMTPUser, "")},
		{"smtp-password-file", "COFFRE_SMTP_PASSWORD_FILE", "file holding the SMTP password", str(&c.SMTPPasswordFile, "")},
		{"smtp-from", "COFFRE_SMTP_FROM", "sender address of e-mail notifications", str(&c.SMTPFrom, "")},
		{"vapid-key-file", "COFFRE_VAPID_KEY_FILE", "Web Push VAPID private key, created (0600) when missing; empty turns push off", str(&c.VAPIDKeyFile, "")},
		{"push-subscriber", "COFFRE_PUSH_SUBSCRIBER", "contact given to push services (default mailto:<smtp-from>)", str(&c.PushSubscriber, "")},
		{"owner-buckets", "COFFRE_OWNER_BUCKETS", "let owners keep their documents in their own S3 bucket (organisations' buckets are set with coffre admin storage)", func(fs *flag.FlagSet, n, h string) { fs.BoolVar(&c.OwnerBuckets, n, false, h) }},
		{"owner-bucket-hosts", "COFFRE_OWNER_BUCKET_HOSTS", "comma-separated endpoint hosts owners' buckets may use; empty allows any public host (loopback and private addresses only when listed)", str(&c.OwnerBucketHosts, "")},
		{"scrypt-log-n", "COFFRE_SCRYPT_LOG_N", "scrypt work factor for secrets (15..22)", func(fs *flag.FlagSet, n, h string) { fs.IntVar(&c.ScryptLogN, n, 18, h) }},
	}
}

// parseServeConfig reads flags from args and COFFRE_* variables from environ
// (KEY=VALUE pairs), then validates the result. Unknown COFFRE_* variables are
// refused so that a typo never silently falls back to a default.
func parseServeConfig(args, environ []string, stderr io.Writer) (*serveConfig, error) {
	c, rest, err := parseSettings("coffre serve", args, environ, stderr, nil)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	return c, nil
}

// parseSettings is the one reader of Coffre's settings, for every command
// that takes them (serve, admin, healthcheck): flags from args (up to the
// first non-flag argument, returned with what follows), then the COFFRE_*
// variables of environ for the settings no flag gave, then validation.
// usage, when not nil, prints the command's help.
func parseSettings(name string, args, environ []string, stderr io.Writer, usage func()) (*serveConfig, []string, error) {
	c := &serveConfig{}
	fs, known := settingsFlagSet(name, c, stderr)
	if usage != nil {
		fs.Usage = usage
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := applyEnv(fs, known, environ); err != nil {
		return nil, nil, err
	}
	if err := c.validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, fs.Args(), nil
}

// settingsFlagSet binds every setting of c to a new flag set, and returns
// it with the map from each COFFRE_* variable to its flag.
func settingsFlagSet(name string, c *serveConfig, stderr io.Writer) (*flag.FlagSet, map[string]string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	known := map[string]string{}
	for _, s := range serveSettings(c) {
		s.bind(fs, s.flag, s.help+" (env "+s.env+")")
		known[s.env] = s.flag
	}
	return fs, known
}

// applyEnv sets the flag of every COFFRE_* variable in environ that no
// flag on the command line gave (a flag wins over the environment; the
// last of repeated variables wins). Unknown COFFRE_* variables are refused
// (COFFRE_TOOLS_BIN, the test tools folder, excepted).
func applyEnv(fs *flag.FlagSet, known map[string]string, environ []string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var unknown []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "COFFRE_") || k == "COFFRE_TOOLS_BIN" {
			continue
		}
		name, ok := known[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if given[name] {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%w: %s: %v", errUsage, k, err)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%w: unknown environment variable(s) %s", errUsage, strings.Join(unknown, ", "))
	}
	return nil
}

func (c *serveConfig) validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("--data-dir must not be empty")
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want host:port: %v", c.Addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("--addr %q: port must be a number from 0 to 65535", c.Addr)
	}
	if err := c.validateMetricsAddr(); err != nil {
		return err
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.BaseURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		scheme := "http://"
		if c.TLSCert != "" {
			scheme = "https://"
		}
		c.BaseURL = scheme + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--base-url %q: want an absolute http(s) URL without query", c.BaseURL)
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if c.PepperFile == "" {
		c.PepperFile = c.DataDir + string(os.PathSeparator) + "pepper.key"
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + c.DataDir + string(os.PathSeparator) + "coffre.db"
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database-url: want sqlite:PATH or postgres://…")
	}
	if c.S3Endpoint != "" {
		if _, _, err := net.SplitHostPort(c.S3Endpoint); err != nil {
			return fmt.Errorf("--s3-endpoint %q: want host:port", c.S3Endpoint)
		}
		if c.S3Bucket == "" || c.S3AccessKey == "" || c.S3SecretKeyFile == "" {
			return errors.New("--s3-endpoint needs --s3-bucket, --s3-access-key and --s3-secret-key-file")
		}
	}
	if c.SMTPHost != "" {
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			return fmt.Errorf("--smtp-port %d: want 1 to 65535", c.SMTPPort)
		}
		switch c.SMTPSecurity {
		case "starttls", "tls", "none":
		default:
			return fmt.Errorf("--smtp-security %q: want starttls, tls or none", c.SMTPSecurity)
		}
		if !strings.Contains(c.SMTPFrom, "@") {
			return errors.New("--smtp-host needs --smtp-from, the sender's e-mail address")
		}
		if c.SMTPUser != "" && c.SMTPPasswordFile == "" {
			return errors.New("--smtp-user needs --smtp-password-file")
		}
	}
	if _, err := parseHostList(c.OwnerBucketHosts); err != nil {
		return fmt.Errorf("--owner-bucket-hosts: %v", err)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownTimeout > 10*time.Minute {
		return fmt.Errorf("--shutdown-timeout %s: want between 1s and 10m", c.ShutdownTimeout)
	}
	if c.ScryptLogN < 15 || c.ScryptLogN > 22 {
		return fmt.Errorf("--scrypt-log-n %d: want 15 to 22", c.ScryptLogN)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(c *serveConfig, w io.Writer) *slog.Logger {
	lvl, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
