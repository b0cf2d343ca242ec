package pack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

func testLayout(t *testing.T) string {
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1),
		static.NewLayer([]byte("layer one"), types.OCILayer), static.NewLayer([]byte("layer two"), types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A pack that is interrupted (Ctrl-C cancels the context) or fails leaves no
// output file and no temporary file behind; one that succeeds leaves exactly
// the bundle, and it reads back.
func TestRunOutputIsAtomic(t *testing.T) {
	src := "oci:" + testLayout(t)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Request{Source: src, Output: filepath.Join(out, "x.ctp"), Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if exit.CodeOf(err) != exit.IO {
		t.Fatalf("interrupted pack: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("interrupted pack left %v", ents)
	}
	res, err := Run(context.Background(), Request{Source: src, Output: filepath.Join(out, "x.ctp"), Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 1 || ents[0].Name() != "x.ctp" {
		t.Fatalf("pack left %v", ents)
	}
	f, err := os.Open(filepath.Join(out, "x.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, _, err := bundle.Check(f, "x.ctp")
	if err != nil || m.Image.Digest != res.Manifest.Image.Digest {
		t.Fatalf("packed bundle: %v", err)
	}
}

// TestRunSBOMAllPlatforms: ct-sbom refuses a multi-platform index, so
// --sbom --all-platforms is refused before anything is downloaded or
// written (it used to pack the whole index, then fail in ct-sbom).
func TestRunSBOMAllPlatforms(t *testing.T) {
	out := t.TempDir()
	_, err := Run(context.Background(), Request{Source: "oci:" + testLayout(t), Output: filepath.Join(out, "x.ctp"), Quiet: true, SBOM: true,
		Options: Options{AllPlatforms: true, Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "--all-platforms") {
		t.Fatalf("got %v (code %d), want a usage error", err, exit.CodeOf(err))
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("left %v", ents)
	}
}
