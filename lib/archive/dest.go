package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Destination is where ct import installs bundles: one implementation per
// kind (dir:, oci:, docker-archive:, docker://). Install is
// called only after every item has been verified, and MUST be atomic per
// its kind's rule (archive.md §6): a killed import leaves the destination as
// it was, or complete.
type Destination interface {
	// String is the destination as the user wrote it.
	String() string
	// Existing returns the blobs the destination already holds, from which
	// a delta archive's absent blobs are taken; nil when it holds none.
	Existing() (BlobSource, error)
	// TempDir is the folder beside the destination where staging folders
	// are made, so that final renames stay on one file system.
	TempDir() string
	// Install writes the items, atomically.
	Install(items []*Item) error
}

// ParseDestination parses --to: dir:PATH, oci:PATH, docker-archive:FILE or
// docker://REGISTRY/PREFIX.
func ParseDestination(s string) (Destination, error) {
	kind, path, ok := strings.Cut(s, ":")
	if ok && path == "" {
		return nil, exit.New(exit.Usage, "destination %q has no path", s)
	}
	switch {
	case !ok:
		return nil, exit.New(exit.Usage, "destination %q has no kind", s).WithHint("write dir:PATH, oci:PATH, docker-archive:FILE or docker://REGISTRY/PREFIX")
	case kind == "dir" || kind == "oci" || kind == "docker-archive":
		p, err := followLink(filepath.Clean(path))
		if err != nil {
			return nil, err
		}
		switch kind {
		case "dir":
			return &DirDest{Path: p}, nil
		case "oci":
			return &OCIDest{Path: p}, nil
		}
		return &DockerArchiveDest{Path: p}, nil
	case kind == "docker" && strings.HasPrefix(path, "//"):
		repo := strings.Trim(strings.TrimPrefix(path, "//"), "/")
		if !strings.Contains(repo, "/") {
			return nil, exit.New(exit.Usage, "registry destination %q needs a repository prefix", s).
				WithHint("write docker://REGISTRY/PREFIX, e.g. docker://localhost:5000/mirror: bundles go to PREFIX/NAME:VERSION")
		}
		return &RegistryDest{Repo: repo}, nil
	}
	return nil, exit.New(exit.Usage, "unknown destination kind %q", kind).WithHint("write dir:PATH, oci:PATH, docker-archive:FILE or docker://REGISTRY/PREFIX")
}

// followLink resolves a destination path that is a symbolic link (or lies
// under one) to the path it names, so that installing replaces what the
// link points to, never the link itself. A link to nothing is refused.
func followLink(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return path, nil
	}
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", exit.Wrap(exit.Usage, err, "the destination is a symbolic link whose target cannot be resolved").At(path).
			WithHint("create the link's target first, or name the target itself")
	}
	return p, nil
}

func ioErr(path string, err error, msg string) error {
	return exit.Wrap(exit.IO, pathless(err), "%s", msg).At(path)
}

// pathless drops the operation and path an os error repeats ("open x.tar:
// no such file or directory"): the message already names the path once.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// syncDir fsyncs a folder so that renames in it are durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// tempDir makes a private folder beside path, named so that a person who
// finds one left by a killed import knows what it is.
func tempDir(path string) (string, error) {
	parent := filepath.Dir(path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", ioErr(parent, err, "cannot create folder")
	}
	d, err := os.MkdirTemp(parent, "."+filepath.Base(path)+".ct-import-")
	if err != nil {
		return "", ioErr(parent, err, "cannot create staging folder")
	}
	return d, nil
}

// ---- dir: ----

// DirDest is a folder of .ctp files, NAME_VERSION.ctp, byte-identical to the
// exported bundles.
type DirDest struct{ Path string }

func (d *DirDest) String() string  { return "dir:" + d.Path }
func (d *DirDest) TempDir() string { return d.Path }

// Existing locates the blobs of every .ctp already in the folder.
func (d *DirDest) Existing() (BlobSource, error) {
	ents, err := os.ReadDir(d.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ioErr(d.Path, err, "cannot read destination folder")
	}
	var out Sources
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".ctp") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(d.Path, e.Name())
		f, err := os.Open(p)
		if err != nil {
			return nil, ioErr(p, err, "cannot read bundle")
		}
		it, err := OpenBundle(f, p)
		if err != nil {
			f.Close()
			continue // not a bundle we can use; a delta that needs it is refused later
		}
		out = append(out, it.src)
	}
	return out, nil
}

// Install writes each bundle as FileName. A new folder is built whole in a
// staging folder beside PATH and renamed into place; into an existing
// folder each bundle is written in a staging folder beside PATH and renamed
// into it, so each appears whole, and a killed import leaves nothing inside
// PATH (the staging folder is removed by the next import, sweepStale).
func (d *DirDest) Install(items []*Item) error {
	names := map[string]string{}
	for _, it := range items {
		if other, ok := names[it.FileName()]; ok {
			return exit.New(exit.Usage, "bundles %s and %s would both be installed as %s", termsafe.Escape(other), termsafe.Escape(it.Entry.Ref()), termsafe.Escape(it.FileName())).
				WithHint("import them into different destinations")
		}
		names[it.FileName()] = it.Entry.Ref()
	}
	tmp, err := tempDir(d.Path)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
		for _, it := range items {
			if err := writeBundle(filepath.Join(tmp, it.FileName()), it); err != nil {
				return err
			}
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return ioErr(tmp, err, "cannot set mode")
		}
		syncDir(tmp)
		if err := os.Rename(tmp, d.Path); err != nil {
			return ioErr(d.Path, err, "cannot move the destination into place")
		}
		syncDir(filepath.Dir(d.Path))
		return nil
	}
	for _, it := range items {
		staged, final := filepath.Join(tmp, it.FileName()), filepath.Join(d.Path, it.FileName())
		if err := writeBundle(staged, it); err != nil {
			return err
		}
		if err := os.Rename(staged, final); errors.Is(err, unix.EXDEV) {
			// PATH is a mount point: a temporary file inside it, as outfile does
			if err := writeBundle(final, it); err != nil {
				return err
			}
		} else if err != nil {
			return ioErr(final, err, "cannot move the bundle into place")
		}
	}
	syncDir(d.Path)
	return nil
}

func writeBundle(path string, it *Item) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := it.WriteBundle(f); err != nil {
		return classifyWrite(err, path)
	}
	return f.Commit()
}

func classifyWrite(err error, path string) error {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	return exit.Wrap(exit.IO, pathless(err), "cannot write").At(path)
}

// ---- oci: ----

// OCIDest is one OCI image layout holding every bundle's image, tagged
// (org.opencontainers.image.ref.name) NAME:VERSION.
type OCIDest struct{ Path string }

func (d *OCIDest) String() string  { return "oci:" + d.Path }
func (d *OCIDest) TempDir() string { return d.Path }

type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType,omitempty"`
	Manifests     []ociDescriptor `json:"manifests"`
}

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    json.RawMessage   `json:"platform,omitempty"`
	// The other members of an OCI descriptor, so that an entry of the
	// layout at PATH another tool wrote (oras: artifactType) is kept as
	// it was when an import merges into it.
	ArtifactType string          `json:"artifactType,omitempty"`
	URLs         json.RawMessage `json:"urls,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
}

const refNameAnno = "org.opencontainers.image.ref.name"

// layoutBlobs is the blobs/sha256 folder of a layout; content is hashed
// when read, by the caller.
type layoutBlobs struct{ dir string }

func (l *layoutBlobs) path(d string) string {
	return filepath.Join(l.dir, strings.TrimPrefix(d, "sha256:"))
}
func (l *layoutBlobs) Has(d string) bool {
	fi, err := os.Stat(l.path(d))
	return err == nil && fi.Mode().IsRegular()
}
func (l *layoutBlobs) File(d string) string { return "" } // not hashed yet: copy, never link
func (l *layoutBlobs) Open(d string) (io.ReadCloser, error) {
	f, err := os.Open(l.path(d))
	if err != nil {
		return nil, ioErr(l.path(d), err, "cannot read blob")
	}
	return f, nil
}

func (d *OCIDest) Existing() (BlobSource, error) {
	if _, err := os.Stat(filepath.Join(d.Path, "oci-layout")); err != nil {
		return nil, nil
	}
	return &layoutBlobs{dir: filepath.Join(d.Path, "blobs", "sha256")}, nil
}

// readLayoutIndex reads PATH/index.json of an existing layout.
func readLayoutIndex(path string) (*ociIndex, error) {
	b, err := os.ReadFile(filepath.Join(path, "index.json"))
	if err != nil {
		return nil, ioErr(path, err, "the destination exists but is not an OCI layout (no index.json)")
	}
	var ix ociIndex
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the destination's index.json is not valid JSON").At(path)
	}
	return &ix, nil
}

// buildLayout writes a complete layout of items (plus, when old is not
// empty, the existing layout at old) into dir. Every blob an item needs is
// one hashed on the way in: a staged blob (hashed while staged) is linked,
// any other is copied while hashed, and a blob taken from the old layout
// (a delta's base) is linked and then hashed again. The old layout's copy
// of a blob never wins over the staged one; its other blobs are kept as
// they are (they belong to its other images).
func buildLayout(dir string, items []*Item, old string) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return ioErr(blobs, err, "cannot create folder")
	}
	ix := &ociIndex{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json"}
	replaced := map[string]bool{}
	for _, it := range items {
		replaced[it.Entry.Ref()] = true
	}
	var oldBlobs *layoutBlobs
	if old != "" {
		oldBlobs = &layoutBlobs{dir: filepath.Join(old, "blobs", "sha256")}
		oldIx, err := readLayoutIndex(old)
		if err != nil {
			return err
		}
		for _, m := range oldIx.Manifests {
			if !replaced[m.Annotations[refNameAnno]] {
				ix.Manifests = append(ix.Manifests, m)
			}
		}
	}
	// An untagged entry ct adds is listed once, however many imports
	// brought it; the old layout's own entries are kept as they are.
	seenUntagged := map[string]bool{}
	for _, m := range ix.Manifests {
		if m.Annotations[refNameAnno] == "" {
			seenUntagged[m.Digest] = true
		}
	}
	buf := make([]byte, 1<<20)
	for _, it := range items {
		for _, b := range it.Manifest.Blobs {
			dst := filepath.Join(blobs, strings.TrimPrefix(b.Digest, "sha256:"))
			if _, err := os.Lstat(dst); err == nil {
				continue // another bundle's, already written and checked
			}
			if f := it.src.File(b.Digest); f != "" {
				if err := linkOrCopy(f, dst, ""); err != nil {
					return err
				}
				continue
			}
			if oldBlobs != nil && oldBlobs.Has(b.Digest) {
				// In the old layout (a delta's base): link it, then hash
				// what was linked. A damaged copy is replaced from the
				// item's own source when it has one.
				if err := linkOrCopy(oldBlobs.path(b.Digest), dst, ""); err != nil {
					return err
				}
				err := checkFile(dst, b, buf)
				if err == nil {
					continue
				}
				os.Remove(dst)
				if exit.CodeOf(err) != exit.HashMismatch {
					return err
				}
			}
			if err := copyBlob(it.src, b, dst, buf); err != nil {
				return err
			}
		}
		ix.Manifests = append(ix.Manifests, ociDescriptor{MediaType: it.Manifest.Image.MediaType, Digest: it.Manifest.Image.Digest,
			Size: it.Manifest.Image.Size, Annotations: map[string]string{refNameAnno: it.Entry.Ref()}})
		// Attestations and copied supply-chain artifacts, untagged, so that
		// tools that look for referrers in a layout find them through
		// their subject (archive.md §6, referrers.md §5).
		for _, b := range it.Manifest.Blobs {
			if (b.Role == bundle.RoleAttestation || bundle.IsCopiedManifest(b.Role)) && !seenUntagged[b.Digest] {
				seenUntagged[b.Digest] = true
				ix.Manifests = append(ix.Manifests, ociDescriptor{MediaType: b.MediaType, Digest: b.Digest, Size: b.Size})
			}
		}
	}
	if old != "" {
		ents, err := os.ReadDir(oldBlobs.dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return ioErr(old, err, "cannot read the existing layout")
		}
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			dst := filepath.Join(blobs, e.Name())
			if _, err := os.Lstat(dst); err == nil {
				continue // installed above, hashed
			}
			if err := linkOrCopy(filepath.Join(oldBlobs.dir, e.Name()), dst, ""); err != nil {
				return err
			}
		}
	}
	// Tagged entries by name, then untagged ones by digest.
	sort.SliceStable(ix.Manifests, func(i, j int) bool {
		a, b := ix.Manifests[i].Annotations[refNameAnno], ix.Manifests[j].Annotations[refNameAnno]
		if (a == "") != (b == "") {
			return b == ""
		}
		if a == "" {
			return ix.Manifests[i].Digest < ix.Manifests[j].Digest
		}
		return a < b
	})
	ib, err := json.Marshal(ix)
	if err != nil {
		return exit.Wrap(exit.Internal, err, "index.json")
	}
	for name, data := range map[string][]byte{"oci-layout": bundle.LayoutBytes(), "index.json": ib} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return ioErr(filepath.Join(dir, name), err, "cannot write")
		}
	}
	return nil
}

// checkFile hashes the file path, which must hold exactly the blob b.
func checkFile(path string, b bundle.Blob, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return ioErr(path, err, "cannot read blob")
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, io.LimitReader(f, b.Size+1), buf)
	if err != nil {
		return ioErr(path, err, "cannot read blob")
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); n != b.Size || got != b.Digest {
		return exit.New(exit.HashMismatch, "blob %s of the existing layout is damaged or changed (now %s, %d bytes)", b.Digest, got, n).At(path).
			WithHint("the delta's base blob cannot be trusted: import the full archive (not the delta) into the layout, or remove the damaged blob and import the base again")
	}
	return nil
}

// linkOrCopy hard-links src to dst, or copies it when links fail.
func linkOrCopy(src, dst, _ string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return ioErr(src, err, "cannot read")
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return ioErr(dst, err, "cannot write")
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return ioErr(dst, err, "cannot write")
	}
	return out.Close()
}

// copyBlob copies a blob from src to dst, checking its digest and size.
func copyBlob(src BlobSource, b bundle.Blob, dst string, buf []byte) error {
	rc, err := src.Open(b.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return ioErr(dst, err, "cannot write")
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(out, h), io.LimitReader(rc, b.Size+1), buf)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ioErr(dst, err, "cannot copy blob")
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); n != b.Size || got != b.Digest {
		return exit.New(exit.HashMismatch, "blob %s changed since it was verified (now %s, %d bytes)", b.Digest, got, n).At(dst)
	}
	return nil
}

// Install builds the complete layout in a folder beside PATH (merged with
// the layout already at PATH, if any) and swaps it into place atomically
// (renameat2 RENAME_EXCHANGE; where that is unavailable, two renames).
func (d *OCIDest) Install(items []*Item) error {
	tmp, err := tempDir(d.Path)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	old, err := d.old()
	if err != nil {
		return err
	}
	if err := buildLayout(tmp, items, old); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return ioErr(tmp, err, "cannot set mode")
	}
	syncDir(tmp)
	return swapIn(tmp, d.Path)
}

// Check refuses what Install would refuse, before anything is written.
func (d *OCIDest) Check(items []*Item) error {
	_, err := d.old()
	return err
}

// old returns PATH when it is an existing layout to merge with, "" when
// there is none (or an empty folder), and an error for anything else.
func (d *OCIDest) old() (string, error) {
	fi, err := os.Stat(d.Path)
	if err != nil {
		return "", nil
	}
	if !fi.IsDir() {
		return "", exit.New(exit.Usage, "the destination exists and is not a folder").At(d.Path).
			WithHint("oci: names a folder: name a new one, or an existing OCI layout to add the images to")
	}
	if _, err := os.Stat(filepath.Join(d.Path, "oci-layout")); err != nil {
		if ents, _ := os.ReadDir(d.Path); len(ents) > 0 {
			return "", exit.New(exit.Usage, "the destination exists and is not an OCI layout").At(d.Path).
				WithHint("name a new folder, or an existing OCI layout to add the images to")
		}
		return "", nil
	}
	return d.Path, nil
}

// swapIn puts the folder tmp at path atomically. An existing path ends up
// at tmp (removed by the caller's cleanup).
func swapIn(tmp, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp, path); err != nil {
			return ioErr(path, err, "cannot move the destination into place")
		}
		syncDir(filepath.Dir(path))
		return nil
	}
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err == nil {
		syncDir(filepath.Dir(path))
		return nil
	}
	aside := tmp + ".old"
	if err := os.Rename(path, aside); err != nil {
		return ioErr(path, err, "cannot move the old destination aside")
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Rename(aside, path)
		return ioErr(path, err, "cannot move the destination into place")
	}
	os.Rename(aside, tmp) // removed with tmp
	syncDir(filepath.Dir(path))
	return nil
}

// DestinationOptions are the flags of ct import that shape a destination.
type DestinationOptions struct {
	Platform string // --platform: only a docker-archive: chooses an image
	Force    bool   // --force: replace a docker-archive: FILE of another kind
}

// ConfigureDestination applies o to d (nil with --dry-run alone). A
// --platform for a destination that keeps the whole signed index is refused,
// not ignored.
func ConfigureDestination(d Destination, o DestinationOptions) error {
	var plat *v1.Platform
	if o.Platform != "" {
		p, err := ParsePlatform(o.Platform)
		if err != nil {
			return err
		}
		plat = p
	}
	switch d := d.(type) {
	case *DockerArchiveDest:
		d.Platform, d.Force = plat, o.Force
		return nil
	}
	if plat != nil && d != nil {
		return exit.New(exit.Usage, "--platform chooses the image written to a docker-archive:, and %s keeps each bundle's whole signed index", termsafe.Escape(d.String())).
			WithHint("drop --platform (the platform is chosen when the image is run), or import into docker-archive:FILE")
	}
	if o.Force && d != nil {
		return exit.New(exit.Usage, "--force applies to a docker-archive: destination only").
			WithHint("drop --force: dir: and oci: add to what is there, docker:// pushes tags")
	}
	return nil
}
