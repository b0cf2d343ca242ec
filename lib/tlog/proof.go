package tlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/cerro-torre/ct/lib/bundle"
	"strings"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Proof entry constants (log.md §4).
const (
	ProofFormat   = 1                   // the format field of a proof entry
	ProofDir      = bundle.ProofsDir    // bundle folder of the proof entries (bundle.md §6.1)
	ProofExt      = ".proof"            // extension of an entry name
	MaxProofSize  = bundle.MaxProofSize // bytes: the whole entry
	MaxCheckpoint = 8 * 1024            // bytes: the signed checkpoint note it carries
	MaxProofDepth = 64                  // hashes in an inclusion proof (a tree of up to 2^64 leaves)
	MaxProofs     = bundle.MaxProofs    // proof entries in one bundle

)

// Proof is one proof entry: evidence that the signature by Fingerprint is
// the leaf at Index of the log Origin, whose checkpoint (signed by the log,
// cosigned by witnesses) is Checkpoint. It is self-authenticating: nothing
// in it is trusted until the checkpoint's signatures verify under keys the
// verifier trusts and the inclusion proof leads from the leaf, recomputed
// from the bundle's signature entry, to the checkpoint's root (Verify).
type Proof struct {
	Fingerprint    keys.Fingerprint // the signature entry this proves
	Origin         string           // the log's origin (the checkpoint's first line)
	Index          uint64           // the leaf's index in the log
	InclusionProof [][]byte         // RFC 6962 inclusion proof, leaf to root, 32 bytes each
	Checkpoint     []byte           // the signed checkpoint note, exactly as the log served it
}

// Body returns the body of p's checkpoint (ReadCheckpointBody), which
// Verify, ct verify and ct explain read. It reads the note each time:
// a note is at most a few hundred bytes, and a body kept from ParseProof
// would be state to keep in step with Checkpoint (and to copy, since a
// caller may change the result).
func (p *Proof) Body() (*ParsedCheckpoint, error) {
	return ReadCheckpointBody(p.Checkpoint)
}

// LogID returns the 16 hex digits that name a log in an entry name: the
// first 8 bytes of SHA-256(origin).
func LogID(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return hex.EncodeToString(h[:8])
}

// ProofName returns the entry name of the proof of the signature by fp in
// the log origin: "transparency/<64 hex>.<16 hex>.proof" (exactly 100
// bytes, the ustar name field).
func ProofName(fp keys.Fingerprint, origin string) string {
	return ProofDir + fp.String() + "." + LogID(origin) + ProofExt
}

// Name returns p's entry name.
func (p *Proof) Name() string { return ProofName(p.Fingerprint, p.Origin) }

type proofFile struct {
	Checkpoint     []string `toml:"checkpoint"`
	Fingerprint    string   `toml:"fingerprint"`
	Format         int64    `toml:"format"`
	InclusionProof []string `toml:"inclusion_proof"`
	Index          int64    `toml:"index"`
	Origin         string   `toml:"origin"`
}

var b64 = base64.StdEncoding

func malformed(name, format string, args ...any) *exit.Error {
	return exit.New(exit.Malformed, format, args...).At(name)
}

// ParsedCheckpoint is the body of a checkpoint note, read without checking
// any signature: a claim until Verify checks it.
type ParsedCheckpoint struct {
	Origin string
	Size   uint64
	Hash   []byte
}

// ReadCheckpointBody parses the body of a signed checkpoint note (the text
// before the blank line) without verifying signatures. It checks the shape
// tlog-checkpoint requires, and that the note has at least one signature line.
func ReadCheckpointBody(cp []byte) (*ParsedCheckpoint, error) {
	// As note.Open splits a note: the text ends at the last blank line.
	split := bytes.LastIndex(cp, []byte("\n\n"))
	if split < 0 || split+2 == len(cp) || cp[len(cp)-1] != '\n' {
		return nil, errString("checkpoint is not a signed note: no signature lines after a blank line")
	}
	// The whole note must be a signed note (C2SP signed-note: UTF-8 without
	// control characters, signature lines "— <name> <base64>", at most 100
	// of them), whoever the verifier trusts: note.Open with no known key
	// checks exactly that and reports a well-formed note as unverified.
	// Otherwise an entry would be well formed with no policy and malformed
	// (note.Open in Verify) with one.
	var unverified *note.UnverifiedNoteError
	if _, err := note.Open(cp, nil); !errors.As(err, &unverified) {
		return nil, errString("checkpoint is not a signed note (C2SP signed-note)")
	}
	var c f_log.Checkpoint
	if _, err := c.Unmarshal(bytes.Clone(cp[:split+1])); err != nil {
		return nil, errString("checkpoint body: " + err.Error())
	}
	// f_log accepts a root hash of any length: a tlog-tiles log's is a
	// SHA-256 hash. Another length would only fail the inclusion proof,
	// and be reported as a forgery (7) rather than as malformed.
	if len(c.Hash) != sha256.Size {
		return nil, errString(fmt.Sprintf("checkpoint body: root hash of %d bytes, not 32", len(c.Hash)))
	}
	return &ParsedCheckpoint{Origin: c.Origin, Size: c.Size, Hash: c.Hash}, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// checkShape checks what both EncodeProof and ParseProof require.
func checkShape(name string, p *Proof) (*ParsedCheckpoint, error) {
	if p.Origin == "" || len(p.Origin) > 255 || strings.ContainsAny(p.Origin, "\n+") {
		return nil, malformed(name, "log origin %q is not a valid origin (1 to 255 bytes, no newline or '+')", p.Origin)
	}
	if len(p.Checkpoint) == 0 || len(p.Checkpoint) > MaxCheckpoint {
		return nil, malformed(name, "checkpoint of %d bytes (1 to %d)", len(p.Checkpoint), MaxCheckpoint)
	}
	cp, err := ReadCheckpointBody(p.Checkpoint)
	if err != nil {
		return nil, malformed(name, "%v", err)
	}
	if cp.Origin != p.Origin {
		return nil, malformed(name, "checkpoint is of log %q, but the entry says %q", cp.Origin, p.Origin)
	}
	if p.Index >= cp.Size {
		return nil, malformed(name, "leaf index %d is not inside the checkpoint's tree of size %d", p.Index, cp.Size)
	}
	if len(p.InclusionProof) > MaxProofDepth {
		return nil, malformed(name, "inclusion proof of %d hashes (at most %d)", len(p.InclusionProof), MaxProofDepth)
	}
	for i, h := range p.InclusionProof {
		if len(h) != sha256.Size {
			return nil, malformed(name, "inclusion proof hash %d is %d bytes, not 32", i, len(h))
		}
	}
	return cp, nil
}

// EncodeProof returns the entry name and canonical TOML of p.
func EncodeProof(p *Proof) (name string, data []byte, err error) {
	name = p.Name()
	if _, err := checkShape(name, p); err != nil {
		return "", nil, err
	}
	hashes := make([]string, len(p.InclusionProof))
	for i, h := range p.InclusionProof {
		hashes[i] = b64.EncodeToString(h)
	}
	data, err = canon.MarshalTOML(&proofFile{
		Checkpoint:     canon.ChunkBase64(p.Checkpoint),
		Fingerprint:    p.Fingerprint.String(),
		Format:         ProofFormat,
		InclusionProof: hashes,
		Index:          int64(p.Index),
		Origin:         p.Origin,
	})
	if err != nil {
		return "", nil, exit.Wrap(exit.Internal, err, "cannot encode proof entry").At(name)
	}
	if len(data) > MaxProofSize {
		return "", nil, malformed(name, "proof entry of %d bytes is over the %d-byte limit", len(data), MaxProofSize)
	}
	return name, data, nil
}

// ParseProof parses the proof entry called name strictly: at most
// MaxProofSize bytes of canonical TOML with exactly the fields of format 1,
// the one encoding of its fields, a name that matches its fingerprint and
// origin, a checkpoint of that origin whose tree holds the index, and an
// inclusion proof of 32-byte hashes. Every failure is exit.Malformed. A
// parsed proof is well formed, not verified (Verify).
func ParseProof(name string, data []byte) (*Proof, error) {
	if len(data) > MaxProofSize {
		return nil, malformed(name, "proof entry of %d bytes is over the %d-byte limit", len(data), MaxProofSize)
	}
	// The name's form is the bundle reader's rule (bundle.md §6.1).
	fpHex, logID, ok := bundle.SplitProofName(name)
	if !ok {
		return nil, malformed(name, "a proof entry is named transparency/<64 lowercase hex>.<16 lowercase hex>.proof")
	}
	var f proofFile
	if err := canon.UnmarshalTOML(data, &f); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid proof entry").At(name)
	}
	if out, err := canon.MarshalTOML(&f); err != nil || !bytes.Equal(out, data) {
		return nil, malformed(name, "proof entry is not in the one encoding of its fields")
	}
	if f.Format != ProofFormat {
		return nil, malformed(name, "unknown proof entry format %d (this ct reads format %d)", f.Format, ProofFormat)
	}
	if f.Fingerprint != fpHex {
		return nil, malformed(name, "fingerprint %q does not match the entry name", f.Fingerprint)
	}
	if f.Index < 0 {
		return nil, malformed(name, "negative leaf index %d", f.Index)
	}
	p := &Proof{Origin: f.Origin, Index: uint64(f.Index)}
	fp, err := hex.DecodeString(f.Fingerprint)
	if err != nil {
		return nil, malformed(name, "fingerprint is not hex")
	}
	copy(p.Fingerprint[:], fp)
	if LogID(f.Origin) != logID {
		return nil, malformed(name, "entry name does not match origin %q (its log id is %s)", f.Origin, LogID(f.Origin))
	}
	cp, ok := canon.UnchunkBase64(f.Checkpoint)
	if !ok {
		return nil, malformed(name, "checkpoint is not canonical chunked base64")
	}
	p.Checkpoint = cp
	if len(f.InclusionProof) > MaxProofDepth {
		return nil, malformed(name, "inclusion proof of %d hashes (at most %d)", len(f.InclusionProof), MaxProofDepth)
	}
	for i, s := range f.InclusionProof {
		h, err := b64.Strict().DecodeString(s)
		if err != nil || b64.EncodeToString(h) != s {
			return nil, malformed(name, "inclusion proof hash %d is not canonical base64", i)
		}
		p.InclusionProof = append(p.InclusionProof, h)
	}
	if _, err := checkShape(name, p); err != nil {
		return nil, err
	}
	return p, nil
}
