package notify

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// VAPIDKey is the application server's P-256 key pair (RFC 8292), in the
// unpadded base64url forms browsers and webpush-go use: Private is the
// 32-byte scalar, Public the 65-byte uncompressed point (what the page
// passes to pushManager.subscribe as applicationServerKey).
type VAPIDKey struct {
	Private, Public string
}

// GenerateVAPIDKey makes a new key pair.
func GenerateVAPIDKey() (VAPIDKey, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("notify: vapid key: %w", err)
	}
	return VAPIDKey{
		Private: base64.RawURLEncoding.EncodeToString(k.Bytes()),
		Public:  base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
	}, nil
}

// ParseVAPIDKey reads a private key (base64url, padded or not) and derives
// its public half. ErrInvalid.
func ParseVAPIDKey(private string) (VAPIDKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(private), "="))
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("%w: vapid key: not base64url", ErrInvalid)
	}
	k, err := ecdh.P256().NewPrivateKey(raw)
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("%w: vapid key: %v", ErrInvalid, err)
	}
	return VAPIDKey{
		Private: base64.RawURLEncoding.EncodeToString(k.Bytes()),
		Public:  base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
	}, nil
}

// LoadVAPIDKeyFile reads the private key from a file (one line, base64url).
func LoadVAPIDKeyFile(path string) (VAPIDKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("notify: vapid key file: %w", err)
	}
	return ParseVAPIDKey(string(b))
}

// WriteVAPIDKeyFile creates path (mode 0600, refusing to overwrite) with a
// new private key and returns the pair.
func WriteVAPIDKeyFile(path string) (VAPIDKey, error) {
	k, err := GenerateVAPIDKey()
	if err != nil {
		return VAPIDKey{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return VAPIDKey{}, fmt.Errorf("notify: vapid key file: %w", err)
	}
	if _, err := io.WriteString(f, k.Private+"\n"); err != nil {
		_ = f.Close()
		return VAPIDKey{}, fmt.Errorf("notify: vapid key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return VAPIDKey{}, fmt.Errorf("notify: vapid key file: %w", err)
	}
	return k, nil
}

// DefaultPushHosts are the push services of the major browsers: a
// subscription's endpoint must be on one of them (or a subdomain), so
// that an address given by a user cannot point the server at an internal
// service.
var DefaultPushHosts = []string{
	"fcm.googleapis.com", "android.googleapis.com", // Chrome, Edge on Android
	"push.services.mozilla.com", // Firefox
	"notify.windows.com",        // Edge on Windows
	"push.apple.com",            // Safari
}

// WebPushConfig configures the Web Push channel.
type WebPushConfig struct {
	Key VAPIDKey
	// Subscriber is the contact push services may use about this server:
	// "mailto:ops@example.org" or an https URL (required).
	Subscriber string
	// AllowedHosts are the endpoint hosts accepted (suffix match on a dot
	// boundary); nil means DefaultPushHosts. Endpoints are always https.
	AllowedHosts []string
	// TTL is how long a push service keeps an undelivered message
	// (default 4 days).
	TTL time.Duration
	// Client sends the requests (default: 30 s timeout). Redirects are
	// never followed.
	Client *http.Client
}

// WebPush sends notifications through browsers' push services: payloads
// encrypted per RFC 8291 (aes128gcm) to the subscription's keys, requests
// signed with VAPID (RFC 8292), by github.com/SherClockHolmes/webpush-go.
// It implements Notifier and AddressValidator; an address is the JSON of
// a PushSubscription ({"endpoint":…,"keys":{"p256dh":…,"auth":…}}).
type WebPush struct {
	cfg    WebPushConfig
	client *http.Client
}

var (
	_ Notifier         = (*WebPush)(nil)
	_ AddressValidator = (*WebPush)(nil)
)

// NewWebPush checks cfg. ErrInvalid.
func NewWebPush(cfg WebPushConfig) (*WebPush, error) {
	if _, err := ParseVAPIDKey(cfg.Key.Private); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(cfg.Subscriber, "mailto:") && !strings.HasPrefix(cfg.Subscriber, "https://") {
		return nil, fmt.Errorf("%w: web push subscriber must be a mailto or https URL", ErrInvalid)
	}
	if cfg.AllowedHosts == nil {
		cfg.AllowedHosts = DefaultPushHosts
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 4 * 24 * time.Hour
	}
	base := cfg.Client
	if base == nil {
		base = &http.Client{Timeout: 30 * time.Second}
	}
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &WebPush{cfg: cfg, client: &c}, nil
}

// PublicKey is the VAPID public key for pushManager.subscribe.
func (w *WebPush) PublicKey() string { return w.cfg.Key.Public }

// ValidateAddress checks a PushSubscription's JSON: an https endpoint on
// an allowed host, a P-256 public key and a 16-byte auth secret. It
// returns the canonical JSON.
func (w *WebPush) ValidateAddress(addr string) (string, error) {
	if len(addr) > 4096 {
		return "", fmt.Errorf("%w: push subscription too long", ErrInvalid)
	}
	var sub webpush.Subscription
	if err := json.Unmarshal([]byte(addr), &sub); err != nil {
		return "", fmt.Errorf("%w: push subscription: not JSON", ErrInvalid)
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Host == "" {
		return "", fmt.Errorf("%w: push endpoint must be an https URL", ErrInvalid)
	}
	if !w.hostAllowed(u.Hostname()) {
		return "", fmt.Errorf("%w: push endpoint host not allowed", ErrInvalid)
	}
	p, err := decodeB64(sub.Keys.P256dh)
	if err != nil {
		return "", fmt.Errorf("%w: push subscription key", ErrInvalid)
	}
	if _, err := ecdh.P256().NewPublicKey(p); err != nil {
		return "", fmt.Errorf("%w: push subscription key", ErrInvalid)
	}
	if a, err := decodeB64(sub.Keys.Auth); err != nil || len(a) != 16 {
		return "", fmt.Errorf("%w: push subscription auth secret", ErrInvalid)
	}
	b, err := json.Marshal(sub)
	if err != nil {
		return "", fmt.Errorf("%w: push subscription", ErrInvalid)
	}
	return string(b), nil
}

func (w *WebPush) hostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range w.cfg.AllowedHosts {
		h = strings.ToLower(h)
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// pushPayload is what the page's service worker receives (decrypted).
type pushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url,omitempty"`
	Kind  Kind   `json:"kind"`
	Tag   string `json:"tag"`
}

// Send encrypts and posts m to the subscription in m.To. 201/202/200 are
// success; 404 and 410 ErrGone (unsubscribed); 429, 5xx, 401/403 (a
// VAPID problem the operator fixes) and network errors ErrTemporary;
// other 4xx ErrPermanent.
func (w *WebPush) Send(ctx context.Context, m Message) error {
	addr, err := w.ValidateAddress(m.To)
	if err != nil {
		return Permanent("push: subscription", err)
	}
	var sub webpush.Subscription
	if err := json.Unmarshal([]byte(addr), &sub); err != nil {
		return Permanent("push: subscription", err)
	}
	body, err := json.Marshal(pushPayload{Title: m.Subject, Body: m.Body, URL: m.Link, Kind: m.Kind, Tag: m.ID})
	if err != nil {
		return Permanent("push: encode", err)
	}
	resp, err := webpush.SendNotificationWithContext(ctx, body, &sub, &webpush.Options{
		HTTPClient:      w.client,
		Subscriber:      w.cfg.Subscriber,
		VAPIDPublicKey:  w.cfg.Key.Public,
		VAPIDPrivateKey: w.cfg.Key.Private,
		TTL:             int(w.cfg.TTL / time.Second),
		Topic:           m.ID,
		Urgency:         webpush.UrgencyNormal,
	})
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || ctx.Err() != nil || errors.Is(err, io.ErrUnexpectedEOF) {
			return Temporary("push: post", err)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			return Temporary("push: post", err)
		}
		return Permanent("push: encrypt", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return classifyPush(resp.StatusCode)
}

// pushStatusError is a push service's answer.
type pushStatusError struct{ code int }

func (e pushStatusError) Error() string { return fmt.Sprintf("push service answered %d", e.code) }

func classifyPush(code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return fmt.Errorf("notify: push: %w: %w", ErrGone, pushStatusError{code})
	case code == http.StatusTooManyRequests || code >= 500 || code == http.StatusUnauthorized || code == http.StatusForbidden:
		return Temporary("push", pushStatusError{code})
	}
	return Permanent("push", pushStatusError{code})
}
