package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// refNameAnnotation is the OCI annotation holding a layout entry's tag.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// maxLayers bounds the layers of one image manifest.
const maxLayers = 10000

// openLayoutRoot reads oci-layout and index.json of s and resolves ref's tag
// or digest (or the single entry) to a Root. It is shared by oci: and
// oci-archive:, so both give the same descriptors and digests.
func openLayoutRoot(s store, ref *Ref, desc string) (*Root, error) {
	lb, err := readFile(s, "oci-layout", maxManifestSize)
	if err != nil {
		return nil, err
	}
	var ol struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(lb, &ol); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not valid JSON").At(s.where("oci-layout"))
	}
	if !strings.HasPrefix(ol.Version, "1.") {
		return nil, exit.New(exit.Malformed, "unsupported imageLayoutVersion %q (ct reads 1.x)", ol.Version).At(s.where("oci-layout"))
	}
	ib, err := readFile(s, "index.json", maxManifestSize)
	if err != nil {
		return nil, err
	}
	im, err := parseIndex(ib, s.where("index.json"))
	if err != nil {
		return nil, err
	}
	b := layoutBlobs{s}
	d, err := pickLayoutEntry(b, im, ref, desc)
	if err != nil {
		return nil, err
	}
	root := &Root{Ref: ref, Descriptor: d, Close: func() error { return nil }}
	switch {
	case d.MediaType.IsIndex():
		root.Index, err = newBlobIndex(b, d, 0)
	case d.MediaType.IsImage():
		root.Image, err = newBlobImage(b, d)
	default:
		err = unsupportedMediaType(d, b.where(d.Digest))
	}
	if err != nil {
		return nil, err
	}
	return root, nil
}

func unsupportedMediaType(d v1.Descriptor, where string) error {
	if d.MediaType.IsSchema1() {
		return exit.New(exit.Malformed, "Docker schema 1 manifests are not supported").At(where).
			WithHint("convert the image first: skopeo copy --format oci … oci:DIR:TAG")
	}
	return exit.New(exit.Malformed, "unsupported root media type %q (want an OCI/Docker image manifest or index)", d.MediaType).At(where)
}

// parseIndex parses and sanity-checks an OCI index or Docker manifest list.
func parseIndex(b []byte, where string) (*v1.IndexManifest, error) {
	var im v1.IndexManifest
	if err := json.Unmarshal(b, &im); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid image index").At(where)
	}
	if im.SchemaVersion != 2 {
		return nil, exit.New(exit.Malformed, "schemaVersion %d, expected 2", im.SchemaVersion).At(where)
	}
	if len(im.Manifests) > maxIndexEntries {
		return nil, exit.New(exit.Malformed, "more than %d manifests", maxIndexEntries).At(where)
	}
	for i, d := range im.Manifests {
		if d.Size < 0 {
			return nil, exit.New(exit.Malformed, "manifests[%d] has negative size", i).At(where)
		}
		if d.Digest.Algorithm == "" {
			return nil, exit.New(exit.Malformed, "manifests[%d] has no digest", i).At(where)
		}
	}
	return &im, nil
}

// pickLayoutEntry chooses the index.json entry ref asks for.
func pickLayoutEntry(b blobs, im *v1.IndexManifest, ref *Ref, desc string) (v1.Descriptor, error) {
	var cand []v1.Descriptor
	name := ref.layoutName()
	switch {
	case ref.Digest != "":
		for _, d := range im.Manifests {
			if d.Digest.String() == ref.Digest && (name == "" || d.Annotations[refNameAnnotation] == name) {
				cand = append(cand, d)
			}
		}
		if len(cand) == 0 && name == "" {
			// Not at the top: look for it below an index (a platform's manifest).
			if d, ok, err := findNested(b, im, ref.Digest); err != nil {
				return v1.Descriptor{}, err
			} else if ok {
				cand = append(cand, d)
			}
		}
		if len(cand) == 0 {
			return v1.Descriptor{}, exit.New(exit.IO, "no image with digest %s", ref.Digest).At(desc).
				WithHint("available: %s", listEntries(im))
		}
	case name != "":
		for _, d := range im.Manifests {
			if d.Annotations[refNameAnnotation] == name {
				cand = append(cand, d)
			}
		}
		if len(cand) == 0 {
			return v1.Descriptor{}, exit.New(exit.IO, "no image tagged %s", name).At(desc).
				WithHint("available: %s", listEntries(im))
		}
	default:
		if len(im.Manifests) == 0 {
			return v1.Descriptor{}, exit.New(exit.IO, "it holds no image").At(desc).
				WithHint("copy an image into it, e.g. skopeo copy docker://IMAGE %s:TAG", strings.Replace(desc, "OCI layout ", "oci:", 1))
		}
		if len(im.Manifests) > 1 {
			return v1.Descriptor{}, exit.New(exit.Usage, "it holds %d images; name one", len(im.Manifests)).At(desc).
				WithHint("add :TAG or @DIGEST to the source; available: %s", listEntries(im))
		}
		cand = im.Manifests
	}
	for _, d := range cand[1:] {
		if d.Digest != cand[0].Digest {
			return v1.Descriptor{}, exit.New(exit.Malformed, "several different manifests match %s", ref.String()).At(desc).
				WithHint("select by digest instead; available: %s", listEntries(im))
		}
	}
	d := cand[0]
	if d.MediaType == "" {
		// Descriptors must carry a media type, but be lenient: read it.
		raw, err := readBlob(b, d.Digest, d.Size, maxManifestSize)
		if err != nil {
			return v1.Descriptor{}, err
		}
		var probe struct {
			MediaType types.MediaType `json:"mediaType"`
		}
		_ = json.Unmarshal(raw, &probe)
		d.MediaType = probe.MediaType
	}
	return d, nil
}

// findNested walks the indexes below im (bounded) for a descriptor with digest dg.
func findNested(b blobs, im *v1.IndexManifest, dg string) (v1.Descriptor, bool, error) {
	budget := maxIndexEntries
	var walk func(im *v1.IndexManifest, depth int) (v1.Descriptor, bool, error)
	walk = func(im *v1.IndexManifest, depth int) (v1.Descriptor, bool, error) {
		for _, d := range im.Manifests {
			if budget--; budget < 0 || depth > maxIndexDepth {
				return v1.Descriptor{}, false, exit.New(exit.Malformed, "image index tree too large or too deep").At(b.where(d.Digest))
			}
			if d.Digest.String() == dg && depth > 0 {
				return d, true, nil
			}
			if d.MediaType.IsIndex() {
				raw, err := readBlob(b, d.Digest, d.Size, maxManifestSize)
				if err != nil {
					return v1.Descriptor{}, false, err
				}
				child, err := parseIndex(raw, b.where(d.Digest))
				if err != nil {
					return v1.Descriptor{}, false, err
				}
				if r, ok, err := walk(child, depth+1); err != nil || ok {
					return r, ok, err
				}
			}
		}
		return v1.Descriptor{}, false, nil
	}
	return walk(im, 0)
}

// listEntries lists an index's entries as "TAG (DIGEST)" or "DIGEST".
func listEntries(im *v1.IndexManifest) string {
	var out []string
	for i, d := range im.Manifests {
		if i == 20 {
			out = append(out, fmt.Sprintf("… and %d more", len(im.Manifests)-20))
			break
		}
		if t := d.Annotations[refNameAnnotation]; t != "" {
			// Names come from the layout: shown, never obeyed by a terminal.
			out = append(out, fmt.Sprintf("%s (@%s)", termsafe.Escape(t), d.Digest))
		} else {
			out = append(out, "@"+d.Digest.String())
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// blobIndex is a v1.ImageIndex whose manifests come from blobs.
type blobIndex struct {
	b     blobs
	desc  v1.Descriptor
	raw   []byte
	im    *v1.IndexManifest
	depth int
}

var _ v1.ImageIndex = (*blobIndex)(nil)

func newBlobIndex(b blobs, d v1.Descriptor, depth int) (*blobIndex, error) {
	if depth > maxIndexDepth {
		return nil, exit.New(exit.Malformed, "image indexes nested deeper than %d levels", maxIndexDepth).At(b.where(d.Digest))
	}
	raw, err := readBlob(b, d.Digest, d.Size, maxManifestSize)
	if err != nil {
		return nil, err
	}
	im, err := parseIndex(raw, b.where(d.Digest))
	if err != nil {
		return nil, err
	}
	return &blobIndex{b: b, desc: d, raw: raw, im: im, depth: depth}, nil
}

func (x *blobIndex) MediaType() (types.MediaType, error) { return x.desc.MediaType, nil }
func (x *blobIndex) Digest() (v1.Hash, error)            { return x.desc.Digest, nil }
func (x *blobIndex) Size() (int64, error)                { return x.desc.Size, nil }
func (x *blobIndex) RawManifest() ([]byte, error)        { return bytes.Clone(x.raw), nil }
func (x *blobIndex) IndexManifest() (*v1.IndexManifest, error) {
	return x.im.DeepCopy(), nil
}

func (x *blobIndex) find(h v1.Hash) (v1.Descriptor, error) {
	for _, d := range x.im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, exit.New(exit.Malformed, "no manifest %s in the index", h).At(x.b.where(x.desc.Digest))
}

func (x *blobIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.find(h)
	if err != nil {
		return nil, err
	}
	if !d.MediaType.IsImage() {
		return nil, exit.New(exit.Malformed, "manifest %s has media type %q, not an image", h, d.MediaType).At(x.b.where(h))
	}
	return newBlobImage(x.b, d)
}

func (x *blobIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := x.find(h)
	if err != nil {
		return nil, err
	}
	if !d.MediaType.IsIndex() {
		return nil, exit.New(exit.Malformed, "manifest %s has media type %q, not an index", h, d.MediaType).At(x.b.where(h))
	}
	return newBlobIndex(x.b, d, x.depth+1)
}

// blobImage is the partial.CompressedImageCore of an image whose manifest,
// config and layers come from blobs; layers are served as stored.
type blobImage struct {
	b    blobs
	desc v1.Descriptor
	raw  []byte
	m    *v1.Manifest

	cfgOnce sync.Once
	cfg     []byte
	cfgErr  error
}

func newBlobImage(b blobs, d v1.Descriptor) (v1.Image, error) {
	raw, err := readBlob(b, d.Digest, d.Size, maxManifestSize)
	if err != nil {
		return nil, err
	}
	return imageFromManifest(b, d, raw)
}

// imageFromManifest builds a v1.Image from raw manifest bytes whose digest
// and size d already describes.
func imageFromManifest(b blobs, d v1.Descriptor, raw []byte) (v1.Image, error) {
	where := b.where(d.Digest)
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid image manifest").At(where)
	}
	if m.SchemaVersion != 2 {
		return nil, exit.New(exit.Malformed, "schemaVersion %d, expected 2", m.SchemaVersion).At(where)
	}
	if len(m.Layers) > maxLayers {
		return nil, exit.New(exit.Malformed, "more than %d layers", maxLayers).At(where)
	}
	if m.Config.Digest.Algorithm == "" || m.Config.Size < 0 {
		return nil, exit.New(exit.Malformed, "config descriptor without digest or with negative size").At(where)
	}
	for i, l := range m.Layers {
		if l.Digest.Algorithm == "" || l.Size < 0 {
			return nil, exit.New(exit.Malformed, "layers[%d] without digest or with negative size", i).At(where)
		}
	}
	return partial.CompressedToImage(&blobImage{b: b, desc: d, raw: raw, m: m})
}

func (i *blobImage) RawManifest() ([]byte, error) { return bytes.Clone(i.raw), nil }

func (i *blobImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return i.desc.MediaType, nil
}

func (i *blobImage) Descriptor() (*v1.Descriptor, error) {
	d := i.desc
	return &d, nil
}

func (i *blobImage) RawConfigFile() ([]byte, error) {
	i.cfgOnce.Do(func() {
		i.cfg, i.cfgErr = readBlob(i.b, i.m.Config.Digest, i.m.Config.Size, maxConfigSize)
	})
	return bytes.Clone(i.cfg), i.cfgErr
}

func (i *blobImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range i.m.Layers {
		if l.Digest == h {
			return &blobLayer{b: i.b, desc: l}, nil
		}
	}
	if i.m.Config.Digest == h {
		return &blobLayer{b: i.b, desc: i.m.Config}, nil
	}
	return nil, exit.New(exit.Malformed, "no layer %s in the manifest", h).At(i.b.where(i.desc.Digest))
}

// blobLayer serves one layer exactly as stored.
type blobLayer struct {
	b    blobs
	desc v1.Descriptor
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *blobLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *blobLayer) Descriptor() (*v1.Descriptor, error) {
	d := l.desc
	return &d, nil
}

// Compressed returns the stored bytes unchanged, verified against the
// descriptor's size and digest as they stream.
func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	return l.b.openBlob(l.desc.Digest, l.desc.Size)
}

// sortedKeys returns m's keys in order (deterministic messages).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
