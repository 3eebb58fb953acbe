package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Organisation is a structure of workers (migration 2).
type Organisation struct {
	ID string
	// NameSealed is the name sealed to the server key.
	NameSealed []byte
	// PublicKey is the organisation's grantee recipient; IdentityByRecovery
	// its identity wrapped to the recovery key (RecoveryPublicKey), which
	// the organisation keeps offline.
	PublicKey          string
	IdentityByRecovery []byte
	RecoveryPublicKey  string
	Created            time.Time
	// NextPublicKey and NextIdentityByRecovery are the new grantee key of a
	// rotation under way ("" and nil otherwise; migration 9).
	NextPublicKey          string
	NextIdentityByRecovery []byte
}

// WorkerAccount is the login side of a worker (migration 2).
type WorkerAccount struct {
	// OrgID is the worker's organisation ("" for none).
	OrgID string
	// EmailHash is the HMAC of the normalised e-mail (unique).
	EmailHash string
	// EmailSealed and NameSealed are sealed to the server key.
	EmailSealed []byte
	NameSealed  []byte
	// OrgIdentityWrap is the organisation's identity wrapped to the worker;
	// nil while the membership is pending.
	OrgIdentityWrap []byte
	// TOTPSealed is the TOTP secret sealed to the server key (nil: no TOTP)
	// and TOTPLastStep the last accepted time step (replay guard).
	TOTPSealed   []byte
	TOTPLastStep int64
	// Disabled is when an administrator disabled the worker (zero: not
	// disabled); NextOrgIdentityWrap the organisation's next identity
	// during a key rotation (migration 9).
	Disabled            time.Time
	NextOrgIdentityWrap []byte
}

// CreateOrganisation inserts an organisation. Duplicate id or keys are
// ErrConflict.
func (o *ops) CreateOrganisation(ctx context.Context, org Organisation) error {
	if org.ID == "" || len(org.NameSealed) == 0 || org.PublicKey == "" || len(org.IdentityByRecovery) == 0 || org.RecoveryPublicKey == "" {
		return errors.New("meta: create organisation: missing field")
	}
	_, err := o.exec(ctx, "create organisation",
		`INSERT INTO organisations (id, name_sealed, public_key, identity_by_recovery, recovery_public_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		org.ID, org.NameSealed, org.PublicKey, org.IdentityByRecovery, org.RecoveryPublicKey, toDB(org.Created))
	return err
}

const orgColumns = `id, name_sealed, public_key, identity_by_recovery, recovery_public_key, created_at,
	next_public_key, next_identity_by_recovery`

func scanOrganisation(s scanner) (Organisation, error) {
	var org Organisation
	var created int64
	var next sql.NullString
	if err := s.Scan(&org.ID, &org.NameSealed, &org.PublicKey, &org.IdentityByRecovery, &org.RecoveryPublicKey, &created,
		&next, &org.NextIdentityByRecovery); err != nil {
		return Organisation{}, err
	}
	org.Created, org.NextPublicKey = fromDB(created), next.String
	return org, nil
}

// Organisation returns an organisation, or ErrNotFound.
func (o *ops) Organisation(ctx context.Context, id string) (Organisation, error) {
	org, err := scanOrganisation(o.queryRow(ctx, `SELECT `+orgColumns+` FROM organisations WHERE id = ?`, id))
	if err != nil {
		return Organisation{}, o.wrap("organisation", err)
	}
	return org, nil
}

// Organisations returns every organisation, oldest first.
func (o *ops) Organisations(ctx context.Context) ([]Organisation, error) {
	rows, err := o.query(ctx, `SELECT `+orgColumns+` FROM organisations ORDER BY created_at, id`)
	if err != nil {
		return nil, o.wrap("organisations", err)
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		org, err := scanOrganisation(rows)
		if err != nil {
			return nil, o.wrap("organisations", err)
		}
		out = append(out, org)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("organisations", err)
	}
	return out, nil
}

// CreateWorkerAccount inserts a worker with its account columns. Duplicate
// id, public key or e-mail is ErrConflict; an unknown organisation is
// ErrNotFound.
func (o *ops) CreateWorkerAccount(ctx context.Context, w Worker, a WorkerAccount) error {
	if w.ID == "" || w.PublicKey == "" || len(w.IdentityBySecret) == 0 || a.EmailHash == "" {
		return errors.New("meta: create worker account: missing field")
	}
	_, err := o.exec(ctx, "create worker account",
		`INSERT INTO workers (id, public_key, identity_by_secret, created_at,
			org_id, email_hash, email_sealed, name_sealed, org_identity_wrap, totp_sealed, totp_last_step)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.PublicKey, w.IdentityBySecret, toDB(w.Created),
		optString(a.OrgID), a.EmailHash, a.EmailSealed, a.NameSealed, a.OrgIdentityWrap, a.TOTPSealed, a.TOTPLastStep)
	return err
}

const workerAccountColumns = `id, public_key, identity_by_secret, created_at,
	org_id, email_hash, email_sealed, name_sealed, org_identity_wrap, totp_sealed, totp_last_step,
	disabled_at, next_org_identity_wrap`

func scanWorkerAccount(s scanner) (Worker, WorkerAccount, error) {
	var w Worker
	var a WorkerAccount
	var created int64
	var org, email sql.NullString
	var disabled sql.NullInt64
	if err := s.Scan(&w.ID, &w.PublicKey, &w.IdentityBySecret, &created,
		&org, &email, &a.EmailSealed, &a.NameSealed, &a.OrgIdentityWrap, &a.TOTPSealed, &a.TOTPLastStep,
		&disabled, &a.NextOrgIdentityWrap); err != nil {
		return Worker{}, WorkerAccount{}, err
	}
	w.Created, a.Disabled = fromDB(created), fromOptTime(disabled)
	a.OrgID, a.EmailHash = org.String, email.String
	return w, a, nil
}

// WorkerAccount returns a worker with its account columns, or ErrNotFound.
func (o *ops) WorkerAccount(ctx context.Context, id string) (Worker, WorkerAccount, error) {
	w, a, err := scanWorkerAccount(o.queryRow(ctx, `SELECT `+workerAccountColumns+` FROM workers WHERE id = ?`, id))
	if err != nil {
		return Worker{}, WorkerAccount{}, o.wrap("worker account", err)
	}
	return w, a, nil
}

// WorkerAccountByEmail finds a worker by e-mail hash, or ErrNotFound.
func (o *ops) WorkerAccountByEmail(ctx context.Context, emailHash string) (Worker, WorkerAccount, error) {
	if emailHash == "" {
		return Worker{}, WorkerAccount{}, fmt.Errorf("meta: worker by email: %w", ErrNotFound)
	}
	w, a, err := scanWorkerAccount(o.queryRow(ctx, `SELECT `+workerAccountColumns+` FROM workers WHERE email_hash = ?`, emailHash))
	if err != nil {
		return Worker{}, WorkerAccount{}, o.wrap("worker by email", err)
	}
	return w, a, nil
}

// PendingMembers returns the workers of an organisation who do not hold its
// identity yet.
func (o *ops) PendingMembers(ctx context.Context, orgID string) ([]Worker, error) {
	rows, err := o.query(ctx,
		`SELECT id, public_key, identity_by_secret, created_at FROM workers
		WHERE org_id = ? AND org_identity_wrap IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, o.wrap("pending members", err)
	}
	defer rows.Close()
	var out []Worker
	for rows.Next() {
		var w Worker
		var created int64
		if err := rows.Scan(&w.ID, &w.PublicKey, &w.IdentityBySecret, &created); err != nil {
			return nil, o.wrap("pending members", err)
		}
		w.Created = fromDB(created)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("pending members", err)
	}
	return out, nil
}

// SetMemberOrgIdentity gives a pending member its wrap of the organisation
// identity. ErrNotFound unless the worker belongs to orgID and is pending.
func (o *ops) SetMemberOrgIdentity(ctx context.Context, workerID, orgID string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set member org identity: empty wrap")
	}
	return o.execOne(ctx, "set member org identity",
		`UPDATE workers SET org_identity_wrap = ? WHERE id = ? AND org_id = ? AND org_identity_wrap IS NULL`,
		wrapped, workerID, orgID)
}

// UseTOTPStep records step as the worker's last accepted TOTP step. It is
// ErrConflict when step is not newer than the last one (a replayed code),
// ErrNotFound for a missing worker.
func (o *ops) UseTOTPStep(ctx context.Context, workerID string, step int64) error {
	return o.atomic(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "use totp step",
			`UPDATE workers SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, workerID, step)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("meta: use totp step: %w", err)
		} else if n == 0 {
			if _, _, err := tx.WorkerAccount(ctx, workerID); err != nil {
				return err
			}
			return fmt.Errorf("meta: use totp step: code already used: %w", ErrConflict)
		}
		return nil
	})
}

// SetWorkerIdentityBySecret replaces a worker's secret-wrapped identity.
// ErrNotFound for a missing worker.
func (o *ops) SetWorkerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set worker identity: empty wrap")
	}
	return o.execOne(ctx, "set worker identity",
		`UPDATE workers SET identity_by_secret = ? WHERE id = ?`, wrapped, id)
}
