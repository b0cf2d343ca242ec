package pack

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/source"
)

// bundleArtifactType is ct push's bundle artifact (registry.md §2): a
// referrer ct fetch reads, not a supply-chain claim worth copying. The
// listing's artifactType is the registry's word (or, in the referrers tag
// schema, anyone's who can push): bundle.ParseCopiedManifest checks the
// manifest itself.
const bundleArtifactType = bundle.CTBundleArtifactType

// maxReferrersExamined bounds how many listed referrers are examined (each
// costs a request): the list is the registry's, or in the referrers tag
// schema anyone's who can push, and may name thousands of digests that
// are missing or malformed, each skipped, never copied (referrers.md §3).
const maxReferrersExamined = 4 * bundle.MaxReferrers

// maxReferrerBlobChecks bounds the blob size checks (one HEAD each) of a
// whole pack: without it, 256 examined referrers of 256 blobs each would
// be 65536 requests that anyone who can push could ask for.
const maxReferrerBlobChecks = 4 * maxReferrerBlobs

// maxReferrerBlobs bounds the config and layers of one copied manifest, so
// that checking they exist is bounded too (referrers.md §3).
const maxReferrerBlobs = 256

// CopiedReferrer is one supply-chain artifact of the source copied into the
// bundle (docs/spec/referrers.md).
type CopiedReferrer struct {
	Role         string `json:"role"` // referrer, cosign-sig, cosign-att, cosign-sbom
	Digest       string `json:"digest"`
	MediaType    string `json:"mediaType"`
	ArtifactType string `json:"artifactType,omitempty"`
	Tag          string `json:"tag,omitempty"` // cosign's tag, for the cosign roles
	Blobs        int    `json:"blobs"`         // config and layers, counted once each
	Bytes        int64  `json:"bytes"`         // the manifest and its blobs
}

// SkippedReferrer is an artifact of the source that was not copied, and why.
type SkippedReferrer struct {
	Digest string `json:"digest,omitempty"`
	Tag    string `json:"tag,omitempty"`
	Reason string `json:"reason"`
}

// Referrers says what --with-referrers copied and skipped.
type Referrers struct {
	Copied  []CopiedReferrer  `json:"copied"`
	Skipped []SkippedReferrer `json:"skipped"`
}

// AddReferrers copies the source image's own supply-chain artifacts into
// the plan (referrers.md §3): cosign's sha256-<hex>.sig, .att and .sbom
// manifests, then the OCI referrers of the image (referrers API, else the
// referrers tag schema), each with its config and layers, within the
// bounds of bundle.MaxReferrers, MaxReferrerManifest, MaxReferrerBlob and
// MaxReferrerTotal. What does not fit, or is not an image manifest about
// this image, is skipped with a reason, never read unbounded.
func (p *Plan) AddReferrers(root *source.Root, opts source.Options) (*Referrers, error) {
	ref := root.Ref
	m := p.Manifest
	if ref.Transport != source.TransportDocker {
		return nil, exit.New(exit.Usage, "--with-referrers copies what a registry attached to the image; %s is not a registry source", ref.Transport).
			At(ref.Given).WithHint("pack from the registry: ct pack --with-referrers REGISTRY/REPO:TAG")
	}
	if m.Image.SourceDigest != "" {
		return nil, exit.New(exit.Usage, "--with-referrers: the image was converted from Docker schema 2 (%s became %s), and the source's signatures and attestations name %s", m.Image.SourceDigest, m.Image.Digest, m.Image.SourceDigest).
			At(ref.Given).WithHint("keep the image as it is so that they still apply: ct pack --with-referrers --keep-docker-format %s", ref.Given)
	}
	repo, err := name.NewRepository(ref.Registry+"/"+ref.Repository, source.NameOptions(ref, opts)...)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "not a valid repository").At(ref.Given)
	}
	ropts := source.RemoteOptions(opts)
	classify := func(err error) error { return source.ClassifyError(ref, err) }
	out := &Referrers{Copied: []CopiedReferrer{}, Skipped: []SkippedReferrer{}}
	var total int64
	checks := 0 // blob size checks so far (maxReferrerBlobChecks)
	for _, b := range m.Blobs {
		if b.Role == bundle.RoleReferrerBlob {
			total += b.Size
		}
	}
	taken := map[string]bool{}

	// copyOne adds one manifest and its blobs, or says why not.
	copyOne := func(role string, desc v1.Descriptor, tag string) (string, error) {
		d := desc.Digest.String()
		if len(out.Copied) >= bundle.MaxReferrers {
			return fmt.Sprintf("over the limit of %d copied manifests", bundle.MaxReferrers), nil
		}
		mt := string(desc.MediaType)
		if mt != bundle.MediaTypeManifest && (mt != bundle.MediaTypeDockerManifest || role == bundle.RoleReferrer) {
			return fmt.Sprintf("media type %s is not an image manifest of a kind a %s may be", mt, role), nil
		}
		if desc.Size > bundle.MaxReferrerManifest {
			return fmt.Sprintf("a manifest of %d bytes, over the %d-byte limit", desc.Size, bundle.MaxReferrerManifest), nil
		}
		if _, ok := p.open[d]; ok {
			return "the bundle lists this digest already", nil
		}
		// By digest: lib/regnet bounds the response and checks it
		// against the digest as it streams.
		got, err := remote.Get(repo.Digest(d), ropts...)
		if err != nil {
			if source.IsNotFound(err) {
				// Anyone who can push can list a digest in the tag schema.
				return "listed, but the registry does not have it", nil
			}
			return "", classify(err)
		}
		raw := got.Manifest
		if bundle.Digest(raw) != d {
			return "", exit.New(exit.HashMismatch, "tampering: the registry serves %d bytes with digest %s for %s", len(raw), bundle.Digest(raw), d).
				At("registry " + repo.Name() + "@" + d)
		}
		if int64(len(raw)) != desc.Size {
			// The content is the digest's; the listing is wrong about its
			// size. In the referrers tag schema anyone who can push writes
			// the listing: a skip, not a failed pack (referrers.md §3).
			return fmt.Sprintf("listed as %d bytes, but the manifest with that digest is %d bytes", desc.Size, len(raw)), nil
		}
		blobs, err := bundle.ParseCopiedManifest(role, mt, raw, m.Image)
		if err != nil {
			return err.Error(), nil
		}
		if len(blobs) > maxReferrerBlobs {
			return fmt.Sprintf("%d blobs, more than the %d a copied manifest may have", len(blobs), maxReferrerBlobs), nil
		}
		var add []bundle.CopiedBlob
		var size int64
		seen := map[string]bool{}
		for _, b := range blobs {
			if _, ok := p.open[b.Digest]; ok || seen[b.Digest] {
				continue
			}
			seen[b.Digest] = true
			if b.Size > bundle.MaxReferrerBlob {
				return fmt.Sprintf("blob %s of %d bytes, over the %d-byte limit", b.Digest, b.Size, bundle.MaxReferrerBlob), nil
			}
			add = append(add, b)
			size += b.Size
		}
		if total+size > bundle.MaxReferrerTotal {
			return fmt.Sprintf("its blobs (%d bytes) would take the copied blobs over the %d-byte limit", size, bundle.MaxReferrerTotal), nil
		}
		// Each blob must be there: a missing one would fail the pack
		// halfway, and a stranger could make every pack fail that way.
		if checks+len(add) > maxReferrerBlobChecks {
			return fmt.Sprintf("checking its %d blobs would take the pack over %d blob checks", len(add), maxReferrerBlobChecks), nil
		}
		checks += len(add)
		for _, b := range add {
			l, err := remote.Layer(repo.Digest(b.Digest), ropts...)
			var n int64
			if err == nil {
				n, err = l.Size() // a HEAD of the blob
			}
			if err != nil {
				if source.IsNotFound(err) || isBlobUnknown(err) {
					return fmt.Sprintf("its blob %s is not in the registry", b.Digest), nil
				}
				return "", classify(err)
			}
			if n != b.Size {
				// The manifest (anyone's who can push) names the blob
				// with a wrong size: it would fail the pack halfway.
				return fmt.Sprintf("its blob %s is %d bytes in the registry, not the %d its manifest says", b.Digest, n, b.Size), nil
			}
		}
		total += size
		for _, b := range add {
			h, _ := v1.NewHash(b.Digest)
			bd := v1.Descriptor{MediaType: types.MediaType(b.MediaType), Digest: h, Size: b.Size}
			role := bundle.RoleReferrerBlob
			if b.Digest == bundle.EmptyDigest {
				// The empty config {} is listed as attestations list it
				// (referrers.md §1), so that ct attest can add one later.
				bd.MediaType, role = bundle.MediaTypeEmpty, bundle.RoleConfig
			}
			p.add(bd, role, func() (io.ReadCloser, error) {
				l, err := remote.Layer(repo.Digest(b.Digest), ropts...)
				if err != nil {
					return nil, err
				}
				return l.Compressed()
			})
		}
		p.add(desc, role, rawOpener(func() ([]byte, error) { return raw, nil }))
		taken[d] = true
		out.Copied = append(out.Copied, CopiedReferrer{Role: role, Digest: d, MediaType: mt, ArtifactType: bundle.CopiedArtifactType(raw, role),
			Tag: tag, Blobs: len(blobs), Bytes: desc.Size + size})
		return "", nil
	}

	// 1. cosign's tags.
	for _, role := range []string{bundle.RoleCosignSig, bundle.RoleCosignAtt, bundle.RoleCosignSBOM} {
		tag := bundle.CosignTag(m.Image.Digest, role)
		desc, err := remote.Head(repo.Tag(tag), ropts...)
		if err != nil {
			if source.IsNotFound(err) {
				continue
			}
			return nil, classify(err)
		}
		taken[desc.Digest.String()] = true
		why, err := copyOne(role, *desc, tag)
		if err != nil {
			return nil, err
		}
		if why != "" {
			out.Skipped = append(out.Skipped, SkippedReferrer{Digest: desc.Digest.String(), Tag: tag, Reason: why})
		}
	}

	// 2. OCI referrers: the referrers API, else the tag schema (ggcr).
	h, _ := v1.NewHash(m.Image.Digest)
	idx, err := remote.Referrers(repo.Digest(h.String()), ropts...)
	if err != nil {
		return nil, classify(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, classify(err)
	}
	list := append([]v1.Descriptor(nil), im.Manifests...)
	sort.Slice(list, func(i, j int) bool { return list[i].Digest.String() < list[j].Digest.String() })
	examined := 0
	for i, desc := range list {
		d := desc.Digest.String()
		if taken[d] || !bundle.ValidDigest(d) {
			continue
		}
		if len(out.Copied) >= bundle.MaxReferrers {
			out.Skipped = append(out.Skipped, SkippedReferrer{Reason: fmt.Sprintf("%d more referrers not read: at most %d manifests are copied", len(list)-i, bundle.MaxReferrers)})
			break
		}
		if examined >= maxReferrersExamined {
			out.Skipped = append(out.Skipped, SkippedReferrer{Reason: fmt.Sprintf("%d more referrers not read: at most %d listed referrers are examined", len(list)-i, maxReferrersExamined)})
			break
		}
		examined++
		taken[d] = true
		why := ""
		if desc.ArtifactType == bundleArtifactType {
			why = "a ct bundle artifact (ct fetch reads it; it is not a claim about the image)"
		} else if why, err = copyOne(bundle.RoleReferrer, desc, ""); err != nil {
			return nil, err
		}
		if why != "" {
			out.Skipped = append(out.Skipped, SkippedReferrer{Digest: d, Reason: why})
		}
	}
	m.SortBlobs()
	if err := m.Validate(); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the copied referrers cannot be described in the bundle").At(ref.Given)
	}
	return out, nil
}

// isBlobUnknown reports whether a registry said there is no such blob.
func isBlobUnknown(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		for _, d := range te.Errors {
			if d.Code == transport.BlobUnknownErrorCode {
				return true
			}
		}
	}
	return false
}
