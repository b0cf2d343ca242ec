package archive

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
)

// writeDockerArchive writes the images of items, read from the complete
// layout at dir, as a docker-archive at path.
func writeDockerArchive(dir string, items []*Item, path string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		return exit.Wrap(exit.Internal, err, "cannot read the staged layout")
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return exit.Wrap(exit.Internal, err, "cannot read the staged layout")
	}
	refs := map[name.Reference]v1.Image{}
	for _, it := range items {
		tag, err := name.NewTag(it.Entry.Ref(), name.WeakValidation)
		if err != nil {
			return exit.Wrap(exit.Usage, err, "%s cannot be a docker tag", it.Entry.Ref())
		}
		h, err := v1.NewHash(it.Manifest.Image.Digest)
		if err != nil {
			return exit.Wrap(exit.Internal, err, "digest")
		}
		var img v1.Image
		if bundle.IsIndexMediaType(it.Manifest.Image.MediaType) { // bundle.md §3: the one definition
			img, err = firstPlatformImage(ii, h)
		} else {
			img, err = ii.Image(h)
		}
		if err != nil {
			return exit.Wrap(exit.Usage, err, "cannot write %s as a docker-archive image", it.Entry.Ref()).At("bundle " + it.Entry.Ref())
		}
		refs[tag] = img
	}
	// Written inside the staging folder dir (beside path), then renamed:
	// a killed import leaves nothing beside path but that folder, which
	// the next import removes.
	staged := filepath.Join(dir, "docker-archive.tar")
	f, err := outfile.Create(staged)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := tarball.MultiRefWrite(refs, f); err != nil {
		return classifyWrite(err, path)
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if err := os.Rename(staged, path); err != nil {
		return ioErr(path, err, "cannot move the archive into place")
	}
	syncDir(filepath.Dir(path))
	return nil
}

// firstPlatformImage returns the first image of the index h whose platform
// is not "unknown" (build attestations are skipped).
func firstPlatformImage(ii v1.ImageIndex, h v1.Hash) (v1.Image, error) {
	idx, err := ii.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == "unknown" {
			continue
		}
		if d.MediaType.IsImage() {
			return idx.Image(d.Digest)
		}
	}
	return nil, errors.Join(errNoImage)
}

var _ = bundle.RoleIndex
