package bundle

import "encoding/json"

// CopiedArtifactType is what a copied manifest (referrers.md §1) says it
// is: its artifactType, else for a referrer its config's media type, as a
// registry lists it (image-spec); "" when it says nothing or is not JSON.
// It is the manifest's own word, never a listing's (the referrers tag
// schema lets anyone write that).
func CopiedArtifactType(raw []byte, role string) string {
	var m struct {
		ArtifactType string `json:"artifactType"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	if m.ArtifactType != "" || role != RoleReferrer {
		return m.ArtifactType
	}
	return m.Config.MediaType
}

// CopiedArtifactTypes returns, by digest, the CopiedArtifactType of every
// copied manifest of the bundle, read from its bytes, once the last blob
// was read and the image-graph check (which checks the copied manifests,
// referrers.md §2) passed; nil otherwise, or when there are none.
func (r *Reader) CopiedArtifactTypes() map[string]string {
	if r.m == nil || !r.done || r.keptBad != "" || r.graphErr != nil {
		return nil
	}
	var out map[string]string
	for _, b := range r.m.copiedRoots() {
		if out == nil {
			out = map[string]string{}
		}
		out[b.Digest] = CopiedArtifactType(r.meta[b.Digest], b.Role)
	}
	return out
}
