package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Key rotation phases (migration 8).
const (
	// RotationAdding: document wraps are being made readable by the new
	// identity too; the owner still holds the old one.
	RotationAdding = "adding"
	// RotationRemoving: the owner's keys switched to the new identity; the
	// old identity's share of every wrap is being destroyed.
	RotationRemoving = "removing"
)

// KeyRotation is an owner's key rotation in progress. CarriedIdentityWrap
// is the identity the owner does not hold at this phase: the new one
// wrapped to the old (adding), the old one wrapped to the new (removing).
type KeyRotation struct {
	OwnerID             string
	OldPublicKey        string
	NewPublicKey        string
	CarriedIdentityWrap []byte
	Phase               string
	Started             time.Time
}

// BeginKeyRotation records a rotation in the adding phase. ErrConflict when
// the owner already has one in progress; ErrNotFound for a missing owner.
func (o *ops) BeginKeyRotation(ctx context.Context, r KeyRotation) error {
	if r.OwnerID == "" || r.OldPublicKey == "" || r.NewPublicKey == "" || len(r.CarriedIdentityWrap) == 0 {
		return errors.New("meta: begin key rotation: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.Owner(ctx, r.OwnerID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "begin key rotation",
			`INSERT INTO owner_key_rotations (owner_id, old_public_key, new_public_key, carried_identity_wrap, phase, started_at)
			VALUES (?, ?, ?, ?, ?, ?)`,
			r.OwnerID, r.OldPublicKey, r.NewPublicKey, r.CarriedIdentityWrap, RotationAdding, toDB(r.Started)); err != nil {
			return err
		}
		return tx.reseal(ctx, rotationSeal, r.OwnerID)
	})
}

// macInput: every column of a rotation decides something: a rotation
// planted without the pepper would hand the owner's papers to a key its
// planter holds when she next rotates.
func (r KeyRotation) macInput(m macw) {
	m.str(r.OwnerID)
	m.str(r.OldPublicKey)
	m.str(r.NewPublicKey)
	m.bytes(r.CarriedIdentityWrap)
	m.str(r.Phase)
	m.time(r.Started)
}

const rotationColumns = `owner_id, old_public_key, new_public_key, carried_identity_wrap, phase, started_at`

func scanRotation(sc scanner, extra ...any) (KeyRotation, error) {
	var r KeyRotation
	var started int64
	if err := sc.Scan(append([]any{&r.OwnerID, &r.OldPublicKey, &r.NewPublicKey, &r.CarriedIdentityWrap, &r.Phase, &started}, extra...)...); err != nil {
		return KeyRotation{}, err
	}
	r.Started = fromDB(started)
	return r, nil
}

var rotationSeal = &sealSpec{table: "owner_key_rotations", key: "owner_id = ?", cols: rotationColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		r, err := scanRotation(sc)
		return []any{r.OwnerID}, r.macInput, err
	}}

// KeyRotation returns the owner's rotation in progress, or ErrNotFound
// (ErrTampered for a row failing its integrity check).
func (o *ops) KeyRotation(ctx context.Context, ownerID string) (KeyRotation, error) {
	var mac []byte
	r, err := scanRotation(o.queryRow(ctx, `SELECT `+rotationColumns+`, mac FROM owner_key_rotations WHERE owner_id = ?`, ownerID), &mac)
	if err != nil {
		return KeyRotation{}, o.wrap("key rotation", err)
	}
	if err := o.check("owner_key_rotations", "key rotation", r.macInput, mac); err != nil {
		return KeyRotation{}, err
	}
	return r, nil
}

// SetOwnerWrap replaces the owner's wrap of a document key. ErrNotFound
// when the owner holds no wrap of that document.
func (o *ops) SetOwnerWrap(ctx context.Context, docID, ownerID string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set owner wrap: empty wrap")
	}
	return o.execOne(ctx, "set owner wrap",
		`UPDATE document_wraps SET wrapped_key = ? WHERE document_id = ? AND recipient_kind = ? AND recipient_id = ?`,
		wrapped, docID, string(RecipientOwner), ownerID)
}

// OwnerKeySwitch is what moves an owner from the old identity to the new
// one, in one transaction.
type OwnerKeySwitch struct {
	OwnerID, OldPublicKey, NewPublicKey string
	// IdentityBySecret and IdentityByRecovery wrap the new identity.
	IdentityBySecret, IdentityByRecovery []byte
	// IdentifierSealed, NameSealed (nil: none) and IdentityByOrg (nil: no
	// assisted recovery) are the account's sealed fields for the new key.
	IdentifierSealed, NameSealed, IdentityByOrg []byte
	// OldIdentityWrap is the old identity wrapped to the new one, kept
	// until the rotation ends.
	OldIdentityWrap []byte
	// RetiredIdentities replaces the owner's retired identities (sealed to
	// the new one).
	RetiredIdentities []byte
	// KeepSession is the token hash of the session that asked (it stays,
	// with SessionIdentityWrap, the new identity wrapped to its key, and
	// ConfirmedAt); every other session of the owner ends.
	KeepSession         string
	SessionIdentityWrap []byte
	ConfirmedAt         time.Time
}

// SwitchOwnerKeys installs the new identity: the owner's public key and
// wraps change only if the public key is still OldPublicKey (else
// ErrConflict), the rotation moves to the removing phase, every other
// session of the owner ends, the passkeys' PRF wraps (of the old
// identity) are destroyed and the asking session carries the new
// identity. All or nothing.
func (o *ops) SwitchOwnerKeys(ctx context.Context, sw OwnerKeySwitch) error {
	if sw.OwnerID == "" || sw.NewPublicKey == "" || len(sw.IdentityBySecret) == 0 || len(sw.IdentityByRecovery) == 0 ||
		len(sw.OldIdentityWrap) == 0 {
		return errors.New("meta: switch owner keys: missing field")
	}
	return o.updateOwner(ctx, sw.OwnerID, func(tx *Tx) error {
		res, err := tx.exec(ctx, "switch owner keys",
			`UPDATE owners SET public_key = ?, identity_by_secret = ?, identity_by_recovery = ?,
				identifier_sealed = ?, name_sealed = ?, identity_by_org = ?, retired_identities = ?
			WHERE id = ? AND public_key = ?`,
			sw.NewPublicKey, sw.IdentityBySecret, sw.IdentityByRecovery,
			sw.IdentifierSealed, sw.NameSealed, sw.IdentityByOrg, sw.RetiredIdentities, sw.OwnerID, sw.OldPublicKey)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("meta: switch owner keys: %w", err)
		} else if n == 0 {
			return fmt.Errorf("meta: switch owner keys: key changed meanwhile: %w", ErrConflict)
		}
		if err := tx.lockRow(ctx, "owner_key_rotations", "owner_id", sw.OwnerID); err != nil {
			return err
		}
		if r, err := tx.KeyRotation(ctx, sw.OwnerID); err != nil {
			return err
		} else if r.Phase != RotationAdding {
			return fmt.Errorf("meta: switch owner keys: rotation: %w", ErrNotFound)
		}
		if err := tx.execOne(ctx, "switch owner keys: rotation",
			`UPDATE owner_key_rotations SET phase = ?, carried_identity_wrap = ? WHERE owner_id = ? AND phase = ?`,
			RotationRemoving, sw.OldIdentityWrap, sw.OwnerID, RotationAdding); err != nil {
			return err
		}
		if err := tx.reseal(ctx, rotationSeal, sw.OwnerID); err != nil {
			return err
		}
		if _, err := tx.DeleteOtherSessions(ctx, RecipientOwner, sw.OwnerID, sw.KeepSession); err != nil {
			return err
		}
		// The passkeys' PRF wraps hold the old identity: gone with it; each
		// passkey waits for its next use to wrap the new one.
		if _, err := tx.dropOwnerPasskeyWraps(ctx, sw.OwnerID, sw.ConfirmedAt); err != nil {
			return err
		}
		if sw.KeepSession == "" {
			return nil
		}
		s, err := tx.lockedSession(ctx, sw.KeepSession)
		if errors.Is(err, ErrNotFound) || err == nil && s.PrincipalID != sw.OwnerID {
			return nil // ended meanwhile (or not the owner's): nothing to carry over
		}
		if err != nil {
			return err
		}
		if err := tx.execOne(ctx, "switch owner keys: session",
			`UPDATE sessions SET identity_wrap = ?, confirmed_at = ? WHERE token_hash = ?`,
			sw.SessionIdentityWrap, confirmedDB(sw.ConfirmedAt), sw.KeepSession); err != nil {
			return err
		}
		return tx.reseal(ctx, sessionSeal, sw.KeepSession)
	})
}

// FinishKeyRotation forgets a finished rotation (and the old identity it
// carried). Finishing none is not an error.
func (o *ops) FinishKeyRotation(ctx context.Context, ownerID string) error {
	_, err := o.exec(ctx, "finish key rotation", `DELETE FROM owner_key_rotations WHERE owner_id = ?`, ownerID)
	return err
}

// OwnerRetiredIdentities returns the owner's retired identities as stored
// (nil when the owner never rotated). ErrNotFound for a missing owner.
func (o *ops) OwnerRetiredIdentities(ctx context.Context, ownerID string) ([]byte, error) {
	var b []byte
	if err := o.queryRow(ctx, `SELECT retired_identities FROM owners WHERE id = ?`, ownerID).Scan(&b); err != nil {
		return nil, o.wrap("retired identities", err)
	}
	return b, nil
}

// Sealed details an owner shares with one other reader, resealed by a key
// rotation.
const (
	DetailsConsent  = "consents"
	DetailsRequest  = "requests"
	DetailsDropLink = "drop_links"
)

// SetDetailsSealed replaces the sealed details of an owner's consent,
// request or drop link (what is DetailsConsent, DetailsRequest or
// DetailsDropLink). ErrNotFound when the owner has no such row.
func (o *ops) SetDetailsSealed(ctx context.Context, what, id, ownerID string, sealed []byte) error {
	switch what {
	case DetailsConsent, DetailsRequest, DetailsDropLink:
	default:
		return fmt.Errorf("meta: set sealed details: unknown table %q", what)
	}
	if len(sealed) == 0 {
		return errors.New("meta: set sealed details: empty")
	}
	set := func(x *ops) error {
		return x.execOne(ctx, "set sealed details",
			`UPDATE `+what+` SET details_sealed = ? WHERE id = ? AND owner_id = ?`, sealed, id, ownerID)
	}
	switch what {
	case DetailsConsent: // the details are in the consent's mac
		return o.updateConsent(ctx, id, func(tx *Tx, _ Consent) error { return set(&tx.ops) })
	case DetailsRequest: // and in the request's
		return o.atomic(ctx, func(tx *Tx) error {
			if err := tx.lockRow(ctx, "requests", "id", id); err != nil {
				return err
			}
			if _, err := tx.Request(ctx, id); err != nil {
				return err
			}
			if err := set(&tx.ops); err != nil {
				return err
			}
			return tx.reseal(ctx, requestSeal, id)
		})
	}
	return set(o) // a drop link's details are not in its mac
}
