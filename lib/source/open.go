package source

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options controls registry access. The zero value is usable.
type Options struct {
	Keychain         authn.Keychain    // default authn.DefaultKeychain (docker/podman config files)
	InsecureRegistry bool              // allow plain HTTP (and skip TLS verify) for any registry
	Transport        http.RoundTripper // default remote.DefaultTransport; always wrapped by the plain-HTTP guard
	UserAgent        string
	Context          context.Context
}

// Root is what a source resolved to: either an index or an image.
type Root struct {
	Ref        *Ref
	Descriptor v1.Descriptor // digest, size, media type of the root manifest as stored in the source
	Index      v1.ImageIndex // set when the root is an index (OCI index or Docker manifest list)
	Image      v1.Image      // set when the root is an image manifest
	Close      func() error  // releases files; always non-nil
	// OpenBlob, set for registry sources, GETs a blob of the root's
	// repository by digest with no checking layer of its own: lib/regnet
	// checks the digest as it streams, and its body's VerifiedDigest()
	// says so at EOF. For callers that check every blob themselves
	// (ct pack's offset writer).
	OpenBlob func(ctx context.Context, digest string) (io.ReadCloser, error)
	// RepoTags are a docker-archive image's tags as its manifest.json
	// lists them (archive text: unverified, shown escaped).
	RepoTags []string
}

// Open resolves ref to its root manifest. Errors are *exit.Error.
func Open(ref *Ref, opts Options) (*Root, error) {
	if ref == nil {
		return nil, exit.New(exit.Internal, "source.Open called without a reference")
	}
	switch ref.Transport {
	case TransportDocker:
		return openRegistry(ref, opts)
	case TransportOCI:
		return openOCIDir(resolveLayoutPath(ref))
	case TransportOCIArchive:
		return openArchive(resolveLayoutPath(ref))
	case TransportDockerArchive:
		return openArchive(ref)
	}
	return nil, exit.New(exit.Usage, "unknown transport %q", ref.Transport).At(ref.where()).WithHint("%s", supportedForms)
}

// resolveLayoutPath settles an oci: or oci-archive: source whose path and
// image name can be read in several ways (see parseLayout): it returns a copy
// of ref with the first reading, longest path first, whose path exists, or
// ref itself when none exists (its error then names Parse's reading).
func resolveLayoutPath(ref *Ref) *Ref {
	s := ref.Path
	if n := ref.layoutName(); n != "" {
		s += ":" + n
	}
	for _, l := range layoutSplits(s) {
		if _, err := os.Stat(l.path); err == nil {
			r := *ref
			l.apply(&r)
			return &r
		}
	}
	return ref
}

func openOCIDir(ref *Ref) (*Root, error) {
	where := ref.where()
	st, err := os.Stat(ref.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, exit.New(exit.IO, "no such directory").At(where).
				WithHint("check the path; create a layout with skopeo copy docker://IMAGE oci:%s:TAG", ref.Path)
		}
		return nil, exit.Wrap(exit.IO, err, "cannot access the directory").At(where).WithHint("check its permissions")
	}
	if !st.IsDir() {
		return nil, exit.New(exit.IO, "not a directory").At(where).
			WithHint("for a tar of a layout use oci-archive:%s, for docker save output docker-archive:%s", ref.Path, ref.Path)
	}
	// layout.FromPath only checks that index.json exists; the reading below
	// is ct's own so that every file is size-bounded and every blob verified,
	// the same way as for oci-archive.
	if _, err := layout.FromPath(ref.Path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, exit.New(exit.Malformed, "not an OCI image layout: index.json is missing").At(where).
				WithHint("create a layout with skopeo copy docker://IMAGE oci:%s:TAG", ref.Path)
		}
		return nil, exit.Wrap(exit.IO, err, "cannot read index.json").At(where).WithHint("check its permissions")
	}
	root, err := openLayoutRoot(&dirStore{root: ref.Path, desc: where}, ref, where)
	if err != nil {
		return nil, err
	}
	root.Close = func() error { return nil }
	return root, nil
}

func openArchive(ref *Ref) (*Root, error) {
	where := ref.where()
	f, err := os.Open(ref.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, exit.New(exit.IO, "no such file").At(where).WithHint("check the path")
		}
		return nil, exit.Wrap(exit.IO, err, "cannot open").At(where).WithHint("check the file's permissions")
	}
	root, err := openArchiveFile(f, ref, where)
	if err != nil {
		f.Close()
		return nil, err
	}
	return root, nil
}

func openArchiveFile(f *os.File, ref *Ref, where string) (*Root, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot stat").At(where).WithHint("check the file's permissions")
	}
	if st.IsDir() {
		return nil, exit.New(exit.IO, "is a directory, not an archive").At(where).
			WithHint("for an OCI layout directory use oci:%s", ref.Path)
	}
	if !st.Mode().IsRegular() {
		return nil, exit.New(exit.IO, "not a regular file").At(where).
			WithHint("archives are read by seeking; save the stream to a file first")
	}
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], 0)
	if mt := layerMediaType(magic[:n]); mt != types.OCIUncompressedLayer {
		return nil, exit.New(exit.Malformed, "the archive is compressed; ct reads uncompressed tar archives").At(where).
			WithHint("decompress it first (gunzip or zstd -d) and pass the .tar")
	}
	ix, err := readArchiveIndex(f, st.Size(), where)
	if err != nil {
		return nil, err
	}
	s := &archiveStore{ix: ix, desc: where}
	var root *Root
	if ref.Transport == TransportOCIArchive {
		root, err = openLayoutRoot(s, ref, where)
	} else {
		root, err = openDockerArchive(s, ref)
	}
	if err != nil {
		return nil, err
	}
	root.Close = func() error {
		if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			return exit.Wrap(exit.IO, err, "cannot close").At(where)
		}
		return nil
	}
	return root, nil
}
