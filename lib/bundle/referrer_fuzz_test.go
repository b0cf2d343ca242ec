package bundle

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// FuzzReaderReferrers: the reader on bundles that carry copied artifacts
// (the referrers-* vectors of tests/vectors/verify as seeds, so mutations
// start past the manifest.toml checks and reach checkReferrers). It never
// panics, and every failure has a documented code.
func FuzzReaderReferrers(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "tests", "vectors", "verify", "referrers-*.ctp"))
	if len(seeds) == 0 {
		f.Fatal("no referrers-*.ctp vectors (regenerate: cd tests && go run ./vectors/gen-verify)")
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br, err := NewReader(bytes.NewReader(data), "fuzz.ctp")
		if err != nil {
			checkCode(t, err)
			return
		}
		for {
			_, r, err := br.NextBlob()
			if err == io.EOF {
				break
			}
			if err == nil {
				_, err = io.Copy(io.Discard, r)
			}
			if err != nil {
				checkCode(t, err)
				return
			}
		}
		if _, err := br.Signatures(); err != nil {
			checkCode(t, err)
		}
	})
}
