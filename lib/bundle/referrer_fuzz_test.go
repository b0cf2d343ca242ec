package bundle

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseCopiedManifest: the packer and the reader parse a copied
// manifest a stranger wrote (referrers.md §2). On any input it returns the
// config and layers or an error, never panics; what it accepts is strict
// JSON of schemaVersion 2 with the listed media type, a config first, valid
// descriptors, no ct bundle artifact type, and for a referrer the image as
// subject.
func FuzzParseCopiedManifest(f *testing.F) {
	img := Image{MediaType: MediaTypeManifest, Digest: "sha256:" + strings.Repeat("ab", 32), Size: 500}
	subject := fmt.Sprintf(`,"subject":{"mediaType":%q,"digest":%q,"size":%d}`, img.MediaType, img.Digest, img.Size)
	cfg := fmt.Sprintf(`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":%q,"size":2}`, EmptyDigest)
	layer := `"layers":[{"mediaType":"text/plain","digest":"sha256:` + strings.Repeat("cd", 32) + `","size":7}]`
	for _, s := range []string{
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` + cfg + `,` + layer + subject + `}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example",` + cfg + `,` + layer + `}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cerro-torre.bundle.v1",` + cfg + subject + `}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}`,
		`{"schemaVersion":2,"schemaVersion":2}`,
		`{"schemaVersion":2.0,"mediaType":"application/vnd.oci.image.manifest.v1+json",` + cfg + `}`,
		`[]`, `null`, ``,
	} {
		f.Add(RoleReferrer, []byte(s))
		f.Add(RoleCosignSig, []byte(s))
	}
	f.Fuzz(func(t *testing.T, role string, data []byte) {
		blobs, err := ParseCopiedManifest(role, MediaTypeManifest, data, img)
		if err != nil {
			return
		}
		if len(blobs) == 0 {
			t.Fatal("accepted without a config")
		}
		if err := StrictJSON(data); err != nil {
			t.Fatalf("accepted JSON that does not read one way: %v", err)
		}
		for _, b := range blobs {
			if !ValidDigest(b.Digest) || b.Size < 0 || b.MediaType == CTBundleArtifactType {
				t.Fatalf("accepted descriptor %+v", b)
			}
		}
	})
}
