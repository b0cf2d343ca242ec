package pack

import (
	"fmt"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cerro-torre/ct/lib/source"
)

// containerdNameAnnotation is the full image name containerd-based tools
// record on an index.json entry (docker save writes it too).
const containerdNameAnnotation = "io.containerd.image.name"

// Naming is where a bundle's package name and version came from.
type Naming struct {
	Name, Version string
	// Note (unescaped: it may quote archive text), when not empty, tells the user where a derived name or version
	// came from and how to set it: given whenever either was derived from
	// something other than a registry repository and tag.
	Note string
}

// DeriveNaming picks the package name and version: the ones given, else
// derived from the source. A docker-archive image without a REF is named
// after its first RepoTag; an oci: image after its NAME:TAG ref.name, else
// its io.containerd.image.name annotation, else the directory and the tag.
func DeriveNaming(root *source.Root, givenName, givenVersion string) Naming {
	ref := root.Ref
	digest := root.Descriptor.Digest.String()
	n := Naming{Name: givenName, Version: givenVersion}
	var nameFrom, versionFrom string
	if ref.Transport == source.TransportDockerArchive && ref.Name == "" && len(root.RepoTags) > 0 {
		if t, err := name.NewTag(root.RepoTags[0], name.WeakValidation); err == nil {
			from := "the archive's tag " + t.String()
			if len(root.RepoTags) > 1 {
				from = fmt.Sprintf("the archive's first tag %s (of %d: %s)", t.String(), len(root.RepoTags), strings.Join(root.RepoTags, ", "))
			}
			if n.Name == "" {
				n.Name, nameFrom = strings.ToLower(path.Base(t.RepositoryStr())), from
			}
			if n.Version == "" {
				n.Version, versionFrom = t.TagStr(), from
			}
		}
	}
	if (ref.Transport == source.TransportOCI || ref.Transport == source.TransportOCIArchive) && ref.Name == "" {
		// docker save (containerd store), nerdctl and ctr name the image in
		// full beside the plain tag: io.containerd.image.name.
		if full := root.Descriptor.Annotations[containerdNameAnnotation]; full != "" {
			if t, err := name.NewTag(full, name.WeakValidation); err == nil && (ref.Tag == "" || ref.Tag == t.TagStr()) {
				from := "the image's " + containerdNameAnnotation + " annotation " + full
				if n.Name == "" {
					n.Name, nameFrom = strings.ToLower(path.Base(t.RepositoryStr())), from
				}
				if n.Version == "" {
					n.Version, versionFrom = t.TagStr(), from
				}
			}
		}
	}
	if n.Name == "" {
		n.Name = DeriveName(ref)
		nameFrom = nameSource(ref)
	}
	if n.Version == "" {
		n.Version = DeriveVersion(ref, digest)
		if ref.Tag != "" {
			versionFrom = "the tag " + ref.Tag
		} else {
			versionFrom = "the image digest"
		}
	}
	if ref.Transport == source.TransportDocker || (nameFrom == "" && versionFrom == "") {
		return n
	}
	var parts []string
	switch {
	case nameFrom != "" && nameFrom == versionFrom:
		parts = append(parts, fmt.Sprintf("package name %q and version %q come from %s", n.Name, n.Version, nameFrom))
	default:
		if nameFrom != "" {
			parts = append(parts, fmt.Sprintf("package name %q comes from %s", n.Name, nameFrom))
		}
		if versionFrom != "" {
			parts = append(parts, fmt.Sprintf("version %q from %s", n.Version, versionFrom))
		}
	}
	var set []string
	if nameFrom != "" {
		set = append(set, "--name")
	}
	if versionFrom != "" {
		set = append(set, "--package-version")
	}
	n.Note = strings.Join(parts, ", ") + "; set " + strings.Join(set, " and ") + " to choose"
	return n
}

// nameSource says where DeriveName took the name from.
func nameSource(ref *source.Ref) string {
	switch {
	case ref.Repository != "":
		return "the repository " + ref.Repository
	case ref.Name != "" && ref.Transport == source.TransportDockerArchive:
		return "the image " + ref.Name
	case ref.Name != "":
		return "the image name " + ref.Name + " in the layout"
	case ref.Transport == source.TransportOCI:
		return "the directory name " + ref.Path
	}
	return "the file name " + ref.Path
}
