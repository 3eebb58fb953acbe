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
	_, err := o.exec(ctx, "create owner",
		`INSERT INTO owners (id, public_key, identity_by_secret, identity_by_recovery, created_at) VALUES (?, ?, ?, ?, ?)`,
		ow.ID, ow.PublicKey, ow.IdentityBySecret, ow.IdentityByRecovery, toDB(ow.Created))
	return err
}

// Owner returns an owner by id, or ErrNotFound.
func (o *ops) Owner(ctx context.Context, id string) (Owner, error) {
	var ow Owner
	var created int64
	err := o.queryRow(ctx,
		`SELECT id, public_key, identity_by_secret, identity_by_recovery, created_at, retired_identities FROM owners WHERE id = ?`, id).
		Scan(&ow.ID, &ow.PublicKey, &ow.IdentityBySecret, &ow.IdentityByRecovery, &created, &ow.RetiredIdentities)
	if err != nil {
		return Owner{}, o.wrap("owner", err)
	}
	ow.Created = fromDB(created)
	return ow, nil
}

// SetOwnerIdentityBySecret replaces the secret-wrapped identity (new secret,
// recovery). A missing owner is ErrNotFound.
func (o *ops) SetOwnerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return fmt.Errorf("meta: set owner identity: empty wrap")
	}
	return o.execOne(ctx, "set owner identity",
		`UPDATE owners SET identity_by_secret = ? WHERE id = ?`, wrapped, id)
}

// CreateWorker inserts a worker. A duplicate id or public key is ErrConflict.
func (o *ops) CreateWorker(ctx context.Context, w Worker) error {
	if w.ID == "" || w.PublicKey == "" || len(w.IdentityBySecret) == 0 {
		return fmt.Errorf("meta: create worker: missing field")
	}
	_, err := o.exec(ctx, "create worker",
		`INSERT INTO workers (id, public_key, identity_by_secret, created_at) VALUES (?, ?, ?, ?)`,
		w.ID, w.PublicKey, w.IdentityBySecret, toDB(w.Created))
	return err
}

// Worker returns a worker by id, or ErrNotFound.
func (o *ops) Worker(ctx context.Context, id string) (Worker, error) {
	var w Worker
	var created int64
	err := o.queryRow(ctx,
		`SELECT id, public_key, identity_by_secret, created_at FROM workers WHERE id = ?`, id).
		Scan(&w.ID, &w.PublicKey, &w.IdentityBySecret, &created)
	if err != nil {
		return Worker{}, o.wrap("worker", err)
	}
	w.Created = fromDB(created)
	return w, nil
}
