package harness

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTools fails the test when skopeo or a registry binary is missing.
// A silently skipped end-to-end suite is a defect, so skipping needs
// CT_TEST_ALLOW_SKIP=1.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := SkopeoBinary(); err != nil {
		missing = append(missing, err.Error())
	}
	if _, err := RegistryBinary(); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) == 0 {
		return
	}
	msg := "end-to-end tools missing:\n  " + strings.Join(missing, "\n  ")
	if os.Getenv("CT_TEST_ALLOW_SKIP") == "1" {
		t.Skip(msg + "\n(skipping because CT_TEST_ALLOW_SKIP=1)")
	}
	t.Fatal(msg + "\n(install skopeo and docker-registry, or set CT_TEST_ALLOW_SKIP=1 to skip)")
}

// readTree maps relative path -> content for every regular file under dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestEndToEnd(t *testing.T) {
	requireTools(t)
	start := time.Now()
	tmp := t.TempDir()

	reg, err := StartRegistry(filepath.Join(tmp, "registry"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reg.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("registry up at %s after %s", reg.Addr, time.Since(start))

	// Build twice into two dirs: identical results, byte for byte.
	dirA, dirB := filepath.Join(tmp, "layoutA"), filepath.Join(tmp, "layoutB")
	imgs, err := BuildImages(dirA)
	if err != nil {
		t.Fatal(err)
	}
	imgsB, err := BuildImages(dirB)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 4 {
		t.Fatalf("got %d tags, want 4: %v", len(imgs), imgs)
	}
	for _, tag := range Tags {
		a, ok := imgs[tag]
		if !ok {
			t.Fatalf("tag %q missing", tag)
		}
		b := imgsB[tag]
		if a.Digest != b.Digest || a.MediaType != b.MediaType {
			t.Errorf("tag %s not stable: %+v vs %+v", tag, a, b)
		}
		if !strings.HasPrefix(a.Digest, "sha256:") || len(a.Digest) != 71 {
			t.Errorf("tag %s: bad digest %q", tag, a.Digest)
		}
		t.Logf("%-6s %s %s %v", tag, a.Digest, a.MediaType, a.Platforms)
	}
	if p := imgs[TagIndex].Platforms; len(p) != 2 || p[0] != "linux/amd64" || p[1] != "linux/arm64/v8" {
		t.Errorf("index platforms = %v", p)
	}
	wantMT := map[string]string{
		TagMulti:  "application/vnd.oci.image.manifest.v1+json",
		TagIndex:  "application/vnd.oci.image.index.v1+json",
		TagZstd:   "application/vnd.oci.image.manifest.v1+json",
		TagDocker: "application/vnd.docker.distribution.manifest.v2+json",
	}
	for tag, mt := range wantMT {
		if imgs[tag].MediaType != mt {
			t.Errorf("%s media type %q, want %q", tag, imgs[tag].MediaType, mt)
		}
	}
	treeA, treeB := readTree(t, dirA), readTree(t, dirB)
	if len(treeA) != len(treeB) {
		t.Errorf("layouts differ in file count: %d vs %d", len(treeA), len(treeB))
	}
	for name, a := range treeA {
		if !bytes.Equal(a, treeB[name]) {
			t.Errorf("layouts differ at %s", name)
		}
	}
	// index.json carries the four ref.name annotations.
	var ij struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(treeA["index.json"], &ij); err != nil {
		t.Fatal(err)
	}
	for _, m := range ij.Manifests {
		tag := m.Annotations["org.opencontainers.image.ref.name"]
		if imgs[tag].Digest != m.Digest {
			t.Errorf("index.json: %q -> %s, BuildImages said %s", tag, m.Digest, imgs[tag].Digest)
		}
	}
	if len(ij.Manifests) != 4 {
		t.Errorf("index.json has %d manifests", len(ij.Manifests))
	}
	// The zstd image really has a zstd layer; the docker image Docker types.
	checkManifest(t, treeA, imgs[TagZstd].Digest, "application/vnd.oci.image.layer.v1.tar+zstd")
	checkManifest(t, treeA, imgs[TagDocker].Digest, "application/vnd.docker.image.rootfs.diff.tar.gzip")
	if t.Failed() {
		t.FailNow()
	}

	// Push verifies every root digest (and index children) itself.
	pushStart := time.Now()
	if err := Push(reg, dirA, imgs); err != nil {
		t.Fatal(err)
	}
	t.Logf("push + verify of %d tags took %s", len(imgs), time.Since(pushStart))

	ociArc, dockerArc, err := Archives(reg, filepath.Join(tmp, "archives"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ociArc, dockerArc} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() == 0 {
			t.Errorf("%s is empty", p)
		}
	}
	out, err := Skopeo("inspect", "oci-archive:"+ociArc+":multi")
	if err != nil {
		t.Fatal(err)
	}
	checkInspect(t, out, 3)
	raw, err := InspectRaw("oci-archive:" + ociArc + ":multi")
	if err != nil {
		t.Fatal(err)
	}
	if got := digestOf(raw); got != imgs[TagMulti].Digest {
		t.Errorf("oci-archive root %s, want %s (--preserve-digests)", got, imgs[TagMulti].Digest)
	}
	out, err = Skopeo("inspect", "docker-archive:"+dockerArc+":test/multi:multi")
	if err != nil {
		t.Fatal(err)
	}
	checkInspect(t, out, 3)

	if err := reg.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("total %s", time.Since(start))
}

func checkManifest(t *testing.T, tree map[string][]byte, digest, layerMT string) {
	t.Helper()
	b, ok := tree[filepath.Join("blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))]
	if !ok {
		t.Errorf("manifest %s not in layout", digest)
		return
	}
	var m struct {
		Layers []struct {
			MediaType string `json:"mediaType"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.MediaType == layerMT {
			return
		}
	}
	t.Errorf("manifest %s has no %s layer: %s", digest, layerMT, b)
}

func checkInspect(t *testing.T, out []byte, layers int) {
	t.Helper()
	var info struct {
		Architecture string   `json:"Architecture"`
		Os           string   `json:"Os"`
		Layers       []string `json:"Layers"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("skopeo inspect output: %v\n%s", err, out)
	}
	if info.Os != "linux" || info.Architecture != "amd64" || len(info.Layers) != layers {
		t.Errorf("inspect: %s/%s %d layers, want linux/amd64 %d\n%s", info.Os, info.Architecture, len(info.Layers), layers, out)
	}
}
