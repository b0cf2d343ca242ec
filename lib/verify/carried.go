package verify

import "github.com/cerro-torre/ct/lib/bundle"

// Carried is one supply-chain artifact of the source that the bundle
// carries (ct pack --with-referrers, docs/spec/referrers.md): the source's
// claim, listed as manifest.toml has it. The verifier checks its form and
// that the signatures cover it, never what it says or who signed it: it is
// not an attestation, and nothing in it is trusted (referrers.md §4).
type Carried struct {
	Digest    string `json:"digest"`
	Role      string `json:"role"` // referrer, cosign-sig, cosign-att, cosign-sbom
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	// ArtifactType is what the copied manifest says it is (its
	// artifactType, else for a referrer its config's media type); absent
	// when it says nothing, or when the manifest was not read and checked.
	ArtifactType string `json:"artifactType,omitempty"`
	// CosignTag is the tag cosign keeps it under (cosign-* roles).
	CosignTag string `json:"cosignTag,omitempty"`
}

// carried lists the copied manifests of m in manifest.toml order, with the
// artifact types the reader read (nil: none known).
func carried(m *bundle.Manifest, types map[string]string) []Carried {
	out := []Carried{}
	if m == nil {
		return out
	}
	for _, b := range m.Blobs {
		if !bundle.IsCopiedManifest(b.Role) {
			continue
		}
		out = append(out, Carried{Digest: b.Digest, Role: b.Role, MediaType: b.MediaType, Size: b.Size,
			ArtifactType: types[b.Digest], CosignTag: bundle.CosignTag(m.Image.Digest, b.Role)})
	}
	return out
}
