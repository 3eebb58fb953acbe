package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// OwnerAccount is the login side of an owner (migration 2). Nothing in it is
// plaintext: the identifier is an HMAC, the rest is sealed or wrapped.
type OwnerAccount struct {
	// IdentifierHash is the HMAC of the normalised identifier (unique).
	IdentifierHash string
	// IdentifierSealed and NameSealed are sealed to the owner's key, so that
	// only the owner sees them back.
	IdentifierSealed []byte
	NameSealed       []byte
	// Lang is the owner's language ("fr", "en").
	Lang string
	// AssistedOrgID is the organisation allowed to reset the owner's secret
	// ("" for none) and IdentityByOrg the owner's identity wrapped to that
	// organisation's recovery key.
	AssistedOrgID string
	IdentityByOrg []byte
}

const ownerAccountColumns = `id, public_key, identity_by_secret, identity_by_recovery, created_at,
	identifier_hash, identifier_sealed, name_sealed, lang, assisted_org_id, identity_by_org, retired_identities`

func scanOwnerAccount(s scanner, extra ...any) (Owner, OwnerAccount, error) {
	var o Owner
	var a OwnerAccount
	var created int64
	var idHash, assisted sql.NullString
	var lang sql.NullString
	if err := s.Scan(append([]any{&o.ID, &o.PublicKey, &o.IdentityBySecret, &o.IdentityByRecovery, &created,
		&idHash, &a.IdentifierSealed, &a.NameSealed, &lang, &assisted, &a.IdentityByOrg, &o.RetiredIdentities}, extra...)...); err != nil {
		return Owner{}, OwnerAccount{}, err
	}
	o.Created = fromDB(created)
	a.IdentifierHash, a.AssistedOrgID, a.Lang = idHash.String, assisted.String, lang.String
	return o, a, nil
}

// ownerMACInput: an owner's decisive fields are its key and identity
// wraps, its identifier hash (how it is found at login) and its
// assisted-recovery organisation with its wrap. The sealed identifier and
// name, the language and the retired identities decide nothing (sealed to
// the owner herself, or shown to her only).
func ownerMACInput(o Owner, a OwnerAccount) macInput {
	return func(m macw) {
		m.str(o.ID)
		m.str(o.PublicKey)
		m.bytes(o.IdentityBySecret)
		m.bytes(o.IdentityByRecovery)
		m.time(o.Created)
		m.str(a.IdentifierHash)
		m.str(a.AssistedOrgID)
		m.bytes(a.IdentityByOrg)
	}
}

var ownerSeal = &sealSpec{table: "owners", key: "id = ?", cols: ownerAccountColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		o, a, err := scanOwnerAccount(sc)
		return []any{o.ID}, ownerMACInput(o, a), err
	}}

// ownerRow reads one owner row through its check.
func (o *ops) ownerRow(ctx context.Context, what, where string, arg any) (Owner, OwnerAccount, error) {
	var mac []byte
	ow, a, err := scanOwnerAccount(o.queryRow(ctx, `SELECT `+ownerAccountColumns+`, mac FROM owners WHERE `+where, arg), &mac)
	if err != nil {
		return Owner{}, OwnerAccount{}, o.wrap(what, err)
	}
	if err := o.check("owners", what, ownerMACInput(ow, a), mac); err != nil {
		return Owner{}, OwnerAccount{}, err
	}
	return ow, a, nil
}

// CreateOwnerAccount inserts an owner together with its account columns.
// A duplicate id, public key or identifier is ErrConflict; an unknown
// assisted-recovery organisation is ErrNotFound.
func (o *ops) CreateOwnerAccount(ctx context.Context, ow Owner, a OwnerAccount) error {
	if ow.ID == "" || ow.PublicKey == "" || len(ow.IdentityBySecret) == 0 || len(ow.IdentityByRecovery) == 0 ||
		a.IdentifierHash == "" || a.Lang == "" {
		return errors.New("meta: create owner account: missing field")
	}
	if (a.AssistedOrgID == "") != (len(a.IdentityByOrg) == 0) {
		return errors.New("meta: create owner account: assisted organisation without its wrap, or the reverse")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "create owner account",
			`INSERT INTO owners (id, public_key, identity_by_secret, identity_by_recovery, created_at,
			identifier_hash, identifier_sealed, name_sealed, lang, assisted_org_id, identity_by_org)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ow.ID, ow.PublicKey, ow.IdentityBySecret, ow.IdentityByRecovery, toDB(ow.Created),
			a.IdentifierHash, a.IdentifierSealed, a.NameSealed, a.Lang, optString(a.AssistedOrgID), a.IdentityByOrg); err != nil {
			return err
		}
		return tx.reseal(ctx, ownerSeal, ow.ID)
	})
}

// OwnerAccount returns an owner with its account columns, or ErrNotFound
// (ErrTampered for a row that fails its integrity check). Owners created
// without an account have an empty IdentifierHash.
func (o *ops) OwnerAccount(ctx context.Context, id string) (Owner, OwnerAccount, error) {
	return o.ownerRow(ctx, "owner account", "id = ?", id)
}

// OwnerAccountByIdentifier finds an owner by identifier hash, or ErrNotFound
// (ErrTampered for a row that fails its integrity check).
func (o *ops) OwnerAccountByIdentifier(ctx context.Context, identifierHash string) (Owner, OwnerAccount, error) {
	if identifierHash == "" {
		return Owner{}, OwnerAccount{}, fmt.Errorf("meta: owner by identifier: %w", ErrNotFound)
	}
	return o.ownerRow(ctx, "owner by identifier", "identifier_hash = ?", identifierHash)
}

// SetOwnerIdentityByRecovery replaces the recovery-code wrap (a new
// recovery sheet). A missing owner is ErrNotFound.
func (o *ops) SetOwnerIdentityByRecovery(ctx context.Context, id string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set owner recovery wrap: empty wrap")
	}
	return o.updateOwner(ctx, id, func(tx *Tx) error {
		return tx.execOne(ctx, "set owner recovery wrap", `UPDATE owners SET identity_by_recovery = ? WHERE id = ?`, wrapped, id)
	})
}

// SetOwnerAssistedRecovery sets (orgID and its wrap) or clears ("" and nil)
// the owner's assisted-recovery organisation. ErrNotFound for a missing
// owner or organisation.
func (o *ops) SetOwnerAssistedRecovery(ctx context.Context, id, orgID string, wrapped []byte) error {
	if (orgID == "") != (len(wrapped) == 0) {
		return errors.New("meta: set assisted recovery: organisation without its wrap, or the reverse")
	}
	return o.updateOwner(ctx, id, func(tx *Tx) error {
		return tx.execOne(ctx, "set assisted recovery",
			`UPDATE owners SET assisted_org_id = ?, identity_by_org = ? WHERE id = ?`, optString(orgID), wrapped, id)
	})
}

// SetOwnerProfile replaces the owner's sealed display name and language.
// ErrNotFound for a missing owner.
func (o *ops) SetOwnerProfile(ctx context.Context, id string, nameSealed []byte, lang string) error {
	if lang == "" {
		return errors.New("meta: set owner profile: empty language")
	}
	return o.execOne(ctx, "set owner profile",
		`UPDATE owners SET name_sealed = ?, lang = ? WHERE id = ?`, nameSealed, lang, id)
}

// optString stores "" as NULL.
func optString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
