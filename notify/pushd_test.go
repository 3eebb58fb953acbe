package notify_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// pushd is a local Web Push endpoint (HTTPS on 127.0.0.1) standing for a
// browser's push service: it checks the VAPID signature (RFC 8292) and
// decrypts each payload (RFC 8291, aes128gcm) with the subscription's
// private key and auth secret, as the browser would.
type pushd struct {
	t        testing.TB
	srv      *httptest.Server
	vapidPub string // the application server key expected in k=

	mu     sync.Mutex
	subs   map[string]*pushSub
	got    []pushGot
	status int // reply status (0: 201)
	tries  int
}

type pushSub struct {
	id   string
	priv *ecdh.PrivateKey
	auth []byte
}

// pushGot is one accepted message, decrypted.
type pushGot struct {
	Sub     string
	Payload map[string]any
	Plain   string
	Topic   string
	TTL     string
	At      time.Time
}

func newPushd(t testing.TB, vapidPub string) *pushd {
	p := &pushd{t: t, vapidPub: vapidPub, subs: map[string]*pushSub{}}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.handle))
	t.Cleanup(p.srv.Close)
	return p
}

// subscribe makes a browser-like subscription and returns its JSON.
func (p *pushd) subscribe(t testing.TB) (id, subJSON string) {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	id = fmt.Sprintf("s%d", len(p.subs)+1)
	p.mu.Lock()
	p.subs[id] = &pushSub{id: id, priv: priv, auth: auth}
	p.mu.Unlock()
	b64 := base64.RawURLEncoding.EncodeToString
	j, _ := json.Marshal(map[string]any{
		"endpoint": p.srv.URL + "/push/" + id,
		"keys":     map[string]string{"p256dh": b64(priv.PublicKey().Bytes()), "auth": b64(auth)},
	})
	return id, string(j)
}

func (p *pushd) setStatus(code int) {
	p.mu.Lock()
	p.status = code
	p.mu.Unlock()
}

func (p *pushd) received() []pushGot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pushGot(nil), p.got...)
}

func (p *pushd) handle(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.tries++
	status := p.status
	sub := p.subs[strings.TrimPrefix(r.URL.Path, "/push/")]
	p.mu.Unlock()
	fail := func(code int, format string, args ...any) {
		p.t.Errorf("push endpoint: "+format, args...)
		http.Error(w, "bad request", code)
	}
	if r.Method != http.MethodPost || sub == nil {
		fail(http.StatusNotFound, "%s %s", r.Method, r.URL.Path)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if err := p.checkVAPID(r); err != nil {
		fail(http.StatusUnauthorized, "vapid: %v", err)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		fail(http.StatusBadRequest, "headers %v", r.Header)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	if err != nil {
		fail(http.StatusBadRequest, "read: %v", err)
		return
	}
	plain, err := decryptAES128GCM(sub, body)
	if err != nil {
		fail(http.StatusBadRequest, "decrypt: %v", err)
		return
	}
	var payload map[string]any
	if err := json.Unmarshal(plain, &payload); err != nil {
		fail(http.StatusBadRequest, "payload not JSON: %v", err)
		return
	}
	p.mu.Lock()
	p.got = append(p.got, pushGot{Sub: sub.id, Payload: payload, Plain: string(plain),
		Topic: r.Header.Get("Topic"), TTL: r.Header.Get("TTL"), At: time.Now()})
	p.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID verifies "Authorization: vapid t=<JWT>, k=<key>": ES256
// signature by k, k the expected key, aud the endpoint's origin, exp in
// the future and at most 24 h away, sub set.
func (p *pushd) checkVAPID(r *http.Request) error {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "vapid ") {
		return fmt.Errorf("scheme of %q", h)
	}
	var tok, key string
	for part := range strings.SplitSeq(strings.TrimPrefix(h, "vapid "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			tok = v
		case "k":
			key = v
		}
	}
	if key != p.vapidPub {
		return errors.New("k is not the server's VAPID key")
	}
	kb, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(kb) != 65 || kb[0] != 4 {
		return errors.New("k is not an uncompressed P-256 point")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), kb)
	if err != nil {
		return fmt.Errorf("k: %w", err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("token is not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("signature is not 64 bytes")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("ES256 signature does not verify")
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr struct{ Alg, Typ string }
	if json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "ES256" {
		return fmt.Errorf("header %s", hb)
	}
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(cb, &claims); err != nil {
		return fmt.Errorf("claims %s", cb)
	}
	if claims.Aud != p.srv.URL {
		return fmt.Errorf("aud %q, want %q", claims.Aud, p.srv.URL)
	}
	exp := time.Unix(claims.Exp, 0)
	if exp.Before(time.Now()) || exp.After(time.Now().Add(24*time.Hour)) {
		return fmt.Errorf("exp %v", exp)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https://") {
		return fmt.Errorf("sub %q", claims.Sub)
	}
	return nil
}

// decryptAES128GCM opens an RFC 8188 aes128gcm body with the Web Push key
// derivation of RFC 8291 (section 3.4), written from the RFCs.
func decryptAES128GCM(sub *pushSub, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if len(body) < 21+idlen || idlen != 65 {
		return nil, fmt.Errorf("keyid of %d bytes", idlen)
	}
	asPubBytes := body[21 : 21+idlen]
	ct := body[21+idlen:]
	if uint32(len(ct)) > rs || len(ct) < 17 {
		return nil, fmt.Errorf("one record expected (rs %d, %d bytes)", rs, len(ct))
	}
	asPub, err := ecdh.P256().NewPublicKey(asPubBytes)
	if err != nil {
		return nil, err
	}
	shared, err := sub.priv.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	prkKey, err := hkdf.Extract(sha256.New, shared, sub.auth)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(sub.priv.PublicKey().Bytes()) + string(asPubBytes)
	ikm, err := hkdf.Expand(sha256.New, prkKey, info, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	// Strip padding: zeros, then the last-record delimiter 0x02.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:i], nil
}
