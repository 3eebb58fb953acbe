package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Passkey is one WebAuthn credential of an owner or a worker (migration
// 14). IdentityByPRF is the principal's identity wrapped by the
// credential's PRF output (nil: the authenticator has no PRF, or a key
// rotation made the wrap useless and ReenrolSince says when).
type Passkey struct {
	ID string
	// Kind is RecipientOwner or RecipientWorker; PrincipalID the owner's
	// or worker's id.
	Kind          RecipientKind
	PrincipalID   string
	CredentialID  []byte
	PublicKey     []byte
	SignCount     uint32
	Flags         uint8
	Transports    string
	NameSealed    []byte
	IdentityByPRF []byte
	ReenrolSince  time.Time // zero: not waiting for re-enrolment
	Created       time.Time
	LastUsed      time.Time // zero: never
}

// Passkey flags kept from the registration.
const (
	PasskeyBackupEligible uint8 = 1 << iota
	PasskeyBackupState
)

// ErrCounterBack: an assertion's signature counter did not move forward
// (a cloned authenticator or a replay).
var ErrCounterBack = errors.New("meta: passkey counter went back")

// #nosec G101 -- column names, not a credential
const passkeyCols = `id, owner_id, worker_id, credential_id, public_key, sign_count, flags, transports, name_sealed,
	identity_by_prf, reenrol_since, created_at, last_used_at`

// passkeyOwnerCol is the column naming the principal of kind.
func passkeyOwnerCol(kind RecipientKind) (string, error) {
	switch kind {
	case RecipientOwner:
		return "owner_id", nil
	case RecipientWorker:
		return "worker_id", nil
	}
	return "", fmt.Errorf("meta: passkey: kind %q", kind)
}

// AddPasskey records a credential. ErrConflict when the credential id is
// already enrolled (by anyone, owner or worker); ErrNotFound for a missing
// principal.
func (o *ops) AddPasskey(ctx context.Context, p Passkey) error {
	if p.ID == "" || p.PrincipalID == "" || len(p.CredentialID) == 0 || len(p.PublicKey) == 0 || len(p.NameSealed) == 0 {
		return errors.New("meta: add passkey: missing field")
	}
	var ownerID, workerID any
	switch p.Kind {
	case RecipientOwner:
		ownerID = p.PrincipalID
	case RecipientWorker:
		workerID = p.PrincipalID
	default:
		return fmt.Errorf("meta: add passkey: kind %q", p.Kind)
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "add passkey",
			`INSERT INTO passkeys (`+passkeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0)`,
			p.ID, ownerID, workerID, p.CredentialID, p.PublicKey, int64(p.SignCount), int64(p.Flags), p.Transports,
			p.NameSealed, p.IdentityByPRF, toDB(p.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, passkeySeal, p.ID)
	})
}

// macInput: a passkey's decisive fields are whose it is, the credential
// and its public key (what signs in), its counter (clones and replays),
// its backup flags (every assertion must match them), its wrap of the
// identity and the wait for re-enrolment. The sealed name, the transports
// and the last use decide nothing.
func (p Passkey) macInput(m macw) {
	m.str(p.ID)
	m.str(string(p.Kind))
	m.str(p.PrincipalID)
	m.bytes(p.CredentialID)
	m.bytes(p.PublicKey)
	m.int(int64(p.SignCount))
	m.int(int64(p.Flags))
	m.bytes(p.IdentityByPRF)
	m.time(p.ReenrolSince)
	m.time(p.Created)
}

var passkeySeal = &sealSpec{table: "passkeys", key: "id = ?", cols: passkeyCols,
	load: func(sc scanner) ([]any, macInput, error) {
		p, err := scanPasskey(sc)
		return []any{p.ID}, p.macInput, err
	}}

func scanPasskey(sc scanner, extra ...any) (Passkey, error) {
	var p Passkey
	var ownerID, workerID *string
	var count, flags, reenrol, created, used int64
	if err := sc.Scan(append([]any{&p.ID, &ownerID, &workerID, &p.CredentialID, &p.PublicKey, &count, &flags, &p.Transports,
		&p.NameSealed, &p.IdentityByPRF, &reenrol, &created, &used}, extra...)...); err != nil {
		return Passkey{}, err
	}
	switch {
	case ownerID != nil:
		p.Kind, p.PrincipalID = RecipientOwner, *ownerID
	case workerID != nil:
		p.Kind, p.PrincipalID = RecipientWorker, *workerID
	}
	p.SignCount, p.Flags, p.Created = uint32(count), uint8(flags), fromDB(created)
	if reenrol != 0 {
		p.ReenrolSince = fromDB(reenrol)
	}
	if used != 0 {
		p.LastUsed = fromDB(used)
	}
	return p, nil
}

// passkey reads one passkey through its check.
func (o *ops) passkey(ctx context.Context, where string, args ...any) (Passkey, error) {
	var mac []byte
	p, err := scanPasskey(o.queryRow(ctx, `SELECT `+passkeyCols+`, mac FROM passkeys WHERE `+where, args...), &mac)
	if err != nil {
		return Passkey{}, o.wrap("passkey", err)
	}
	if err := o.check("passkeys", "passkey", p.macInput, mac); err != nil {
		return Passkey{}, err
	}
	return p, nil
}

// PasskeyByCredential returns the passkey of a credential id, or
// ErrNotFound (ErrTampered for a row failing its integrity check: a
// passkey planted without the pepper signs nobody in).
func (o *ops) PasskeyByCredential(ctx context.Context, credentialID []byte) (Passkey, error) {
	return o.passkey(ctx, "credential_id = ?", credentialID)
}

// Passkeys lists the passkeys of an owner or a worker, oldest first (rows
// failing their integrity check are left out).
func (o *ops) Passkeys(ctx context.Context, kind RecipientKind, principalID string) ([]Passkey, error) {
	col, err := passkeyOwnerCol(kind)
	if err != nil {
		return nil, err
	}
	rows, err := o.query(ctx, `SELECT `+passkeyCols+`, mac FROM passkeys WHERE `+col+` = ? ORDER BY created_at, id`, principalID)
	if err != nil {
		return nil, o.wrap("passkeys", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var mac []byte
		p, err := scanPasskey(rows, &mac)
		if err != nil {
			return nil, o.wrap("passkeys", err)
		}
		if !o.intact("passkeys", p.macInput, mac) {
			continue
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("passkeys", err)
	}
	return out, nil
}

// UsePasskey records a successful assertion: the counter moves to count
// and the last use to at. When the authenticator counts (count or the
// stored counter non-zero), count must be above the stored one, else
// ErrCounterBack and nothing changes. ErrNotFound for an unknown id.
func (o *ops) UsePasskey(ctx context.Context, id string, count uint32, at time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "passkeys", "id", id); err != nil {
			return err
		}
		p, err := tx.passkey(ctx, "id = ?", id)
		if err != nil {
			return err
		}
		stored := int64(p.SignCount)
		if (count != 0 || stored != 0) && int64(count) <= stored {
			return fmt.Errorf("meta: use passkey: %w (stored %d, presented %d)", ErrCounterBack, stored, count)
		}
		// The counter moves only forward, even if two assertions race.
		if err := tx.execOne(ctx, "use passkey",
			`UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
			int64(count), toDB(at), id, stored); err != nil {
			return err
		}
		return tx.reseal(ctx, passkeySeal, id)
	})
}

// SetPasskeyWrap stores the identity wrapped by the passkey's PRF output
// (enrolling it to open the vault, or re-enrolling it after a key
// rotation) and ends any wait for re-enrolment. ErrNotFound when the
// principal has no such passkey.
func (o *ops) SetPasskeyWrap(ctx context.Context, kind RecipientKind, principalID, id string, wrap []byte) error {
	col, err := passkeyOwnerCol(kind)
	if err != nil {
		return err
	}
	if len(wrap) == 0 {
		return errors.New("meta: set passkey wrap: empty wrap")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "passkeys", "id", id); err != nil {
			return err
		}
		if _, err := tx.passkey(ctx, "id = ? AND "+col+" = ?", id, principalID); err != nil {
			return err
		}
		if err := tx.execOne(ctx, "set passkey wrap",
			`UPDATE passkeys SET identity_by_prf = ?, reenrol_since = 0 WHERE id = ? AND `+col+` = ?`, wrap, id, principalID); err != nil {
			return err
		}
		return tx.reseal(ctx, passkeySeal, id)
	})
}

// DeletePasskey removes a passkey of an owner or worker and with it its
// wrap. ErrNotFound when the principal has no such passkey.
func (o *ops) DeletePasskey(ctx context.Context, kind RecipientKind, principalID, id string) error {
	col, err := passkeyOwnerCol(kind)
	if err != nil {
		return err
	}
	return o.execOne(ctx, "delete passkey", `DELETE FROM passkeys WHERE `+col+` = ? AND id = ?`, principalID, id)
}

// dropOwnerPasskeyWraps destroys the PRF wraps of an owner's passkeys
// (they wrap an identity a key rotation retires) and marks them waiting
// for re-enrolment since at. It returns how many it changed.
// Each changed row is resealed: callers run it inside a transaction.
// A row failing its check is changed too (dropping a wrap only takes
// away) and stays failing.
func (tx *Tx) dropOwnerPasskeyWraps(ctx context.Context, ownerID string, at time.Time) (int64, error) {
	rows, err := tx.query(ctx, `SELECT `+passkeyCols+`, mac FROM passkeys WHERE owner_id = ? AND identity_by_prf IS NOT NULL`, ownerID)
	if err != nil {
		return 0, tx.wrap("drop passkey wraps", err)
	}
	var intact []string
	for rows.Next() {
		var mac []byte
		p, err := scanPasskey(rows, &mac)
		if err != nil {
			rows.Close()
			return 0, tx.wrap("drop passkey wraps", err)
		}
		if tx.intact("passkeys", p.macInput, mac) {
			intact = append(intact, p.ID)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, tx.wrap("drop passkey wraps", err)
	}
	res, err := tx.exec(ctx, "drop passkey wraps",
		`UPDATE passkeys SET identity_by_prf = NULL, reenrol_since = ? WHERE owner_id = ? AND identity_by_prf IS NOT NULL`,
		toDB(at), ownerID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: drop passkey wraps: %w", err)
	}
	for _, id := range intact {
		if err := tx.reseal(ctx, passkeySeal, id); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Challenge is a WebAuthn challenge kept between a ceremony's options and
// its answer (migration 14).
type Challenge struct {
	// Hash is the hex SHA-256 of the challenge; Binding what it is bound
	// to (a session, a browser's ceremony cookie); Purpose the ceremony.
	Hash, Binding, Purpose string
	Data                   []byte
	Expires                time.Time
}

// maxChallengesPerBinding bounds the challenges one binding keeps for one
// purpose (a browser with a few tabs open); older ones are dropped.
const maxChallengesPerBinding = 3

// PutChallenge keeps a challenge, dropping the oldest of the same binding
// and purpose beyond a few. ErrConflict if the hash exists.
func (o *ops) PutChallenge(ctx context.Context, ch Challenge) error {
	if ch.Hash == "" || ch.Binding == "" || ch.Purpose == "" || len(ch.Data) == 0 || ch.Expires.IsZero() {
		return errors.New("meta: put challenge: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		// Room for the new one first, so that it is never the one dropped.
		if _, err := tx.exec(ctx, "put challenge: trim",
			`DELETE FROM webauthn_challenges WHERE binding = ? AND purpose = ? AND challenge_hash NOT IN (
				SELECT challenge_hash FROM webauthn_challenges WHERE binding = ? AND purpose = ?
				ORDER BY expires_at DESC, challenge_hash LIMIT ?)`,
			ch.Binding, ch.Purpose, ch.Binding, ch.Purpose, maxChallengesPerBinding-1); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "put challenge",
			`INSERT INTO webauthn_challenges (challenge_hash, binding, purpose, data, expires_at) VALUES (?, ?, ?, ?, ?)`,
			ch.Hash, ch.Binding, ch.Purpose, ch.Data, toDB(ch.Expires))
		return err
	})
}

// TakeChallenge removes the challenge hash of binding and purpose and
// returns its data, once: of two takes racing, one gets ErrNotFound.
// ErrNotFound too when there is none for that binding and purpose, or it
// expired before now (an expired one is removed as well).
func (o *ops) TakeChallenge(ctx context.Context, hash, binding, purpose string, now time.Time) ([]byte, error) {
	var data []byte
	var expired bool
	err := o.atomic(ctx, func(tx *Tx) error {
		var expires int64
		err := tx.queryRow(ctx, `SELECT data, expires_at FROM webauthn_challenges
			WHERE challenge_hash = ? AND binding = ? AND purpose = ?`, hash, binding, purpose).Scan(&data, &expires)
		if err != nil {
			return tx.wrap("take challenge", err)
		}
		expired = !now.Before(fromDB(expires))
		return tx.execOne(ctx, "take challenge", `DELETE FROM webauthn_challenges WHERE challenge_hash = ?`, hash)
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, fmt.Errorf("meta: take challenge: expired: %w", ErrNotFound)
	}
	return data, nil
}

// SweepChallenges removes the challenges expired before now and returns
// how many went.
func (o *ops) SweepChallenges(ctx context.Context, now time.Time) (int, error) {
	res, err := o.exec(ctx, "sweep challenges", `DELETE FROM webauthn_challenges WHERE expires_at <= ?`, toDB(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: sweep challenges: %w", err)
	}
	return int(n), nil
}
