package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/rogpeppe/go-internal/testscript"
)

// uniqimage REF pushes to the test registry a one-layer OCI image whose
// layer holds 1 MiB of random bytes, so that no other script shares its
// blobs (regblob may then damage them), and sets $UNIQ_DIGEST, $UNIQ_CONFIG
// and $UNIQ_LAYER to its manifest, config and layer digests.
func cmdUniqImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: uniqimage REGISTRY/REPO:TAG")
	}
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		ts.Fatalf("uniqimage: %v", err)
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	ts.Check(tw.WriteHeader(&tar.Header{Name: "random.bin", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
	_, err := tw.Write(data)
	ts.Check(err)
	ts.Check(tw.Close())
	layer := static.NewLayer(tb.Bytes(), types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(empty.Image, layer)
	ts.Check(err)
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	ts.Check(err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config = v1.Config{Cmd: []string{"/bin/true"}}
	img, err = mutate.ConfigFile(img, cf)
	ts.Check(err)
	ref, err := name.ParseReference(args[0], name.Insecure)
	ts.Check(err)
	ts.Check(remote.Write(ref, img))
	d, err := img.Digest()
	ts.Check(err)
	c, err := img.ConfigName()
	ts.Check(err)
	l, err := layer.Digest()
	ts.Check(err)
	ts.Setenv("UNIQ_DIGEST", d.String())
	ts.Setenv("UNIQ_CONFIG", c.String())
	ts.Setenv("UNIQ_LAYER", l.String())
}

// regblob rm|tamper DIGEST damages a blob in the test registry's storage
// (DIGEST may be @FILE:KEY, the first "KEY": "sha256:…" in the JSON FILE)
// ($REGISTRYDIR): rm deletes its data, so the registry can no longer serve
// it; tamper changes its last decimal digit (the same length, still JSON
// for a manifest or config), so the registry serves other bytes under the
// digest. Only for blobs of a uniqimage: other scripts share the rest.
func cmdRegBlob(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: regblob rm|tamper sha256:HEX|@FILE:KEY")
	}
	if file, key, ok := strings.Cut(strings.TrimPrefix(args[1], "@"), ":"); ok && strings.HasPrefix(args[1], "@") {
		m := regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `": "(sha256:[0-9a-f]{64})"`).FindStringSubmatch(ts.ReadFile(file))
		if m == nil {
			ts.Fatalf("regblob: no %q digest in %s", key, file)
		}
		args[1] = m[1]
	}
	if !strings.HasPrefix(args[1], "sha256:") {
		ts.Fatalf("usage: regblob rm|tamper sha256:HEX|@FILE:KEY")
	}
	hex := strings.TrimPrefix(args[1], "sha256:")
	p := filepath.Join(ts.Getenv("REGISTRYDIR"), "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
	switch args[0] {
	case "rm":
		ts.Check(os.Remove(p))
	case "tamper":
		b, err := os.ReadFile(p)
		ts.Check(err)
		i := bytes.LastIndexAny(b, "0123456789")
		if i < 0 {
			ts.Fatalf("regblob: no digit in %s", p)
		}
		b[i] = '0' + (b[i]-'0'+1)%10
		ts.Check(os.WriteFile(p, b, 0o644))
	default:
		ts.Fatalf("usage: regblob rm|tamper sha256:HEX")
	}
}
