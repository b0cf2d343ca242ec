package archive

import (
	"context"
	"os"
	"path/filepath"
	"strings"

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

// TempDir is under the system temporary folder: bundles are rebuilt there
// before they are pushed.
func (d *RegistryDest) TempDir() string { return filepath.Join(os.TempDir(), "ct-import") }

// Ref is where a bundle goes.
func (d *RegistryDest) Ref(it *Item) string {
	return strings.TrimSuffix(d.Repo, "/") + "/" + it.Entry.Name + ":" + it.Entry.Version
}

// Install rebuilds each bundle into a temporary file and pushes it.
func (d *RegistryDest) Install(items []*Item) error {
	tmp, err := tempDir(d.TempDir())
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := d.Sources.Context
	if ctx == nil {
		ctx = context.Background()
	}
	for _, it := range items {
		p := filepath.Join(tmp, it.FileName())
		if err := writeBundle(p, it); err != nil {
			return err
		}
		if _, err := registry.Push(ctx, registry.PushRequest{Bundle: p, Ref: d.Ref(it), Sources: d.Sources, Quiet: true}); err != nil {
			if e, ok := err.(*exit.Error); ok && e.Where == "" {
				e.Where = d.Ref(it)
			}
			return err
		}
		os.Remove(p)
	}
	return nil
}
