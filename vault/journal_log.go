package vault

// The journal as a verifiable log.
//
// Each owner's journal is a transparency log in the sense of the Go checksum
// database: the entries are the leaves of a Merkle tree
// (golang.org/x/mod/sumdb/tlog, RFC 6962 hashing), and after every append
// the service signs the tree's size and root hash as a checkpoint, a C2SP
// signed note (golang.org/x/mod/sumdb/note, Ed25519):
//
//	coffre.journal/<owner id>
//	<number of entries>
//	<root hash, base64>
//
//	— coffre-journal <signature>
//
// Why a log and not a hash chain: a chain kept entirely in the database,
// however it is keyed, proves nothing about its own end. Whoever can write
// the database can cut the tail (or delete everything) and put back a head
// that was genuine earlier. A tree with signed checkpoints lets a party who
// kept an earlier checkpoint — the owner's browser, an export, a
// notification, a verifier given `--checkpoint` — demand a consistency proof
// that today's log extends it: a cut tail, a rollback to an older genuine
// checkpoint, or any rewrite, reordering or removal before that point makes
// the proof impossible. The libraries are the checksum database's, kept by
// the Go team, not a home-made construction.
//
// Why the signing key is derived from the pepper: the key must not be in
// the database (else a database writer could re-sign a shortened log), and
// the pepper is the one secret every instance already holds outside it. An
// operator holding the pepper can sign anything; what such an operator
// cannot do is make a log that extends a checkpoint an owner kept while
// dropping or changing what that checkpoint covers.
//
// The tree's stored hashes (tlog.StoredHashes) are kept per owner in the
// database and written in the transaction of the append, under the owner's
// row lock: appends to one log are serialised across instances. They only
// serve proofs; the verifier recomputes the tree from the entries.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/coffre/coffre/vault/meta"
)

// JournalKeyName is the name of the journal's signing key in checkpoints.
const JournalKeyName = "coffre-journal"

// journalOriginPrefix starts the origin line of every owner's checkpoint.
const journalOriginPrefix = "coffre.journal/"

// ErrCheckpoint is returned for a checkpoint that does not parse or whose
// signature is not the service's journal key.
var ErrCheckpoint = errors.New("vault: not a journal checkpoint signed by this service")

// Checkpoint is a signed statement of an owner's log: its size and root.
type Checkpoint struct {
	OwnerID string
	// Size is the number of entries the tree covers.
	Size int64
	// Hash is the tree's root hash.
	Hash tlog.Hash
	// Note is the signed note (the checkpoint as kept and exchanged).
	Note []byte
}

// Fingerprint is a short form of the root hash for people to compare
// (16 hex digits in groups of 4).
func (c Checkpoint) Fingerprint() string {
	h := hex.EncodeToString(c.Hash[:8])
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}

// CheckpointSummary reads the size and fingerprint of a checkpoint's text
// without checking its signature (for messages that quote it; verify with
// OpenCheckpoint). ok is false when note is not a journal checkpoint.
func CheckpointSummary(note string) (size int64, fingerprint string, ok bool) {
	lines := strings.SplitN(note, "\n", 4)
	if len(lines) < 4 || !strings.HasPrefix(lines[0], journalOriginPrefix) {
		return 0, "", false
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	h, herr := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || n < 0 || herr != nil || len(h) != tlog.HashSize {
		return 0, "", false
	}
	c := Checkpoint{Size: n}
	copy(c.Hash[:], h)
	return n, c.Fingerprint(), true
}

// journalKeys derives the journal's Ed25519 key from the pepper and returns
// its signer and its verifier key (note format).
func (s *Service) journalKeys() (note.Signer, string) {
	seed, err := hkdf.Key(sha256.New, s.pepper, nil, "coffre journal checkpoint key v1", ed25519.SeedSize)
	if err != nil {
		panic(err) // only for impossible lengths
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(JournalKeyName, pub)
	if err != nil {
		panic(err)
	}
	parts := strings.Split(vkey, "+") // name+hash+key
	skey := "PRIVATE+KEY+" + JournalKeyName + "+" + parts[1] + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{1}, seed...)) // 1: Ed25519
	signer, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	return signer, vkey
}

// JournalVerifierKey is the public key that verifies every checkpoint of
// this service (note verifier key format: name+hash+key), to publish to
// owners and auditors.
func (s *Service) JournalVerifierKey() string {
	_, vkey := s.journalKeys()
	return vkey
}

// signCheckpoint signs ownerID's tree of size n and root h.
func (s *Service) signCheckpoint(ownerID string, n int64, h tlog.Hash) ([]byte, error) {
	signer, _ := s.journalKeys()
	text := fmt.Sprintf("%s%s\n%d\n%s\n", journalOriginPrefix, ownerID, n, base64.StdEncoding.EncodeToString(h[:]))
	b, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		return nil, fmt.Errorf("vault: journal: sign checkpoint: %w", err)
	}
	return b, nil
}

// OpenCheckpoint checks msg's signature under the service's journal key and
// parses it. ErrCheckpoint when it does not parse or is not signed by this
// service's key.
func (s *Service) OpenCheckpoint(msg []byte) (Checkpoint, error) {
	_, vkey := s.journalKeys()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		panic(err)
	}
	msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], journalOriginPrefix) {
		return Checkpoint{}, fmt.Errorf("%w: not a journal checkpoint", ErrCheckpoint)
	}
	c := Checkpoint{OwnerID: strings.TrimPrefix(lines[0], journalOriginPrefix), Note: msg}
	c.Size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || c.Size < 0 || lines[1] != strconv.FormatInt(c.Size, 10) {
		return Checkpoint{}, fmt.Errorf("%w: bad size", ErrCheckpoint)
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: bad root hash", ErrCheckpoint)
	}
	copy(c.Hash[:], h)
	return c, nil
}

// journalLeaf is the record of an entry in the tree: a canonical,
// length-prefixed encoding of every stored field (the sealed payload as
// stored). Entries of the hash-chain era are encoded the same way.
func journalLeaf(e meta.JournalEntry) []byte {
	var b []byte
	field := func(v []byte) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v...)
	}
	number := func(v int64) { field(binary.BigEndian.AppendUint64(nil, uint64(v))) }
	field([]byte("coffre-journal-leaf-v1"))
	field([]byte(e.OwnerID))
	number(e.Seq)
	number(e.At.UnixMicro())
	for _, s := range []string{e.Kind, e.ActorKind, e.ActorID, e.DocumentID} {
		field([]byte(s))
	}
	field(e.PayloadSealed)
	return b
}

// memTree is a tree held in memory: the stored hashes of a list of leaves.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("vault: journal: hash %d not in the tree", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// add appends leaf n (0-based) and returns the hashes it stored.
func (m *memTree) add(n int64, leaf []byte) ([]tlog.Hash, error) {
	hs, err := tlog.StoredHashes(n, leaf, m)
	if err != nil {
		return nil, err
	}
	m.hashes = append(m.hashes, hs...)
	return hs, nil
}

// treeOf builds the tree of es (assumed numbered 1..len).
func treeOf(es []meta.JournalEntry) (*memTree, error) {
	m := &memTree{}
	for i, e := range es {
		if _, err := m.add(int64(i), journalLeaf(e)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// dbHashes reads an owner's stored tree through r.
func dbHashes(ctx context.Context, r interface {
	ReadJournalHashes(context.Context, string, []int64) ([][]byte, error)
}, ownerID string) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		bs, err := r.ReadJournalHashes(ctx, ownerID, idx)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(bs))
		for i, b := range bs {
			if len(b) != tlog.HashSize {
				return nil, fmt.Errorf("vault: journal hash %d: %w", idx[i], ErrCorrupt)
			}
			copy(out[i][:], b)
		}
		return out, nil
	})
}

// overlay reads hashes below base from under and the others from top.
type overlay struct {
	base  int64
	under tlog.HashReader
	top   []tlog.Hash
}

func (o overlay) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	var low []int64
	for _, x := range idx {
		if x < o.base {
			low = append(low, x)
		}
	}
	got, err := o.under.ReadHashes(low)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		switch {
		case x < o.base:
			out[i], got = got[0], got[1:]
		case x-o.base < int64(len(o.top)):
			out[i] = o.top[x-o.base]
		default:
			return nil, fmt.Errorf("vault: journal: hash %d not in the tree", x)
		}
	}
	return out, nil
}

func toJournalHashes(first int64, hs []tlog.Hash) []meta.JournalHash {
	out := make([]meta.JournalHash, len(hs))
	for i, h := range hs {
		out[i] = meta.JournalHash{Index: first + int64(i), Hash: bytes.Clone(h[:])}
	}
	return out
}

// appendLeaf builds what an append writes for je on top of head: the tree
// hashes (all of them when the journal is not converted yet), the new root
// and the signed checkpoint.
func (s *Service) appendLeaf(ctx context.Context, head meta.JournalHead, r meta.JournalReader, je meta.JournalEntry) (meta.JournalAppend, error) {
	leaf := journalLeaf(je)
	je.Hash = func() []byte { h := tlog.RecordHash(leaf); return h[:] }()
	je.PrevHash = nil
	var hashes []meta.JournalHash
	var root tlog.Hash
	n := head.Seq // the new leaf's 0-based index
	if head.TreeSize == head.Seq {
		reader := dbHashes(ctx, r, je.OwnerID)
		hs, err := tlog.StoredHashes(n, leaf, reader)
		if err != nil {
			return meta.JournalAppend{}, fmt.Errorf("vault: journal: tree: %w", err)
		}
		hashes = toJournalHashes(tlog.StoredHashCount(n), hs)
		root, err = tlog.TreeHash(n+1, overlay{base: tlog.StoredHashCount(n), under: reader, top: hs})
		if err != nil {
			return meta.JournalAppend{}, fmt.Errorf("vault: journal: tree: %w", err)
		}
	} else {
		// A journal of the hash-chain era: its tree is built here, from
		// every entry, and stored with the new one — only when the entries
		// are an intact chain (see convertBuild): the append fails rather
		// than sign what a database writer left.
		es, err := r.JournalEntries(ctx, je.OwnerID)
		if err != nil {
			return meta.JournalAppend{}, err
		}
		if int64(len(es)) != head.Seq {
			return meta.JournalAppend{}, fmt.Errorf("vault: journal of %s: %d entries for a head at %d: %w", je.OwnerID, len(es), head.Seq, ErrCorrupt)
		}
		if ps := verifyChain(s.journalKey(), je.OwnerID, es, head); len(ps) > 0 {
			return meta.JournalAppend{}, fmt.Errorf("vault: journal of %s: not an intact chain (%s): %w", je.OwnerID, ps[0].Reason, ErrCorrupt)
		}
		m, err := treeOf(append(es, je))
		if err != nil {
			return meta.JournalAppend{}, fmt.Errorf("vault: journal: tree: %w", err)
		}
		hashes = toJournalHashes(0, m.hashes)
		if root, err = tlog.TreeHash(n+1, m); err != nil {
			return meta.JournalAppend{}, fmt.Errorf("vault: journal: tree: %w", err)
		}
	}
	cp, err := s.signCheckpoint(je.OwnerID, n+1, root)
	if err != nil {
		return meta.JournalAppend{}, err
	}
	return meta.JournalAppend{
		Entry: je, Hashes: hashes,
		Head: meta.JournalHead{Seq: n + 1, Hash: bytes.Clone(root[:]), TreeSize: n + 1, Checkpoint: cp},
	}, nil
}

// ConvertJournals gives every journal of the hash-chain era (before the
// log) its tree and a signed checkpoint, keeping every entry as it is. It
// first checks each old chain: a journal whose chain is broken is not
// converted (signing it would vouch for whatever a database writer left:
// entries removed, forged or reordered), and the report lists what the
// check found; its entries stay as they are, and appends to it fail
// (ErrCorrupt) until an operator looks. It returns how many journals it
// converted. Running it again converts nothing.
func (s *Service) ConvertJournals(ctx context.Context) (int, JournalReport, error) {
	owners, err := s.meta.JournalOwners(ctx)
	if err != nil {
		return 0, JournalReport{}, mapMeta("convert journal", err)
	}
	key := s.journalKey()
	var rep JournalReport
	converted := 0
	for _, id := range owners {
		var problems []JournalProblem
		build := s.convertBuild(id)
		did, err := s.meta.ConvertJournal(ctx, id, func(head meta.JournalHead, es []meta.JournalEntry) ([]meta.JournalHash, meta.JournalHead, error) {
			problems = verifyChain(key, id, es, head)
			for i := range problems {
				problems[i].Reason = "not converted: " + problems[i].Reason
			}
			return build(head, es)
		})
		if errors.Is(err, meta.ErrNotFound) {
			continue // entries of a removed owner: VerifyJournal reports them
		}
		if errors.Is(err, ErrCorrupt) {
			if len(problems) == 0 {
				problems = []JournalProblem{{OwnerID: id, Reason: "not converted: " + err.Error()}}
			}
			rep.Problems = append(rep.Problems, problems...)
			continue
		}
		if err != nil {
			return converted, rep, mapMeta("convert journal", err)
		}
		if did {
			converted++
			rep.Owners++
			rep.Problems = append(rep.Problems, problems...)
		}
	}
	return converted, rep, nil
}
