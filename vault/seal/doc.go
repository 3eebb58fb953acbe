// Package seal is Coffre's cryptographic layer. It is a thin, opinionated
// layer over filippo.io/age: every byte it produces is a standard age v1 file
// that the stock age tool can open, and it implements no cryptography of its
// own (scrypt, X25519, ChaCha20-Poly1305 and HMAC all come from age, the
// standard library or golang.org/x/crypto).
//
// Key model (see DESIGN.md, "Keys and encryption"):
//
//   - Every owner, worker, organisation and document has an age X25519
//     identity ([NewIdentity]).
//   - An owner's or worker's identity is stored only wrapped:
//     by their secret combined with the server pepper ([WrapWithSecret]), and,
//     for owners, by the recovery code printed on the recovery sheet
//     ([WrapWithRecoveryCode]).
//   - A document identity is wrapped to the owner's recipient and to each
//     grantee's recipient ([WrapIdentity]); revocation deletes a wrap.
//   - A payload is encrypted to the document recipient as a stream
//     ([Encrypt], [Decrypt]); short strings such as titles use [SealString].
//
// Only X25519 recipients are accepted for encryption: no plugin recipients,
// no passphrase recipients from callers, no post-quantum recipients (which age
// refuses to mix with classic ones). Decryption accepts the native age
// identity types (X25519, hybrid post-quantum, scrypt) and nothing else, so a
// plugin can never be invoked.
//
// Errors are sentinel values to be tested with errors.Is: [ErrWrongSecret],
// [ErrWrongRecoveryCode], [ErrNoIdentityMatched], and [ErrCorrupt] with its
// finer kinds [ErrHeader], [ErrHeaderMAC], [ErrPayload], [ErrArmor] and
// [ErrContent]. [Classify] maps any error to a [Kind]. Errors from the
// underlying reader or writer, or from ctx, are passed through wrapped and
// are never reported as corruption.
//
// The package holds no state, never logs and is safe for concurrent use.
package seal
