package source

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func mustOpen(t *testing.T, src string) *Root {
	t.Helper()
	ref, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	root, err := Open(ref, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v (hint: %s)", src, err, exit.HintOf(err))
	}
	t.Cleanup(func() {
		if err := root.Close(); err != nil {
			t.Error(err)
		}
	})
	return root
}

func openErr(t *testing.T, src string, code exit.Code, msg string) error {
	t.Helper()
	ref, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	root, err := Open(ref, Options{})
	if err == nil {
		root.Close()
		t.Fatalf("Open(%s) succeeded", src)
	}
	if exit.CodeOf(err) != code {
		t.Errorf("Open(%s): code %d, want %d: %v", src, exit.CodeOf(err), code, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("Open(%s): %q does not contain %q", src, err, msg)
	}
	if exit.HintOf(err) == "" && code != exit.Malformed {
		t.Errorf("Open(%s): no hint: %v", src, err)
	}
	return err
}

func TestOCILayoutAndArchive(t *testing.T) {
	tmp := t.TempDir()
	img, idx := testImage(t, "amd64", ""), testIndex(t)
	dir := filepath.Join(tmp, "with:colon", "layout")
	writeLayout(t, dir, img, idx)
	archive := filepath.Join(tmp, "img.tar")
	tarDir(t, dir, archive)

	wantImg, wantIdx := mustDigest(t, img), mustDigest(t, idx)
	wantLayers := layerBytes(t, img)

	for _, prefix := range []string{"oci:" + dir, "oci-archive:" + archive} {
		t.Run(prefix[:strings.Index(prefix, ":")], func(t *testing.T) {
			r := mustOpen(t, prefix+":v1")
			if r.Descriptor.Digest != wantImg || r.Image == nil || r.Index != nil {
				t.Fatalf("root %+v, want image %s", r.Descriptor, wantImg)
			}
			if r.Descriptor.MediaType != types.OCIManifestSchema1 {
				t.Errorf("media type %s", r.Descriptor.MediaType)
			}
			if got := mustDigest(t, r.Image); got != wantImg {
				t.Errorf("image digest %s, want %s", got, wantImg)
			}
			got := layerBytes(t, r.Image)
			if len(got) != len(wantLayers) {
				t.Fatalf("%d layers, want %d", len(got), len(wantLayers))
			}
			for i := range got {
				if !bytes.Equal(got[i], wantLayers[i]) {
					t.Errorf("layer %d bytes differ", i)
				}
			}
			cf, err := r.Image.ConfigFile()
			if err != nil || cf.Architecture != "amd64" {
				t.Errorf("config %+v, %v", cf, err)
			}
			rc, _ := img.RawConfigFile()
			if got, _ := r.Image.RawConfigFile(); !bytes.Equal(got, rc) {
				t.Errorf("config bytes differ")
			}

			r2 := mustOpen(t, prefix+"@"+wantImg.String())
			if r2.Descriptor.Digest != wantImg {
				t.Errorf("by digest: %s", r2.Descriptor.Digest)
			}

			ri := mustOpen(t, prefix+":multi")
			if ri.Index == nil || ri.Descriptor.Digest != wantIdx {
				t.Fatalf("multi: %+v", ri.Descriptor)
			}
			armImg, armDesc, err := SelectPlatform(ri.Index, v1.Platform{OS: "linux", Architecture: "arm64"})
			if err != nil {
				t.Fatal(err)
			}
			wantArm := mustDigest(t, testImage(t, "arm64", "v8"))
			if armDesc.Digest != wantArm || mustDigest(t, armImg) != wantArm {
				t.Errorf("arm64: %s, want %s", armDesc.Digest, wantArm)
			}
			// A platform manifest below the index is reachable by digest.
			rn := mustOpen(t, prefix+"@"+wantArm.String())
			if rn.Image == nil || rn.Descriptor.Digest != wantArm {
				t.Errorf("nested by digest: %+v", rn.Descriptor)
			}

			openErr(t, prefix+":nope", exit.IO, "no image tagged nope")
			err = openErr(t, prefix, exit.Usage, "holds 2 images")
			if h := exit.HintOf(err); !strings.Contains(h, "v1 (@"+wantImg.String()) || !strings.Contains(h, "multi") {
				t.Errorf("hint does not list the tags: %q", h)
			}
			openErr(t, prefix+"@sha256:"+strings.Repeat("0", 64), exit.IO, "no image with digest")
		})
	}

	// The single-manifest layout needs no tag.
	single := filepath.Join(tmp, "single")
	writeLayout(t, single, img, nil)
	if r := mustOpen(t, "oci:"+single); r.Descriptor.Digest != wantImg {
		t.Errorf("single: %s", r.Descriptor.Digest)
	}
}

func TestOCILayoutErrors(t *testing.T) {
	tmp := t.TempDir()
	openErr(t, "oci:"+filepath.Join(tmp, "missing"), exit.IO, "no such directory")
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	openErr(t, "oci:"+empty, exit.Malformed, "index.json is missing")

	dir := filepath.Join(tmp, "l")
	img := testImage(t, "amd64", "")
	writeLayout(t, dir, img, nil)
	os.Remove(filepath.Join(dir, "oci-layout"))
	openErr(t, "oci:"+dir, exit.Malformed, "missing file")
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{not json`), 0o644)
	openErr(t, "oci:"+dir, exit.Malformed, "not a valid image index")
	os.WriteFile(filepath.Join(dir, "index.json"), bytes.Repeat([]byte(" "), maxManifestSize+1), 0o644)
	openErr(t, "oci:"+dir, exit.Malformed, "more than the")

	// A corrupt layer: same size, other bytes → caught while streaming.
	dir2 := filepath.Join(tmp, "l2")
	writeLayout(t, dir2, img, nil)
	ls, _ := img.Layers()
	h, _ := ls[1].Digest()
	bp := filepath.Join(dir2, "blobs", h.Algorithm, h.Hex)
	b, _ := os.ReadFile(bp)
	b[600] ^= 0xff
	os.WriteFile(bp, b, 0o644)
	r := mustOpen(t, "oci:"+dir2)
	rls, _ := r.Image.Layers()
	rc, err := rls[1].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "digest") {
		t.Errorf("corrupt layer: %v", err)
	}
	os.WriteFile(bp, b[:100], 0o644)
	if _, err := rls[1].Compressed(); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("short layer: %v", err)
	}
	os.Remove(bp)
	if _, err := rls[1].Compressed(); exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing layer: %v", err)
	}
}

func TestOCIArchiveErrors(t *testing.T) {
	tmp := t.TempDir()
	openErr(t, "oci-archive:"+filepath.Join(tmp, "missing.tar"), exit.IO, "no such file")
	openErr(t, "oci-archive:"+tmp, exit.IO, "is a directory")

	dir := filepath.Join(tmp, "l")
	writeLayout(t, dir, testImage(t, "amd64", ""), nil)
	good := filepath.Join(tmp, "good.tar")
	tarDir(t, dir, good)
	data, _ := os.ReadFile(good)

	trunc := filepath.Join(tmp, "trunc.tar")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	openErr(t, "oci-archive:"+trunc, exit.Malformed, "")

	gzPath := filepath.Join(tmp, "gz.tar.gz")
	os.WriteFile(gzPath, gz(t, data), 0o644)
	openErr(t, "oci-archive:"+gzPath, exit.Malformed, "compressed")

	junk := filepath.Join(tmp, "junk.tar")
	os.WriteFile(junk, bytes.Repeat([]byte("junk"), 300), 0o644)
	openErr(t, "oci-archive:"+junk, exit.Malformed, "")

	dup := filepath.Join(tmp, "dup.tar")
	writeTar(t, dup, []tarEntry{{hdr: tar.Header{Name: "oci-layout"}, body: []byte("{}")}, {hdr: tar.Header{Name: "./oci-layout"}, body: []byte("{}")}})
	openErr(t, "oci-archive:"+dup, exit.Malformed, "duplicate entry")

	evil := filepath.Join(tmp, "evil.tar")
	writeTar(t, evil, []tarEntry{{hdr: tar.Header{Name: "../oci-layout"}, body: []byte("{}")}})
	openErr(t, "oci-archive:"+evil, exit.Malformed, "unsafe entry name")
	writeTar(t, evil, []tarEntry{{hdr: tar.Header{Name: "/oci-layout"}, body: []byte("{}")}})
	openErr(t, "oci-archive:"+evil, exit.Malformed, "unsafe entry name")

	noBlob := filepath.Join(tmp, "noblob.tar")
	idx, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	writeTar(t, noBlob, []tarEntry{
		{hdr: tar.Header{Name: "oci-layout"}, body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{hdr: tar.Header{Name: "index.json"}, body: idx},
	})
	openErr(t, "oci-archive:"+noBlob, exit.Malformed, "missing entry")
}

// dockerArchiveFor writes a docker-archive for img in the legacy layout
// (<id>/layer.tar, uncompressed layers, one symlinked) and returns the layer
// tars it holds.
func dockerArchiveFor(t *testing.T, path string, img v1.Image, tags ...string) [][]byte {
	t.Helper()
	cfg, _ := img.RawConfigFile()
	cn, _ := img.ConfigName()
	ls, _ := img.Layers()
	var entries []tarEntry
	var names []string
	var layers [][]byte
	for i, l := range ls {
		rc, _ := l.Uncompressed()
		b, _ := io.ReadAll(rc)
		layers = append(layers, b)
		id := strings.Repeat(string(rune('a'+i)), 64)
		entries = append(entries, tarEntry{hdr: tar.Header{Name: id + "/", Typeflag: tar.TypeDir, Mode: 0o755}})
		if i == 0 {
			// Docker ≥ 25 style: the layer dir links to a blob.
			sum := sha256.Sum256(b)
			blob := "blobs/sha256/" + hex.EncodeToString(sum[:])
			entries = append(entries, tarEntry{hdr: tar.Header{Name: blob}, body: b},
				tarEntry{hdr: tar.Header{Name: id + "/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../" + blob}})
		} else {
			entries = append(entries, tarEntry{hdr: tar.Header{Name: id + "/layer.tar"}, body: b})
		}
		names = append(names, id+"/layer.tar")
	}
	m, _ := json.Marshal([]dockerManifestEntry{{Config: cn.Hex + ".json", RepoTags: tags, Layers: names}})
	entries = append(entries, tarEntry{hdr: tar.Header{Name: cn.Hex + ".json"}, body: cfg}, tarEntry{hdr: tar.Header{Name: "manifest.json"}, body: m})
	writeTar(t, path, entries)
	return layers
}

func TestDockerArchive(t *testing.T) {
	tmp := t.TempDir()
	img := testImage(t, "amd64", "")
	cn, _ := img.ConfigName()

	t.Run("legacy", func(t *testing.T) {
		p := filepath.Join(tmp, "legacy.tar")
		layers := dockerArchiveFor(t, p, img, "example.com/app:v1")
		r := mustOpen(t, "docker-archive:"+p)
		if r.Image == nil || r.Descriptor.MediaType != types.OCIManifestSchema1 {
			t.Fatalf("root %+v", r.Descriptor)
		}
		raw, _ := r.Image.RawManifest()
		sum := sha256.Sum256(raw)
		if r.Descriptor.Digest.Hex != hex.EncodeToString(sum[:]) || r.Descriptor.Size != int64(len(raw)) {
			t.Errorf("descriptor %+v does not describe the manifest", r.Descriptor)
		}
		m, err := r.Image.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.Config.Digest != cn || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("config %+v, want %s", m.Config, cn)
		}
		for i, l := range m.Layers {
			if l.MediaType != types.OCIUncompressedLayer {
				t.Errorf("layer %d media type %s", i, l.MediaType)
			}
		}
		got := layerBytes(t, r.Image)
		for i := range layers {
			if !bytes.Equal(got[i], layers[i]) {
				t.Errorf("layer %d differs", i)
			}
		}
		// Deterministic: same bytes again, and by REF (exact and normalized).
		r2 := mustOpen(t, "docker-archive:"+p+":example.com/app:v1")
		raw2, _ := r2.Image.RawManifest()
		if !bytes.Equal(raw, raw2) {
			t.Errorf("manifest not deterministic:\n%s\n%s", raw, raw2)
		}
		openErr(t, "docker-archive:"+p+":example.com/app:v2", exit.IO, "no image tagged example.com/app:v2")
	})

	t.Run("ggcr tarball", func(t *testing.T) {
		p := filepath.Join(tmp, "ggcr.tar")
		tag1, _ := name.NewTag("nginx:1.26")
		tag2, _ := name.NewTag("docker.io/library/other:2")
		arm := testImage(t, "arm64", "v8")
		if err := tarball.MultiWriteToFile(p, map[name.Tag]v1.Image{tag1: img, tag2: arm}); err != nil {
			t.Fatal(err)
		}
		r := mustOpen(t, "docker-archive:"+p+":nginx:1.26")
		m, _ := r.Image.Manifest()
		want, _ := img.Manifest()
		if m.Config.Digest != want.Config.Digest || len(m.Layers) != len(want.Layers) {
			t.Fatalf("manifest %+v", m)
		}
		for i := range m.Layers {
			if m.Layers[i].Digest != want.Layers[i].Digest || m.Layers[i].MediaType != want.Layers[i].MediaType {
				t.Errorf("layer %d: %+v, want %+v", i, m.Layers[i], want.Layers[i])
			}
		}
		got, wantB := layerBytes(t, r.Image), layerBytes(t, img)
		for i := range got {
			if !bytes.Equal(got[i], wantB[i]) {
				t.Errorf("layer %d differs", i)
			}
		}
		// Normalized match: ggcr writes "index.docker.io/library/nginx:1.26".
		r2 := mustOpen(t, "docker-archive:"+p+":docker.io/library/other:2")
		if cf, _ := r2.Image.ConfigFile(); cf.Architecture != "arm64" {
			t.Errorf("picked %s", cf.Architecture)
		}
		err := openErr(t, "docker-archive:"+p, exit.Usage, "holds 2 images")
		if !strings.Contains(exit.HintOf(err), "nginx:1.26") {
			t.Errorf("hint does not list RepoTags: %q", exit.HintOf(err))
		}
	})

	t.Run("missing layer", func(t *testing.T) {
		p := filepath.Join(tmp, "broken.tar")
		cfg, _ := img.RawConfigFile()
		m, _ := json.Marshal([]dockerManifestEntry{{Config: "c.json", Layers: []string{"x/layer.tar"}}})
		writeTar(t, p, []tarEntry{{hdr: tar.Header{Name: "c.json"}, body: cfg}, {hdr: tar.Header{Name: "manifest.json"}, body: m}})
		openErr(t, "docker-archive:"+p, exit.Malformed, "x/layer.tar")
		os.WriteFile(p, []byte{}, 0o644)
		openErr(t, "docker-archive:"+p, exit.Malformed, "empty archive")
	})
}

// TestDockerArchiveWithOCILayout: a Docker ≥ 25 archive carries an OCI
// layout; its stored manifest is the root, so the digest is the image's own.
func TestDockerArchiveWithOCILayout(t *testing.T) {
	tmp := t.TempDir()
	img := testImage(t, "amd64", "")
	dir := filepath.Join(tmp, "l")
	writeLayout(t, dir, img, nil)
	cn, _ := img.ConfigName()
	m, _ := img.Manifest()
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, "blobs/sha256/"+l.Digest.Hex)
	}
	mj, _ := json.Marshal([]dockerManifestEntry{{Config: "blobs/sha256/" + cn.Hex, RepoTags: []string{"app:1"}, Layers: layers}})
	os.WriteFile(filepath.Join(dir, "manifest.json"), mj, 0o644)
	p := filepath.Join(tmp, "d25.tar")
	tarDir(t, dir, p)
	r := mustOpen(t, "docker-archive:"+p+":app:1")
	if want := mustDigest(t, img); r.Descriptor.Digest != want {
		t.Errorf("root %s, want the stored manifest %s", r.Descriptor.Digest, want)
	}
}

func TestSelectPlatform(t *testing.T) {
	idx := testIndex(t)
	for _, tc := range []struct {
		p    v1.Platform
		arch string
	}{
		{v1.Platform{OS: "linux", Architecture: "amd64"}, "amd64"},
		{v1.Platform{OS: "linux", Architecture: "arm64"}, "arm64"},
		{v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, "arm64"},
	} {
		img, d, err := SelectPlatform(idx, tc.p)
		if err != nil {
			t.Fatalf("%v: %v", tc.p, err)
		}
		if d.Platform.Architecture != tc.arch || mustDigest(t, img) != d.Digest {
			t.Errorf("%v: got %+v", tc.p, d)
		}
	}
	_, _, err := SelectPlatform(idx, v1.Platform{OS: "linux", Architecture: "s390x"})
	if exit.CodeOf(err) != exit.Usage {
		t.Fatalf("no match: %v", err)
	}
	if want := "no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if h := exit.HintOf(err); !strings.Contains(h, "--platform linux/amd64") {
		t.Errorf("hint %q", h)
	}
	if _, _, err := SelectPlatform(idx, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v7"}); exit.CodeOf(err) != exit.Usage {
		t.Errorf("variant mismatch: %v", err)
	}
}
