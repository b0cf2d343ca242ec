// Package pack turns an image source (lib/source) into a bundle
// (lib/bundle): it plans manifest.toml from the source's manifests, then
// streams every blob from the source into the bundle, checking each digest on
// the way. Layers are copied as stored, never recompressed, so the bundled
// image has the source's own digest.
package pack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// Options controls what is packed and how the bundle is described.
type Options struct {
	Name         string       // package name; default derived from the source
	Version      string       // package version; default the tag, else a short digest
	Created      time.Time    // package.created; zero means none
	Platform     *v1.Platform // the platform to pick from an index; default the host's
	AllPlatforms bool         // pack the whole index
	// KeepDockerFormat keeps Docker schema 2 manifests and manifest lists
	// as the source has them. By default they are converted to OCI
	// (ConvertManifest, ConvertIndex), which changes the image's digest.
	KeepDockerFormat bool
	Tool             bundle.Tool // the packing tool
}

// Plan is a bundle about to be written: its manifest and how to open each blob.
type Plan struct {
	Manifest *bundle.Manifest
	// Prefetch, when above 1, downloads that many blobs at once ahead of
	// the writer (for registry sources; local sources are read in place).
	Prefetch int
	// NameNote says where a derived package name or version came from
	// (see DeriveNaming); "" when given or taken from a registry tag.
	NameNote string
	// RawBlob, when set, fetches a layer by digest straight from the
	// registry (source.Root.OpenBlob) for WriteFile, instead of through
	// go-containerregistry's layer (which hashes it once more).
	RawBlob func(ctx context.Context, digest string) (io.ReadCloser, error)
	open    map[string]func() (io.ReadCloser, error)
	// writeback: WriteFile starts the disk writeback of each blob as it
	// arrives (the output is fsynced at the end; outfile.StartWriteback).
	writeback bool
}

// TotalSize is the sum of all blob sizes.
func (p *Plan) TotalSize() int64 {
	var n int64
	for _, b := range p.Manifest.Blobs {
		n += b.Size
	}
	return n
}

// NewPlan walks root and returns the bundle plan.
func NewPlan(root *source.Root, opts Options) (*Plan, error) {
	p := &Plan{open: map[string]func() (io.ReadCloser, error){}}
	ref := root.Ref
	m := &bundle.Manifest{
		Format: bundle.FormatVersion,
		Source: bundle.Source{
			Reference:  ref.Given,
			Transport:  ref.Transport,
			Registry:   ref.Registry,
			Repository: ref.Repository,
			Tag:        ref.Tag,
			Digest:     root.Descriptor.Digest.String(),
		},
		Tool: opts.Tool,
	}
	if !opts.Created.IsZero() {
		m.Package.Created = opts.Created.UTC().Format(time.RFC3339)
	}
	p.Manifest = m

	switch {
	case root.Index != nil && opts.AllPlatforms:
		out, err := p.addIndex(root.Index, root.Descriptor, 0, !opts.KeepDockerFormat)
		if err != nil {
			return nil, err
		}
		m.Image = bundle.Image{Digest: out.Digest.String(), MediaType: string(out.MediaType), Size: out.Size}
		if out.Digest != root.Descriptor.Digest {
			m.Image.SourceDigest = root.Descriptor.Digest.String()
		}
		// Conversion keeps every index entry's platform, so the original
		// index gives the platforms the bundle's index lists.
		raw, err := root.Index.RawManifest()
		if err != nil {
			return nil, source.ClassifyError(ref, err)
		}
		// The one derivation a reader checks (bundle.md §3).
		if m.Image.Platforms, err = bundle.IndexPlatforms(raw); err != nil {
			return nil, err.(*exit.Error).At(ref.Given)
		}
	default:
		img, desc := root.Image, root.Descriptor
		if root.Index != nil {
			want := source.HostPlatform()
			if opts.Platform != nil {
				want = *opts.Platform
			}
			var err error
			if img, desc, err = source.SelectPlatform(root.Index, want); err != nil {
				return nil, err
			}
		}
		cf, out, config, err := p.addImage(img, desc, !opts.KeepDockerFormat)
		if err != nil {
			return nil, err
		}
		m.Image = bundle.Image{Digest: out.Digest.String(), MediaType: string(out.MediaType), Size: out.Size, Config: config}
		if out.Digest != desc.Digest {
			m.Image.SourceDigest = desc.Digest.String()
		}
		if cf != nil {
			// platform and created exactly as the config says, through the
			// one derivation a reader checks (bundle.md §3): the time is
			// kept as written, fraction and offset included. Conversion
			// leaves the config's bytes unchanged.
			raw, err := img.RawConfigFile()
			if err != nil {
				return nil, source.ClassifyError(ref, err)
			}
			if m.Image.Platform, m.Image.Created, err = bundle.ImageClaims(raw); err != nil {
				return nil, err.(*exit.Error).At(ref.Given)
			}
			// --platform names the image wanted: a single image of another
			// platform is refused, as ct import refuses it, not packed silently.
			if opts.Platform != nil && root.Index == nil && m.Image.Platform != "" {
				if have, err := source.ParsePlatform(m.Image.Platform); err == nil && !source.PlatformMatches(*opts.Platform, have) {
					return nil, exit.New(exit.Usage, "no image for --platform %s; the source is one image, %s",
						termsafe.Escape(opts.Platform.String()), termsafe.Escape(m.Image.Platform)).At(ref.Given).
						WithHint("drop --platform to pack it, or name a source that has a %s image", termsafe.Escape(opts.Platform.String()))
				}
			}
		}
	}
	m.SortBlobs()

	naming := DeriveNaming(root, opts.Name, opts.Version)
	m.Package.Name, m.Package.Version, p.NameNote = naming.Name, naming.Version, naming.Note
	if !bundle.ValidName(m.Package.Name) {
		return nil, exit.New(exit.Usage, "package name %q is not valid", m.Package.Name).
			WithHint("use lowercase letters, digits and . _ - / (like a repository name): --name NAME")
	}
	if !bundle.ValidVersion(m.Package.Version) {
		return nil, exit.New(exit.Usage, "package version %q is not valid", m.Package.Version).
			WithHint("a version is an OCI tag: letters, digits, . _ -, at most 128, not starting with . or -: --package-version VERSION")
	}
	if err := m.Validate(); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the source image cannot be described as a bundle").At(ref.Given)
	}
	return p, nil
}

func (p *Plan) add(d v1.Descriptor, role string, open func() (io.ReadCloser, error)) {
	dg := d.Digest.String()
	if _, ok := p.open[dg]; ok {
		return
	}
	p.open[dg] = open
	p.Manifest.Blobs = append(p.Manifest.Blobs, bundle.Blob{Digest: dg, Size: d.Size, MediaType: string(d.MediaType), Role: role})
}

func rawOpener(get func() ([]byte, error)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		b, err := get()
		if err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader(string(b))), nil
	}
}

// addImage adds an image's manifest, config and layers. With convert, a
// Docker schema 2 manifest is replaced by its OCI form. It returns the image
// config (nil for a non-image config), the descriptor of the manifest as
// bundled, and the config digest.
func (p *Plan) addImage(img v1.Image, desc v1.Descriptor, convert bool) (*v1.ConfigFile, v1.Descriptor, string, error) {
	ref := p.refOf()
	if !desc.MediaType.IsImage() {
		return nil, desc, "", exit.New(exit.Malformed, "%s has media type %s, not an image manifest", desc.Digest, desc.MediaType).At(ref.Given)
	}
	if err := strictSource(img.RawManifest, "image manifest", desc, ref); err != nil {
		return nil, desc, "", err
	}
	mf, err := img.Manifest()
	if err != nil {
		return nil, desc, "", source.ClassifyError(ref, err)
	}
	rawManifest := img.RawManifest
	if convert && desc.MediaType == types.DockerManifestSchema2 {
		raw, err := img.RawManifest()
		if err != nil {
			return nil, desc, "", source.ClassifyError(ref, err)
		}
		conv, err := ConvertManifest(raw)
		if err != nil {
			return nil, desc, "", exit.Wrap(exit.Malformed, err, "cannot convert Docker manifest %s to OCI", desc.Digest).At(ref.Given).
				WithHint("pack it unchanged with --keep-docker-format (see ct pack --help for what that limits)")
		}
		if mf, err = v1.ParseManifest(bytes.NewReader(conv)); err != nil {
			return nil, desc, "", exit.Wrap(exit.Internal, err, "converted manifest does not parse").At(ref.Given)
		}
		desc = descriptorOf(conv, types.OCIManifestSchema1, desc.Platform)
		rawManifest = func() ([]byte, error) { return conv, nil }
	}
	p.add(desc, bundle.RoleManifest, rawOpener(rawManifest))
	p.add(mf.Config, bundle.RoleConfig, rawOpener(img.RawConfigFile))
	for i, l := range mf.Layers {
		if len(l.URLs) > 0 {
			return nil, desc, "", exit.New(exit.Malformed, "layer %d of %d (%s) is a foreign layer stored at %s", i+1, len(mf.Layers), l.Digest, l.URLs[0]).
				At(ref.Given).WithHint("ct bundles only distributable layers; use an image without foreign (Windows base) layers")
		}
		l := l
		p.add(l, bundle.RoleLayer, func() (io.ReadCloser, error) {
			layer, err := img.LayerByDigest(l.Digest)
			if err != nil {
				return nil, err
			}
			return layer.Compressed()
		})
	}
	var cf *v1.ConfigFile
	if isImageConfig(mf.Config.MediaType) {
		cf, err = img.ConfigFile()
		if err != nil {
			return nil, desc, "", source.ClassifyError(ref, err)
		}
	}
	return cf, desc, mf.Config.Digest.String(), nil
}

func isImageConfig(mt types.MediaType) bool {
	return mt == types.OCIConfigJSON || mt == types.DockerConfigJSON
}

// addIndex adds an index and everything below it. With convert, a Docker
// manifest list and the Docker manifests it lists are replaced by their OCI
// forms (an OCI index is kept as it is, and so is everything below it, since
// its bytes name its children's digests). It returns the descriptor of the
// index as bundled.
func (p *Plan) addIndex(idx v1.ImageIndex, desc v1.Descriptor, depth int, convert bool) (v1.Descriptor, error) {
	ref := p.refOf()
	if depth > 4 {
		return desc, exit.New(exit.Malformed, "indexes nested deeper than 4 levels").At(ref.Given)
	}
	convert = convert && desc.MediaType == types.DockerManifestList
	if err := strictSource(idx.RawManifest, "index", desc, ref); err != nil {
		return desc, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return desc, source.ClassifyError(ref, err)
	}
	replaced := map[string]v1.Descriptor{}
	for _, d := range im.Manifests {
		out := d
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return desc, source.ClassifyError(ref, err)
			}
			if out, err = p.addIndex(child, d, depth+1, convert); err != nil {
				return desc, err
			}
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return desc, source.ClassifyError(ref, err)
			}
			if _, out, _, err = p.addImage(img, d, convert); err != nil {
				return desc, err
			}
		default:
			return desc, exit.New(exit.Malformed, "index entry %s has media type %q, which is neither an image nor an index", d.Digest, d.MediaType).
				At(ref.Given).WithHint("pack a single platform with --platform instead of --all-platforms")
		}
		if out.Digest != d.Digest {
			replaced[d.Digest.String()] = out
		}
	}
	if !convert {
		p.add(desc, bundle.RoleIndex, rawOpener(idx.RawManifest))
		return desc, nil
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return desc, source.ClassifyError(ref, err)
	}
	conv, err := ConvertIndex(raw, replaced)
	if err != nil {
		return desc, exit.Wrap(exit.Malformed, err, "cannot convert Docker manifest list %s to OCI", desc.Digest).At(ref.Given).
			WithHint("pack it unchanged with --keep-docker-format (see ct pack --help for what that limits)")
	}
	desc = descriptorOf(conv, types.OCIImageIndex, desc.Platform)
	p.add(desc, bundle.RoleIndex, rawOpener(func() ([]byte, error) { return conv, nil }))
	return desc, nil
}

// refOf returns the source ref recorded in the plan's manifest (for messages).
func (p *Plan) refOf() *source.Ref {
	s := p.Manifest.Source
	return &source.Ref{Given: s.Reference, Transport: s.Transport, Registry: s.Registry, Repository: s.Repository, Tag: s.Tag}
}

// DeriveName derives the package name from the source: the last component of
// the repository, or of the archive/layout path.
func DeriveName(ref *source.Ref) string {
	var n string
	switch {
	case ref.Repository != "":
		n = path.Base(ref.Repository)
	case ref.Name != "":
		n = ref.Name
		if i := strings.LastIndex(n, ":"); i > strings.LastIndex(n, "/") {
			n = n[:i]
		}
		n = path.Base(n)
	default:
		n = filepath.Base(filepath.Clean(ref.Path))
		for _, ext := range []string{".tar", ".oci", ".docker"} {
			n = strings.TrimSuffix(n, ext)
		}
	}
	return strings.ToLower(n)
}

// DeriveVersion derives the package version: the tag, else "sha256-" and the
// first 12 hex digits of the resolved digest.
func DeriveVersion(ref *source.Ref, digest string) string {
	if ref.Tag != "" {
		return ref.Tag
	}
	return "sha256-" + strings.TrimPrefix(digest, "sha256:")[:12]
}

// sourceError marks errors that came from reading the source, so that they
// are not mistaken for errors writing the output.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{err}
	}
	return n, err
}

// Write streams the planned bundle to w. progress, if not nil, receives every
// blob byte as it is copied. outErr classifies errors writing w (for example
// a full disk); errors reading the source are classified by the source.
//
// sign, if not nil, is given the canonical manifest.toml and returns the
// signature entries to append after the blobs.
func (p *Plan) Write(ctx context.Context, w io.Writer, modTime time.Time, progress io.Writer, outErr func(error) error,
	sign func(manifest []byte) ([]bundle.Entry, error)) error {
	ref := p.refOf()
	// Room in TMPDIR for the blobs the prefetcher holds there, at their
	// declared sizes, before a byte is written (w included).
	if p.Prefetch > 1 {
		if err := p.roomAhead(os.TempDir(), 2*p.Prefetch); err != nil {
			return err
		}
	}
	bw, err := bundle.NewWriter(w, p.Manifest, bundle.WriterOptions{ModTime: modTime})
	if err != nil {
		return classifyWrite(err, outErr)
	}
	opens := make([]func() (io.ReadCloser, error), len(p.Manifest.Blobs))
	for i, b := range p.Manifest.Blobs {
		opens[i] = p.opener(ctx, b)
	}
	openBlob := func(i int) (io.ReadCloser, error) { return opens[i]() }
	if p.Prefetch > 1 {
		// None is written to TMPDIR past its declared size.
		for i, b := range p.Manifest.Blobs {
			opens[i] = limitOpen(opens[i], b.Size)
		}
		pf, err := newPrefetcher(ctx, opens, p.Prefetch, 2*p.Prefetch)
		if err != nil {
			return exit.Wrap(exit.IO, err, "cannot create a temporary folder for downloads").WithHint("set TMPDIR to a writable folder")
		}
		defer pf.close()
		openBlob = pf.open
	}
	for i, b := range p.Manifest.Blobs {
		if err := ctx.Err(); err != nil {
			return exit.Wrap(exit.IO, err, "interrupted")
		}
		rc, err := openBlob(i)
		if err != nil {
			return source.ClassifyError(ref, fmt.Errorf("opening %s %s (blob %d of %d): %w", b.Role, b.Digest, i+1, len(p.Manifest.Blobs), err))
		}
		var r io.Reader = sourceReader{rc}
		if progress != nil {
			r = io.TeeReader(r, progress)
		}
		err = bw.WriteBlob(b.Digest, r)
		rc.Close()
		if err != nil {
			var se *sourceError
			var ee *exit.Error
			switch {
			case errors.As(err, &se):
				return source.ClassifyError(ref, err)
			case errors.As(err, &ee) && ee.Code == exit.HashMismatch:
				ee.Msg = "the source served wrong content: " + ee.Msg
				ee.Where = ref.Given + ", " + ee.Where
				if ee.Hint == "" {
					ee.Hint = "the source is corrupt or changed while packing; check it (for a layout: skopeo inspect) and try again"
				}
				return ee
			}
			return classifyWrite(err, outErr)
		}
	}
	if sign != nil {
		sigs, err := sign(bw.ManifestBytes())
		if err != nil {
			return err
		}
		if err := bw.WriteSignatures(sigs); err != nil {
			return classifyWrite(err, outErr)
		}
	}
	if err := bw.Close(); err != nil {
		return classifyWrite(err, outErr)
	}
	return nil
}

// opener returns how to open blob b: a layer straight from the registry
// when RawBlob is set (one digest check, lib/regnet's, instead of two), else
// the source's own way.
func (p *Plan) opener(ctx context.Context, b bundle.Blob) func() (io.ReadCloser, error) {
	if p.RawBlob != nil && b.Role == bundle.RoleLayer {
		d := b.Digest
		return func() (io.ReadCloser, error) { return p.RawBlob(ctx, d) }
	}
	return p.open[b.Digest]
}

func classifyWrite(err error, outErr func(error) error) error {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	if outErr != nil {
		return outErr(err)
	}
	return exit.Wrap(exit.IO, err, "cannot write bundle")
}

// strictSource refuses a source manifest or index that reads more than one
// way (duplicate keys, keys that differ only in case): the reader rejects
// such a blob (bundle.md §3, "The image graph"), so packing it would sign a
// bundle that does not verify, and converting it would pick one reading
// silently.
func strictSource(raw func() ([]byte, error), what string, desc v1.Descriptor, ref *source.Ref) error {
	b, err := raw()
	if err != nil {
		return source.ClassifyError(ref, err)
	}
	if err := bundle.StrictJSON(b); err != nil {
		return exit.Wrap(exit.Malformed, err, "the %s %s is not JSON that reads one way", what, desc.Digest).At(ref.Given).
			WithHint("ct packs only images every OCI reader reads alike; rebuild the image with a conforming tool")
	}
	return nil
}
