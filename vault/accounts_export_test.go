package vault

import (
	"time"

	"filippo.io/age"
)

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

// OrgIdentityHeld returns the organisation identity the principal holds
// (nil if none): what a member could have copied.
func OrgIdentityHeld(p *Principal) *age.X25519Identity { return p.orgIdentity }

// SetRotationHook makes RotateOrganisationKey call f at each named step;
// an error from f stops the rotation there, as a crash would.
func SetRotationHook(s *Service, f func(step string) error) { s.testRotationHook = f }
