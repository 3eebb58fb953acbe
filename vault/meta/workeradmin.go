package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Administration of workers and organisations (migration 9): disabling a
// worker, removing a membership, rotating an organisation's grantee key.

// WorkerRow is a worker with its account columns.
type WorkerRow struct {
	Worker
	Account WorkerAccount
}

// WorkerAccounts lists workers, oldest first: those of orgID, or every
// worker when orgID is "".
func (o *ops) WorkerAccounts(ctx context.Context, orgID string) ([]WorkerRow, error) {
	where := `email_hash IS NOT NULL`
	var args []any
	if orgID != "" {
		where += ` AND org_id = ?`
		args = append(args, orgID)
	}
	return o.queryWorkers(ctx, "worker accounts", where+` ORDER BY created_at, id`, args...)
}

// SetWorkerDisabled disables a worker since at, or enables them again when
// at is zero. ErrNotFound for a missing worker.
func (o *ops) SetWorkerDisabled(ctx context.Context, id string, at time.Time) error {
	return o.updateWorker(ctx, id, func(tx *Tx, _ Worker, _ WorkerAccount) error {
		return tx.execOne(ctx, "set worker disabled", `UPDATE workers SET disabled_at = ? WHERE id = ?`, optTime(at), id)
	})
}

// RemoveMember takes a worker out of organisation orgID and drops their
// wraps of its identity. ErrNotFound unless the worker belongs to orgID.
func (o *ops) RemoveMember(ctx context.Context, workerID, orgID string) error {
	if orgID == "" {
		return fmt.Errorf("meta: remove member: %w", ErrNotFound)
	}
	return o.updateWorker(ctx, workerID, func(tx *Tx, _ Worker, a WorkerAccount) error {
		if a.OrgID != orgID {
			return fmt.Errorf("meta: remove member: %w", ErrNotFound)
		}
		return tx.execOne(ctx, "remove member",
			`UPDATE workers SET org_id = NULL, org_identity_wrap = NULL, next_org_identity_wrap = NULL WHERE id = ?`, workerID)
	})
}

// updateOrg runs change on an organisation's row, in one transaction: the
// row is locked and read through its check first, and its mac is
// computed again after.
func (o *ops) updateOrg(ctx context.Context, id string, change func(tx *Tx, org Organisation) error) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "organisations", "id", id); err != nil {
			return err
		}
		org, err := tx.Organisation(ctx, id)
		if err != nil {
			return err
		}
		if err := change(tx, org); err != nil {
			return err
		}
		return tx.reseal(ctx, orgSeal, id)
	})
}

// BeginOrgRotation records the next grantee key of an organisation whose
// key is still currentPublic, and the owners the rotation affects, in one
// transaction. ErrConflict when a rotation is already under way or the key
// changed; ErrNotFound for a missing organisation.
func (o *ops) BeginOrgRotation(ctx context.Context, orgID, currentPublic, nextPublic string, nextByRecovery []byte, ownerIDs []string) error {
	if nextPublic == "" || len(nextByRecovery) == 0 {
		return errors.New("meta: begin org rotation: missing field")
	}
	return o.updateOrg(ctx, orgID, func(tx *Tx, org Organisation) error {
		if org.PublicKey != currentPublic || org.NextPublicKey != "" {
			return fmt.Errorf("meta: begin org rotation: already under way: %w", ErrConflict)
		}
		if err := tx.execOne(ctx, "begin org rotation",
			`UPDATE organisations SET next_public_key = ?, next_identity_by_recovery = ? WHERE id = ?`,
			nextPublic, nextByRecovery, orgID); err != nil {
			return err
		}
		for _, id := range ownerIDs {
			if err := tx.AddRotationOwner(ctx, orgID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddRotationOwner records an owner affected by the rotation under way (a
// second time changes nothing).
func (o *ops) AddRotationOwner(ctx context.Context, orgID, ownerID string) error {
	_, err := o.exec(ctx, "add rotation owner",
		`INSERT INTO org_rotation_owners (org_id, owner_id, journaled_at) VALUES (?, ?, NULL)
		ON CONFLICT (org_id, owner_id) DO NOTHING`, orgID, ownerID)
	return err
}

// RotationOwners lists the owners of the rotation under way not yet told in
// their journal.
func (o *ops) RotationOwners(ctx context.Context, orgID string) ([]string, error) {
	rows, err := o.query(ctx,
		`SELECT owner_id FROM org_rotation_owners WHERE org_id = ? AND journaled_at IS NULL ORDER BY owner_id`, orgID)
	if err != nil {
		return nil, o.wrap("rotation owners", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, o.wrap("rotation owners", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("rotation owners", err)
	}
	return out, nil
}

// MarkRotationOwnerJournaled records that the owner was told.
func (o *ops) MarkRotationOwnerJournaled(ctx context.Context, orgID, ownerID string, at time.Time) error {
	return o.execOne(ctx, "mark rotation owner",
		`UPDATE org_rotation_owners SET journaled_at = ? WHERE org_id = ? AND owner_id = ?`, toDB(at), orgID, ownerID)
}

// MembersWithoutNext lists the active members of orgID who do not hold the
// next identity of the rotation under way (rows failing their integrity
// check are left out).
func (o *ops) MembersWithoutNext(ctx context.Context, orgID string) ([]Worker, error) {
	rows, err := o.queryWorkers(ctx, "members without next",
		`org_id = ? AND org_identity_wrap IS NOT NULL AND next_org_identity_wrap IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Worker, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Worker)
	}
	return out, nil
}

// SetMemberNextOrgIdentity gives an active member the organisation's next
// identity. ErrNotFound unless the worker is an active member of orgID
// without one.
func (o *ops) SetMemberNextOrgIdentity(ctx context.Context, workerID, orgID string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set member next org identity: empty wrap")
	}
	return o.updateWorker(ctx, workerID, func(tx *Tx, _ Worker, a WorkerAccount) error {
		if a.OrgID != orgID || len(a.OrgIdentityWrap) == 0 || len(a.NextOrgIdentityWrap) != 0 {
			return fmt.Errorf("meta: set member next org identity: %w", ErrNotFound)
		}
		return tx.execOne(ctx, "set member next org identity",
			`UPDATE workers SET next_org_identity_wrap = ? WHERE id = ?`, wrapped, workerID)
	})
}

// ReplaceWrap overwrites a document-key wrap that still holds old.
// ErrNotFound when the wrap is gone or changed meanwhile.
func (o *ops) ReplaceWrap(ctx context.Context, docID string, kind RecipientKind, recipientID string, old, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: replace wrap: empty wrap")
	}
	return o.execOne(ctx, "replace wrap",
		`UPDATE document_wraps SET wrapped_key = ?
		WHERE document_id = ? AND recipient_kind = ? AND recipient_id = ? AND wrapped_key = ?`,
		wrapped, docID, string(kind), recipientID, old)
}

// RekeyConsent points a consent still made to oldPublic at newPublic, with
// its details re-sealed. ErrNotFound when it changed meanwhile.
func (o *ops) RekeyConsent(ctx context.Context, id, oldPublic, newPublic string, details []byte) error {
	if newPublic == "" || len(details) == 0 {
		return errors.New("meta: rekey consent: missing field")
	}
	return o.updateConsent(ctx, id, func(tx *Tx, c Consent) error {
		if c.GranteePublicKey != oldPublic {
			return fmt.Errorf("meta: rekey consent: %w", ErrNotFound)
		}
		return tx.execOne(ctx, "rekey consent",
			`UPDATE consents SET grantee_public_key = ?, details_sealed = ? WHERE id = ?`, newPublic, details, id)
	})
}

// FinishOrgRotation makes the next key of orgID its key, in one
// transaction: members holding the next identity get it as their
// identity, members who do not (activated during the rotation) become
// pending again, the old wraps are overwritten, and the rotation's owner
// list is dropped. ErrNotFound unless nextPublic is the rotation under way.
// Members whose row fails its integrity check are left as they are (and
// keep failing it).
func (o *ops) FinishOrgRotation(ctx context.Context, orgID, nextPublic string) error {
	return o.updateOrg(ctx, orgID, func(tx *Tx, org Organisation) error {
		if org.NextPublicKey != nextPublic {
			return fmt.Errorf("meta: finish org rotation: %w", ErrNotFound)
		}
		if err := tx.execOne(ctx, "finish org rotation",
			`UPDATE organisations SET public_key = next_public_key, identity_by_recovery = next_identity_by_recovery,
				next_public_key = NULL, next_identity_by_recovery = NULL
			WHERE id = ?`, orgID); err != nil {
			return err
		}
		members, err := tx.queryWorkers(ctx, "finish org rotation", `org_id = ? ORDER BY id`, orgID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if err := tx.lockRow(ctx, "workers", "id", m.ID); err != nil {
				return err
			}
			if len(m.Account.NextOrgIdentityWrap) == 0 {
				if err := tx.execOne(ctx, "finish org rotation",
					`UPDATE workers SET org_identity_wrap = NULL WHERE id = ?`, m.ID); err != nil {
					return err
				}
			} else if err := tx.execOne(ctx, "finish org rotation",
				`UPDATE workers SET org_identity_wrap = next_org_identity_wrap, next_org_identity_wrap = NULL WHERE id = ?`, m.ID); err != nil {
				return err
			}
			if err := tx.reseal(ctx, workerSeal, m.ID); err != nil {
				return err
			}
		}
		_, err = tx.exec(ctx, "finish org rotation", `DELETE FROM org_rotation_owners WHERE org_id = ?`, orgID)
		return err
	})
}
