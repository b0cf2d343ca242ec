package source

import (
	"regexp"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/google/go-containerregistry/pkg/name"
)

// The transports ct reads.
const (
	TransportDocker        = "docker"
	TransportOCI           = "oci"
	TransportOCIArchive    = "oci-archive"
	TransportDockerArchive = "docker-archive"
)

// Ref is a parsed SOURCE string.
type Ref struct {
	Given      string // the source string as the user gave it
	Transport  string // "docker", "oci", "oci-archive", "docker-archive"
	Path       string // local transports: the directory or file
	Registry   string // docker: registry host, shown as users write it ("docker.io", not "index.docker.io")
	Repository string // docker: e.g. "library/nginx"
	Tag        string // docker/oci/oci-archive tag, docker-archive REF's tag; "" if none
	Digest     string // "sha256:…" if given by digest
	// Name is the docker-archive REF as given ("repo:tag"), or an oci: or
	// oci-archive: image name that is not a plain tag ("apps/web:1.0", as
	// ct import --to oci: writes): the whole org.opencontainers.image.ref.name
	// to match. Tag is then its part after the last ':', if that is a tag.
	Name string
}

// supportedForms is the hint for every malformed SOURCE.
const supportedForms = "SOURCE is one of: a registry reference (nginx:1.26, docker.io/library/nginx:1.26, " +
	"localhost:5000/app@sha256:…, optionally prefixed docker://), oci:DIR[:NAME][@DIGEST], " +
	"oci-archive:FILE[:NAME][@DIGEST] (NAME a tag, or NAME:VERSION as ct import writes) " +
	"or docker-archive:FILE[:REPO:TAG]"

// foreignTransports are transport names of containers/image (skopeo, podman,
// buildah) that ct does not read. A SOURCE starting with one of them plus ':'
// is refused rather than read as an image named like the transport: "dir:x"
// is far more likely a skopeo habit than the image docker.io/library/dir:x.
// (Write docker://dir:x for that image.)
var foreignTransports = map[string]string{
	"containers-storage": "export it first: podman save --format oci-archive -o img.tar IMAGE, then use oci-archive:img.tar",
	"docker-daemon":      "export it first: docker save -o img.tar IMAGE, then use docker-archive:img.tar",
	"dir":                "copy it to an OCI layout first: skopeo copy dir:PATH oci:layout:TAG, then use oci:layout:TAG",
	"ostree":             "copy it to an OCI layout first with skopeo copy … oci:layout:TAG, then use oci:layout:TAG",
	"sif":                "copy it to an OCI layout first with skopeo copy … oci:layout:TAG, then use oci:layout:TAG",
	"tarball":            "copy it to an OCI layout first with skopeo copy … oci:layout:TAG, then use oci:layout:TAG",
	"atomic":             "use the registry reference with docker://",
	"docker":             "registry references take two slashes: docker://REGISTRY/REPO:TAG",
	"http":               "give the registry reference without a scheme, e.g. registry.example.com/app:1.0",
	"https":              "give the registry reference without a scheme, e.g. registry.example.com/app:1.0",
}

var (
	reTransport = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	reTag       = BoundedRe{regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`), 128}
	reDigest    = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	rePortPath  = regexp.MustCompile(`^[0-9]+(/|$)`)
	// reRefName is the grammar of org.opencontainers.image.ref.name (OCI
	// image layout): components of alphanumerics joined by one of -._:@+
	// or "--", joined by '/'.
	reRefName = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)
)

// BoundedRe is a pattern and a length bound: what `X[...]{0,N}$` says,
// without the counted repetition, whose compiled program (N copies of the
// class) takes about half a millisecond to build at every start of every
// binary. The classes are ASCII, so bytes are characters. (lib/registry
// uses it too.)
type BoundedRe struct {
	Re  *regexp.Regexp
	Max int
}

// MatchString reports whether s is at most Max bytes and matches Re.
func (b BoundedRe) MatchString(s string) bool { return len(s) <= b.Max && b.Re.MatchString(s) }

// maxRefNameLen bounds an image name in a layout (NAME ≤ 128, ':', VERSION ≤ 128 as ct writes them, with room).
const maxRefNameLen = 512

// validLayoutName reports whether n may select an image in a layout: a tag,
// or a name in the ref.name grammar.
func validLayoutName(n string) bool {
	return reTag.MatchString(n) || (len(n) <= maxRefNameLen && reRefName.MatchString(n))
}

// maxRepositoryLen is the longest repository name, as the registry stores it
// (go-containerregistry and the distribution reference grammar: 255).
const maxRepositoryLen = 255

// maxSourceLen bounds a SOURCE string; paths and references are far shorter.
const maxSourceLen = 4096

func usageErr(given, format string, args ...any) *exit.Error {
	return exit.New(exit.Usage, format, args...).At("source "+quoteShort(given)).WithHint("%s", supportedForms)
}

// quoteShort quotes s for messages, cutting very long input.
func quoteShort(s string) string {
	return `"` + strings.ToValidUTF8(bound(s), "?") + `"`
}

// Parse parses a SOURCE string without any I/O. Errors are exit.Usage.
func Parse(s string) (*Ref, error) {
	if s == "" {
		return nil, usageErr(s, "empty source")
	}
	if len(s) > maxSourceLen {
		return nil, usageErr(s, "source longer than %d bytes", maxSourceLen)
	}
	if strings.ContainsAny(s, "\x00\n\r") {
		return nil, usageErr(s, "source contains a NUL or newline")
	}
	if rest, ok := strings.CutPrefix(s, "docker://"); ok {
		return parseDocker(s, rest)
	}
	if t, rest, ok := strings.Cut(s, ":"); ok {
		switch t {
		case TransportOCI, TransportOCIArchive:
			return parseLayout(s, t, rest)
		case TransportDockerArchive:
			return parseDockerArchive(s, rest)
		}
		if hint, bad := foreignTransports[t]; bad {
			return nil, exit.New(exit.Usage, "unsupported transport %q", t).At("source "+quoteShort(s)).
				WithHint("%s; %s", hint, supportedForms)
		}
		// "nginx:1.26" and "localhost:5000/app" have a ':' too; only a
		// prefix that cannot start a registry reference is a transport.
		if reTransport.MatchString(t) {
			tag, _, _ := strings.Cut(rest, "@")
			if !rePortPath.MatchString(rest) && !reTag.MatchString(tag) {
				return nil, exit.New(exit.Usage, "unknown transport %q", t).At("source "+quoteShort(s)).
					WithHint("%s", supportedForms)
			}
		}
	}
	return parseDocker(s, s)
}

func parseDocker(given, s string) (*Ref, error) {
	if s == "" {
		return nil, usageErr(given, "empty registry reference")
	}
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, exit.New(exit.Usage, "not a valid registry reference: %s", refReason(s)).At("source "+quoteShort(given)).
			WithHint("%s", supportedForms)
	}
	ref := &Ref{Given: given, Transport: TransportDocker}
	ref.Registry = displayRegistry(r.Context().RegistryStr())
	ref.Repository = r.Context().RepositoryStr()
	// ggcr bounds the repository as written (255 bytes), but Docker Hub's
	// implicit "library/" makes the canonical one longer: "a"×250 would parse
	// while its own String() would not. Bound the repository ct names.
	if len(ref.Repository) > maxRepositoryLen {
		return nil, usageErr(given, "repository name %s is %d bytes long with Docker Hub's implicit library/ prefix; at most %d",
			quoteShort(ref.Repository), len(ref.Repository), maxRepositoryLen)
	}
	switch r := r.(type) {
	case name.Tag:
		ref.Tag = r.TagStr()
	case name.Digest:
		ref.Digest = r.DigestStr()
		// name.NewDigest accepts and drops "repo:tag@digest"'s tag; keep it for display.
		base, _, _ := strings.Cut(s, "@")
		if t, err := name.NewTag(base); err == nil && strings.Contains(base[strings.LastIndex(base, "/")+1:], ":") {
			ref.Tag = t.TagStr()
		}
	}
	if ref.Digest != "" && !reDigest.MatchString(ref.Digest) {
		return nil, usageErr(given, "only sha256 digests are supported, got %q", ref.Digest)
	}
	return ref, nil
}

// displayRegistry turns ggcr's canonical Docker Hub host into the one users write.
func displayRegistry(r string) string {
	if r == name.DefaultRegistry {
		return "docker.io"
	}
	return r
}

// parseLayout parses oci:DIR[:NAME][@DIGEST] and oci-archive:FILE[:NAME][@DIGEST].
// In the last path element, '@' starts a digest. The path and the name are
// then separated by a ':', but both may hold ':' and '/' (/mnt/c:x/layout,
// apps/web:1.0), so without looking at the disk the split is ambiguous:
// layoutSplits lists the readings, longest path first. Parse takes the first
// (so oci:/mnt/c:x/layout:v1 is the tag v1 of /mnt/c:x/layout); Open takes
// the first whose path exists (so oci:/srv/layout:apps/web:1.0, with only
// /srv/layout on disk, is the image apps/web:1.0 of /srv/layout, as skopeo
// reads it).
func parseLayout(given, transport, s string) (*Ref, error) {
	ref := &Ref{Given: given, Transport: transport}
	lastSlash := strings.LastIndex(s, "/")
	if i := strings.Index(s[lastSlash+1:], "@"); i >= 0 {
		i += lastSlash + 1
		ref.Digest = s[i+1:]
		s = s[:i]
		if !reDigest.MatchString(ref.Digest) {
			return nil, usageErr(given, "%q is not a sha256 digest (sha256: and 64 lowercase hex digits)", ref.Digest)
		}
	}
	splits := layoutSplits(s)
	if len(splits) == 0 {
		// Report the reading by the last ':' (the one Parse would take).
		i := strings.LastIndex(s, ":")
		if i == 0 || s == "" {
			return nil, usageErr(given, "%s: missing the %s", transport, map[bool]string{true: "directory", false: "file"}[transport == TransportOCI])
		}
		return nil, usageErr(given, "%q is not a valid tag or image name", s[i+1:])
	}
	splits[0].apply(ref)
	return ref, nil
}

// layoutSplit is one reading of a layout source: PATH, and NAME or none.
type layoutSplit struct{ path, name string }

// apply sets ref's Path, Tag and Name from the reading.
func (l layoutSplit) apply(ref *Ref) {
	ref.Path, ref.Tag, ref.Name = l.path, "", ""
	switch {
	case l.name == "":
	case reTag.MatchString(l.name):
		ref.Tag = l.name
	default:
		ref.Name = l.name
		if i := strings.LastIndex(l.name, ":"); i > strings.LastIndex(l.name, "/") && reTag.MatchString(l.name[i+1:]) {
			ref.Tag = l.name[i+1:]
		}
	}
}

// layoutSplits lists the readings of s (a layout source without transport
// and digest), longest path first: s whole, when its last path element has
// no ':'; then s cut at each ':' from the right, when both sides are
// non-empty and the right one is a tag or image name.
func layoutSplits(s string) []layoutSplit {
	var out []layoutSplit
	if s != "" && !strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
		out = append(out, layoutSplit{path: s})
	}
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == ':' && validLayoutName(s[i+1:]) {
			out = append(out, layoutSplit{path: s[:i], name: s[i+1:]})
		}
	}
	return out
}

// layoutName is the name a layout ref selects by: Name, else Tag.
func (r *Ref) layoutName() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Tag
}

// parseDockerArchive parses docker-archive:FILE[:REF]. Like skopeo, the first
// ':' ends FILE, except that a FILE ending in ".tar" followed by ':' may
// itself contain ':' (docker-archive:/mnt/c:x/img.tar:repo:tag).
func parseDockerArchive(given, s string) (*Ref, error) {
	ref := &Ref{Given: given, Transport: TransportDockerArchive}
	file, r := s, ""
	if i := strings.Index(s, ".tar:"); i >= 0 {
		file, r = s[:i+4], s[i+5:]
	} else if i := strings.Index(s, ":"); i >= 0 {
		file, r = s[:i], s[i+1:]
	}
	if file == "" {
		return nil, usageErr(given, "docker-archive: missing the file")
	}
	ref.Path = file
	if i := strings.Index(s, ":"); i >= 0 && r == "" && len(file) < len(s) {
		return nil, usageErr(given, "empty image reference after %q", file+":")
	}
	if r != "" {
		if strings.Contains(r, "@") {
			return nil, usageErr(given, "docker-archive: select the image by REPO:TAG as listed in the archive, not by digest")
		}
		t, err := name.NewTag(r)
		if err != nil {
			return nil, exit.Wrap(exit.Usage, err, "%q is not a REPO:TAG reference", r).At("source "+quoteShort(given)).
				WithHint("%s", supportedForms)
		}
		ref.Name = r
		ref.Tag = t.TagStr()
	}
	return ref, nil
}

// String returns the canonical display form: docker://REGISTRY/REPO[:TAG][@DIGEST]
// for registries, TRANSPORT:PATH[:TAG][@DIGEST] or docker-archive:FILE[:REF]
// for local sources.
func (r *Ref) String() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	switch r.Transport {
	case TransportDocker:
		b.WriteString("docker://")
		b.WriteString(r.Registry)
		b.WriteString("/")
		b.WriteString(r.Repository)
	case TransportDockerArchive:
		b.WriteString(r.Transport + ":" + r.Path)
		if r.Name != "" {
			b.WriteString(":" + r.Name)
		}
		return b.String()
	case TransportOCI, TransportOCIArchive:
		b.WriteString(r.Transport + ":" + r.Path)
		if n := r.layoutName(); n != "" {
			b.WriteString(":" + n)
		}
		if r.Digest != "" {
			b.WriteString("@" + r.Digest)
		}
		return b.String()
	default:
		b.WriteString(r.Transport + ":" + r.Path)
	}
	if r.Tag != "" {
		b.WriteString(":" + r.Tag)
	}
	if r.Digest != "" {
		b.WriteString("@" + r.Digest)
	}
	return b.String()
}

// where names the source in error messages.
func (r *Ref) where() string {
	if r == nil {
		return "source"
	}
	switch r.Transport {
	case TransportDocker:
		return "registry " + r.String()
	case TransportOCI:
		return "OCI layout " + r.Path
	case TransportOCIArchive:
		return "OCI archive " + r.Path
	case TransportDockerArchive:
		return "docker archive " + r.Path
	}
	return "source " + r.Given
}
