package notify

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"time"
	_ "time/tzdata" // messages and quiet hours speak Paris time wherever the server runs

	"filippo.io/age"
)

// Config wires a Service.
type Config struct {
	// Vault and Store are required (the same metadata database as the
	// vault's).
	Vault Vault
	Store Store
	// Channels are the configured senders besides the inbox, which is
	// always there: ChannelEmail (SMTP), ChannelPush (WebPush), ChannelSMS
	// (a provider). A channel missing here is neither offered nor queued.
	Channels map[Channel]Notifier
	// BaseURL is the vault's public URL, linked from messages (no token).
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PollInterval is how often a running scheduler looks for due
	// messages (an event on this instance wakes it at once); 0 means 5 s.
	PollInterval time.Duration
	// ScanInterval is how often it plans reminders and sweeps; 0 means
	// 5 minutes.
	ScanInterval time.Duration
	// Lease is how long a claimed message stays with its sender; one send
	// attempt may take a third of it. 0 means 2 minutes.
	Lease time.Duration
	// RetryBase and RetryMax bound the exponential backoff after a
	// temporary failure (0: 30 s and 1 h); MaxAttempts is when to give up
	// (0: 60 attempts, about two and a half days).
	RetryBase, RetryMax time.Duration
	MaxAttempts         int
	// DefaultNoticeDays is the notice of a document type without its own
	// (0: 30 days); ConsentNotice is how early an owner hears that a
	// consent ends (0: 3 days).
	DefaultNoticeDays int
	ConsentNotice     time.Duration
	// Concurrency bounds the messages sent at once (0: 4).
	Concurrency int
	// OnError, if set, receives background failures (the scheduler's own
	// and classified delivery failures). Their text holds ids and kinds,
	// never an address, a name or a message.
	OnError func(error)
}

// Service queues, plans and sends notifications. It is safe for
// concurrent use; several instances may share one database.
type Service struct {
	cfg      Config
	vault    Vault
	store    Store
	channels map[Channel]Notifier
	id       *age.X25519Identity
	hashKey  []byte
	now      func() time.Time
	wake     chan struct{}
}

// identityPurpose names the pepper-derived identity that seals what
// notifications keep (settings, addresses, queued payloads).
const identityPurpose = "notify"

// New checks cfg and returns a Service. Attach it to the vault's journal
// with vault.(*Service).SetEventSink to get access alerts.
func New(cfg Config) (*Service, error) {
	if cfg.Vault == nil || cfg.Store == nil {
		return nil, fmt.Errorf("%w: notify needs a vault and a store", ErrInvalid)
	}
	id, err := cfg.Vault.PurposeIdentity(identityPurpose)
	if err != nil {
		return nil, fmt.Errorf("notify: identity: %w", err)
	}
	hk, err := hkdf.Key(sha256.New, []byte(id.String()), nil, "coffre/notify/v1/address-hmac", 32)
	if err != nil {
		return nil, fmt.Errorf("notify: address key: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PollInterval, 5*time.Second)
	def(&cfg.ScanInterval, 5*time.Minute)
	def(&cfg.Lease, 2*time.Minute)
	def(&cfg.RetryBase, 30*time.Second)
	def(&cfg.RetryMax, time.Hour)
	def(&cfg.ConsentNotice, 72*time.Hour)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 60
	}
	if cfg.DefaultNoticeDays <= 0 {
		cfg.DefaultNoticeDays = 30
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	chans := map[Channel]Notifier{ChannelInbox: &inbox{store: cfg.Store}}
	for c, n := range cfg.Channels {
		if !knownChannel(c) || c == ChannelInbox || n == nil {
			return nil, fmt.Errorf("%w: channel %q", ErrInvalid, c)
		}
		chans[c] = n
	}
	return &Service{
		cfg: cfg, vault: cfg.Vault, store: cfg.Store, channels: chans,
		id: id, hashKey: hk, now: cfg.Now, wake: make(chan struct{}, 1),
	}, nil
}

// Channels returns the channels this server sends on (the inbox first).
func (s *Service) Channels() []Channel {
	out := []Channel{ChannelInbox}
	for _, c := range []Channel{ChannelEmail, ChannelPush, ChannelSMS} {
		if _, ok := s.channels[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// report hands a background failure to OnError.
func (s *Service) report(err error) {
	if err != nil && s.cfg.OnError != nil {
		s.cfg.OnError(err)
	}
}

// nudge wakes the running scheduler (if any) without blocking.
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns 128 random bits as 26 lower-case base32 characters.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("notify: random id: %w", err)
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// paris is the zone of dates in messages and of default quiet hours.
var paris = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.UTC
}()
