package vault

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Keys derived from the server pepper with HKDF-SHA256, one per purpose
// (domain-separated by the info string). None is ever stored.
const (
	infoIdentifier     = "coffre/vault/v1/identifier-hmac"
	infoServerIdentity = "coffre/vault/v1/server-identity"
	infoThrottle       = "coffre/vault/v1/throttle-hmac"
	infoDevice         = "coffre/vault/v1/device-cookie"
	infoSessionKey     = "coffre/vault/v1/session-identity"
	infoSessionCSRF    = "coffre/vault/v1/session-csrf"
	infoRowMAC         = "coffre/vault/v1/row-mac"
)

// RowKey derives from the pepper the key of the metadata store's row macs
// (meta.WithRowKey): open the store with it, then give the same pepper to
// New, which refuses a store keyed otherwise. Someone who can write the
// database but lacks the pepper cannot make a row that passes its check.
func RowKey(pepper []byte) ([]byte, error) {
	if len(pepper) != seal.PepperSize {
		return nil, fmt.Errorf("vault: %w", seal.ErrBadPepper)
	}
	return hkdf.Key(sha256.New, pepper, nil, infoRowMAC, meta.RowKeySize)
}

// RowKeyOption is meta.WithRowKey(RowKey(pepper)): how to open the
// metadata store of a Service with this pepper. A bad pepper makes the
// open fail.
func RowKeyOption(pepper []byte) meta.Option {
	k, err := RowKey(pepper)
	if err != nil {
		return meta.WithRowKey(nil)
	}
	return meta.WithRowKey(k)
}

// pepperKey derives a 32-byte key for one purpose from the pepper.
func (s *Service) pepperKey(info string) []byte {
	k, err := hkdf.Key(sha256.New, s.pepper, nil, info, 32)
	if err != nil { // only for absurd lengths
		panic("vault: hkdf: " + err.Error())
	}
	return k
}

// keyedHash is hex(HMAC-SHA256(pepperKey(info), domain || 0 || value)): how
// identifiers, e-mails and client addresses are stored or used as keys.
func (s *Service) keyedHash(info, domain, value string) string {
	m := hmac.New(sha256.New, s.pepperKey(info))
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// serverIdentity is the pepper-derived age identity that seals what the
// server itself must read back (worker and organisation names, e-mails,
// TOTP secrets): the database alone does not open it.
func (s *Service) serverIdentity() *age.X25519Identity {
	id, err := identityFromSeed(s.pepperKey(infoServerIdentity))
	if err != nil {
		panic("vault: server identity: " + err.Error())
	}
	return id
}

// identityFromSeed turns 32 uniformly random bytes into an age X25519
// identity, through age's own parser (bech32 "AGE-SECRET-KEY-1…").
func identityFromSeed(seed []byte) (*age.X25519Identity, error) {
	if len(seed) != 32 {
		return nil, fmt.Errorf("vault: identity seed of %d bytes", len(seed))
	}
	s, err := bech32Encode("AGE-SECRET-KEY-", seed)
	if err != nil {
		return nil, err
	}
	return age.ParseX25519Identity(s)
}

// bech32 (BIP 173) encoding, the text form of age keys. Encoding only; age
// parses and checks the result.
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

var bech32Gen = [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}

func bech32Polymod(values []byte) uint32 {
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>uint(i))&1 == 1 {
				chk ^= bech32Gen[i]
			}
		}
	}
	return chk
}

func bech32Encode(hrp string, data []byte) (string, error) {
	lower := strings.ToLower(hrp)
	upper := hrp != lower
	if hrp != strings.ToUpper(hrp) && upper {
		return "", fmt.Errorf("vault: bech32: mixed-case prefix")
	}
	// 8-bit groups to 5-bit groups, zero-padded.
	var five []byte
	acc, bits := uint32(0), uint(0)
	for _, b := range data {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			five = append(five, byte((acc>>bits)&31)) // #nosec G115 -- masked to 5 bits
		}
	}
	if bits > 0 {
		five = append(five, byte((acc<<(5-bits))&31)) // #nosec G115 -- masked to 5 bits
	}
	values := make([]byte, 0, 2*len(lower)+1+len(five)+6)
	for i := 0; i < len(lower); i++ {
		values = append(values, lower[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(lower); i++ {
		values = append(values, lower[i]&31)
	}
	values = append(values, five...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(values) ^ 1
	var b strings.Builder
	b.WriteString(lower)
	b.WriteByte('1')
	for _, v := range five {
		b.WriteByte(bech32Charset[v])
	}
	for p := range 6 {
		b.WriteByte(bech32Charset[(mod>>uint(5*(5-p)))&31])
	}
	if upper {
		return strings.ToUpper(b.String()), nil
	}
	return b.String(), nil
}
