package archive

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// RegistryDest installs into a registry: each bundle NAME VERSION is pushed
// to REPO/NAME:VERSION with lib/registry, the image with its own digests
// (any client can pull it) and the bundle attached as an artifact, so the
// mirror serves exactly the signed images and ct fetch gets the bundles
// back. A registry shows an image only once its manifest is uploaded, after
// its blobs: each image appears whole or not at all.
//
// The pushing itself is Push, set by the caller (ct-import sets it to
// lib/archive/registrydest.Configure): lib/archive links no network code, so
// that ct-verify can read archives with it (tests/deps).
type RegistryDest struct {
	Repo string // REGISTRY/PREFIX, from docker://REGISTRY/PREFIX
	// Push pushes one verified bundle to ref.
	Push func(ref string, it *Item) error
	// Upload, when set, uploads one layer or config blob of the bundle
	// going to ref ahead of Push, reading it from open (called again when
	// a retry starts over): ct import, reading an archive in place, hashes
	// each such blob once, while uploading it, and calls Push (which finds
	// the blob there) only once every blob of every bundle matched
	// (archive.md §5, "In place"). open's reader fails at its end when the
	// digest differs, so such an upload is never committed.
	Upload func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error
	// Ahead, when set with Upload, lists the other blobs Push would
	// upload for it with the blob API: blobs of the bundle (Data nil: its
	// root config, envelopes, referrer blobs, read from the archive and
	// hashed while they are sent, as the layers are) and the bundle
	// artifact's (Data set: made from the verified manifest.toml,
	// signature and proof entries). They are uploaded with the layers,
	// in the same parallel phase and under the same rule (only for a
	// bundle whose other checks passed; nothing references them until
	// Push), and Push finds them in Item.Uploaded.
	Ahead func(it *Item) []AheadBlob
	// Warm, when set, opens the connection to the repository of ref in
	// the background (ping, authentication; nothing is sent about any
	// bundle). Import calls it once phase 1 has decided signatures, trust
	// and policy, for each bundle still in the running, so that the
	// registry's round trips overlap phases 2 and 3.
	Warm func(ref string)
}

// AheadBlob is a blob RegistryDest.Ahead lists: Data nil for a blob of
// the bundle, set for one the pusher makes.
type AheadBlob struct {
	Blob bundle.Blob
	Data []byte
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
	if d.Push == nil {
		return exit.New(exit.Internal, "no registry client was set up for %s", d)
	}
	for _, it := range items {
		if err := d.Push(d.Ref(it), it); err != nil {
			if e, ok := err.(*exit.Error); ok && e.Where == "" {
				e.Where = d.Ref(it)
			}
			return err
		}
	}
	return nil
}
