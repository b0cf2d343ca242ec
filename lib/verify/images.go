package verify

import (
	"encoding/json"

	"github.com/cerro-torre/ct/lib/bundle"
)

// Image is one image of the bundle, for ct explain --layers: its platform
// (from the index that lists it; "" for a single image), its manifest's
// digest, its config and its layers in image order, base first.
type Image struct {
	Platform string
	Digest   string
	Config   string
	Layers   []string
}

type ociDesc struct {
	Digest   string `json:"digest"`
	Platform *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
}

type ociDoc struct {
	Config    *ociDesc  `json:"config"`
	Layers    []ociDesc `json:"layers"`
	Manifests []ociDesc `json:"manifests"`
}

// images walks the image graph from root through the manifest and index
// blobs in meta (read and matched by the bundle reader, which also checked
// the graph), and returns every image manifest reached, in index order.
func images(root string, meta map[string][]byte) []Image {
	var out []Image
	seen := map[string]bool{}
	var walk func(d, platform string, depth int)
	walk = func(d, platform string, depth int) {
		b, ok := meta[d]
		if !ok || depth > 16 || seen[d] {
			return
		}
		seen[d] = true
		var doc ociDoc
		if json.Unmarshal(b, &doc) != nil {
			return
		}
		if doc.Config != nil {
			img := Image{Platform: platform, Digest: d, Config: doc.Config.Digest, Layers: []string{}}
			for _, l := range doc.Layers {
				img.Layers = append(img.Layers, l.Digest)
			}
			out = append(out, img)
			return
		}
		for _, m := range doc.Manifests {
			p := platform
			if m.Platform != nil {
				p = m.Platform.OS + "/" + m.Platform.Architecture
				if m.Platform.Variant != "" {
					p += "/" + m.Platform.Variant
				}
			}
			walk(m.Digest, p, depth+1)
		}
	}
	walk(root, "", 0)
	return out
}

// keepsMeta says whether Verify keeps a blob's bytes for images.
func keepsMeta(b bundle.Blob) bool {
	return b.Role == bundle.RoleIndex || b.Role == bundle.RoleManifest
}
