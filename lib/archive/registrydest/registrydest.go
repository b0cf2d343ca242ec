// Package registrydest pushes the bundles of a ct import into a registry
// (archive.md §6, docker://REGISTRY/PREFIX). It is apart from lib/archive
// so that lib/archive links no network code: ct-verify reads archives with
// it and must stay offline (tests/deps).
package registrydest

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/cerro-torre/ct/lib/archive"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/registry"
	"github.com/cerro-torre/ct/lib/source"
)

// Configure sets the Push, Upload and Ahead of d: one registry client
// (registry.Session: one transport, one ping and authentication per
// repository) for every upload and every push of the import, its
// connection opened while the archive is verified (Warm); the bundle
// artifact's blobs and the bundle's other blob-API blobs are uploaded
// with the layers (Ahead). note is told what a person must know about a push (see push).
func Configure(d *archive.RegistryDest, opts source.Options, note func(string)) {
	s := registry.NewSession(context0(opts), opts)
	d.Push = push(opts, s, note)
	d.Upload = upload(s)
	d.Ahead = Ahead
	d.Warm = s.Warm
}

// Ahead lists the blobs PushParts would upload for it with the blob API
// (registry.BlobAPIBlobs), for ct import to upload with the layers.
func Ahead(it *archive.Item) []archive.AheadBlob {
	var out []archive.AheadBlob
	for _, a := range registry.BlobAPIBlobs(it.Manifest, it.ManifestBytes, it.Signatures, it.Proofs) {
		out = append(out, archive.AheadBlob{Blob: a.Blob, Data: a.Data})
	}
	return out
}

func context0(opts source.Options) context.Context {
	if opts.Context == nil {
		return context.Background()
	}
	return opts.Context
}

// push returns the Push of an archive.RegistryDest: each bundle is pushed
// straight from the verified staging folder (or the archive, in place)
// with lib/registry through s, the image with its own digests, then the
// bundle artifact. No bundle file is written, since the registry needs
// only its parts. note (when not nil) is told what a person must know
// about a push: a copied cosign artifact not attached because the
// destination's tag held another manifest (referrers.md §5).
func push(opts source.Options, s *registry.Session, note func(string)) func(ref string, it *archive.Item) error {
	return func(ref string, it *archive.Item) error {
		parts := registry.Parts{Name: it.Entry.Ref(), Manifest: it.Manifest, ManifestBytes: it.ManifestBytes,
			Signatures: it.Signatures, Proofs: it.Proofs, ModTime: it.ModTime(),
			Open: func(b bundle.Blob) (io.ReadCloser, error) { return it.Open(b.Digest) }, Uploaded: it.Uploaded, Session: s}
		res, err := registry.PushParts(context0(opts), ref, parts, opts, true, 0)
		if res != nil && note != nil {
			for _, r := range res.Referrers {
				if r.Kept != "" {
					note(fmt.Sprintf("%s: tag %s already holds %s; kept it (it may carry the destination's own signatures), so the bundle's %s %s is stored by digest only, untagged",
						ref, r.Tag, r.Kept, r.Role, r.Digest))
				}
			}
		}
		return err
	}
}

// upload returns the Upload of an archive.RegistryDest: each blob is
// uploaded to the repository of ref through s (one Uploader per
// repository), from the reader open gives (ct import's, which hashes it).
func upload(s *registry.Session) func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error {
	var mu sync.Mutex
	ups := map[string]*registry.Uploader{}
	return func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error {
		mu.Lock()
		u, ok := ups[ref]
		if !ok {
			var err error
			if u, err = s.Uploader(ref); err != nil {
				mu.Unlock()
				return err
			}
			ups[ref] = u
		}
		mu.Unlock()
		return u.Upload(b, open)
	}
}
