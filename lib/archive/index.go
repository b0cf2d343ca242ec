// Package archive implements the Cerro Torre offline archive
// (docs/spec/archive.md): many bundles in one deterministic tar stream, each
// blob stored once, with a canonical index (ct-archive.toml) first. Export
// writes one from bundle files in two passes with flat memory; Import stages
// an archive (or bundle files), rebuilds and verifies every bundle, and only
// then installs them into a Destination, atomically.
package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// FormatVersion is the archive format this package writes and reads.
const FormatVersion = 1

// Entry names and prefixes (archive.md §2).
const (
	IndexName    = "ct-archive.toml"
	BundlesDir   = "bundles/"
	KeysDir      = "keys/"
	PolicyName   = "policy.json"
	BlobsDir     = "blobs/sha256/"
	KeyExt       = ".pub"
	sigDir       = "signatures/"
	sigExt       = ".sig"
	proofDir     = "transparency/"
	manifestLeaf = "manifest.toml"
)

// Limits a reader enforces (archive.md §5). They keep the index within
// canonical TOML's 10,000 keys and 1 MiB.
const (
	MaxIndexSize  = 1 << 20
	MaxBundles    = 256
	MaxBlobs      = 2500
	MaxKeys       = 64
	MaxPolicySize = 1 << 20
	MaxKeySize    = 16 << 10
)

// Index is the content of ct-archive.toml.
type Index struct {
	Format  int           `toml:"format"`
	Base    string        `toml:"base,omitempty"`
	Policy  string        `toml:"policy,omitempty"`
	Bundles []IndexBundle `toml:"bundle,omitempty"`
	Blobs   []IndexBlob   `toml:"blob,omitempty"`
	Keys    []IndexKey    `toml:"key,omitempty"`
}

// IndexBundle describes one bundle of the archive: enough, with its
// manifest.toml, signature entries, proof entries and blobs, to rebuild the .ctp byte for byte.
type IndexBundle struct {
	Name           string   `toml:"name"`
	Version        string   `toml:"version"`
	ManifestDigest string   `toml:"manifest_digest"`
	ImageDigest    string   `toml:"image_digest"`
	MTime          int64    `toml:"mtime"`
	Signatures     []string `toml:"signatures,omitempty"`
	Proofs         []string `toml:"proofs,omitempty"` // transparency/… entries (bundle.md §6.1), after the signatures
	Size           int64    `toml:"size"`
}

// IndexBlob is one blob some bundle needs. Present is false for a blob a
// delta leaves out because its base holds it.
type IndexBlob struct {
	Digest  string `toml:"digest"`
	Size    int64  `toml:"size"`
	Present bool   `toml:"present"`
}

// IndexKey is a public key file carried in keys/.
type IndexKey struct {
	ID          string `toml:"id"`
	Suite       string `toml:"suite"`
	Fingerprint string `toml:"fingerprint"`
}

// Hex returns the manifest digest's hex part: the bundle's folder name.
func (b IndexBundle) Hex() string { return strings.TrimPrefix(b.ManifestDigest, "sha256:") }

// Dir is the bundle's folder in the archive.
func (b IndexBundle) Dir() string { return BundlesDir + b.Hex() + "/" }

// Ref is name:version, the tag the bundle gets in oci: and docker-archive: destinations.
func (b IndexBundle) Ref() string { return b.Name + ":" + b.Version }

// Path is the blob's entry name.
func (b IndexBlob) Path() string { return BlobsDir + strings.TrimPrefix(b.Digest, "sha256:") }

// Path is the key's entry name.
func (k IndexKey) Path() string { return KeysDir + k.Fingerprint + KeyExt }

var (
	reHex64  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	reSigEnt = regexp.MustCompile(`^signatures/[0-9a-f]{64}\.sig$`)
)

func bad(format string, args ...any) *exit.Error {
	return exit.New(exit.Malformed, format, args...).At("entry " + IndexName).
		WithHint("this is not an intact ct archive; export it again with ct export")
}

// Validate checks every rule of archive.md §3 that needs only the index.
func (x *Index) Validate() error {
	if x.Format != FormatVersion {
		return bad("unsupported archive format %d (this ct reads format %d)", x.Format, FormatVersion).WithHint("a newer ct may read it; upgrade ct")
	}
	if x.Base != "" && !bundle.ValidDigest(x.Base) {
		return bad("base: %q is not a sha256 digest", x.Base)
	}
	if x.Policy != "" && x.Policy != PolicyName {
		return bad("policy: must be %q when present, not %q", PolicyName, x.Policy)
	}
	if len(x.Bundles) == 0 && x.Base == "" {
		return bad("the archive lists no bundles")
	}
	if len(x.Bundles) > MaxBundles {
		return bad("%d bundles, more than the limit of %d", len(x.Bundles), MaxBundles)
	}
	if len(x.Blobs) > MaxBlobs {
		return bad("%d blobs, more than the limit of %d", len(x.Blobs), MaxBlobs)
	}
	if len(x.Keys) > MaxKeys {
		return bad("%d keys, more than the limit of %d", len(x.Keys), MaxKeys)
	}
	refs := map[string]bool{}
	for i, b := range x.Bundles {
		f := fmt.Sprintf("bundle[%d]", i)
		if !bundle.ValidName(b.Name) {
			return bad("%s.name: %q is not a valid package name", f, b.Name)
		}
		if !bundle.ValidVersion(b.Version) {
			return bad("%s.version: %q is not a valid package version", f, b.Version)
		}
		if !bundle.ValidDigest(b.ManifestDigest) {
			return bad("%s.manifest_digest: %q is not a sha256 digest", f, b.ManifestDigest)
		}
		if !bundle.ValidDigest(b.ImageDigest) {
			return bad("%s.image_digest: %q is not a sha256 digest", f, b.ImageDigest)
		}
		if b.MTime < 0 || b.MTime > ustar.MaxMTime { // bundle.md §1: the 11-digit octal field
			return bad("%s.mtime: %d is out of range", f, b.MTime)
		}
		if b.Size <= 0 || b.Size > canon.MaxInt {
			return bad("%s.size: %d is out of range", f, b.Size)
		}
		if len(b.Signatures) > bundle.MaxSignatures {
			return bad("%s.signatures: more than %d", f, bundle.MaxSignatures)
		}
		for j, s := range b.Signatures {
			if !reSigEnt.MatchString(s) {
				return bad("%s.signatures[%d]: %q is not signatures/<64 hex>.sig", f, j, s)
			}
			if j > 0 && b.Signatures[j-1] >= s {
				return bad("%s.signatures: not sorted, or a duplicate (%s)", f, s)
			}
		}
		if len(b.Proofs) > bundle.MaxProofs {
			return bad("%s.proofs: more than %d", f, bundle.MaxProofs)
		}
		for j, p := range b.Proofs {
			fp, ok := bundle.ProofFingerprint(p)
			if !ok {
				return bad("%s.proofs[%d]: %q is not transparency/<64 hex>.<16 hex>.proof", f, j, p)
			}
			if j > 0 && b.Proofs[j-1] >= p {
				return bad("%s.proofs: not sorted, or a duplicate (%s)", f, p)
			}
			if !slices.Contains(b.Signatures, sigDir+fp+sigExt) {
				return bad("%s.proofs[%d]: %s proves no signature of the bundle (%s is not in its signatures)", f, j, p, sigDir+fp+sigExt)
			}
		}
		if i > 0 && x.Bundles[i-1].ManifestDigest >= b.ManifestDigest {
			return bad("%s: bundles are not sorted by manifest_digest, or a duplicate (%s)", f, b.ManifestDigest)
		}
		if refs[b.Ref()] {
			return bad("%s: two bundles are named %s", f, b.Ref())
		}
		refs[b.Ref()] = true
	}
	for i, b := range x.Blobs {
		f := fmt.Sprintf("blob[%d]", i)
		if !bundle.ValidDigest(b.Digest) {
			return bad("%s.digest: %q is not a sha256 digest", f, b.Digest)
		}
		if b.Size < 0 || b.Size > bundle.MaxBlobSize {
			return bad("%s.size: %d is out of range", f, b.Size)
		}
		if !b.Present && x.Base == "" {
			return bad("%s: blob %s is absent but the archive has no base", f, b.Digest)
		}
		if i > 0 && x.Blobs[i-1].Digest >= b.Digest {
			return bad("%s: blobs are not sorted by digest, or a duplicate (%s)", f, b.Digest)
		}
	}
	for i, k := range x.Keys {
		f := fmt.Sprintf("key[%d]", i)
		if keys.CheckID(k.ID) != nil {
			return bad("%s.id: %q is not a key id", f, k.ID)
		}
		if keys.LookupSuite(k.Suite) == nil {
			return bad("%s.suite: %q is not a suite id", f, k.Suite)
		}
		if !reHex64.MatchString(k.Fingerprint) {
			return bad("%s.fingerprint: %q is not 64 lowercase hex digits", f, k.Fingerprint)
		}
		if i > 0 && x.Keys[i-1].Fingerprint >= k.Fingerprint {
			return bad("%s: keys are not sorted by fingerprint, or a duplicate", f)
		}
	}
	return nil
}

// Blob returns the index entry of digest d.
func (x *Index) Blob(d string) (IndexBlob, bool) {
	lo, hi := 0, len(x.Blobs)
	for lo < hi {
		m := (lo + hi) / 2
		if x.Blobs[m].Digest < d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(x.Blobs) && x.Blobs[lo].Digest == d {
		return x.Blobs[lo], true
	}
	return IndexBlob{}, false
}

// Encode returns the canonical ct-archive.toml bytes.
func (x *Index) Encode() ([]byte, error) {
	if err := x.Validate(); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "invalid archive index")
	}
	b, err := canon.MarshalTOML(x)
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode the archive index")
	}
	if len(b) > MaxIndexSize {
		return nil, exit.New(exit.Usage, "the archive index would be %d bytes, over the %d-byte limit", len(b), MaxIndexSize).
			WithHint("split the bundles over several archives")
	}
	return b, nil
}

// ParseIndex parses ct-archive.toml strictly: canonical bytes, no unknown
// field, and Validate.
func ParseIndex(data []byte) (*Index, error) {
	if len(data) > MaxIndexSize {
		return nil, bad("%d bytes, over the %d-byte limit", len(data), MaxIndexSize)
	}
	var x Index
	if err := canon.UnmarshalTOML(data, &x); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a canonical archive index").At("entry " + IndexName).
			WithHint("the archive was altered or written by a non-conforming tool; export it again with ct export")
	}
	if err := x.Validate(); err != nil {
		return nil, err
	}
	// Re-encoding must give the same bytes: canonical TOML leaves no
	// choice, and this refuses e.g. a spelled-out default.
	again, err := canon.MarshalTOML(&x)
	if err != nil || string(again) != string(data) {
		return nil, bad("not the canonical encoding of its content")
	}
	return &x, nil
}

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}
