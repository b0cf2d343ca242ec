package archive

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// DockerArchiveDest is one docker save / podman save style tar with every
// bundle's image tagged NAME:VERSION (archive.md §6). The format holds
// single-platform images: of a multi-platform bundle, the image of Platform
// is written (default: the host's platform, else the index's only one).
// An existing docker-archive at Path is merged: its images under other tags
// are kept, those under an imported NAME:VERSION are replaced. A file that
// is not a docker-archive, or holds untagged images (which cannot be
// kept), is replaced only with Force. The file is written through
// go-containerregistry's tarball package, which may recompress layers: it
// is for podman load / docker load, not for byte-identity.
type DockerArchiveDest struct {
	Path     string
	Platform *v1.Platform // nil: the default choice
	Force    bool
}

func (d *DockerArchiveDest) String() string { return "docker-archive:" + d.Path }
func (d *DockerArchiveDest) TempDir() string {
	if d.special() {
		// written into, not renamed over: stage in $TMPDIR, not in /dev
		return filepath.Join(os.TempDir(), "ct-import")
	}
	return d.Path
}

// special reports whether d.Path is an existing device or FIFO
// (docker-archive:/dev/null), or names one of the process's own
// descriptors (docker-archive:/dev/stdout, whose file may be a regular one
// the shell opened: > img.tar), which the archive is copied into
// (outfile.Place): nothing is staged or locked beside it, where a user
// may not write (/dev) and a killed import would leave its folder.
func (d *DockerArchiveDest) special() bool {
	if outfile.IsDescriptor(d.Path) {
		return true
	}
	fi, err := os.Stat(d.Path)
	return err == nil && !fi.Mode().IsRegular() && !fi.IsDir()
}

// Existing is nil: a docker-archive holds no blobs a bundle can be rebuilt
// from, so a delta cannot be imported onto one alone.
func (d *DockerArchiveDest) Existing() (BlobSource, error) { return nil, nil }

// ParsePlatform parses OS/ARCH[/VARIANT] (--platform).
func ParsePlatform(s string) (*v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return nil, exit.New(exit.Usage, "--platform %q is not OS/ARCH or OS/ARCH/VARIANT", termsafe.Escape(s)).
			WithHint("e.g. --platform linux/amd64 or --platform linux/arm64/v8")
	}
	p := &v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// HostPlatform is the platform ct runs on: the default choice.
func HostPlatform() v1.Platform {
	return v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return "(none)"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// platformMatches reports whether the image platform have is what want
// asks for: the same OS and architecture, and the same variant unless want
// names none.
func platformMatches(have, want v1.Platform) bool {
	return have.OS == want.OS && have.Architecture == want.Architecture && (want.Variant == "" || have.Variant == want.Variant)
}

// choosePlatform picks the image of an index for a docker-archive: the
// descriptor matching want (an unset variant matches any), else, when want
// is nil, the host's platform, else the only platform image. Attestation
// manifests (platform unknown/unknown) never count.
func choosePlatform(im *v1.IndexManifest, want *v1.Platform, ref string) (v1.Descriptor, error) {
	var cands []v1.Descriptor
	var names []string
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() || (d.Platform != nil && d.Platform.OS == "unknown") {
			continue
		}
		cands = append(cands, d)
		names = append(names, termsafe.Escape(platformString(d.Platform)))
	}
	match := func(p v1.Platform) (v1.Descriptor, bool) {
		for _, d := range cands {
			if d.Platform != nil && platformMatches(*d.Platform, p) {
				return d, true
			}
		}
		return v1.Descriptor{}, false
	}
	avail := strings.Join(names, ", ")
	if len(cands) == 0 {
		return v1.Descriptor{}, exit.New(exit.Usage, "no platform image to write to a docker-archive (the bundle's index holds only attestations or nested indexes)").
			At("bundle " + termsafe.Escape(ref)).WithHint("import it into oci:DIR, dir:DIR or docker://, which keep the whole index")
	}
	if want != nil {
		if d, ok := match(*want); ok {
			return d, nil
		}
		return v1.Descriptor{}, exit.New(exit.Usage, "no image for --platform %s; the bundle has %s", termsafe.Escape(platformString(want)), avail).
			At("bundle " + termsafe.Escape(ref)).WithHint("choose one of these with --platform")
	}
	if d, ok := match(HostPlatform()); ok {
		return d, nil
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	host := HostPlatform()
	return v1.Descriptor{}, exit.New(exit.Usage, "no image for this machine's platform %s, and more than one other; the bundle has %s", platformString(&host), avail).
		At("bundle " + termsafe.Escape(ref)).WithHint("choose one with --platform OS/ARCH[/VARIANT]")
}

// Check refuses, before anything is written, what Install would refuse:
// a folder, a file that is not a docker-archive (without --force), and a
// multi-platform bundle without an image for the chosen platform.
func (d *DockerArchiveDest) Check(items []*Item) error {
	if fi, err := os.Stat(d.Path); err == nil && fi.IsDir() {
		return exit.New(exit.Usage, "the destination is a folder; docker-archive: names a file").At(d.Path)
	}
	if _, err := d.keep(items); err != nil {
		return err
	}
	for _, it := range items {
		if _, err := name.NewTag(it.Entry.Ref(), name.WeakValidation); err != nil {
			return exit.New(exit.Usage, "the name cannot be a docker tag").At("bundle " + termsafe.Escape(it.Entry.Ref())).
				WithHint("import it into oci:DIR, dir:DIR or docker://REGISTRY/PREFIX instead")
		}
		if _, err := d.chooseFor(it); err != nil {
			return err
		}
	}
	return nil
}

// chooseFor returns the digest of the image written for it.
func (d *DockerArchiveDest) chooseFor(it *Item) (v1.Hash, error) {
	h, err := v1.NewHash(it.Manifest.Image.Digest)
	if err != nil {
		return v1.Hash{}, exit.Wrap(exit.Malformed, err, "the image digest %s is not a digest", termsafe.Escape(it.Manifest.Image.Digest)).At("bundle " + termsafe.Escape(it.Entry.Ref()))
	}
	if !bundle.IsIndexMediaType(it.Manifest.Image.MediaType) { // bundle.md §3: the one definition
		// A single image: --platform must not name another platform.
		if d.Platform != nil && it.Manifest.Image.Platform != "" {
			have, err := ParsePlatform(it.Manifest.Image.Platform)
			if err == nil && !platformMatches(*have, *d.Platform) {
				return v1.Hash{}, exit.New(exit.Usage, "no image for --platform %s; the bundle holds one image, %s", termsafe.Escape(platformString(d.Platform)),
					termsafe.Escape(it.Manifest.Image.Platform)).At("bundle " + termsafe.Escape(it.Entry.Ref())).
					WithHint("drop --platform for this bundle, or import it separately")
			}
		}
		return h, nil
	}
	rc, err := it.src.Open(it.Manifest.Image.Digest)
	if err != nil {
		return v1.Hash{}, err
	}
	defer rc.Close()
	im, err := v1.ParseIndexManifest(io.LimitReader(rc, bundle.MaxBlobSize))
	if err != nil {
		return v1.Hash{}, exit.Wrap(exit.Malformed, err, "the image index cannot be read").At("bundle " + termsafe.Escape(it.Entry.Ref()))
	}
	desc, err := choosePlatform(im, d.Platform, it.Entry.Ref())
	if err != nil {
		return v1.Hash{}, err
	}
	return desc.Digest, nil
}

// keep returns the images of the existing docker-archive to keep: every
// tag not imported now. A missing file keeps nothing.
func (d *DockerArchiveDest) keep(items []*Item) (map[name.Reference]v1.Image, error) {
	out := map[name.Reference]v1.Image{}
	if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if d.special() {
		// A device or FIFO (/dev/null) is written in place (outfile.Place)
		// and holds no archive to merge; opening a FIFO to read one would
		// wait for a writer that never comes.
		return out, nil
	}
	opener := func() (io.ReadCloser, error) { return os.Open(d.Path) }
	m, err := readDockerManifest(d.Path)
	if err != nil {
		if d.Force {
			return out, nil
		}
		return nil, exit.New(exit.Usage, "the destination exists and is not a docker-archive (%s)", err.Error()).At(d.Path).
			WithHint("name a new file, or pass --force to replace it")
	}
	replaced := map[string]bool{}
	for _, it := range items {
		if t, err := name.NewTag(it.Entry.Ref(), name.WeakValidation); err == nil {
			replaced[t.Name()] = true
		}
	}
	for i, e := range m {
		if len(e.RepoTags) == 0 {
			if d.Force {
				continue
			}
			return nil, exit.New(exit.Usage, "the destination's image %d (config %s) has no tag, so it cannot be kept when images are added", i+1, termsafe.Escape(e.Config)).At(d.Path).
				WithHint("pass --force to drop it, or name a new file")
		}
		for _, rt := range e.RepoTags {
			t, err := name.NewTag(rt, name.WeakValidation)
			if err != nil {
				return nil, exit.New(exit.Malformed, "the destination's tag %q is not a valid tag", termsafe.Escape(rt)).At(d.Path).
					WithHint("pass --force to replace the file, or name a new file")
			}
			if replaced[t.Name()] {
				continue
			}
			img, err := tarball.Image(opener, &t)
			if err != nil {
				return nil, exit.New(exit.Malformed, "the destination's image %s cannot be read", termsafe.Escape(rt)).At(d.Path).
					WithHint("pass --force to replace the file, or name a new file")
			}
			out[t] = img
		}
	}
	return out, nil
}

type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// readDockerManifest reads manifest.json of a docker save tar.
func readDockerManifest(path string) ([]dockerManifestEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no manifest.json in it")
		}
		if err != nil {
			return nil, fmt.Errorf("not a tar file")
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []dockerManifestEntry
		if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil {
			return nil, fmt.Errorf("its manifest.json is not a docker save manifest")
		}
		return m, nil
	}
}

func (d *DockerArchiveDest) Install(items []*Item) error {
	if err := d.Check(items); err != nil {
		return err
	}
	kept, err := d.keep(items)
	if err != nil {
		return err
	}
	tmp, err := tempDir(d.TempDir())
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := buildLayout(tmp, items, ""); err != nil {
		return err
	}
	return d.write(tmp, items, kept)
}

// write writes the images of items, read from the complete layout at dir,
// and the kept images as a docker-archive at d.Path.
func (d *DockerArchiveDest) write(dir string, items []*Item, refs map[name.Reference]v1.Image) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		return exit.Wrap(exit.Internal, err, "cannot read the staged layout")
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return exit.Wrap(exit.Internal, err, "cannot read the staged layout")
	}
	for _, it := range items {
		tag, err := name.NewTag(it.Entry.Ref(), name.WeakValidation)
		if err != nil {
			return exit.New(exit.Usage, "the name cannot be a docker tag").At("bundle " + termsafe.Escape(it.Entry.Ref())).
				WithHint("import it into oci:DIR, dir:DIR or docker://REGISTRY/PREFIX instead")
		}
		h, err := d.chooseFor(it)
		if err != nil {
			return err
		}
		var img v1.Image
		if root := it.Manifest.Image.Digest; root != h.String() {
			rh, _ := v1.NewHash(root) // parsed by chooseFor
			idx, ierr := ii.ImageIndex(rh)
			if ierr != nil {
				return exit.Wrap(exit.Internal, ierr, "cannot read index %s of the staged layout", root).At("bundle " + termsafe.Escape(it.Entry.Ref()))
			}
			img, err = idx.Image(h)
		} else {
			img, err = ii.Image(h)
		}
		if err != nil {
			return exit.Wrap(exit.Internal, err, "cannot read image %s of the staged layout", h).At("bundle " + termsafe.Escape(it.Entry.Ref()))
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
		return classifyWrite(err, d.Path)
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if err := outfile.Place(staged, d.Path); err != nil { // a rename, or into a device (/dev/null)
		if _, ok := err.(*exit.Error); ok {
			return err
		}
		return ioErr(d.Path, err, "cannot move the archive into place")
	}
	syncDir(filepath.Dir(d.Path))
	return nil
}

// Tags lists the tags a docker-archive file holds, sorted (for tests and
// messages).
func DockerArchiveTags(path string) ([]string, error) {
	m, err := readDockerManifest(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range m {
		out = append(out, e.RepoTags...)
	}
	sort.Strings(out)
	return out, nil
}
