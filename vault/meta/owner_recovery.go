package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ReplaceOwnerRecovery stores a recovery's outcome in one statement: the
// new secret wrap and the new recovery-code wrap, only if the recovery-code
// wrap is still oldRecovery (the one the caller opened). When another
// recovery or a new recovery sheet changed it meanwhile, nothing is written
// and the error is ErrConflict; a missing owner is ErrNotFound.
func (o *ops) ReplaceOwnerRecovery(ctx context.Context, id string, oldRecovery, bySecret, byRecovery []byte) error {
	if len(oldRecovery) == 0 || len(bySecret) == 0 || len(byRecovery) == 0 {
		return errors.New("meta: replace owner recovery: empty wrap")
	}
	return o.updateOwner(ctx, id, func(tx *Tx) error {
		err := tx.execOne(ctx, "replace owner recovery",
			`UPDATE owners SET identity_by_secret = ?, identity_by_recovery = ? WHERE id = ? AND identity_by_recovery = ?`,
			bySecret, byRecovery, id, oldRecovery)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("meta: replace owner recovery: recovery wrap changed meanwhile: %w", ErrConflict)
		}
		return err
	})
}

// LastJournalKind returns the kind of the latest entry of ownerID's journal
// whose kind is one of kinds, or "" when there is none.
func (o *ops) LastJournalKind(ctx context.Context, ownerID string, kinds ...string) (string, error) {
	if len(kinds) == 0 {
		return "", nil
	}
	args := make([]any, 0, len(kinds)+1)
	args = append(args, ownerID)
	for _, k := range kinds {
		args = append(args, k)
	}
	q := `SELECT kind FROM journal WHERE owner_id = ? AND kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `) ORDER BY seq DESC LIMIT 1`
	var kind string
	err := o.queryRow(ctx, q, args...).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", o.wrap("last journal kind", err)
	}
	return kind, nil
}
