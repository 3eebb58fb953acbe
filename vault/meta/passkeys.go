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

const passkeyCols = `id, owner_id, credential_id, public_key, sign_count, name, identity_by_prf, created_at, last_used_at`

// AddPasskey records a credential. ErrConflict when the credential id is
// already enrolled (by anyone); ErrNotFound for a missing owner.
func (o *ops) AddPasskey(ctx context.Context, p Passkey) error {
	if p.ID == "" || p.OwnerID == "" || len(p.CredentialID) == 0 || len(p.PublicKey) == 0 || p.Name == "" {
		return errors.New("meta: add passkey: missing field")
	}
	_, err := o.exec(ctx, "add passkey",
		`INSERT INTO owner_passkeys (`+passkeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		p.ID, p.OwnerID, p.CredentialID, p.PublicKey, int64(p.SignCount), p.Name, p.IdentityByPRF, toDB(p.Created))
	return err
}

func scanPasskey(sc interface{ Scan(...any) error }) (Passkey, error) {
	var p Passkey
	var count, created, used int64
	if err := sc.Scan(&p.ID, &p.OwnerID, &p.CredentialID, &p.PublicKey, &count, &p.Name, &p.IdentityByPRF, &created, &used); err != nil {
		return Passkey{}, err
	}
	p.SignCount, p.Created = uint32(count), fromDB(created)
	if used != 0 {
		p.LastUsed = fromDB(used)
	}
	return p, nil
}

// PasskeyByCredential returns the passkey of a credential id, or ErrNotFound.
func (o *ops) PasskeyByCredential(ctx context.Context, credentialID []byte) (Passkey, error) {
	p, err := scanPasskey(o.queryRow(ctx, `SELECT `+passkeyCols+` FROM owner_passkeys WHERE credential_id = ?`, credentialID))
	if err != nil {
		return Passkey{}, o.wrap("passkey", err)
	}
	return p, nil
}

// Passkeys lists an owner's passkeys, oldest first.
func (o *ops) Passkeys(ctx context.Context, ownerID string) ([]Passkey, error) {
	rows, err := o.query(ctx, `SELECT `+passkeyCols+` FROM owner_passkeys WHERE owner_id = ? ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, o.wrap("passkeys", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, o.wrap("passkeys", err)
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
		var stored int64
		if err := tx.queryRow(ctx, `SELECT sign_count FROM owner_passkeys WHERE id = ?`, id).Scan(&stored); err != nil {
			return tx.wrap("use passkey", err)
		}
		if (count != 0 || stored != 0) && int64(count) <= stored {
			return fmt.Errorf("meta: use passkey: %w (stored %d, presented %d)", ErrCounterBack, stored, count)
		}
		return tx.execOne(ctx, "use passkey",
			`UPDATE owner_passkeys SET sign_count = ?, last_used_at = ? WHERE id = ?`, int64(count), toDB(at), id)
	})
}

// DeletePasskey removes an owner's passkey and with it its wrap.
// ErrNotFound when the owner has no such passkey.
func (o *ops) DeletePasskey(ctx context.Context, ownerID, id string) error {
	return o.execOne(ctx, "delete passkey", `DELETE FROM owner_passkeys WHERE owner_id = ? AND id = ?`, ownerID, id)
}
