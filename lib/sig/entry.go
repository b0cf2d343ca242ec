package sig

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Signature entry constants (signatures.md §4).
const (
	EntryFormat  = 1             // the format field of a signature entry
	EntryDir     = "signatures/" // bundle folder of the entries
	EntryExt     = ".sig"        // extension of an entry name
	MaxEntrySize = 16 << 10      // bytes; the largest real entry is under 7 KiB
	// ChunkLen is the length of every base64 string in the signature array
	// but the last (3072 signature bytes each), which keeps every string
	// within canonical TOML's 4096-byte limit.
	ChunkLen = 4096
)

// Entry is one signature in a bundle.
type Entry struct {
	Suite          string           // suite id
	KeyID          string           // the signer's key id: a hint for people, never trusted
	Fingerprint    keys.Fingerprint // the signer's key
	ManifestDigest Digest           // SHA-256 of the signed manifest.toml
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
	Signature      []string `toml:"signature"`
	Suite          string   `toml:"suite"`
}

var b64 = base64.StdEncoding

// chunk splits the standard base64 of b into strings of ChunkLen characters
// (the last may be shorter).
func chunk(b []byte) []string {
	s := b64.EncodeToString(b)
	var out []string
	for len(s) > ChunkLen {
		out = append(out, s[:ChunkLen])
		s = s[ChunkLen:]
	}
	return append(out, s)
}

// unchunk reverses chunk and accepts only its output.
func unchunk(parts []string) ([]byte, bool) {
	if len(parts) == 0 {
		return nil, false
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > ChunkLen || i < len(parts)-1 && len(p) != ChunkLen {
			return nil, false
		}
	}
	s := strings.Join(parts, "")
	b, err := b64.Strict().DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

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

// EncodeEntry returns the bundle entry name and canonical TOML content of e.
func EncodeEntry(e *Entry) (name string, data []byte, err error) {
	name = e.Name()
	if err := checkShape(name, e); err != nil {
		return "", nil, err
	}
	data, err = canon.MarshalTOML(&entryFile{
		Fingerprint:    e.Fingerprint.String(),
		Format:         EntryFormat,
		KeyID:          e.KeyID,
		ManifestDigest: e.ManifestDigest.String(),
		Signature:      chunk(e.Signature),
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
// sha256 manifest digest and a signature of exactly the suite's length in
// canonical chunked base64. Every failure is exit.Malformed.
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
	if e.Signature, ok = unchunk(f.Signature); !ok {
		return nil, malformed(name, "signature is not canonical chunked base64 (strings of %d characters, the last 1 to %d, together standard padded base64)", ChunkLen, ChunkLen)
	}
	if err := checkShape(name, e); err != nil {
		return nil, err
	}
	return e, nil
}
