package archive

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/registry"
	"github.com/cerro-torre/ct/lib/source"
)

// RegistryDest installs into a registry: each bundle NAME VERSION is pushed
// to REPO/NAME:VERSION with lib/registry, the image with its own digests
// (any client can pull it) and the bundle attached as an artifact, so the
// mirror serves exactly the signed images and ct fetch gets the bundles
// back. A registry shows an image only once its manifest is uploaded, after
// its blobs: each image appears whole or not at all.
type RegistryDest struct {
	Repo    string // REGISTRY/PREFIX, from docker://REGISTRY/PREFIX
	Sources source.Options
}

func (d *RegistryDest) String() string { return "docker://" + d.Repo }

// Existing is nil: a delta cannot be imported onto a registry, since its
// base blobs would have to be fetched back first; import a full archive.
func (d *RegistryDest) Existing() (BlobSource, error) { return nil, nil }

// TempDir is under the system temporary folder: the archive is staged
// there before the bundles are pushed.
func (d *RegistryDest) TempDir() string { return filepath.Join(os.TempDir(), "ct-import") }

// Ref is where a bundle goes.
func (d *RegistryDest) Ref(it *Item) string {
	return strings.TrimSuffix(d.Repo, "/") + "/" + it.Entry.Name + ":" + it.Entry.Version
}

// Install pushes each bundle straight from the verified staging folder:
// no bundle file is written, since the registry needs only its parts.
func (d *RegistryDest) Install(items []*Item) error {
	ctx := d.Sources.Context
	if ctx == nil {
		ctx = context.Background()
	}
	for _, it := range items {
		it := it
		parts := registry.Parts{Name: it.Entry.Ref(), Manifest: it.Manifest, ManifestBytes: it.ManifestBytes,
			Signatures: it.Signatures, ModTime: it.ModTime(),
			Open: func(b bundle.Blob) (io.ReadCloser, error) { return it.src.Open(b.Digest) }}
		if _, err := registry.PushParts(ctx, d.Ref(it), parts, d.Sources, true, 0); err != nil {
			if e, ok := err.(*exit.Error); ok && e.Where == "" {
				e.Where = d.Ref(it)
			}
			return err
		}
	}
	return nil
}
