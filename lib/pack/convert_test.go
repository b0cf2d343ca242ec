package pack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

func dockerImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.DockerManifestSchema2),
		static.NewLayer([]byte("docker layer "+arch), types.DockerLayer))
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: arch, RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		t.Fatal(err)
	}
	return mutate.ConfigMediaType(img, types.DockerConfigJSON)
}

// dockerLayout writes a layout with a Docker schema 2 image tagged "img" and
// a Docker manifest list of two of them tagged "list".
func dockerLayout(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	tag := func(s string) layout.Option {
		return layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": s})
	}
	if err := p.AppendImage(dockerImage(t, "amd64"), tag("img")); err != nil {
		t.Fatal(err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, arch := range []string{"amd64", "arm64"} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: dockerImage(t, arch),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	if err := p.AppendIndex(idx, tag("list")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func packTo(t *testing.T, src string, opts Options) (*bundle.Manifest, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "x.ctp")
	opts.Tool = bundle.Tool{Name: "test", Version: "1"}
	if _, err := Run(context.Background(), Request{Source: src, Output: out, Quiet: true, Options: opts}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	m, _, err := bundle.Check(f, "x.ctp") // structure and the whole image graph
	if err != nil {
		t.Fatalf("the packed bundle does not check: %v", err)
	}
	return m, b
}

func TestConvertDockerImage(t *testing.T) {
	dir := dockerLayout(t)
	orig := dockerImage(t, "amd64")
	origDigest, _ := orig.Digest()
	origCfg, _ := orig.ConfigName()
	origLayers, _ := orig.Layers()
	origLayer, _ := origLayers[0].Digest()

	m, b1 := packTo(t, "oci:"+dir+":img", Options{})
	if m.Image.MediaType != string(types.OCIManifestSchema1) {
		t.Errorf("image.media_type = %s, want OCI", m.Image.MediaType)
	}
	if m.Image.SourceDigest != origDigest.String() || m.Image.Digest == origDigest.String() {
		t.Errorf("image.digest %s, image.source_digest %s; the source's is %s", m.Image.Digest, m.Image.SourceDigest, origDigest)
	}
	if m.Image.Config != origCfg.String() {
		t.Errorf("config digest changed: %s, was %s", m.Image.Config, origCfg)
	}
	want := map[string]string{origCfg.String(): string(types.OCIConfigJSON), origLayer.String(): string(types.OCILayer),
		m.Image.Digest: string(types.OCIManifestSchema1)}
	if len(m.Blobs) != len(want) {
		t.Errorf("%d blobs, want %d", len(m.Blobs), len(want))
	}
	for _, bl := range m.Blobs {
		if want[bl.Digest] != bl.MediaType {
			t.Errorf("blob %s: media type %s, want %q", bl.Digest, bl.MediaType, want[bl.Digest])
		}
	}
	// The converted manifest is canonical JSON and says so in its own mediaType.
	raw, _ := orig.RawManifest()
	conv, err := ConvertManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := canon.CheckJSON(conv); err != nil {
		t.Errorf("converted manifest is not canonical JSON: %v", err)
	}
	if d := descriptorOf(conv, "", nil); d.Digest.String() != m.Image.Digest {
		t.Errorf("bundled manifest %s is not ConvertManifest's %s", m.Image.Digest, d.Digest)
	}
	var probe v1.Manifest
	if err := json.Unmarshal(conv, &probe); err != nil || probe.MediaType != types.OCIManifestSchema1 {
		t.Errorf("converted manifest: %v, mediaType %q", err, probe.MediaType)
	}
	// Deterministic: the same bytes again.
	if _, b2 := packTo(t, "oci:"+dir+":img", Options{}); string(b1) != string(b2) {
		t.Error("two packs of one Docker image differ")
	}
	// --keep-docker-format: the source's own manifest and digest.
	k, _ := packTo(t, "oci:"+dir+":img", Options{KeepDockerFormat: true})
	if k.Image.Digest != origDigest.String() || k.Image.MediaType != string(types.DockerManifestSchema2) || k.Image.SourceDigest != "" {
		t.Errorf("kept: %+v", k.Image)
	}
}

func TestConvertDockerList(t *testing.T) {
	dir := dockerLayout(t)
	m, _ := packTo(t, "oci:"+dir+":list", Options{AllPlatforms: true})
	if m.Image.MediaType != string(types.OCIImageIndex) || m.Image.SourceDigest != m.Source.Digest {
		t.Errorf("image %+v, source digest %s", m.Image, m.Source.Digest)
	}
	if strings.Join(m.Image.Platforms, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms %v", m.Image.Platforms)
	}
	for _, b := range m.Blobs {
		if strings.Contains(b.MediaType, "docker") {
			t.Errorf("blob %s kept Docker media type %s", b.Digest, b.MediaType)
		}
	}
	// One platform of a list: that platform's manifest is converted, and
	// its Docker digest recorded.
	one, _ := packTo(t, "oci:"+dir+":list", Options{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}})
	arm, _ := dockerImage(t, "arm64").Digest()
	if one.Image.SourceDigest != arm.String() || one.Image.MediaType != string(types.OCIManifestSchema1) || one.Image.Platform != "linux/arm64" {
		t.Errorf("one platform: %+v (Docker digest %s)", one.Image, arm)
	}
	k, _ := packTo(t, "oci:"+dir+":list", Options{AllPlatforms: true, KeepDockerFormat: true})
	if k.Image.Digest != m.Source.Digest || k.Image.MediaType != string(types.DockerManifestList) {
		t.Errorf("kept list: %+v", k.Image)
	}
}

// Conversion drops nothing silently: members it does not know, and types
// without an OCI form, fail with a hint to keep the Docker format.
func TestConvertRefuses(t *testing.T) {
	cfg := `"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:` + strings.Repeat("a", 64) + `"}`
	for name, raw := range map[string]string{
		"unknown member": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg + `,"layers":[],"x":1}`,
		"foreign layer": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg +
			`,"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","size":1,"digest":"sha256:` + strings.Repeat("b", 64) + `"}]}`,
		"plugin config": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.plugin.v1+json","size":2,"digest":"sha256:` + strings.Repeat("a", 64) + `"},"layers":[]}`,
		"not docker":    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` + cfg + `,"layers":[]}`,
		"trailing data": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg + `,"layers":[]} {}`,
		"sha512 digest": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha512:aa"},"layers":[]}`,
		// Issue 8 review: readings that differ between JSON readers.
		"case-folded key": `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg + `,"layers":[],"LAYERS":[]}`,
		"duplicate key":   `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg + `,` + cfg + `,"layers":[]}`,
		"negative size":   `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":-2,"digest":"sha256:` + strings.Repeat("a", 64) + `"},"layers":[]}`,
	} {
		if _, err := ConvertManifest([]byte(raw)); err == nil {
			t.Errorf("%s: converted", name)
		}
	}
	list := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"sha256:` +
		strings.Repeat("c", 64) + `","platform":{"architecture":"amd64","os":"linux"}}]}`
	if _, err := ConvertIndex([]byte(list), nil); err == nil {
		t.Error("a list whose Docker child was not converted was converted")
	}
	if _, err := ConvertIndex([]byte(strings.Replace(list, `"manifests"`, `"Manifests":[],"manifests"`, 1)),
		map[string]v1.Descriptor{"sha256:" + strings.Repeat("c", 64): {}}); err == nil {
		t.Error("a list with a case-folded key was converted")
	}
	withFeatures := strings.Replace(list, `"os":"linux"`, `"os":"linux","features":["sse4"]`, 1)
	if _, err := ConvertIndex([]byte(withFeatures), map[string]v1.Descriptor{"sha256:" + strings.Repeat("c", 64): {}}); err == nil {
		t.Error("a list with Docker-only platform features was converted")
	}

	// Through pack: a Malformed error naming the way out.
	dir := filepath.Join(t.TempDir(), "layout")
	p, _ := layout.Write(dir, empty.Index)
	img := mutate.ConfigMediaType(dockerImage(t, "amd64"), types.DockerPluginConfig)
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Request{Source: "oci:" + dir, Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(exit.HintOf(err), "--keep-docker-format") {
		t.Errorf("unconvertible image: %v (hint %q)", err, exit.HintOf(err))
	}
}

// FuzzConvert: any manifest or index bytes either fail to convert or give
// canonical JSON of the OCI type with the same config and layer digests;
// never a panic.
func FuzzConvert(f *testing.F) {
	cfg := `"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:` + strings.Repeat("a", 64) + `"}`
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg +
		`,"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:` + strings.Repeat("b", 64) + `"}]}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:` +
		strings.Repeat("c", 64) + `","platform":{"architecture":"amd64","os":"linux","os.features":["x"]},"annotations":{"a":"<&>"}}]}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` + cfg + `,"layers":null,"annotations":{"\u2028":"\ud800"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if out, err := ConvertManifest(raw); err == nil {
			if err := canon.CheckJSON(out); err != nil {
				t.Fatalf("not canonical: %v\n%s", err, out)
			}
			var in, got v1.Manifest
			if json.Unmarshal(raw, &in) != nil || json.Unmarshal(out, &got) != nil {
				t.Fatalf("converted %q to %q", raw, out)
			}
			if got.MediaType != types.OCIManifestSchema1 || got.Config.MediaType != types.OCIConfigJSON ||
				got.Config.Digest != in.Config.Digest || len(got.Layers) != len(in.Layers) {
				t.Fatalf("converted %q to %q", raw, out)
			}
			for i := range got.Layers {
				if got.Layers[i].Digest != in.Layers[i].Digest || got.Layers[i].Size != in.Layers[i].Size || strings.Contains(string(got.Layers[i].MediaType), "docker") {
					t.Fatalf("layer %d: %+v from %+v", i, got.Layers[i], in.Layers[i])
				}
			}
		}
		if out, err := ConvertIndex(raw, nil); err == nil {
			if err := canon.CheckJSON(out); err != nil {
				t.Fatalf("not canonical: %v\n%s", err, out)
			}
			var got v1.IndexManifest
			if json.Unmarshal(out, &got) != nil || got.MediaType != types.OCIImageIndex {
				t.Fatalf("converted %q to %q", raw, out)
			}
		}
	})
}

// Issue 8 review: a source manifest that reads two ways ("layers" and
// "LAYERS") is refused, converted or kept: converting would pick one reading
// silently, and keeping it would sign a bundle the reader rejects.
func TestPackRefusesAmbiguousManifest(t *testing.T) {
	for _, keep := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "layout")
		p, _ := layout.Write(dir, empty.Index)
		img := dockerImage(t, "amd64")
		if err := p.AppendImage(img); err != nil {
			t.Fatal(err)
		}
		raw, err := img.RawManifest()
		if err != nil {
			t.Fatal(err)
		}
		evil := append(bytes.TrimSuffix(bytes.TrimSpace(raw), []byte("}")), []byte(`,"LAYERS":[]}`)...)
		h, size, _ := v1.SHA256(bytes.NewReader(evil))
		if err := p.WriteBlob(h, io.NopCloser(bytes.NewReader(evil))); err != nil {
			t.Fatal(err)
		}
		if err := p.AppendDescriptor(v1.Descriptor{MediaType: types.DockerManifestSchema2, Digest: h, Size: size,
			Annotations: map[string]string{"org.opencontainers.image.ref.name": "evil"}}); err != nil {
			t.Fatal(err)
		}
		_, err = Run(context.Background(), Request{Source: "oci:" + dir + ":evil", Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true,
			Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}, KeepDockerFormat: keep}})
		if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "reads one way") {
			t.Errorf("keep=%v: %v, want malformed (reads one way)", keep, err)
		}
	}
}
