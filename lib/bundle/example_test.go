package bundle_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/cerro-torre/ct/lib/bundle"
)

// A round trip: write a bundle for a one-layer image, then read it back,
// which verifies every digest on the way.
func Example() {
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	layer := []byte("not really a tar, but content is content")
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}`,
		bundle.Digest(cfg), len(cfg), bundle.Digest(layer), len(layer)))
	content := map[string][]byte{bundle.Digest(cfg): cfg, bundle.Digest(layer): layer, bundle.Digest(man): man}

	m := &bundle.Manifest{
		Format:  bundle.FormatVersion,
		Package: bundle.Package{Name: "hello", Version: "1.0"},
		Source:  bundle.Source{Reference: "oci:./hello:1.0", Transport: "oci", Tag: "1.0", Digest: bundle.Digest(man)},
		Image: bundle.Image{Digest: bundle.Digest(man), MediaType: "application/vnd.oci.image.manifest.v1+json",
			Size: int64(len(man)), Config: bundle.Digest(cfg), Platform: "linux/amd64"},
		Tool: bundle.Tool{Name: "example", Version: "1"},
		Blobs: []bundle.Blob{
			{Digest: bundle.Digest(man), Size: int64(len(man)), MediaType: "application/vnd.oci.image.manifest.v1+json", Role: bundle.RoleManifest},
			{Digest: bundle.Digest(cfg), Size: int64(len(cfg)), MediaType: "application/vnd.oci.image.config.v1+json", Role: bundle.RoleConfig},
			{Digest: bundle.Digest(layer), Size: int64(len(layer)), MediaType: "application/vnd.oci.image.layer.v1.tar", Role: bundle.RoleLayer},
		},
	}
	m.SortBlobs()

	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m, bundle.WriterOptions{})
	if err != nil {
		panic(err)
	}
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		if err := w.WriteBlob(b.Digest, bytes.NewReader(content[b.Digest])); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := bundle.NewReader(&buf, "hello.ctp")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Manifest().Package.Name, r.Manifest().Package.Version)
	for {
		b, rd, err := r.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		n, err := io.Copy(io.Discard, rd) // fails if the content does not match b.Digest
		if err != nil {
			panic(err)
		}
		fmt.Println(b.Role, n)
	}
	// Unordered output:
	// hello 1.0
	// manifest 394
	// config 37
	// layer 40
}
