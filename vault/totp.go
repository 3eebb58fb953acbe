package vault

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" // #nosec G505 -- HMAC-SHA1 is what RFC 6238 and every authenticator app use; HMAC does not rely on collision resistance
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 defaults, what every authenticator app
// supports): HMAC-SHA1, 6 digits, 30-second steps, one step of clock skew
// accepted either way.
const (
	totpDigits     = 6
	totpPeriod     = 30
	totpSkew       = 1
	totpSecretSize = 20
	totpIssuer     = "Coffre"
)

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a fresh secret in base32 (as authenticator apps
// take it).
func newTOTPSecret() (string, error) {
	b := make([]byte, totpSecretSize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("vault: totp secret: %w", err)
	}
	return totpEncoding.EncodeToString(b), nil
}

// totpURI is the otpauth:// URI that enrols secret in an authenticator app.
func totpURI(account, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", totpIssuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	label := url.PathEscape(totpIssuer + ":" + account)
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// hotp is RFC 4226's HOTP value of counter, as a zero-padded string.
func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// checkTOTP returns the time step code matches at now (±totpSkew steps),
// or ok=false. Spaces in code are ignored.
func checkTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	key, err := totpEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return 0, false
	}
	code = strings.Join(strings.Fields(code), "")
	if len(code) != totpDigits {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		st := cur + d
		if st < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(st))), []byte(code)) == 1 {
			step, ok = st, true
		}
	}
	return step, ok
}
