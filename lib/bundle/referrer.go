package bundle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// Copied supply-chain artifacts (docs/spec/referrers.md): manifests that
// the source registry attached to the image, copied by `ct pack
// --with-referrers` with their blobs, so that they cross the gap and are
// re-attached at the destination. They are the source's claims, carried
// and covered by the bundle's signatures, never trusted or counted as
// attestations by ct verify.
const (
	// RoleReferrer is an OCI referrer of the image: an image manifest whose
	// subject is the bundle's root image.
	RoleReferrer = "referrer"
	// RoleCosignSig, RoleCosignAtt and RoleCosignSBOM are the manifests
	// cosign keeps under the tags sha256-<hex>.sig, .att and .sbom.
	RoleCosignSig  = "cosign-sig"
	RoleCosignAtt  = "cosign-att"
	RoleCosignSBOM = "cosign-sbom"
	// RoleReferrerBlob is a config or layer of a copied manifest that the
	// bundle does not list in another role.
	RoleReferrerBlob = "referrer-blob"

	MaxReferrers        = 64        // copied manifests in one bundle
	MaxReferrerManifest = 256 << 10 // one copied manifest
	MaxReferrerBlob     = 64 << 20  // one referrer-blob
	MaxReferrerTotal    = 256 << 20 // all referrer-blobs of a bundle together

	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

	// CTBundleArtifactType is the artifactType of ct push's bundle artifact
	// (registry.md §2), which ct fetch looks for among the image's
	// referrers. A copied manifest never declares it (referrers.md §2).
	CTBundleArtifactType = "application/vnd.cerro-torre.bundle.v1"
)

// IsCopiedManifest reports whether role is that of a copied manifest.
func IsCopiedManifest(role string) bool {
	switch role {
	case RoleReferrer, RoleCosignSig, RoleCosignAtt, RoleCosignSBOM:
		return true
	}
	return false
}

// CosignTag returns the tag cosign keeps a manifest of this role under for
// the image imageDigest (sha256-<hex>.sig, .att, .sbom), or "" for another
// role.
func CosignTag(imageDigest, role string) string {
	if !strings.HasPrefix(role, "cosign-") || !IsCopiedManifest(role) {
		return ""
	}
	return strings.Replace(imageDigest, ":", "-", 1) + "." + strings.TrimPrefix(role, "cosign-")
}

// validateReferrerBlobs applies the manifest.toml rules of referrers.md §2
// that need no blob content.
func (m *Manifest) validateReferrerBlobs() error {
	bad := func(field, format string, args ...any) error {
		return exit.New(exit.Malformed, "%s: %s", field, fmt.Sprintf(format, args...)).At(ManifestName)
	}
	n := 0
	var total int64
	cosign := map[string]bool{}
	for i, b := range m.Blobs {
		f := fmt.Sprintf("blob[%d]", i)
		switch {
		case IsCopiedManifest(b.Role):
			n++
			if b.Role == RoleReferrer && b.MediaType != MediaTypeManifest {
				// An OCI referrer is found through its subject, which
				// only an OCI image manifest has (referrers.md §1).
				return bad(f+".media_type", "a copied referrer manifest has media type %s, not %s", MediaTypeManifest, b.MediaType)
			}
			if b.MediaType != MediaTypeManifest && b.MediaType != MediaTypeDockerManifest {
				return bad(f+".media_type", "a copied %s manifest has media type %s or %s, not %s", b.Role, MediaTypeManifest, MediaTypeDockerManifest, b.MediaType)
			}
			if b.Size > MaxReferrerManifest {
				return bad(f+".size", "copied %s manifest of %d bytes is over the %d-byte limit", b.Role, b.Size, MaxReferrerManifest)
			}
			if b.Role != RoleReferrer {
				if cosign[b.Role] {
					return bad(f+".role", "a second %s manifest: cosign keeps one under its tag", b.Role)
				}
				cosign[b.Role] = true
			}
		case b.Role == RoleReferrerBlob:
			if b.Size > MaxReferrerBlob {
				return bad(f+".size", "referrer blob of %d bytes is over the %d-byte limit", b.Size, MaxReferrerBlob)
			}
			total += b.Size
		}
	}
	if n > MaxReferrers {
		return bad("blob", "%d copied referrer manifests, more than the limit of %d", n, MaxReferrers)
	}
	if total > MaxReferrerTotal {
		return bad("blob", "referrer blobs add up to %d bytes, over the %d-byte limit", total, int64(MaxReferrerTotal))
	}
	return nil
}

// copiedRoots returns the listed copied manifests in manifest.toml order.
func (m *Manifest) copiedRoots() []Blob {
	var out []Blob
	for _, b := range m.Blobs {
		if IsCopiedManifest(b.Role) {
			out = append(out, b)
		}
	}
	return out
}

// CopiedBlob is a config or layer a copied manifest references.
type CopiedBlob struct {
	MediaType string
	Digest    string
	Size      int64
}

// ParseCopiedManifest checks one copied manifest of the given role and
// media type against the bundle's root image (referrers.md §2): an image
// manifest of schemaVersion 2 with that mediaType, a config and no
// manifests, and for a referrer (or any copied manifest that has one) a
// subject that is the root image. It
// returns the config and layers. The packer applies it before copying, the
// reader after reading.
func ParseCopiedManifest(role, mediaType string, data []byte, image Image) ([]CopiedBlob, error) {
	om, err := parseOCI(data)
	if err != nil {
		return nil, fmt.Errorf("not JSON that reads one way: %w", err)
	}
	var top struct {
		SchemaVersion json.RawMessage `json:"schemaVersion"`
		Subject       json.RawMessage `json:"subject"`
	}
	if err := json.Unmarshal(data, &top); err != nil || string(top.SchemaVersion) != "2" {
		return nil, fmt.Errorf("not an image manifest of schemaVersion 2")
	}
	if om.MediaType != mediaType {
		return nil, fmt.Errorf("its mediaType %q differs from %q", om.MediaType, mediaType)
	}
	if om.Config == nil || len(om.Manifests) > 0 {
		return nil, fmt.Errorf("an image manifest needs a config and no manifests")
	}
	// Not a ct bundle artifact: attached again at the destination, it
	// would be one more bundle for ct fetch to choose from there. Read as
	// ct fetch reads it (encoding/json, member names in any case).
	var at struct {
		ArtifactType any `json:"artifactType"`
	}
	_ = json.Unmarshal(data, &at)
	if at.ArtifactType == CTBundleArtifactType || om.Config.MediaType == CTBundleArtifactType {
		return nil, fmt.Errorf("it declares itself a ct bundle artifact (%s), which ct fetch would take for one at the destination", CTBundleArtifactType)
	}
	hasSubject := len(top.Subject) != 0 && string(top.Subject) != "null"
	if role == RoleReferrer && !hasSubject {
		return nil, fmt.Errorf("a referrer without a subject")
	}
	// A cosign manifest needs no subject, but one it has is the image:
	// attached again, a manifest with a subject becomes a referrer of
	// that image at the destination, and must not of another one there.
	if hasSubject {
		sub, err := parseDescriptor(top.Subject, "subject")
		if err != nil {
			return nil, fmt.Errorf("invalid subject: %w", err)
		}
		if sub.Digest != image.Digest || sub.Size != image.Size || sub.MediaType != image.MediaType {
			return nil, fmt.Errorf("its subject is %s (%s, %d bytes), not the image %s (%s, %d bytes)", sub.Digest, sub.MediaType, sub.Size, image.Digest, image.MediaType, image.Size)
		}
	}
	var out []CopiedBlob
	for _, d := range append([]ociDescriptor{*om.Config}, om.Layers...) {
		if !ValidDigest(d.Digest) || d.Size < 0 || !reMediaType.MatchString(d.MediaType) {
			return nil, fmt.Errorf("a descriptor with an invalid digest, size or media type")
		}
		out = append(out, CopiedBlob{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size})
	}
	return out, nil
}

// checkReferrers checks every copied manifest (referrers.md §2) with
// ParseCopiedManifest, and that the bundle lists each of its blobs with the
// same digest and size; it marks what they reach in seen. Every
// referrer-blob must be reached.
func checkReferrers(m *Manifest, meta map[string][]byte, seen map[string]bool) error {
	for _, b := range m.copiedRoots() {
		where := "entry " + b.Path() + " (copied " + b.Role + " manifest)"
		blobs, err := ParseCopiedManifest(b.Role, b.MediaType, meta[b.Digest], m.Image)
		if err != nil {
			return exit.Wrap(exit.Malformed, err, "not a copied %s manifest of this image", b.Role).At(where)
		}
		for _, d := range blobs {
			lb, ok := m.Blob(d.Digest)
			if !ok || lb.Size != d.Size {
				return exit.New(exit.Malformed, "it references blob %s (%d bytes), which the bundle does not list with that size", d.Digest, d.Size).At(where).
					WithHint("a copied manifest travels with all of its blobs (referrers.md §2)")
			}
			seen[d.Digest] = true
		}
		seen[b.Digest] = true
	}
	for _, b := range m.Blobs {
		if b.Role == RoleReferrerBlob && !seen[b.Digest] {
			return exit.New(exit.Malformed, "referrer blob %s is listed but no copied manifest names it", b.Digest).At(ManifestName)
		}
	}
	return nil
}

// referrerIndexEntries are the index.json descriptors of the copied
// manifests, after the attestations', in digest order (referrers.md §2).
func referrerIndexEntries(m *Manifest) []ociDescriptor {
	var out []ociDescriptor
	for _, b := range m.copiedRoots() {
		out = append(out, ociDescriptor{MediaType: b.MediaType, Digest: b.Digest, Size: b.Size})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digest < out[j].Digest })
	return out
}
