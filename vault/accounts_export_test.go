package vault

import "time"

// Test-only access to internals (compiled into package vault for the
// external tests of this directory).

// KDFEvaluations counts secret derivations the service has started.
func KDFEvaluations(s *Service) int64 { return s.acct.kdfEvals.Load() }

// TOTPCode computes the code of secret (base32) at t, as an app would.
func TOTPCode(secret string, t time.Time) string {
	key, err := totpEncoding.DecodeString(secret)
	if err != nil {
		panic(err)
	}
	return hotp(key, uint64(t.Unix()/totpPeriod))
}

// OrgPublicKeyHeld returns the public key of the organisation identity the
// principal holds ("" if none).
func OrgPublicKeyHeld(p *Principal) string {
	if p.orgIdentity == nil {
		return ""
	}
	return p.orgIdentity.Recipient().String()
}
