package vault

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Event kinds recorded in an owner's journal. Parts of the service that
// record events use these constants (named Event…); the vault records
// codes and names, never sentences: the edge says each kind from the
// catalogue ("ev.<kind>", package api), and a test there fails for a kind
// without its words.
const (
	EventSignup           = "signup"
	EventLogin            = "login"
	EventRecovery         = "recovery"
	EventAssistedRecovery = "assisted-recovery"
	EventSecretChanged    = "secret-changed"
	EventDocumentAdded    = "document-added"
	EventUploadViaLink    = "upload-via-link"
	EventDocumentViewed   = "document-viewed"
	EventDocumentDownload = "document-downloaded"
	EventDocumentRenamed  = "document-renamed"
	EventDocumentExpiry   = "document-expiry-set"
	EventDocumentFiled    = "document-filed"
	EventDocumentDeleted  = "document-deleted"
	// EventDocumentShared: a paper that arrived through a link, opened by
	// the owner, is now shared under a consent to the papers of its type
	// she adds (Target: with whom; one event per grantee).
	EventDocumentShared  = "document-shared"
	EventConsentGranted  = "consent-granted"
	EventConsentRevoked  = "consent-revoked"
	EventConsentExpired  = "consent-expired"
	EventLinkCreated     = "link-created"
	EventLinkRevoked     = "link-revoked"
	EventRequestReceived = "request-received"
	EventRequestAccepted = "request-accepted"
	EventRequestDeclined = "request-declined"
	EventExport          = "export"
)

// Actor kinds of an Event.
const (
	ActorOwner  = "owner"
	ActorWorker = "worker"
	ActorHelper = "helper"
	ActorSystem = "system"
)

// Event is one entry of an owner's journal. Names, titles and details are
// stored sealed to the owner; only the owner reads them back (Journal).
type Event struct {
	// Seq numbers an owner's events from 1, without gaps (set by record).
	Seq int64
	// At is when it happened (set by record when zero).
	At time.Time
	// Kind is one of the Event* constants.
	Kind string
	// ActorKind is one of the Actor* constants.
	ActorKind string
	// ActorID is the owner's or worker's id ("" for helpers and the system).
	ActorID string
	// ActorName and OrgName name the actor as the owner should read them
	// ("Mme Morel", "CCAS de Roubaix").
	ActorName, OrgName string
	// Target names the other party when the owner acts toward someone (the
	// grantee of a consent, the worker behind a request).
	Target string
	// DocumentID is the document concerned, if any.
	DocumentID string
	// DocumentType is the catalogue type of the document, if known: the
	// journal names the document by its type when it has one.
	DocumentType string
	// DocumentTitle is the document's title when the recorder knows it.
	DocumentTitle string
	// Detail is free text (a drop link's label, a consent's purpose) or a
	// value (an expiry date as YYYY-MM-DD, "" when cleared).
	Detail string
	// Grantee is for the event sink only, never journaled: the grantee of
	// a consent granted or ended, so that they can be told
	// (EventConsentGranted, EventConsentRevoked).
	Grantee Grantee
	// ConsentID and Undo are for the event sink only, never journaled: the
	// consent granted or ended, and whether a grant takes back a stop made
	// less than UndoWindow ago (so that a worker told nothing yet of the
	// stop is told nothing of its undo either).
	ConsentID string
	Undo      bool
	// ShownName is the name the owner let the grantee see: journaled
	// (sealed to her, like every name), and told to the grantee.
	ShownName string
	// Checkpoint is the signed checkpoint of the log just after this
	// event, set by record for the notifications hook (not stored).
	Checkpoint string
}

// JournalProblem is one defect VerifyJournal found.
type JournalProblem struct {
	OwnerID string
	// Seq is the entry concerned (0 for the journal as a whole).
	Seq    int64
	Reason string
}

// JournalReport is the result of VerifyJournal.
type JournalReport struct {
	// Owners and Entries count what was checked.
	Owners, Entries int
	// Problems lists every defect found; empty means the journals are intact.
	Problems []JournalProblem
}

// OK reports whether no defect was found.
func (r JournalReport) OK() bool { return len(r.Problems) == 0 }

// JournalStore keeps the owners' journals (logs: journal_log.go). Contracts:
//   - AppendJournal runs build with the current head and a reader of the
//     stored tree and stores what it returns, all in one transaction,
//     serialised per owner; a concurrent append that took the same seq
//     makes it fail with meta.ErrConflict (retry).
//   - ConvertJournal gives a journal of the hash-chain era its tree, once.
//   - JournalHead of an owner without entries has Seq 0; meta.ErrNotFound
//     for an unknown owner.
//   - JournalEntries returns entries as stored, ordered by seq.
//   - ReadJournalHashes returns stored tree hashes; meta.ErrNotFound if one
//     is missing.
//   - JournalOwners lists every owner of the owners table and every owner
//     id found in the journal tables.
type JournalStore interface {
	AppendJournal(ctx context.Context, ownerID string, build func(head meta.JournalHead, r meta.JournalReader) (meta.JournalAppend, error)) error
	ConvertJournal(ctx context.Context, ownerID string, build func(head meta.JournalHead, es []meta.JournalEntry) ([]meta.JournalHash, meta.JournalHead, error)) (bool, error)
	JournalHead(ctx context.Context, ownerID string) (meta.JournalHead, error)
	JournalEntries(ctx context.Context, ownerID string) ([]meta.JournalEntry, error)
	ReadJournalHashes(ctx context.Context, ownerID string, indexes []int64) ([][]byte, error)
	JournalOwners(ctx context.Context) ([]string, error)
}

// journalPayload is the sealed part of an entry.
type journalPayload struct {
	ActorName     string `json:"an,omitempty"`
	OrgName       string `json:"on,omitempty"`
	Target        string `json:"tg,omitempty"`
	DocumentType  string `json:"dt,omitempty"`
	DocumentTitle string `json:"ti,omitempty"`
	Detail        string `json:"de,omitempty"`
	ShownName     string `json:"sn,omitempty"`
}

// journalAppendTries bounds retries of an append that lost a race.
const journalAppendTries = 20

// record appends e to ownerID's journal. It fills Seq and At (when zero),
// seals the names, title and details to the owner, adds the entry to the
// owner's log and signs the new checkpoint (journal_log.go). Concurrent appends (from several instances) are retried
// on sequence conflicts. Errors: ErrNotFound (no such owner), ErrInvalid
// (no kind).
func (s *Service) record(ctx context.Context, ownerID string, e Event) error {
	if e.Kind == "" || e.ActorKind == "" {
		return fmt.Errorf("%w: journal event without kind or actor", ErrInvalid)
	}
	o, err := s.meta.Owner(ctx, ownerID)
	if err != nil {
		return mapMeta("journal", err)
	}
	rcpt, err := seal.ParseRecipient(o.PublicKey)
	if err != nil {
		return fmt.Errorf("vault: journal: owner key: %w: %w", ErrCorrupt, err)
	}
	pj, err := json.Marshal(journalPayload{
		ActorName: e.ActorName, OrgName: e.OrgName, Target: e.Target,
		DocumentType: e.DocumentType, DocumentTitle: e.DocumentTitle, Detail: e.Detail, ShownName: e.ShownName,
	})
	if err != nil {
		return fmt.Errorf("vault: journal: %w", err)
	}
	payload, err := seal.SealString(string(pj), rcpt)
	if err != nil {
		return fmt.Errorf("vault: journal: seal: %w", err)
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	at = time.UnixMicro(at.UnixMicro()).UTC() // the stored resolution
	var cp []byte
	for try := 0; ; try++ {
		err = s.meta.AppendJournal(ctx, ownerID, func(head meta.JournalHead, r meta.JournalReader) (meta.JournalAppend, error) {
			je := meta.JournalEntry{
				OwnerID: ownerID, Seq: head.Seq + 1, At: at, Kind: e.Kind, ActorKind: e.ActorKind,
				ActorID: e.ActorID, DocumentID: e.DocumentID, PayloadSealed: payload,
			}
			a, err := s.appendLeaf(ctx, head, r, je)
			cp = a.Head.Checkpoint
			return a, err
		})
		if err == nil || !errors.Is(err, meta.ErrConflict) || try >= journalAppendTries {
			break
		}
		t := time.NewTimer(time.Duration(1+try) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("vault: journal: %w", ctx.Err())
		case <-t.C:
		}
	}
	if err != nil {
		return mapMeta("journal", err)
	}
	e.Checkpoint = string(cp)
	s.emitEvent(ctx, ownerID, e, at) // notifications hook (events.go)
	return nil
}

// journalKey is the key of the hash chain that journals had before they
// became logs (kept to check them when converting), derived from the
// pepper.
func (s *Service) journalKey() []byte {
	k, err := hkdf.Key(sha256.New, s.pepper, nil, "coffre journal chain v1", 32)
	if err != nil {
		panic(err) // only for impossible lengths
	}
	return k
}

// journalHash chains an entry of the hash-chain era: HMAC-SHA256 under the journal key of the
// previous hash followed by a canonical, length-prefixed encoding of every
// stored field of the entry (the sealed payload as stored).
func journalHash(key []byte, e meta.JournalEntry) []byte {
	m := hmac.New(sha256.New, key)
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	number := func(v int64) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(v))
		field(b[:])
	}
	field([]byte("coffre-journal-v1"))
	field(e.PrevHash)
	field([]byte(e.OwnerID))
	number(e.Seq)
	number(e.At.UnixMicro())
	for _, s := range []string{e.Kind, e.ActorKind, e.ActorID, e.DocumentID} {
		field([]byte(s))
	}
	field(e.PayloadSealed)
	return m.Sum(nil)
}

// Journal returns the owner's journal, oldest first, with names, titles
// and details opened. Errors: ErrInvalid (not an owner), ErrCorrupt (an
// entry does not open; VerifyJournal tells more).
func (s *Service) Journal(ctx context.Context, owner *Principal) ([]Event, error) {
	if err := requireOwner(owner); err != nil {
		return nil, err
	}
	es, err := s.meta.JournalEntries(ctx, owner.id)
	if err != nil {
		return nil, mapMeta("journal", err)
	}
	out := make([]Event, 0, len(es))
	ids := owner.historyIdentities() // entries sealed before a key rotation too
	for _, je := range es {
		pj, err := seal.OpenString(je.PayloadSealed, ids...)
		if err != nil {
			return nil, fmt.Errorf("vault: journal entry %d: %w: %w", je.Seq, ErrCorrupt, err)
		}
		var p journalPayload
		if err := json.Unmarshal([]byte(pj), &p); err != nil {
			return nil, fmt.Errorf("vault: journal entry %d: %w: %w", je.Seq, ErrCorrupt, err)
		}
		out = append(out, Event{
			Seq: je.Seq, At: je.At, Kind: je.Kind, ActorKind: je.ActorKind, ActorID: je.ActorID,
			ActorName: p.ActorName, OrgName: p.OrgName, Target: p.Target, DocumentID: je.DocumentID,
			DocumentType: p.DocumentType, DocumentTitle: p.DocumentTitle, Detail: p.Detail, ShownName: p.ShownName,
		})
	}
	return out, nil
}

// verifyChain checks one owner's entries against each other and the head.
func verifyChain(key []byte, ownerID string, es []meta.JournalEntry, head meta.JournalHead) []JournalProblem {
	var ps []JournalProblem
	bad := func(seq int64, format string, args ...any) {
		ps = append(ps, JournalProblem{OwnerID: ownerID, Seq: seq, Reason: fmt.Sprintf(format, args...)})
	}
	var prev []byte
	want := int64(1)
	for _, e := range es {
		if e.Seq != want {
			bad(e.Seq, "entry %d expected here: entries %d to %d removed or reordered", want, want, e.Seq-1)
			want = e.Seq
		}
		if !bytes.Equal(e.PrevHash, prev) {
			bad(e.Seq, "does not follow the previous entry (removed, inserted or reordered)")
		}
		if !hmac.Equal(journalHash(key, e), e.Hash) {
			bad(e.Seq, "altered: content does not match its hash")
		}
		prev = e.Hash
		want++
	}
	last := int64(0)
	if len(es) > 0 {
		last = es[len(es)-1].Seq
	}
	switch {
	case head.Seq != last:
		bad(0, "journal head is at entry %d but the last entry is %d (entries removed)", head.Seq, last)
	case last > 0 && !hmac.Equal(head.Hash, prev):
		bad(last, "last entry does not match the journal head (altered or replaced)")
	}
	return ps
}
