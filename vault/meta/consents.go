package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Consent is an owner's grant of read access to a worker or organisation,
// until Expires unless Revoked first: the documents she chose, plus (an
// explicit choice) the papers of the named Types she adds after the
// consent was granted. Categories are kept only for consents granted
// before migration 7 (they also cover papers added later). Neither a type
// nor a category ever covers a paper of type "other" or without a type.
type Consent struct {
	ID          string
	OwnerID     string
	GranteeKind RecipientKind
	GranteeID   string
	// GranteePublicKey is the grantee's age recipient, so that documents
	// added later can be wrapped without any secret.
	GranteePublicKey string
	// DetailsSealed holds the purpose and the name shown, sealed to the
	// owner and the grantee.
	DetailsSealed []byte
	Days          int
	Documents     []string
	// Types are catalogue document types: papers of these types created
	// after Created are covered (never "other" or "").
	Types []string
	// Categories are legacy (consents granted before migration 7).
	Categories []string
	Created    time.Time
	Expires    time.Time
	// Revoked is zero while not revoked.
	Revoked time.Time
	// Swept is when the expiry sweeper handled it (zero: not yet).
	Swept time.Time
}

// LiveAt reports whether the consent is neither revoked nor expired at t.
func (c Consent) LiveAt(t time.Time) bool {
	return c.Revoked.IsZero() && t.Before(c.Expires)
}

// UntypedType is the catalogue type of papers that fit no other type:
// like papers without a type, never covered by a type or category scope.
const UntypedType = "other"

// Scoped reports whether a paper of this type can ever be covered by a
// type or category scope (it must have a type, and not "other").
func Scoped(docType string) bool { return docType != "" && docType != UntypedType }

// Covers reports whether the consent's scope includes a document: chosen
// by id; of a named type and created after the consent; or (legacy) of a
// named category. Keep in step with coveredByLive.
func (c Consent) Covers(d Document) bool {
	if d.OwnerID != c.OwnerID {
		return false
	}
	for _, id := range c.Documents {
		if id == d.ID {
			return true
		}
	}
	if !Scoped(d.DocType) || d.Category == UntypedType {
		return false
	}
	for _, t := range c.Types {
		if t == d.DocType && d.Created.After(c.Created) {
			return true
		}
	}
	for _, cat := range c.Categories {
		if cat == d.Category {
			return true
		}
	}
	return false
}

const consentColumns = `c.id, c.owner_id, c.grantee_kind, c.grantee_id, c.grantee_public_key, c.details_sealed,
	c.days, c.created_at, c.expires_at, c.revoked_at, c.swept_at`

func scanConsent(s scanner, extra ...any) (Consent, error) {
	var c Consent
	var kind string
	var created, expires int64
	var revoked, swept sql.NullInt64
	if err := s.Scan(append([]any{&c.ID, &c.OwnerID, &kind, &c.GranteeID, &c.GranteePublicKey, &c.DetailsSealed,
		&c.Days, &created, &expires, &revoked, &swept}, extra...)...); err != nil {
		return Consent{}, err
	}
	c.GranteeKind = RecipientKind(kind)
	c.Created, c.Expires = fromDB(created), fromDB(expires)
	c.Revoked, c.Swept = fromOptTime(revoked), fromOptTime(swept)
	return c, nil
}

// macInput: a consent's decisive fields are whose it is, to whom (and the
// key documents added later are wrapped to), what it says (purpose and
// shown name, sealed), its duration, times and revocation. Its scope is
// one row per paper, type or category, each under its own mac
// (scopeMACInput), so that a paper deleted later (its row goes with it)
// leaves the consent intact while a paper added without the pepper fails.
// swept_at decides nothing (the sweeper's bookkeeping).
func (c Consent) macInput(m macw) {
	m.str(c.ID)
	m.str(c.OwnerID)
	m.str(string(c.GranteeKind))
	m.str(c.GranteeID)
	m.str(c.GranteePublicKey)
	m.bytes(c.DetailsSealed)
	m.int(int64(c.Days))
	m.time(c.Created)
	m.time(c.Expires)
	m.time(c.Revoked)
}

const consentSealColumns = `id, owner_id, grantee_kind, grantee_id, grantee_public_key, details_sealed,
	days, created_at, expires_at, revoked_at, swept_at`

var consentSeal = &sealSpec{table: "consents", key: "id = ?", cols: consentSealColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		c, err := scanConsent(sc)
		return []any{c.ID}, c.macInput, err
	}}

// scopeMACInput is the mac input of a scope row: the consent and the
// paper, type or category it adds.
func scopeMACInput(consentID, item string) macInput {
	return func(m macw) { m.str(consentID); m.str(item) }
}

func scopeSeal(table, col string) *sealSpec {
	return &sealSpec{table: table, key: "consent_id = ? AND " + col + " = ?", cols: "consent_id, " + col,
		load: func(sc scanner) ([]any, macInput, error) {
			var id, item string
			err := sc.Scan(&id, &item)
			return []any{id, item}, scopeMACInput(id, item), err
		}}
}

var (
	consentDocSeal  = scopeSeal("consent_documents", "document_id")
	consentTypeSeal = scopeSeal("consent_types", "doc_type")
	consentCatSeal  = scopeSeal("consent_categories", "category")
)

// InsertConsent stores a consent with its scope. Every document of the
// scope must be a committed document of the owner (else ErrNotFound); a
// duplicate id is ErrConflict. All or nothing.
func (o *ops) InsertConsent(ctx context.Context, c Consent) error {
	if c.ID == "" || c.OwnerID == "" || c.GranteeID == "" || c.GranteePublicKey == "" || len(c.DetailsSealed) == 0 || c.Days <= 0 {
		return errors.New("meta: insert consent: missing field")
	}
	if c.GranteeKind != RecipientWorker && c.GranteeKind != RecipientOrganisation {
		return fmt.Errorf("meta: insert consent: bad grantee kind %q", c.GranteeKind)
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "insert consent",
			`INSERT INTO consents (id, owner_id, grantee_kind, grantee_id, grantee_public_key, details_sealed,
				days, created_at, expires_at, revoked_at, swept_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.OwnerID, string(c.GranteeKind), c.GranteeID, c.GranteePublicKey, c.DetailsSealed,
			c.Days, toDB(c.Created), toDB(c.Expires), optTime(c.Revoked), optTime(c.Swept)); err != nil {
			return err
		}
		if err := tx.reseal(ctx, consentSeal, c.ID); err != nil {
			return err
		}
		for _, id := range dedupSorted(c.Documents) {
			res, err := tx.exec(ctx, "insert consent document",
				`INSERT INTO consent_documents (consent_id, document_id)
				SELECT ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ? AND owner_id = ? AND state = ?)`,
				c.ID, id, id, c.OwnerID, string(StateCommitted))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("meta: insert consent document: %w", err)
			} else if n == 0 {
				return fmt.Errorf("meta: insert consent: document %s: %w", id, ErrNotFound)
			}
			if err := tx.reseal(ctx, consentDocSeal, c.ID, id); err != nil {
				return err
			}
		}
		for _, typ := range dedupSorted(c.Types) {
			if !Scoped(typ) {
				return fmt.Errorf("meta: insert consent: type %q cannot be shared by type", typ)
			}
			if _, err := tx.exec(ctx, "insert consent type",
				`INSERT INTO consent_types (consent_id, doc_type) VALUES (?, ?)`, c.ID, typ); err != nil {
				return err
			}
			if err := tx.reseal(ctx, consentTypeSeal, c.ID, typ); err != nil {
				return err
			}
		}
		for _, cat := range dedupSorted(c.Categories) {
			if _, err := tx.exec(ctx, "insert consent category",
				`INSERT INTO consent_categories (consent_id, category) VALUES (?, ?)`, c.ID, cat); err != nil {
				return err
			}
			if err := tx.reseal(ctx, consentCatSeal, c.ID, cat); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddConsentDocument adds a committed document of the consent's owner to
// its scope (a deposit answering a request). Adding it twice is a no-op.
// ErrNotFound when the consent or the document is missing.
func (o *ops) AddConsentDocument(ctx context.Context, consentID, docID string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		c, err := tx.consentOnly(ctx, consentID)
		if err != nil {
			return err
		}
		d, err := tx.Document(ctx, docID)
		if err != nil {
			return err
		}
		if d.OwnerID != c.OwnerID || d.State != StateCommitted {
			return fmt.Errorf("meta: add consent document %s: %w", docID, ErrNotFound)
		}
		res, err := tx.exec(ctx, "add consent document",
			`INSERT INTO consent_documents (consent_id, document_id) VALUES (?, ?)
			ON CONFLICT (consent_id, document_id) DO NOTHING`, consentID, docID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("meta: add consent document: %w", err)
		} else if n == 0 {
			return nil // already there (its mac is checked where it is read)
		}
		return tx.reseal(ctx, consentDocSeal, consentID, docID)
	})
}

func dedupSorted(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	j := 0
	for i, s := range out {
		if i == 0 || s != out[j-1] {
			out[j] = s
			j++
		}
	}
	return out[:j]
}

// consentOnly reads a consent row (without its scope) through its check.
func (o *ops) consentOnly(ctx context.Context, id string) (Consent, error) {
	var mac []byte
	c, err := scanConsent(o.queryRow(ctx, `SELECT `+consentColumns+`, c.mac FROM consents c WHERE c.id = ?`, id), &mac)
	if err != nil {
		return Consent{}, o.wrap("consent", err)
	}
	if err := o.check("consents", "consent", c.macInput, mac); err != nil {
		return Consent{}, err
	}
	return c, nil
}

// Consent returns a consent with its scope, or ErrNotFound (ErrTampered
// for a consent row failing its integrity check; scope rows failing theirs
// are left out of the scope).
func (o *ops) Consent(ctx context.Context, id string) (Consent, error) {
	c, err := o.consentOnly(ctx, id)
	if err != nil {
		return Consent{}, err
	}
	cs := []Consent{c}
	if err := o.loadScopes(ctx, cs); err != nil {
		return Consent{}, err
	}
	return cs[0], nil
}

// queryConsents runs a consent query and loads the scopes. checked: the
// consents failing their integrity check are left out (every query that
// may grant something); unchecked queries only serve bookkeeping.
func (o *ops) queryConsents(ctx context.Context, what string, checked bool, where string, args ...any) ([]Consent, error) {
	rows, err := o.query(ctx, `SELECT `+consentColumns+`, c.mac FROM consents c WHERE `+where, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	var out []Consent
	for rows.Next() {
		var mac []byte
		c, err := scanConsent(rows, &mac)
		if err != nil {
			rows.Close()
			return nil, o.wrap(what, err)
		}
		if checked && !o.intact("consents", c.macInput, mac) {
			continue
		}
		out = append(out, c)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, o.wrap(what, err)
	}
	if err := o.loadScopes(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadScopes fills Documents, Types and Categories (sorted), leaving out
// the rows that fail their integrity check.
func (o *ops) loadScopes(ctx context.Context, cs []Consent) error {
	for i := range cs {
		docs, err := o.scopeItems(ctx, "consent_documents", "document_id", cs[i].ID)
		if err != nil {
			return err
		}
		cats, err := o.scopeItems(ctx, "consent_categories", "category", cs[i].ID)
		if err != nil {
			return err
		}
		types, err := o.scopeItems(ctx, "consent_types", "doc_type", cs[i].ID)
		if err != nil {
			return err
		}
		cs[i].Documents, cs[i].Types, cs[i].Categories = docs, types, cats
	}
	return nil
}

// scopeItems reads one consent's rows of a scope table through their
// check. table and col are constants of this package.
func (o *ops) scopeItems(ctx context.Context, table, col, consentID string) ([]string, error) {
	rows, err := o.query(ctx, `SELECT `+col+`, mac FROM `+table+` WHERE consent_id = ? ORDER BY `+col, consentID)
	if err != nil {
		return nil, o.wrap(table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var item string
		var mac []byte
		if err := rows.Scan(&item, &mac); err != nil {
			return nil, o.wrap(table, err)
		}
		if o.intact(table, scopeMACInput(consentID, item), mac) {
			out = append(out, item)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(table, err)
	}
	return out, nil
}

// queryStrings runs a query returning one text column.
func (o *ops) queryStrings(ctx context.Context, what, q string, args ...any) ([]string, error) {
	rows, err := o.query(ctx, q, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, o.wrap(what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// ConsentsOfOwner returns all of an owner's consents, newest first.
func (o *ops) ConsentsOfOwner(ctx context.Context, ownerID string) ([]Consent, error) {
	return o.queryConsents(ctx, "consents of owner", true, `c.owner_id = ? ORDER BY c.created_at DESC, c.id`, ownerID)
}

// LiveConsentsOfOwner returns an owner's consents live at now.
func (o *ops) LiveConsentsOfOwner(ctx context.Context, ownerID string, now time.Time) ([]Consent, error) {
	return o.queryConsents(ctx, "live consents of owner", true,
		`c.owner_id = ? AND c.revoked_at IS NULL AND c.expires_at > ? ORDER BY c.created_at DESC, c.id`,
		ownerID, toDB(now))
}

// LiveConsentsFor returns the consents granted to a grantee and live at
// now, newest first.
func (o *ops) LiveConsentsFor(ctx context.Context, kind RecipientKind, granteeID string, now time.Time) ([]Consent, error) {
	return o.queryConsents(ctx, "live consents for grantee", true,
		`c.grantee_kind = ? AND c.grantee_id = ? AND c.revoked_at IS NULL AND c.expires_at > ? ORDER BY c.created_at DESC, c.id`,
		string(kind), granteeID, toDB(now))
}

// coveredByLive is the condition "a consent live at ? covers the document
// d for the grantee (k, g)", with d, k and g column expressions: the
// document was chosen, or it has a type other than "other" (and is not in
// the category "other") and is of a type the consent names and created
// after it, or of a category the consent names (legacy). Keep in step with
// Consent.Covers.
func coveredByLive(d, k, g string) string {
	return `EXISTS (SELECT 1 FROM consents c WHERE c.owner_id = ` + d + `.owner_id
		AND c.grantee_kind = ` + k + ` AND c.grantee_id = ` + g + `
		AND c.revoked_at IS NULL AND c.expires_at > ?
		AND (EXISTS (SELECT 1 FROM consent_documents cd WHERE cd.consent_id = c.id AND cd.document_id = ` + d + `.id)
			OR ` + d + `.doc_type <> '' AND ` + d + `.doc_type <> '` + UntypedType + `' AND ` + d + `.category <> '` + UntypedType + `'
				AND (EXISTS (SELECT 1 FROM consent_types ct WHERE ct.consent_id = c.id AND ct.doc_type = ` + d + `.doc_type
						AND ` + d + `.created_at > c.created_at)
					OR EXISTS (SELECT 1 FROM consent_categories cc WHERE cc.consent_id = c.id AND cc.category = ` + d + `.category))))`
}

// LiveConsentCovers reports whether a consent live at now covers the
// document for the grantee: the check made at every grantee read. It is
// made here, in Go, on rows that passed their integrity check (the
// document, the consents and each scope row): a consent whose expiry was
// pushed later, or a paper or type added to it, without the pepper,
// covers nothing. Keep in step with coveredByLive (the sweeper's SQL).
func (o *ops) LiveConsentCovers(ctx context.Context, docID string, kind RecipientKind, granteeID string, now time.Time) (bool, error) {
	var mac []byte
	d, err := scanDocument(o.queryRow(ctx, `SELECT `+docColumns+` FROM documents d WHERE d.id = ?`, docID), &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, o.wrap("consent covers", err)
	}
	if !o.intact("documents", d.macInput, mac) {
		return false, nil
	}
	cs, err := o.queryConsents(ctx, "consent covers", true,
		`c.owner_id = ? AND c.grantee_kind = ? AND c.grantee_id = ? AND c.revoked_at IS NULL AND c.expires_at > ?`,
		d.OwnerID, string(kind), granteeID, toDB(now))
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if c.LiveAt(now) && c.Covers(d) {
			return true, nil
		}
	}
	return false, nil
}

// deleteUncovered removes grantee wraps that no consent live at now covers.
// extra narrows the wraps ("" for all), with its args first.
func (tx *Tx) deleteUncovered(ctx context.Context, now time.Time, extra string, args ...any) (int64, error) {
	q := `DELETE FROM document_wraps WHERE recipient_kind <> ? ` + extra + `
		AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = document_wraps.document_id AND ` +
		coveredByLive("d", "document_wraps.recipient_kind", "document_wraps.recipient_id") + `)`
	all := append([]any{string(RecipientOwner)}, args...)
	all = append(all, toDB(now))
	res, err := tx.exec(ctx, "delete uncovered wraps", q, all...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: delete uncovered wraps: %w", err)
	}
	return n, nil
}

// RevokeConsent marks a consent of ownerID revoked at now and, in the same
// transaction, deletes the grantee's wraps of that owner's documents that
// no other live consent covers, after listing the papers the grantee held
// a wrap of (consent_undo_wraps, for UnrevokeConsent). It returns how many wraps went.
// ErrNotFound: no such consent of this owner; ErrConflict: already revoked.
func (o *ops) RevokeConsent(ctx context.Context, id, ownerID string, now time.Time) (int64, error) {
	var n int64
	err := o.updateConsent(ctx, id, func(tx *Tx, c Consent) error {
		if c.OwnerID != ownerID {
			return fmt.Errorf("meta: revoke consent %s: %w", id, ErrNotFound)
		}
		if !c.Revoked.IsZero() {
			return fmt.Errorf("meta: revoke consent %s: already revoked: %w", id, ErrConflict)
		}
		if err := tx.execOne(ctx, "revoke consent",
			`UPDATE consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, toDB(now), id); err != nil {
			return err
		}
		if err := tx.keepUndoList(ctx, c); err != nil {
			return err
		}
		var err error
		n, err = tx.deleteUncovered(ctx, now,
			`AND recipient_kind = ? AND recipient_id = ? AND document_id IN (SELECT id FROM documents WHERE owner_id = ?)`,
			string(c.GranteeKind), c.GranteeID, ownerID)
		return err
	})
	return n, err
}

// updateConsent runs change on a consent's row, in one transaction: the
// row is locked and read through its check first (ErrTampered: nothing
// changes), and its mac is computed again after.
func (o *ops) updateConsent(ctx context.Context, id string, change func(tx *Tx, c Consent) error) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "consents", "id", id); err != nil {
			return err
		}
		c, err := tx.consentOnly(ctx, id)
		if err != nil {
			return err
		}
		if err := change(tx, c); err != nil {
			return err
		}
		return tx.reseal(ctx, consentSeal, id)
	})
}

// DeleteUncoveredWraps removes every grantee wrap (any owner) created
// before createdBefore that no consent live at now covers, and returns how
// many went. createdBefore spares wraps being set up (a wrap written just
// before the consent row that covers it).
func (o *ops) DeleteUncoveredWraps(ctx context.Context, now, createdBefore time.Time) (int64, error) {
	var n int64
	err := o.atomic(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.deleteUncovered(ctx, now, "AND created_at < ?", toDB(createdBefore))
		return err
	})
	return n, err
}

// ExpiredUnswept returns consents expired at now, not revoked, that the
// sweeper has not handled yet, oldest expiry first, at most limit.
func (o *ops) ExpiredUnswept(ctx context.Context, now time.Time, limit int) ([]Consent, error) {
	if limit <= 0 {
		limit = 100
	}
	return o.queryConsents(ctx, "expired consents", false,
		`c.expires_at <= ? AND c.revoked_at IS NULL AND c.swept_at IS NULL ORDER BY c.expires_at, c.id LIMIT `+fmt.Sprint(limit),
		toDB(now))
}

// MarkConsentSwept records that the sweeper handled a consent's expiry.
// ErrConflict when it was already marked (another sweeper won), so each
// expiry is journaled once.
func (o *ops) MarkConsentSwept(ctx context.Context, id string, now time.Time) error {
	err := o.execOne(ctx, "mark consent swept",
		`UPDATE consents SET swept_at = ? WHERE id = ? AND swept_at IS NULL`, toDB(now), id)
	if errors.Is(err, ErrNotFound) {
		if _, err := o.consentOnly(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("meta: consent %s already swept: %w", id, ErrConflict)
	}
	return err
}

// joinTypes and splitTypes store a list of codes in one column.
func joinTypes(ts []string) string { return strings.Join(ts, ",") }

func splitTypes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
