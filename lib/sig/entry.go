package sig

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Signature entry constants (signatures.md §4).
const (
	EntryFormat  = 1                       // the format field of a signature entry
	EntryDir     = "signatures/"           // bundle folder of the entries
	EntryExt     = ".sig"                  // extension of an entry name
	MaxEntrySize = bundle.MaxSignatureSize // bytes (16 KiB, signatures.md §4.2); the largest valid entry (CT-SIG-02, 64-character key id) is 10075
	// ChunkLen is the length of every base64 string in the signature and
	// public_key arrays but the last (3072 bytes each), which keeps every
	// string within canonical TOML's 4096-byte limit.
	ChunkLen = canon.ChunkLen
)

// Entry is one signature in a bundle. It is self-contained: it carries the
// signer's public key, so it can be verified without a trust store
// (VerifySelf); whether the signer is trusted is a separate decision, by
// Fingerprint. The fields are redundant on purpose and must agree:
// PublicKey has suite Suite, id KeyID and fingerprint Fingerprint
// (EncodeEntry refuses an entry where they do not; ParseEntry never
// returns one).
type Entry struct {
	Suite          string           // suite id
	KeyID          string           // the signer's key id: a hint for people, never trusted
	Fingerprint    keys.Fingerprint // the signer's key: the fingerprint of PublicKey
	ManifestDigest Digest           // SHA-256 of the signed manifest.toml
	PublicKey      *keys.PublicKey  // the signer's public key, as embedded in the entry; its id is KeyID
	Signature      []byte           // exactly the suite's SignatureSize bytes
}

// EntryName returns the bundle entry name of the signature by the key with
// fingerprint fp: "signatures/<64 hex>.sig".
func EntryName(fp keys.Fingerprint) string { return EntryDir + fp.String() + EntryExt }

// Name returns the bundle entry name of e.
func (e *Entry) Name() string { return EntryName(e.Fingerprint) }

// entryFile is the TOML form of an entry.
type entryFile struct {
	Fingerprint    string   `toml:"fingerprint"`
	Format         int64    `toml:"format"`
	KeyID          string   `toml:"key_id"`
	ManifestDigest string   `toml:"manifest_digest"`
	PublicKey      []string `toml:"public_key"`
	Signature      []string `toml:"signature"`
	Suite          string   `toml:"suite"`
}

var b64 = base64.StdEncoding

func malformed(name, format string, args ...any) *exit.Error {
	return exit.New(exit.Malformed, format, args...).At(name)
}

// checkShape checks what EncodeEntry and ParseEntry both require of an
// entry's fields, reporting problems as exit.Malformed at name.
func checkShape(name string, e *Entry) error {
	s := LookupSuite(e.Suite)
	if s == nil {
		return malformed(name, "unknown signature suite %q", e.Suite).
			WithHint("this ct knows CT-SIG-01, CT-SIG-02 and CT-SIG-03; a newer ct may know more")
	}
	if keys.CheckID(e.KeyID) != nil {
		return malformed(name, "key_id %q is not a valid key id", e.KeyID)
	}
	if len(e.Signature) != s.SignatureSize {
		what := "truncated"
		if len(e.Signature) > s.SignatureSize {
			what = "oversized"
		}
		return malformed(name, "%s signature: %d bytes, but a %s signature is exactly %d", what, len(e.Signature), s.ID, s.SignatureSize)
	}
	return nil
}

// checkKey checks that the raw public key pub fits the entry: exactly the
// suite's key length, and fingerprint e.Fingerprint. It returns the key
// under the id e.KeyID. Call after checkShape.
func checkKey(name string, e *Entry, pub []byte) (*keys.PublicKey, error) {
	s := LookupSuite(e.Suite)
	if len(pub) != s.PublicKeySize {
		what := "truncated"
		if len(pub) > s.PublicKeySize {
			what = "oversized"
		}
		return nil, malformed(name, "%s public key: %d bytes, but a %s public key is exactly %d", what, len(pub), s.ID, s.PublicKeySize)
	}
	if keys.ComputeFingerprint(e.Suite, pub) != e.Fingerprint {
		return nil, malformed(name, "public key does not match the fingerprint %s", e.Fingerprint).
			WithHint("the fingerprint of a signature entry is the fingerprint of the public key it carries")
	}
	k, err := keys.NewPublicKey(e.KeyID, e.Suite, pub)
	if err != nil { // unreachable: id, suite and length were checked
		return nil, exit.Wrap(exit.Malformed, err, "invalid public key").At(name)
	}
	return k, nil
}

// EncodeEntry returns the bundle entry name and canonical TOML content of e.
func EncodeEntry(e *Entry) (name string, data []byte, err error) {
	name = e.Name()
	if err := checkShape(name, e); err != nil {
		return "", nil, err
	}
	if e.PublicKey == nil {
		return "", nil, malformed(name, "signature entry lacks public_key")
	}
	if e.PublicKey.Suite() != e.Suite || e.PublicKey.ID() != e.KeyID {
		return "", nil, malformed(name, "public key %s (%s) does not fit a %s entry with key_id %q", e.PublicKey.ID(), e.PublicKey.Suite(), e.Suite, e.KeyID)
	}
	if _, err := checkKey(name, e, e.PublicKey.Bytes()); err != nil {
		return "", nil, err
	}
	data, err = canon.MarshalTOML(&entryFile{
		Fingerprint:    e.Fingerprint.String(),
		Format:         EntryFormat,
		KeyID:          e.KeyID,
		ManifestDigest: e.ManifestDigest.String(),
		PublicKey:      canon.ChunkBase64(e.PublicKey.Bytes()),
		Signature:      canon.ChunkBase64(e.Signature),
		Suite:          e.Suite,
	})
	if err != nil {
		return "", nil, exit.Wrap(exit.Internal, err, "cannot encode signature entry").At(name)
	}
	return name, data, nil
}

// ParseEntry parses the signature entry called name (the full bundle entry
// name, "signatures/<fingerprint>.sig") strictly: at most MaxEntrySize
// bytes of canonical TOML with exactly the fields of format 1, a known
// suite, a valid key id, a fingerprint equal to the one in the name, a
// sha256 manifest digest, a public key of exactly the suite's length whose
// fingerprint is the entry's, and a signature of exactly the suite's length,
// both in canonical chunked base64. Every failure is exit.Malformed.
//
// A parsed entry is well formed, not verified: see VerifySelf and Verify.
func ParseEntry(name string, data []byte) (*Entry, error) {
	if len(data) > MaxEntrySize {
		return nil, malformed(name, "signature entry is %d bytes, over the %d-byte limit", len(data), MaxEntrySize)
	}
	hexFP, ok := strings.CutPrefix(name, EntryDir)
	if ok {
		hexFP, ok = strings.CutSuffix(hexFP, EntryExt)
	}
	if !ok || len(hexFP) != 64 || !isLowerHex(hexFP) {
		return nil, malformed(name, "a signature entry is named signatures/<64 lowercase hex digits>.sig")
	}
	var f entryFile
	if err := canon.UnmarshalTOML(data, &f); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid signature entry").At(name)
	}
	if out, err := canon.MarshalTOML(&f); err != nil || !bytes.Equal(out, data) {
		return nil, malformed(name, "signature entry is not in the one encoding of its fields")
	}
	if f.Format != EntryFormat {
		return nil, malformed(name, "unknown signature entry format %d (this ct reads format %d)", f.Format, EntryFormat)
	}
	for _, x := range []struct{ k, v string }{{"fingerprint", f.Fingerprint}, {"key_id", f.KeyID}, {"manifest_digest", f.ManifestDigest}, {"suite", f.Suite}} {
		if x.v == "" {
			return nil, malformed(name, "signature entry lacks %s", x.k)
		}
	}
	if f.PublicKey == nil {
		return nil, malformed(name, "signature entry lacks public_key")
	}
	if f.Signature == nil {
		return nil, malformed(name, "signature entry lacks signature")
	}
	e := &Entry{Suite: f.Suite, KeyID: f.KeyID}
	if len(f.Fingerprint) != 64 || !isLowerHex(f.Fingerprint) {
		return nil, malformed(name, "fingerprint %q is not 64 lowercase hex digits", f.Fingerprint)
	}
	hex.Decode(e.Fingerprint[:], []byte(f.Fingerprint))
	if f.Fingerprint != hexFP {
		return nil, malformed(name, "entry name does not match its fingerprint %s", f.Fingerprint).
			WithHint("a signature entry is named after the signer's fingerprint: %s", EntryName(e.Fingerprint))
	}
	if e.ManifestDigest, ok = parseDigest(f.ManifestDigest); !ok {
		return nil, malformed(name, "manifest_digest %q is not sha256: and 64 lowercase hex digits", f.ManifestDigest)
	}
	pub, ok := canon.UnchunkBase64(f.PublicKey)
	if !ok {
		return nil, malformed(name, "public_key is not canonical chunked base64 (strings of %d characters, the last 1 to %d, together standard padded base64)", ChunkLen, ChunkLen)
	}
	if e.Signature, ok = canon.UnchunkBase64(f.Signature); !ok {
		return nil, malformed(name, "signature is not canonical chunked base64 (strings of %d characters, the last 1 to %d, together standard padded base64)", ChunkLen, ChunkLen)
	}
	if err := checkShape(name, e); err != nil {
		return nil, err
	}
	var err error
	if e.PublicKey, err = checkKey(name, e, pub); err != nil {
		return nil, err
	}
	return e, nil
}
