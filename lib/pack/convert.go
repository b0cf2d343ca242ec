package pack

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/canon"
)

// Docker schema 2 → OCI conversion (docs/spec/bundle.md §3.1, "Docker
// schema 2 images"). Only the manifest and index JSON change: the config and
// layer blobs keep their bytes and digests, their descriptors get the OCI
// media type of the same content. The output is the canonical JSON (RFC
// 8785) of the converted document, so every packer that follows the spec
// writes the same bytes, and so the same digest, for the same source.

// layerTypes maps the Docker layer media types to their OCI equivalents.
// OCI media types found in a Docker manifest are kept. Foreign layers are
// not converted: ct refuses them anyway (they are not distributable).
var layerTypes = map[types.MediaType]types.MediaType{
	types.DockerLayer:             types.OCILayer,
	types.DockerUncompressedLayer: types.OCIUncompressedLayer,
	types.OCILayer:                types.OCILayer,
	types.OCILayerZStd:            types.OCILayerZStd,
	types.OCIUncompressedLayer:    types.OCIUncompressedLayer,
}

var reConvDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// convDescriptor is a descriptor as both formats write it. Members other
// than these make the conversion fail: nothing is dropped silently.
type convDescriptor struct {
	MediaType   types.MediaType   `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *convPlatform     `json:"platform,omitempty"`
	// ArtifactType appears in index entries (go-containerregistry, hence
	// crane, writes the config's media type there).
	ArtifactType types.MediaType `json:"artifactType,omitempty"`
}

type convPlatform struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
	Variant      string   `json:"variant,omitempty"`
}

type convManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	Config        convDescriptor    `json:"config"`
	Layers        []convDescriptor  `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type convIndex struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	Manifests     []convDescriptor  `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// strictDecode decodes data into v, refusing members v does not know and
// trailing data.
func strictDecode(data []byte, v any) error {
	// encoding/json alone takes the last of duplicate keys and matches
	// "LAYERS" for "layers": a converted manifest must mean what every
	// other reader of the source reads (bundle.md §3, "The image graph").
	if err := bundle.StrictJSON(data); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON document")
	}
	return nil
}

func checkDescriptor(what string, d convDescriptor) error {
	if !reConvDigest.MatchString(d.Digest) {
		return fmt.Errorf("%s: digest %q is not sha256", what, d.Digest)
	}
	if d.Size < 0 {
		return fmt.Errorf("%s: negative size", what)
	}
	return nil
}

// ConvertManifest returns the OCI image manifest for the Docker schema 2
// image manifest raw: mediaType application/vnd.oci.image.manifest.v1+json,
// the config's media type application/vnd.oci.image.config.v1+json, each
// Docker layer type replaced by its OCI equivalent; digests, sizes and
// annotations unchanged.
func ConvertManifest(raw []byte) ([]byte, error) {
	var m convManifest
	if err := strictDecode(raw, &m); err != nil {
		return nil, fmt.Errorf("not a Docker schema 2 manifest ct can convert: %w", err)
	}
	if m.SchemaVersion != 2 || m.MediaType != types.DockerManifestSchema2 {
		return nil, fmt.Errorf("not a Docker schema 2 manifest (schemaVersion %d, mediaType %q)", m.SchemaVersion, m.MediaType)
	}
	if m.Config.MediaType != types.DockerConfigJSON {
		return nil, fmt.Errorf("config media type %q is not a Docker image config", m.Config.MediaType)
	}
	if err := checkDescriptor("config", m.Config); err != nil {
		return nil, err
	}
	if m.Config.Platform != nil || m.Config.ArtifactType != "" {
		return nil, fmt.Errorf("config descriptor has a platform or artifactType")
	}
	m.Config.MediaType = types.OCIConfigJSON
	for i := range m.Layers {
		l := &m.Layers[i]
		oci, ok := layerTypes[l.MediaType]
		if !ok {
			return nil, fmt.Errorf("layers[%d]: no OCI equivalent for media type %q", i, l.MediaType)
		}
		if err := checkDescriptor(fmt.Sprintf("layers[%d]", i), *l); err != nil {
			return nil, err
		}
		if l.Platform != nil || l.ArtifactType != "" {
			return nil, fmt.Errorf("layers[%d] has a platform or artifactType", i)
		}
		l.MediaType = oci
	}
	if m.Layers == nil {
		m.Layers = []convDescriptor{}
	}
	m.MediaType = types.OCIManifestSchema1
	return canon.JSON(m)
}

// ConvertIndex returns the OCI image index for the Docker manifest list raw.
// Entries whose digest is a key of replaced (children that were converted
// themselves) take that descriptor's digest, size and media type, and an
// artifactType of the Docker config type becomes the OCI config type; the
// other entries must already be OCI. Platforms and annotations are kept.
func ConvertIndex(raw []byte, replaced map[string]v1.Descriptor) ([]byte, error) {
	var x convIndex
	if err := strictDecode(raw, &x); err != nil {
		return nil, fmt.Errorf("not a Docker manifest list ct can convert: %w", err)
	}
	if x.SchemaVersion != 2 || x.MediaType != types.DockerManifestList {
		return nil, fmt.Errorf("not a Docker manifest list (schemaVersion %d, mediaType %q)", x.SchemaVersion, x.MediaType)
	}
	for i := range x.Manifests {
		d := &x.Manifests[i]
		if err := checkDescriptor(fmt.Sprintf("manifests[%d]", i), *d); err != nil {
			return nil, err
		}
		if r, ok := replaced[d.Digest]; ok {
			d.Digest, d.Size, d.MediaType = r.Digest.String(), r.Size, r.MediaType
			if d.ArtifactType == types.DockerConfigJSON {
				d.ArtifactType = types.OCIConfigJSON // the converted manifest's config type
			}
			continue
		}
		switch d.MediaType {
		case types.OCIManifestSchema1, types.OCIImageIndex:
		default:
			return nil, fmt.Errorf("manifests[%d]: media type %q has no OCI form", i, d.MediaType)
		}
	}
	if x.Manifests == nil {
		x.Manifests = []convDescriptor{}
	}
	x.MediaType = types.OCIImageIndex
	return canon.JSON(x)
}

// descriptorOf describes converted bytes.
func descriptorOf(b []byte, mt types.MediaType, platform *v1.Platform) v1.Descriptor {
	s := sha256.Sum256(b)
	return v1.Descriptor{MediaType: mt, Size: int64(len(b)), Platform: platform,
		Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}}
}

// FormatNote returns what a packer tells the user about the image format of
// the bundle m describes, or "" when there is nothing to say: that a Docker
// image was converted (its digest changed: old and new), or that it was kept
// in Docker format (which install paths then fail).
func FormatNote(m *bundle.Manifest) string {
	switch {
	case m.Image.SourceDigest != "":
		return fmt.Sprintf("converted the Docker schema 2 image %s to OCI media types: the bundled image's digest is %s "+
			"(layers and config unchanged; the original digest is recorded as image.source_digest; "+
			"--keep-docker-format keeps it instead)", m.Image.SourceDigest, m.Image.Digest)
	case m.Image.MediaType == string(types.DockerManifestSchema2) || m.Image.MediaType == string(types.DockerManifestList):
		return fmt.Sprintf("kept the Docker schema 2 image %s as it is: OCI tools that accept only OCI media types in a "+
			"layout (skopeo, podman, umoci and oci-image-tool as in Debian 12) cannot install it from the extracted bundle "+
			"(tar -x, oci:DIR:VERSION) or from ct import --to oci:; ct import --to docker:// or docker-archive: and ct push work",
			m.Image.Digest)
	}
	return ""
}
