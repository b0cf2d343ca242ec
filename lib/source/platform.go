package source

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexDepth bounds how deep nested indexes are walked.
const maxIndexDepth = 8

// maxIndexEntries bounds the descriptors looked at while walking an index tree.
const maxIndexEntries = 10000

var rePlatformPart = BoundedRe{regexp.MustCompile(`^[a-z0-9_.-]+$`), 64}

// ParsePlatform parses "os/arch[/variant]". Errors are exit.Usage.
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	bad := func(why string) (v1.Platform, error) {
		return v1.Platform{}, exit.New(exit.Usage, "--platform %s: %s", quoteShort(s), why).
			WithHint("write the platform as os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8")
	}
	if len(parts) < 2 || len(parts) > 3 {
		return bad("not of the form os/arch[/variant]")
	}
	for _, p := range parts {
		if !rePlatformPart.MatchString(p) {
			return bad(fmt.Sprintf("%q is not a valid os, architecture or variant", p))
		}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// HostPlatform returns the platform ct runs on; arm gets variant v7 and arm64 v8.
func HostPlatform() v1.Platform {
	p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	switch runtime.GOARCH {
	case "arm":
		p.Variant = "v7"
	case "arm64":
		p.Variant = "v8"
	}
	return p
}

// platformString renders p as os/arch[/variant].
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// platformMatches reports whether have satisfies want: same os and
// architecture, and the same variant when want names one. arm64 without a
// variant counts as arm64/v8, arm without one as arm/v7 (containerd's defaults).
func platformMatches(want, have v1.Platform) bool {
	if want.OS != have.OS || want.Architecture != have.Architecture {
		return false
	}
	if want.Variant == "" {
		return true
	}
	hv := have.Variant
	if hv == "" {
		switch have.Architecture {
		case "arm64":
			hv = "v8"
		case "arm":
			hv = "v7" // containerd's default for arm
		}
	}
	return want.Variant == hv
}

// PlatformMatches reports whether an image of platform have satisfies
// --platform want (see platformMatches).
func PlatformMatches(want, have v1.Platform) bool { return platformMatches(want, have) }

// SelectPlatform picks the image for platform p from idx, walking nested
// indexes, and returns it with its descriptor. The first match in index order
// wins. No match is an exit.Usage error listing the platforms available.
func SelectPlatform(idx v1.ImageIndex, p v1.Platform) (v1.Image, v1.Descriptor, error) {
	var avail []string
	seen := map[string]bool{}
	budget := maxIndexEntries
	where := "image index"
	if d, err := idx.Digest(); err == nil {
		where = "image index " + d.String()
	}
	var walk func(ix v1.ImageIndex, depth int) (v1.Image, v1.Descriptor, bool, error)
	walk = func(ix v1.ImageIndex, depth int) (v1.Image, v1.Descriptor, bool, error) {
		if depth > maxIndexDepth {
			return nil, v1.Descriptor{}, false, exit.New(exit.Malformed, "image indexes nested deeper than %d levels", maxIndexDepth).At(where)
		}
		im, err := ix.IndexManifest()
		if err != nil {
			return nil, v1.Descriptor{}, false, asExit(err, where, "cannot read the image index")
		}
		for _, d := range im.Manifests {
			if budget--; budget < 0 {
				return nil, v1.Descriptor{}, false, exit.New(exit.Malformed, "more than %d entries in the image index tree", maxIndexEntries).At(where)
			}
			switch {
			case d.MediaType.IsIndex():
				child, err := ix.ImageIndex(d.Digest)
				if err != nil {
					return nil, v1.Descriptor{}, false, asExit(err, where, "cannot read nested index %s", d.Digest)
				}
				img, desc, ok, err := walk(child, depth+1)
				if err != nil || ok {
					return img, desc, ok, err
				}
			case d.MediaType.IsImage():
				if d.Platform == nil || d.Platform.OS == "unknown" || d.Platform.OS == "" {
					continue // attestations and platform-less entries
				}
				if platformMatches(p, *d.Platform) {
					img, err := ix.Image(d.Digest)
					if err != nil {
						return nil, v1.Descriptor{}, false, asExit(err, where, "cannot read image %s", d.Digest)
					}
					return img, d, true, nil
				}
				// Platforms come from the index: shown, never obeyed by a terminal.
				if s := termsafe.Escape(platformString(*d.Platform)); !seen[s] {
					seen[s] = true
					avail = append(avail, s)
				}
			}
		}
		return nil, v1.Descriptor{}, false, nil
	}
	img, desc, ok, err := walk(idx, 0)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	if !ok {
		sort.Strings(avail)
		list := strings.Join(avail, ", ")
		if list == "" {
			list = "none"
		}
		e := exit.New(exit.Usage, "no image for platform %s; available: %s", platformString(p), list).At(where)
		if len(avail) > 0 {
			return nil, v1.Descriptor{}, e.WithHint("choose one with --platform, e.g. --platform %s", avail[0])
		}
		return nil, v1.Descriptor{}, e.WithHint("the index names no platforms; pick an image by digest instead")
	}
	return img, desc, nil
}

// asExit returns err if it already is an *exit.Error, else wraps it.
func asExit(err error, where, format string, args ...any) error {
	var e *exit.Error
	if errors.As(err, &e) {
		return err
	}
	return exit.Wrap(exit.IO, err, format, args...).At(where)
}
