package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxArchiveImages bounds the entries of a docker-archive manifest.json.
const maxArchiveImages = 1000

// dockerManifestEntry is one element of a docker-archive manifest.json.
type dockerManifestEntry struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// Fixed structs for the synthesized manifest: field order is the JSON order,
// so the bytes (and the digest) are the same on every run.
type synthDescriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type synthManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        synthDescriptor   `json:"config"`
	Layers        []synthDescriptor `json:"layers"`
}

// archiveBlobs serves blobs by digest from named archive entries (the
// docker-archive layout names files after layer ids, not digests).
type archiveBlobs struct {
	s     *archiveStore
	names map[v1.Hash]string
}

func (a *archiveBlobs) where(h v1.Hash) string {
	if n, ok := a.names[h]; ok {
		return a.s.where(n)
	}
	return a.s.where("blob " + h.String())
}

func (a *archiveBlobs) openBlob(h v1.Hash, size int64) (io.ReadCloser, error) {
	n, ok := a.names[h]
	if !ok {
		return nil, exit.New(exit.Malformed, "no entry holds blob %s", h).At(a.s.desc)
	}
	rc, got, err := a.s.open(n)
	if err != nil {
		return nil, err
	}
	return checkedBlob(rc, got, h, size, a.s.where(n))
}

// openDockerArchive resolves a docker-archive's manifest.json entry.
//
// Choice: a Docker ≥ 25 `docker save` archive also holds an OCI layout
// (oci-layout, index.json, blobs/). When it does and the layout contains an
// image manifest whose config is the selected entry's config, that stored
// manifest is used, so the root digest is Docker's own. Otherwise (older
// docker, podman, skopeo archives) an OCI manifest is synthesized
// deterministically from manifest.json, the config and the layer files.
func openDockerArchive(s *archiveStore, ref *Ref) (*Root, error) {
	mb, err := readFile(s, "manifest.json", maxManifestSize)
	if err != nil {
		return nil, err
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(mb, &entries); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid docker-archive manifest").At(s.where("manifest.json"))
	}
	if len(entries) > maxArchiveImages {
		return nil, exit.New(exit.Malformed, "more than %d images", maxArchiveImages).At(s.where("manifest.json"))
	}
	e, err := pickArchiveEntry(entries, ref, s.desc)
	if err != nil {
		return nil, err
	}
	if e.Config == "" {
		return nil, exit.New(exit.Malformed, "image without Config").At(s.where("manifest.json"))
	}
	if len(e.Layers) > maxLayers {
		return nil, exit.New(exit.Malformed, "more than %d layers", maxLayers).At(s.where("manifest.json"))
	}
	cfg, err := readFile(s, e.Config, maxConfigSize)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cfg)
	cfgDigest := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}

	if s.ix.has("oci-layout") && s.ix.has("index.json") {
		if root, ok, err := storedArchiveManifest(s, ref, cfgDigest); err != nil || ok {
			if root != nil {
				root.RepoTags = e.RepoTags
			}
			return root, err
		}
	}

	var cf struct {
		RootFS struct {
			DiffIDs []v1.Hash `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(cfg, &cf); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "config is not valid JSON").At(s.where(e.Config))
	}
	diffIDs := cf.RootFS.DiffIDs
	if len(diffIDs) != len(e.Layers) {
		diffIDs = nil // cannot pair them; hash every layer
	}
	ab := &archiveBlobs{s: s, names: map[v1.Hash]string{cfgDigest: e.Config}}
	m := synthManifest{
		SchemaVersion: 2,
		MediaType:     string(types.OCIManifestSchema1),
		Config:        synthDescriptor{MediaType: string(types.OCIConfigJSON), Digest: cfgDigest.String(), Size: int64(len(cfg))},
		Layers:        make([]synthDescriptor, 0, len(e.Layers)),
	}
	for i, ln := range e.Layers {
		le, err := s.ix.lookup(ln)
		if err != nil {
			_, _, oerr := s.open(ln)
			return nil, oerr
		}
		sec := s.ix.section(le)
		var magic [4]byte
		n, _ := sec.ReadAt(magic[:], 0)
		mt := layerMediaType(magic[:n])
		var dg v1.Hash
		if mt == types.OCIUncompressedLayer && diffIDs != nil && diffIDs[i].Algorithm == "sha256" {
			dg = diffIDs[i] // the diff_id is the sha256 of the uncompressed tar; verified when read
		} else {
			h := sha256.New()
			if _, err := io.Copy(h, sec); err != nil {
				return nil, exit.Wrap(exit.IO, err, "cannot read layer").At(s.where(ln))
			}
			dg = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
		}
		if _, dup := ab.names[dg]; !dup { // a repeated layer: the first name serves
			ab.names[dg] = ln
		}
		m.Layers = append(m.Layers, synthDescriptor{MediaType: string(mt), Digest: dg.String(), Size: le.size})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode the synthesized manifest").At(s.desc)
	}
	msum := sha256.Sum256(raw)
	d := v1.Descriptor{
		MediaType: types.OCIManifestSchema1,
		Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(msum[:])},
		Size:      int64(len(raw)),
	}
	img, err := imageFromManifest(ab, d, raw)
	if err != nil {
		return nil, err
	}
	return &Root{Ref: ref, Descriptor: d, Image: img, RepoTags: e.RepoTags}, nil
}

// layerMediaType picks the OCI layer media type from a file's magic bytes.
func layerMediaType(magic []byte) types.MediaType {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return types.OCILayer
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return types.OCILayerZStd
	}
	return types.OCIUncompressedLayer
}

// pickArchiveEntry selects the manifest.json entry for ref.Name, or the only one.
func pickArchiveEntry(entries []dockerManifestEntry, ref *Ref, desc string) (dockerManifestEntry, error) {
	var tags []string
	for _, e := range entries {
		for _, t := range e.RepoTags {
			tags = append(tags, termsafe.Escape(t)) // from the archive: shown, never obeyed
		}
	}
	list := strings.Join(tags, ", ")
	if len(tags) > 20 {
		list = strings.Join(tags[:20], ", ") + fmt.Sprintf(", … and %d more", len(tags)-20)
	}
	if list == "" {
		list = "none (untagged images)"
	}
	if ref.Name == "" {
		switch len(entries) {
		case 0:
			return dockerManifestEntry{}, exit.New(exit.IO, "it holds no image").At(desc).
				WithHint("export an image into it: docker save -o FILE IMAGE")
		case 1:
			return entries[0], nil
		}
		return dockerManifestEntry{}, exit.New(exit.Usage, "it holds %d images; name one", len(entries)).At(desc).
			WithHint("add :REPO:TAG to the source; available: %s", list)
	}
	// Exact match first, then the same reference after normalization
	// ("nginx:1.26" is "docker.io/library/nginx:1.26").
	for _, e := range entries {
		for _, t := range e.RepoTags {
			if t == ref.Name {
				return e, nil
			}
		}
	}
	if want, err := name.NewTag(ref.Name); err == nil {
		for _, e := range entries {
			for _, t := range e.RepoTags {
				if have, err := name.NewTag(t); err == nil && have.Name() == want.Name() {
					return e, nil
				}
			}
		}
	}
	return dockerManifestEntry{}, exit.New(exit.IO, "no image tagged %s", ref.Name).At(desc).
		WithHint("available: %s", list)
}

// storedArchiveManifest looks in the OCI layout inside a docker-archive for
// an image manifest whose config digest is cfg, and opens it as the root.
func storedArchiveManifest(s *archiveStore, ref *Ref, cfg v1.Hash) (*Root, bool, error) {
	ib, err := readFile(s, "index.json", maxManifestSize)
	if err != nil {
		return nil, false, err
	}
	im, err := parseIndex(ib, s.where("index.json"))
	if err != nil {
		return nil, false, err
	}
	b := layoutBlobs{s}
	budget := maxIndexEntries
	var walk func(im *v1.IndexManifest, depth int) (*Root, bool, error)
	walk = func(im *v1.IndexManifest, depth int) (*Root, bool, error) {
		for _, d := range im.Manifests {
			if budget--; budget < 0 || depth > maxIndexDepth {
				return nil, false, exit.New(exit.Malformed, "image index tree too large or too deep").At(s.where("index.json"))
			}
			n, err := blobName(d.Digest)
			if err != nil || !s.ix.has(n) {
				continue // docker save leaves out other platforms' manifests
			}
			switch {
			case d.MediaType.IsImage():
				raw, err := readBlob(b, d.Digest, d.Size, maxManifestSize)
				if err != nil {
					return nil, false, err
				}
				m, err := v1.ParseManifest(bytes.NewReader(raw))
				if err != nil || m.Config.Digest != cfg {
					continue
				}
				img, err := imageFromManifest(b, d, raw)
				if err != nil {
					return nil, false, err
				}
				return &Root{Ref: ref, Descriptor: d, Image: img}, true, nil
			case d.MediaType.IsIndex():
				raw, err := readBlob(b, d.Digest, d.Size, maxManifestSize)
				if err != nil {
					return nil, false, err
				}
				child, err := parseIndex(raw, b.where(d.Digest))
				if err != nil {
					return nil, false, err
				}
				if r, ok, err := walk(child, depth+1); err != nil || ok {
					return r, ok, err
				}
			}
		}
		return nil, false, nil
	}
	return walk(im, 0)
}
