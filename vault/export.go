package vault

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/seal"
)

// ExportFormat selects what Export writes.
type ExportFormat string

// Export formats.
const (
	// ExportPDF: the plaintext documents and manifest.json.
	ExportPDF ExportFormat = "pdf"
	// ExportAge: the age files as stored, identity.txt (the owner's key and
	// every document key, for `age -d -i identity.txt`), README.txt and
	// manifest.json.
	ExportAge ExportFormat = "age"
)

// ManifestFormat identifies the manifest's schema.
const ManifestFormat = "coffre-export/1"

// Manifest is manifest.json in an export.
type Manifest struct {
	Format    string          `json:"format"`
	Kind      ExportFormat    `json:"kind"`
	Owner     string          `json:"owner"`
	Exported  time.Time       `json:"exported"`
	Documents []ManifestEntry `json:"documents"`
	// JournalCheckpoint is the signed checkpoint of the owner's journal at
	// the export (also in journal-checkpoint.txt): `coffre admin
	// verify-journal --checkpoint` proves later that the journal extends it.
	JournalCheckpoint string `json:"journal_checkpoint,omitempty"`
}

// ManifestEntry describes one exported document.
type ManifestEntry struct {
	ID        string     `json:"id"`
	File      string     `json:"file"`
	Category  string     `json:"category"`
	Title     string     `json:"title"`
	MediaType string     `json:"media_type"`
	Pages     int        `json:"pages"`
	Size      int64      `json:"size"`
	Profile   string     `json:"profile,omitempty"`
	Created   time.Time  `json:"created"`
	Expires   *time.Time `json:"expires,omitempty"`
	// SHA256 is the hex SHA-256 of the plaintext document.
	SHA256 string `json:"sha256"`
	// AgeSHA256 is the hex SHA-256 of the age file (age exports only).
	AgeSHA256 string `json:"age_sha256,omitempty"`
}

// Export writes all of the owner's documents to w as a zip archive, streamed
// with bounded memory, with readme (how to open the archive, in the owner's
// words: the edge gives it) as README.txt of an age export. If it fails midway the archive is incomplete and the
// error says why. Errors: ErrInvalid (not an owner, unknown format),
// ErrCorrupt (a payload missing or damaged), ErrConfirmRequired (the age
// format, which holds the owner's identity, for an unconfirmed owner).
func (s *Service) Export(ctx context.Context, owner *Principal, w io.Writer, format ExportFormat, readme string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	if format != ExportPDF && format != ExportAge {
		return fmt.Errorf("%w: export format %q", ErrInvalid, format)
	}
	if format == ExportAge && !owner.IsConfirmed() {
		// The age export holds the owner's identity itself.
		return ErrConfirmRequired
	}
	accs, err := s.meta.ListAccess(ctx, KindOwner, owner.id)
	if err != nil {
		return mapMeta("export", err)
	}
	zw := zip.NewWriter(w)
	m := Manifest{Format: ManifestFormat, Kind: format, Owner: owner.id, Exported: s.now().UTC()}
	keys := []string{"# Coffre: owner " + owner.id, owner.identity.String()}
	names := map[string]bool{}
	buf := make([]byte, 64<<10)
	for _, acc := range accs {
		ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
		if err != nil {
			return fmt.Errorf("vault: export: document key %s: %w: %w", acc.Document.ID, ErrCorrupt, err)
		}
		d, err := view(acc.Document, ident)
		if err != nil {
			return err
		}
		e := ManifestEntry{
			ID: d.ID, Category: d.Category, Title: d.Title, MediaType: d.MediaType, Pages: d.Pages,
			Size: d.Size, Profile: d.Profile, Created: d.Created,
		}
		if !d.Expires.IsZero() {
			exp := d.Expires
			e.Expires = &exp
		}
		e.File = exportName(names, d, format)
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: e.File, Method: zip.Store, Modified: d.Created})
		if err != nil {
			return fmt.Errorf("vault: export: %w", err)
		}
		rc, err := s.getPayload(ctx, acc.Document)
		if errors.Is(err, blob.ErrNotExist) {
			return fmt.Errorf("vault: export %s: payload missing: %w: %w", d.ID, ErrCorrupt, err)
		}
		if err != nil {
			return fmt.Errorf("vault: export %s: %w", d.ID, err)
		}
		e.SHA256, e.AgeSHA256, err = exportOne(ctx, rc, ident, fw, format, d.Size, buf)
		_ = rc.Close()
		if err != nil {
			return fmt.Errorf("vault: export %s: %w", d.ID, err)
		}
		if format == ExportAge {
			keys = append(keys, "# document "+d.ID+" ("+e.File+")", ident.String())
		}
		m.Documents = append(m.Documents, e)
	}
	if format == ExportAge {
		if err := writeSmall(zw, "identity.txt", []byte(strings.Join(keys, "\n")+"\n"), m.Exported); err != nil {
			return err
		}
		if err := writeSmall(zw, "README.txt", []byte(readme), m.Exported); err != nil {
			return err
		}
	}
	if m.Documents == nil {
		m.Documents = []ManifestEntry{}
	}
	if cp, err := s.currentCheckpoint(ctx, owner.id); err == nil {
		m.JournalCheckpoint = string(cp.Note)
		if err := writeSmall(zw, "journal-checkpoint.txt", cp.Note, m.Exported); err != nil {
			return err
		}
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("vault: export: manifest: %w", err)
	}
	if err := writeSmall(zw, "manifest.json", append(mj, '\n'), m.Exported); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("vault: export: %w", err)
	}
	return s.record(ctx, owner.id, Event{Kind: EventExport, ActorKind: ActorOwner, ActorID: owner.id, Detail: string(format)})
}

// exportOne copies one document into fw: the plaintext (pdf) or the age
// file as stored (age), which is then also decrypted on the fly to check it
// and hash its plaintext. It returns the plaintext and age-file digests.
func exportOne(ctx context.Context, rc io.Reader, ident age.Identity, fw io.Writer, format ExportFormat, size int64, buf []byte) (plainSum, ageSum string, err error) {
	plainH := sha256.New()
	var src io.Reader = rc
	var ageH = sha256.New()
	if format == ExportAge {
		src = io.TeeReader(rc, io.MultiWriter(fw, ageH))
	}
	dec, err := seal.Decrypt(ctx, src, ident)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var dst io.Writer = plainH
	if format == ExportPDF {
		dst = io.MultiWriter(fw, plainH)
	}
	n, err := io.CopyBuffer(dst, dec, buf)
	if err != nil {
		if seal.Classify(err) != seal.KindUnknown {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return "", "", err
	}
	if n != size {
		return "", "", fmt.Errorf("%w: plaintext is %d bytes, metadata says %d", ErrCorrupt, n, size)
	}
	if format == ExportAge {
		// Decrypt read to the end of the file; copy anything left anyway so
		// the archive holds the stored file whole.
		if _, err := io.CopyBuffer(io.Discard, src, buf); err != nil {
			return "", "", err
		}
		ageSum = hex.EncodeToString(ageH.Sum(nil))
	}
	return hex.EncodeToString(plainH.Sum(nil)), ageSum, nil
}

func writeSmall(zw *zip.Writer, name string, b []byte, mod time.Time) error {
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod})
	if err != nil {
		return fmt.Errorf("vault: export: %w", err)
	}
	if _, err := fw.Write(b); err != nil {
		return fmt.Errorf("vault: export: %w", err)
	}
	return nil
}

// exportName builds a unique, portable file name: documents/<category>/<title>-<id8>.<ext>[.age].
func exportName(used map[string]bool, d Document, format ExportFormat) string {
	ext := ".pdf"
	switch d.MediaType {
	case "image/jpeg":
		ext = ".jpg"
	case "image/png":
		ext = ".png"
	}
	if format == ExportAge {
		ext += ".age"
	}
	base := "documents/" + d.Category + "/" + safeName(d.Title) + "-"
	name := base + d.ID[:8] + ext
	if used[name] {
		name = base + d.ID + ext
	}
	used[name] = true
	return name
}

// safeName keeps letters, digits and a little punctuation of a title, at
// most 60 runes; anything else becomes '_'.
func safeName(title string) string {
	var b strings.Builder
	n := 0
	lastUnderscore := false
	for _, r := range title {
		if n >= 60 {
			break
		}
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -_(),'", r)
		if !ok {
			if lastUnderscore {
				continue
			}
			r = '_'
		}
		lastUnderscore = r == '_'
		b.WriteRune(r)
		n++
	}
	s := strings.Trim(b.String(), " _.-")
	if s == "" {
		return "document"
	}
	return s
}
