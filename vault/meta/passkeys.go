package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Passkey is one WebAuthn credential of an owner (migration 15).
// IdentityByPRF is the owner's identity wrapped by the credential's PRF
// output (nil: the authenticator has no PRF).
type Passkey struct {
	ID, OwnerID   string
	CredentialID  []byte
	PublicKey     []byte
	SignCount     uint32
	Name          string
	IdentityByPRF []byte
	Created       time.Time
	LastUsed      time.Time // zero: never
}

// ErrCounterBack: an assertion's signature counter did not move forward
// (a cloned authenticator or a replay).
var ErrCounterBack = errors.New("meta: passkey counter went back")

// #nosec G101 -- column names, not a credential
const passkeyCols = `id, owner_id, credential_id, public_key, sign_count, name, identity_by_prf, created_at, last_used_at`

// AddPasskey records a credential. ErrConflict when the credential id is
// already enrolled (by anyone); ErrNotFound for a missing owner.
func (o *ops) AddPasskey(ctx context.Context, p Passkey) error {
	if p.ID == "" || p.OwnerID == "" || len(p.CredentialID) == 0 || len(p.PublicKey) == 0 || p.Name == "" {
		return errors.New("meta: add passkey: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "add passkey",
			`INSERT INTO owner_passkeys (`+passkeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			p.ID, p.OwnerID, p.CredentialID, p.PublicKey, int64(p.SignCount), p.Name, p.IdentityByPRF, toDB(p.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, passkeySeal, p.ID)
	})
}

// macInput: a passkey's decisive fields are whose it is, the credential
// and its public key (what signs in), its counter (clones and replays),
// and its wrap of the owner's identity. The name decides nothing.
func (p Passkey) macInput(m macw) {
	m.str(p.ID)
	m.str(p.OwnerID)
	m.bytes(p.CredentialID)
	m.bytes(p.PublicKey)
	m.int(int64(p.SignCount))
	m.bytes(p.IdentityByPRF)
	m.time(p.Created)
}

var passkeySeal = &sealSpec{table: "owner_passkeys", key: "id = ?", cols: passkeyCols,
	load: func(sc scanner) ([]any, macInput, error) {
		p, err := scanPasskey(sc)
		return []any{p.ID}, p.macInput, err
	}}

func scanPasskey(sc scanner, extra ...any) (Passkey, error) {
	var p Passkey
	var count, created, used int64
	if err := sc.Scan(append([]any{&p.ID, &p.OwnerID, &p.CredentialID, &p.PublicKey, &count, &p.Name, &p.IdentityByPRF, &created, &used}, extra...)...); err != nil {
		return Passkey{}, err
	}
	p.SignCount, p.Created = uint32(count), fromDB(created)
	if used != 0 {
		p.LastUsed = fromDB(used)
	}
	return p, nil
}

// passkey reads one passkey through its check.
func (o *ops) passkey(ctx context.Context, where string, arg any) (Passkey, error) {
	var mac []byte
	p, err := scanPasskey(o.queryRow(ctx, `SELECT `+passkeyCols+`, mac FROM owner_passkeys WHERE `+where, arg), &mac)
	if err != nil {
		return Passkey{}, o.wrap("passkey", err)
	}
	if err := o.check("owner_passkeys", "passkey", p.macInput, mac); err != nil {
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

// Passkeys lists an owner's passkeys, oldest first (rows failing their
// integrity check are left out).
func (o *ops) Passkeys(ctx context.Context, ownerID string) ([]Passkey, error) {
	rows, err := o.query(ctx, `SELECT `+passkeyCols+`, mac FROM owner_passkeys WHERE owner_id = ? ORDER BY created_at, id`, ownerID)
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
		if !o.intact("owner_passkeys", p.macInput, mac) {
			continue
		}
		out = append(out, p)
	}
	return out, o.wrap2("passkeys", rows.Err())
}

func (o *ops) wrap2(what string, err error) error {
	if err == nil {
		return nil
	}
	return o.wrap(what, err)
}

// UsePasskey records a successful assertion: the counter moves to count
// and the last use to at. When the authenticator counts (count or the
// stored counter non-zero), count must be above the stored one, else
// ErrCounterBack and nothing changes. ErrNotFound for an unknown id.
func (o *ops) UsePasskey(ctx context.Context, id string, count uint32, at time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "owner_passkeys", "id", id); err != nil {
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
		if err := tx.execOne(ctx, "use passkey",
			`UPDATE owner_passkeys SET sign_count = ?, last_used_at = ? WHERE id = ?`, int64(count), toDB(at), id); err != nil {
			return err
		}
		return tx.reseal(ctx, passkeySeal, id)
	})
}

// DeletePasskey removes an owner's passkey and with it its wrap.
// ErrNotFound when the owner has no such passkey.
func (o *ops) DeletePasskey(ctx context.Context, ownerID, id string) error {
	return o.execOne(ctx, "delete passkey", `DELETE FROM owner_passkeys WHERE owner_id = ? AND id = ?`, ownerID, id)
}
