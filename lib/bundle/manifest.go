package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// FormatVersion is the bundle format this package writes and reads.
const FormatVersion = 1

// Fixed entry names (docs/spec/bundle.md, "Entries").
const (
	ManifestName   = "manifest.toml"
	SummaryName    = "summary.json"
	LayoutName     = "oci-layout"
	IndexName      = "index.json"
	BlobsDir       = "blobs/"
	BlobsSHA256Dir = "blobs/sha256/"
	SignaturesDir  = "signatures/"
	ProofsDir      = "transparency/" // transparency log proofs, after the signatures (log.md §4)
)

// Blob roles.
const (
	RoleIndex    = "index"
	RoleManifest = "manifest"
	RoleConfig   = "config"
	RoleLayer    = "layer"
)

// Limits that bound what a reader accepts from a stranger.
const (
	MaxManifestSize       = 1 << 20           // manifest.toml
	MaxSummarySize        = canon.MaxDocument // summary.json: canonical JSON, and 2,000 blobs fit (bundle.md §2)
	MaxBlobs              = 2000              // blobs in one bundle (a blob is 4 of canon.MaxKeys)
	MaxMetaBlobSize       = 4 << 20           // an OCI index or manifest blob, or the root image's config, parsed by readers
	MaxMetaTotal          = 64 << 20          // all index and manifest blobs and the root config of a bundle together
	MaxGraphDepth         = 8                 // the deepest index or manifest below the root (the root is depth 0)
	MaxBlobSize           = 1 << 40           // any single blob (1 TiB)
	MaxStringLen          = 1024              // names, versions, references, media types
	ociRefNameAnno        = "org.opencontainers.image.ref.name"
	mediaTypeIndex        = "application/vnd.oci.image.index.v1+json"
	mediaTypeDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeOCIConfig    = "application/vnd.oci.image.config.v1+json"
	mediaTypeDockerConfig = "application/vnd.docker.container.image.v1+json"
	layoutVersion         = "1.0.0"
)

// Manifest is the content of manifest.toml: everything a bundle promises
// about itself. Signatures cover the SHA-256 of its canonical bytes, and those
// bytes commit to every blob by digest and size.
type Manifest struct {
	Format  int     `toml:"format"`
	Package Package `toml:"package"`
	Source  Source  `toml:"source"`
	Image   Image   `toml:"image"`
	Tool    Tool    `toml:"tool"`
	Blobs   []Blob  `toml:"blob"`
}

// Package names what the bundle holds.
type Package struct {
	Name    string `toml:"name"`
	Version string `toml:"version"`
	// Created is an RFC 3339 UTC time, present only when the packer was asked
	// for one (--created or SOURCE_DATE_EPOCH).
	Created string `toml:"created,omitempty"`
}

// Source records where the image came from.
type Source struct {
	Reference  string `toml:"reference"` // as the user gave it
	Transport  string `toml:"transport"` // docker, oci, oci-archive, docker-archive
	Registry   string `toml:"registry,omitempty"`
	Repository string `toml:"repository,omitempty"`
	Tag        string `toml:"tag,omitempty"`
	Digest     string `toml:"digest"` // the digest the reference resolved to
}

// Image describes the root of the bundled image: one image manifest, or an
// index when all platforms were packed.
type Image struct {
	Digest    string   `toml:"digest"`
	MediaType string   `toml:"media_type"`
	Size      int64    `toml:"size"`
	Config    string   `toml:"config,omitempty"`    // config digest, for an image manifest
	Platform  string   `toml:"platform,omitempty"`  // os/arch[/variant], for an image manifest
	Platforms []string `toml:"platforms,omitempty"` // for an index
	Created   string   `toml:"created,omitempty"`   // the image config's own creation time
	// SourceDigest is the root's digest in the source when the packer
	// converted it (Docker schema 2 to OCI); empty when bundled unchanged.
	SourceDigest string `toml:"source_digest,omitempty"`
}

// Tool records the program that wrote the bundle.
type Tool struct {
	Name    string `toml:"name"`
	Version string `toml:"version"`
}

// Blob is one content-addressed file under blobs/sha256/.
type Blob struct {
	Digest    string `toml:"digest"`
	Size      int64  `toml:"size"`
	MediaType string `toml:"media_type"`
	Role      string `toml:"role"`
}

// boundedRe is a pattern and a length bound: what `X[...]{0,N}$` says,
// without the counted repetition, whose compiled program (N copies of the
// class) takes about half a millisecond to build at every start of every
// binary. The classes are ASCII, so bytes are characters.
type boundedRe struct {
	re  *regexp.Regexp
	max int
}

func (b boundedRe) MatchString(s string) bool { return len(s) <= b.max && b.re.MatchString(s) }

// mediaTypeRe is `^T{0,126}/T{0,126}$` (each side a first character and
// at most 126 more) as re and two length checks ('/' is in neither class,
// so it splits the two sides).
type mediaTypeRe struct{ re *regexp.Regexp }

func (m mediaTypeRe) MatchString(s string) bool {
	i := strings.IndexByte(s, '/')
	return i >= 0 && i <= 127 && len(s)-i-1 <= 127 && m.re.MatchString(s)
}

// Path is the blob's entry name in the bundle.
func (b Blob) Path() string { return BlobsSHA256Dir + strings.TrimPrefix(b.Digest, "sha256:") }

var (
	reDigest    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	reMediaType = mediaTypeRe{regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$`)}
	reName      = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	reVersion   = boundedRe{regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`), 128}
	rePlatform  = regexp.MustCompile(`^[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_.]+)?$`)
	reTime      = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`)
	reImageTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})$`)
	transports  = map[string]bool{"docker": true, "oci": true, "oci-archive": true, "docker-archive": true}
	roles       = map[string]bool{RoleIndex: true, RoleManifest: true, RoleConfig: true, RoleLayer: true, RoleAttestation: true, RoleEnvelope: true,
		RolePending: true, RoleStatement: true,
		RoleReferrer: true, RoleCosignSig: true, RoleCosignAtt: true, RoleCosignSBOM: true, RoleReferrerBlob: true}
)

// ValidName reports whether s may be a package name: lowercase path
// components as in an OCI repository name.
func ValidName(s string) bool { return len(s) <= 128 && reName.MatchString(s) }

// ValidVersion reports whether s may be a package version: the OCI tag
// grammar, since the version is the image's tag inside the bundle.
func ValidVersion(s string) bool { return reVersion.MatchString(s) }

// ValidDigest reports whether s is a sha256 digest in OCI form.
func ValidDigest(s string) bool { return reDigest.MatchString(s) }

// Validate checks every rule of docs/spec/bundle.md "manifest.toml" that can
// be checked without the blobs. Errors are exit.Malformed and name the field.
func (m *Manifest) Validate() error {
	bad := func(field, format string, args ...any) error {
		return exit.New(exit.Malformed, "%s: %s", field, fmt.Sprintf(format, args...)).At(ManifestName)
	}
	if m.Format != FormatVersion {
		return exit.New(exit.Malformed, "unsupported bundle format %d (this ct reads format %d)", m.Format, FormatVersion).
			At(ManifestName).WithHint("a newer ct may read it; upgrade ct")
	}
	if !ValidName(m.Package.Name) {
		return bad("package.name", "%q is not a valid name (lowercase letters, digits, '.', '_', '-', '/' between components)", m.Package.Name)
	}
	if !ValidVersion(m.Package.Version) {
		return bad("package.version", "%q is not a valid version (letters, digits, '.', '_', '-'; at most 128)", m.Package.Version)
	}
	if m.Package.Created != "" && !reTime.MatchString(m.Package.Created) {
		return bad("package.created", "%q is not an RFC 3339 UTC time like 2024-01-31T12:00:00Z", m.Package.Created)
	}
	for f, v := range map[string]string{"source.reference": m.Source.Reference, "source.registry": m.Source.Registry,
		"source.repository": m.Source.Repository, "source.tag": m.Source.Tag, "tool.name": m.Tool.Name, "tool.version": m.Tool.Version} {
		if len(v) > MaxStringLen {
			return bad(f, "longer than %d bytes", MaxStringLen)
		}
	}
	if m.Source.Reference == "" {
		return bad("source.reference", "missing")
	}
	if !transports[m.Source.Transport] {
		return bad("source.transport", "unknown transport %q (docker, oci, oci-archive, docker-archive)", m.Source.Transport)
	}
	if !ValidDigest(m.Source.Digest) {
		return bad("source.digest", "%q is not a sha256 digest", m.Source.Digest)
	}
	if m.Tool.Name == "" || m.Tool.Version == "" {
		return bad("tool", "name and version are required")
	}
	if !ValidDigest(m.Image.Digest) {
		return bad("image.digest", "%q is not a sha256 digest", m.Image.Digest)
	}
	if m.Image.SourceDigest != "" && (!ValidDigest(m.Image.SourceDigest) || m.Image.SourceDigest == m.Image.Digest) {
		return bad("image.source_digest", "%q is not a sha256 digest other than image.digest", m.Image.SourceDigest)
	}
	if m.Image.Created != "" && !ValidImageTime(m.Image.Created) {
		return bad("image.created", "%q is not an RFC 3339 time like 2024-01-31T12:00:00Z or 2024-01-31T14:00:00.5+02:00", m.Image.Created)
	}
	if len(m.Blobs) == 0 {
		return bad("blob", "the bundle lists no blobs")
	}
	if len(m.Blobs) > MaxBlobs {
		return bad("blob", "%d blobs, more than the limit of %d", len(m.Blobs), MaxBlobs)
	}
	for i, b := range m.Blobs {
		f := fmt.Sprintf("blob[%d]", i)
		if !ValidDigest(b.Digest) {
			return bad(f+".digest", "%q is not a sha256 digest", b.Digest)
		}
		if b.Size < 0 || b.Size > MaxBlobSize {
			return bad(f+".size", "%d is out of range (0 to %d)", b.Size, int64(MaxBlobSize))
		}
		if !reMediaType.MatchString(b.MediaType) {
			return bad(f+".media_type", "%q is not a media type", b.MediaType)
		}
		if !roles[b.Role] {
			return bad(f+".role", "unknown role %q (index, manifest, config, layer, attestation, envelope, referrer, cosign-sig, cosign-att, cosign-sbom, referrer-blob)", b.Role)
		}
		if (b.Role == RoleIndex || b.Role == RoleManifest) && b.Size > MaxMetaBlobSize {
			return bad(f+".size", "%s of %d bytes is over the %d-byte limit", b.Role, b.Size, MaxMetaBlobSize)
		}
		if i > 0 && m.Blobs[i-1].Digest >= b.Digest {
			if m.Blobs[i-1].Digest == b.Digest {
				return bad(f, "duplicate blob %s", b.Digest)
			}
			return bad(f, "blobs are not sorted by digest (%s after %s)", b.Digest, m.Blobs[i-1].Digest)
		}
	}
	if err := m.validateAttestationBlobs(); err != nil {
		return err
	}
	if err := m.validateReferrerBlobs(); err != nil {
		return err
	}
	var meta int64
	for _, b := range m.Blobs {
		if b.Role == RoleIndex || b.Role == RoleManifest {
			meta += b.Size
		}
	}
	if meta > MaxMetaTotal {
		return bad("blob", "index and manifest blobs add up to %d bytes, over the %d-byte limit", meta, int64(MaxMetaTotal))
	}
	root, ok := m.Blob(m.Image.Digest)
	if !ok {
		return bad("image.digest", "%s is not among the blobs", m.Image.Digest)
	}
	if root.MediaType != m.Image.MediaType || root.Size != m.Image.Size {
		return bad("image", "media type and size (%s, %d) differ from blob %s (%s, %d)",
			m.Image.MediaType, m.Image.Size, root.Digest, root.MediaType, root.Size)
	}
	switch root.Role {
	case RoleManifest:
		if !ValidDigest(m.Image.Config) {
			return bad("image.config", "an image manifest needs its config digest")
		}
		c, ok := m.Blob(m.Image.Config)
		if !ok || c.Role != RoleConfig {
			return bad("image.config", "%s is not a config blob of the bundle", m.Image.Config)
		}
		if IsImageConfigMediaType(c.MediaType) {
			if c.Size > MaxMetaBlobSize {
				return bad("image.config", "the image config of %d bytes is over the %d-byte limit", c.Size, MaxMetaBlobSize)
			}
			if meta+c.Size > MaxMetaTotal {
				return bad("blob", "index and manifest blobs and the image config add up to %d bytes, over the %d-byte limit", meta+c.Size, int64(MaxMetaTotal))
			}
		} else if m.Image.Platform != "" || m.Image.Created != "" {
			return bad("image", "platform and created come from an image config, but the config's media type is %s", c.MediaType)
		}
		if m.Image.Platform != "" && !rePlatform.MatchString(m.Image.Platform) {
			return bad("image.platform", "%q is not os/arch[/variant]", m.Image.Platform)
		}
		if len(m.Image.Platforms) > 0 {
			return bad("image.platforms", "only an index lists platforms")
		}
	case RoleIndex:
		if m.Image.Config != "" || m.Image.Platform != "" || m.Image.Created != "" {
			return bad("image", "an index has no config, single platform or created time")
		}
		for _, p := range m.Image.Platforms {
			if !rePlatform.MatchString(p) {
				return bad("image.platforms", "%q is not os/arch[/variant]", p)
			}
		}
	default:
		return bad("image.digest", "blob %s has role %q; the root must be a manifest or an index", root.Digest, root.Role)
	}
	return nil
}

// ValidImageTime reports whether s is in the RFC 3339 form image.created
// accepts (bundle.md §3): YYYY-MM-DDTHH:MM:SS, an optional fraction of 1 to 9
// digits, then Z or ±HH:MM, and a real date and time.
func ValidImageTime(s string) bool {
	if !reImageTime.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// IsIndexMediaType reports whether mt is an index media type: the OCI image
// index or the Docker manifest list, and nothing else (bundle.md §3).
func IsIndexMediaType(mt string) bool { return mt == mediaTypeIndex || mt == mediaTypeDockerList }

// IsImageConfigMediaType reports whether mt is an image config media type
// (OCI or Docker), the configs whose platform and time manifest.toml records.
func IsImageConfigMediaType(mt string) bool {
	return mt == mediaTypeOCIConfig || mt == mediaTypeDockerConfig
}

// ImageClaims returns what manifest.toml records about an image from its
// config (bundle.md §3): image.platform, "os/architecture[/variant]" when
// both os and architecture are non-empty strings, else ""; and
// image.created, the config's "created" string exactly as written, else "".
// A packer writes these and a reader demands them, so both use this one
// function.
func ImageClaims(config []byte) (platform, created string, err error) {
	// One reading for every reader: no duplicate or case-folded keys.
	if err := StrictJSON(config); err != nil {
		return "", "", exit.Wrap(exit.Malformed, err, "the image config is not JSON that reads one way")
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(config, &c); err != nil {
		return "", "", exit.Wrap(exit.Malformed, err, "the image config is not a JSON object")
	}
	os, arch, variant, ok := exactPlatform(c)
	if !ok {
		return "", "", exit.New(exit.Malformed, "the image config's os, architecture or variant is not a string")
	}
	if os != "" && arch != "" {
		platform = PlatformString(os, arch, variant)
	}
	if v, ok := c["created"]; ok && !bytes.Equal(v, []byte("null")) {
		if err := json.Unmarshal(v, &created); err != nil {
			return "", "", exit.Wrap(exit.Malformed, err, "the image config's created is not a string")
		}
	}
	return platform, created, nil
}

// exactPlatform reads os, architecture and variant from a JSON object by
// their exact names (encoding/json would also take "OS" for "os"); an
// absent or null member is "".
func exactPlatform(o map[string]json.RawMessage) (os, arch, variant string, ok bool) {
	get := func(k string) (string, bool) {
		v, present := o[k]
		if !present || bytes.Equal(v, []byte("null")) {
			return "", true
		}
		var s string
		return s, json.Unmarshal(v, &s) == nil
	}
	os, ok1 := get("os")
	arch, ok2 := get("architecture")
	variant, ok3 := get("variant")
	return os, arch, variant, ok1 && ok2 && ok3
}

// IndexPlatforms returns what manifest.toml records as image.platforms for
// an index (bundle.md §3): the platform of each entry of its "manifests", in
// order, as os/architecture[/variant], leaving out entries without a
// platform and those whose os is "" or "unknown" (build attestations).
func IndexPlatforms(index []byte) ([]string, error) {
	var ix map[string]json.RawMessage
	var ms []map[string]json.RawMessage
	if err := json.Unmarshal(index, &ix); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the image index is not a JSON object")
	}
	if v, ok := ix["manifests"]; ok {
		if err := json.Unmarshal(v, &ms); err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "the image index's manifests is not an array of objects")
		}
	}
	var out []string
	for i, d := range ms {
		v, ok := d["platform"]
		if !ok || bytes.Equal(v, []byte("null")) {
			continue
		}
		var p map[string]json.RawMessage
		if err := json.Unmarshal(v, &p); err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "the platform of entry %d of the image index is not an object", i+1)
		}
		os, arch, variant, ok := exactPlatform(p)
		if !ok {
			return nil, exit.New(exit.Malformed, "the platform of entry %d of the image index has an os, architecture or variant that is not a string", i+1)
		}
		if os != "" && os != "unknown" {
			out = append(out, PlatformString(os, arch, variant))
		}
	}
	return out, nil
}

// PlatformString is the manifest.toml spelling of a platform: os/arch, and
// /variant when there is one.
func PlatformString(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// Blob returns the blob with digest d.
func (m *Manifest) Blob(d string) (Blob, bool) {
	i := sort.Search(len(m.Blobs), func(i int) bool { return m.Blobs[i].Digest >= d })
	if i < len(m.Blobs) && m.Blobs[i].Digest == d {
		return m.Blobs[i], true
	}
	return Blob{}, false
}

// SortBlobs puts the blobs into the order the format requires (by digest).
func (m *Manifest) SortBlobs() {
	sort.Slice(m.Blobs, func(i, j int) bool { return m.Blobs[i].Digest < m.Blobs[j].Digest })
}

// Encode returns the canonical manifest.toml bytes.
func (m *Manifest) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return canon.MarshalTOML(m)
}

// ParseManifest parses canonical manifest.toml bytes strictly: the bytes must
// be canonical, unknown fields are rejected, and Validate must pass.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestSize {
		return nil, exit.New(exit.Malformed, "%d bytes, over the %d-byte limit", len(data), MaxManifestSize).At(ManifestName)
	}
	var m Manifest
	if err := canon.UnmarshalTOML(data, &m); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a canonical manifest").At(ManifestName).
			WithHint("the bundle was altered or written by a non-conforming tool; repack it with ct pack")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	// One manifest, one encoding: an optional field written out empty
	// (registry = "", platforms = []) is canonical TOML but not what a
	// writer emits, so it is refused rather than read as absent.
	if out, err := canon.MarshalTOML(&m); err != nil || !bytes.Equal(out, data) {
		line, text := firstDiff(data, out)
		return nil, exit.New(exit.Malformed, "line %d (%s): a field written out empty, which a writer omits (optional fields are absent when empty; required strings are non-empty)", line, text).
			At(ManifestName).WithHint("the bundle was altered or written by a non-conforming tool; repack it with ct pack")
	}
	return &m, nil
}

// firstDiff returns the 1-based line of the first line of a that differs from
// b, and that line.
func firstDiff(a, b []byte) (int, string) {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return i + 1, al[i]
		}
	}
	return len(al), ""
}
