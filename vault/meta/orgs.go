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
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "create organisation",
			`INSERT INTO organisations (id, name_sealed, public_key, identity_by_recovery, recovery_public_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
			org.ID, org.NameSealed, org.PublicKey, org.IdentityByRecovery, org.RecoveryPublicKey, toDB(org.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, orgSeal, org.ID)
	})
}

const orgColumns = `id, name_sealed, public_key, identity_by_recovery, recovery_public_key, created_at,
	next_public_key, next_identity_by_recovery`

func scanOrganisation(s scanner, extra ...any) (Organisation, error) {
	var org Organisation
	var created int64
	var next sql.NullString
	if err := s.Scan(append([]any{&org.ID, &org.NameSealed, &org.PublicKey, &org.IdentityByRecovery, &org.RecoveryPublicKey, &created,
		&next, &org.NextIdentityByRecovery}, extra...)...); err != nil {
		return Organisation{}, err
	}
	org.Created, org.NextPublicKey = fromDB(created), next.String
	return org, nil
}

// macInput: every column of an organisation decides something (its name
// is what owners grant to; its keys receive their papers).
func (org Organisation) macInput(m macw) {
	m.str(org.ID)
	m.bytes(org.NameSealed)
	m.str(org.PublicKey)
	m.bytes(org.IdentityByRecovery)
	m.str(org.RecoveryPublicKey)
	m.time(org.Created)
	m.str(org.NextPublicKey)
	m.bytes(org.NextIdentityByRecovery)
}

var orgSeal = &sealSpec{table: "organisations", key: "id = ?", cols: orgColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		org, err := scanOrganisation(sc)
		return []any{org.ID}, org.macInput, err
	}}

// Organisation returns an organisation, or ErrNotFound (ErrTampered for a
// row that fails its integrity check).
func (o *ops) Organisation(ctx context.Context, id string) (Organisation, error) {
	var mac []byte
	org, err := scanOrganisation(o.queryRow(ctx, `SELECT `+orgColumns+`, mac FROM organisations WHERE id = ?`, id), &mac)
	if err != nil {
		return Organisation{}, o.wrap("organisation", err)
	}
	if err := o.check("organisations", "organisation", org.macInput, mac); err != nil {
		return Organisation{}, err
	}
	return org, nil
}

// Organisations returns every organisation, oldest first (those failing
// their integrity check are left out).
func (o *ops) Organisations(ctx context.Context) ([]Organisation, error) {
	rows, err := o.query(ctx, `SELECT `+orgColumns+`, mac FROM organisations ORDER BY created_at, id`)
	if err != nil {
		return nil, o.wrap("organisations", err)
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		var mac []byte
		org, err := scanOrganisation(rows, &mac)
		if err != nil {
			return nil, o.wrap("organisations", err)
		}
		if !o.intact("organisations", org.macInput, mac) {
			continue
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
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "create worker account",
			`INSERT INTO workers (id, public_key, identity_by_secret, created_at,
			org_id, email_hash, email_sealed, name_sealed, org_identity_wrap, totp_sealed, totp_last_step)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.PublicKey, w.IdentityBySecret, toDB(w.Created),
			optString(a.OrgID), a.EmailHash, a.EmailSealed, a.NameSealed, a.OrgIdentityWrap, a.TOTPSealed, a.TOTPLastStep); err != nil {
			return err
		}
		return tx.reseal(ctx, workerSeal, w.ID)
	})
}

const workerAccountColumns = `id, public_key, identity_by_secret, created_at,
	org_id, email_hash, email_sealed, name_sealed, org_identity_wrap, totp_sealed, totp_last_step,
	disabled_at, next_org_identity_wrap`

func scanWorkerAccount(s scanner, extra ...any) (Worker, WorkerAccount, error) {
	var w Worker
	var a WorkerAccount
	var created int64
	var org, email sql.NullString
	var disabled sql.NullInt64
	if err := s.Scan(append([]any{&w.ID, &w.PublicKey, &w.IdentityBySecret, &created,
		&org, &email, &a.EmailSealed, &a.NameSealed, &a.OrgIdentityWrap, &a.TOTPSealed, &a.TOTPLastStep,
		&disabled, &a.NextOrgIdentityWrap}, extra...)...); err != nil {
		return Worker{}, WorkerAccount{}, err
	}
	w.Created, a.Disabled = fromDB(created), fromOptTime(disabled)
	a.OrgID, a.EmailHash = org.String, email.String
	return w, a, nil
}

// workerMACInput: every column of a worker decides something: its keys and
// wraps, its e-mail (login), name (what owners grant to), organisation
// and its wraps, TOTP secret and last step (replays), and disabled_at (a
// disabled worker cleared back to active breaks the mac).
func workerMACInput(w Worker, a WorkerAccount) macInput {
	return func(m macw) {
		m.str(w.ID)
		m.str(w.PublicKey)
		m.bytes(w.IdentityBySecret)
		m.time(w.Created)
		m.str(a.OrgID)
		m.str(a.EmailHash)
		m.bytes(a.EmailSealed)
		m.bytes(a.NameSealed)
		m.bytes(a.OrgIdentityWrap)
		m.bytes(a.TOTPSealed)
		m.int(a.TOTPLastStep)
		m.time(a.Disabled)
		m.bytes(a.NextOrgIdentityWrap)
	}
}

var workerSeal = &sealSpec{table: "workers", key: "id = ?", cols: workerAccountColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		w, a, err := scanWorkerAccount(sc)
		return []any{w.ID}, workerMACInput(w, a), err
	}}

// queryWorkers reads worker rows through their check; rows failing it are
// left out.
func (o *ops) queryWorkers(ctx context.Context, what, where string, args ...any) ([]WorkerRow, error) {
	rows, err := o.query(ctx, `SELECT `+workerAccountColumns+`, mac FROM workers WHERE `+where, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []WorkerRow
	for rows.Next() {
		var mac []byte
		w, a, err := scanWorkerAccount(rows, &mac)
		if err != nil {
			return nil, o.wrap(what, err)
		}
		if !o.intact("workers", workerMACInput(w, a), mac) {
			continue
		}
		out = append(out, WorkerRow{Worker: w, Account: a})
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// workerRow reads one worker row through its check.
func (o *ops) workerRow(ctx context.Context, what, where string, arg any) (Worker, WorkerAccount, error) {
	var mac []byte
	w, a, err := scanWorkerAccount(o.queryRow(ctx, `SELECT `+workerAccountColumns+`, mac FROM workers WHERE `+where, arg), &mac)
	if err != nil {
		return Worker{}, WorkerAccount{}, o.wrap(what, err)
	}
	if err := o.check("workers", what, workerMACInput(w, a), mac); err != nil {
		return Worker{}, WorkerAccount{}, err
	}
	return w, a, nil
}

// WorkerAccount returns a worker with its account columns, or ErrNotFound
// (ErrTampered for a row that fails its integrity check).
func (o *ops) WorkerAccount(ctx context.Context, id string) (Worker, WorkerAccount, error) {
	return o.workerRow(ctx, "worker account", "id = ?", id)
}

// WorkerAccountByEmail finds a worker by e-mail hash, or ErrNotFound
// (ErrTampered for a row that fails its integrity check).
func (o *ops) WorkerAccountByEmail(ctx context.Context, emailHash string) (Worker, WorkerAccount, error) {
	if emailHash == "" {
		return Worker{}, WorkerAccount{}, fmt.Errorf("meta: worker by email: %w", ErrNotFound)
	}
	return o.workerRow(ctx, "worker by email", "email_hash = ?", emailHash)
}

// updateWorker runs change on a worker's row, in one transaction: the row
// is locked and read through its check first (ErrTampered: nothing
// changes), and its mac is computed again after.
func (o *ops) updateWorker(ctx context.Context, id string, change func(tx *Tx, w Worker, a WorkerAccount) error) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "workers", "id", id); err != nil {
			return err
		}
		w, a, err := tx.WorkerAccount(ctx, id)
		if err != nil {
			return err
		}
		if err := change(tx, w, a); err != nil {
			return err
		}
		return tx.reseal(ctx, workerSeal, id)
	})
}

// PendingMembers returns the workers of an organisation who do not hold its
// identity yet (a row failing its integrity check is left out: nobody
// gets the organisation's identity through a forged membership).
func (o *ops) PendingMembers(ctx context.Context, orgID string) ([]Worker, error) {
	rows, err := o.queryWorkers(ctx, "pending members",
		`org_id = ? AND org_identity_wrap IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Worker, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Worker)
	}
	return out, nil
}

// SetMemberOrgIdentity gives a pending member its wrap of the organisation
// identity. ErrNotFound unless the worker belongs to orgID and is pending.
func (o *ops) SetMemberOrgIdentity(ctx context.Context, workerID, orgID string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set member org identity: empty wrap")
	}
	return o.updateWorker(ctx, workerID, func(tx *Tx, _ Worker, a WorkerAccount) error {
		if a.OrgID != orgID || len(a.OrgIdentityWrap) != 0 {
			return fmt.Errorf("meta: set member org identity: %w", ErrNotFound)
		}
		return tx.execOne(ctx, "set member org identity",
			`UPDATE workers SET org_identity_wrap = ? WHERE id = ?`, wrapped, workerID)
	})
}

// UseTOTPStep records step as the worker's last accepted TOTP step. It is
// ErrConflict when step is not newer than the last one (a replayed code),
// ErrNotFound for a missing worker.
func (o *ops) UseTOTPStep(ctx context.Context, workerID string, step int64) error {
	return o.updateWorker(ctx, workerID, func(tx *Tx, _ Worker, a WorkerAccount) error {
		if a.TOTPLastStep >= step {
			return fmt.Errorf("meta: use totp step: code already used: %w", ErrConflict)
		}
		return tx.execOne(ctx, "use totp step", `UPDATE workers SET totp_last_step = ? WHERE id = ?`, step, workerID)
	})
}

// SetWorkerIdentityBySecret replaces a worker's secret-wrapped identity.
// ErrNotFound for a missing worker.
func (o *ops) SetWorkerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error {
	if len(wrapped) == 0 {
		return errors.New("meta: set worker identity: empty wrap")
	}
	return o.updateWorker(ctx, id, func(tx *Tx, _ Worker, _ WorkerAccount) error {
		return tx.execOne(ctx, "set worker identity", `UPDATE workers SET identity_by_secret = ? WHERE id = ?`, wrapped, id)
	})
}
