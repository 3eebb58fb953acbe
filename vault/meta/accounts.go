package meta

import (
	"context"
	"fmt"
)

// CreateOwner inserts an owner. A duplicate id or public key is ErrConflict.
func (o *ops) CreateOwner(ctx context.Context, ow Owner) error {
	if ow.ID == "" || ow.PublicKey == "" || len(ow.IdentityBySecret) == 0 || len(ow.IdentityByRecovery) == 0 {
		return fmt.Errorf("meta: create owner: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "create owner",
			`INSERT INTO owners (id, public_key, identity_by_secret, identity_by_recovery, created_at) VALUES (?, ?, ?, ?, ?)`,
			ow.ID, ow.PublicKey, ow.IdentityBySecret, ow.IdentityByRecovery, toDB(ow.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, ownerSeal, ow.ID)
	})
}

// Owner returns an owner by id, or ErrNotFound (ErrTampered for a row
// that fails its integrity check).
func (o *ops) Owner(ctx context.Context, id string) (Owner, error) {
	ow, _, err := o.OwnerAccount(ctx, id)
	if err != nil {
		return Owner{}, err
	}
	return ow, nil
}

// SetOwnerIdentityBySecret replaces the secret-wrapped identity (new secret,
// recovery). A missing owner is ErrNotFound.
func (o *ops) SetOwnerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return fmt.Errorf("meta: set owner identity: empty wrap")
	}
	return o.updateOwner(ctx, id, func(tx *Tx) error {
		return tx.execOne(ctx, "set owner identity", `UPDATE owners SET identity_by_secret = ? WHERE id = ?`, wrapped, id)
	})
}

// updateOwner runs change on an owner's row, in one transaction: the row
// is locked and read through its check first (ErrTampered: nothing
// changes), and its mac is computed again after.
func (o *ops) updateOwner(ctx context.Context, id string, change func(tx *Tx) error) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "owners", "id", id); err != nil {
			return err
		}
		if _, _, err := tx.OwnerAccount(ctx, id); err != nil {
			return err
		}
		if err := change(tx); err != nil {
			return err
		}
		return tx.reseal(ctx, ownerSeal, id)
	})
}

// CreateWorker inserts a worker. A duplicate id or public key is ErrConflict.
func (o *ops) CreateWorker(ctx context.Context, w Worker) error {
	if w.ID == "" || w.PublicKey == "" || len(w.IdentityBySecret) == 0 {
		return fmt.Errorf("meta: create worker: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "create worker",
			`INSERT INTO workers (id, public_key, identity_by_secret, created_at) VALUES (?, ?, ?, ?)`,
			w.ID, w.PublicKey, w.IdentityBySecret, toDB(w.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, workerSeal, w.ID)
	})
}

// Worker returns a worker by id, or ErrNotFound (ErrTampered for a row
// that fails its integrity check).
func (o *ops) Worker(ctx context.Context, id string) (Worker, error) {
	w, _, err := o.WorkerAccount(ctx, id)
	if err != nil {
		return Worker{}, err
	}
	return w, nil
}
