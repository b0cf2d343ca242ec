package bundle

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/cerro-torre/ct/lib/canon"
)

// The files after manifest.toml are functions of it: a writer computes them,
// a reader recomputes them and demands identical bytes. That way the one
// signed file, manifest.toml, commits to the whole bundle.

// Summary is the content of summary.json.
type Summary struct {
	Format         int            `json:"format"`
	Package        SummaryPackage `json:"package"`
	Image          SummaryImage   `json:"image"`
	ManifestDigest string         `json:"manifestDigest"`
	Entries        []SummaryEntry `json:"entries"`
}

// SummaryPackage repeats the package name and version.
type SummaryPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// SummaryImage repeats the root image's digest and media type.
type SummaryImage struct {
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
}

// SummaryEntry is one tar entry with its digest.
type SummaryEntry struct {
	Path      string `json:"path"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType,omitempty"`
	Role      string `json:"role,omitempty"`
}

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// LayoutBytes returns the oci-layout file.
func LayoutBytes() []byte {
	b, _ := canon.JSON(map[string]string{"imageLayoutVersion": layoutVersion})
	return b
}

type ociDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Manifests     []ociDescriptor `json:"manifests"`
}

// IndexBytes returns the OCI layout's index.json for m: the root image,
// tagged with the package version so that `skopeo copy oci:DIR:VERSION …`
// finds it in an extracted bundle, then each attestation manifest (untagged,
// with its artifactType) in digest order, so that OCI 1.1 tools find them
// as referrers of the image (attestations.md §4.4).
func IndexBytes(m *Manifest) ([]byte, error) {
	return canon.JSON(ociIndex{
		SchemaVersion: 2,
		MediaType:     mediaTypeIndex,
		Manifests: append([]ociDescriptor{{
			MediaType:   m.Image.MediaType,
			Digest:      m.Image.Digest,
			Size:        m.Image.Size,
			Annotations: map[string]string{ociRefNameAnno: m.Package.Version},
		}}, append(attestationIndexEntries(m), referrerIndexEntries(m)...)...),
	})
}

// SummaryBytes returns summary.json for m, whose canonical bytes are
// manifestBytes.
func SummaryBytes(m *Manifest, manifestBytes []byte) ([]byte, error) {
	layout := LayoutBytes()
	index, err := IndexBytes(m)
	if err != nil {
		return nil, err
	}
	mdig := Digest(manifestBytes)
	s := Summary{
		Format:         FormatVersion,
		Package:        SummaryPackage{m.Package.Name, m.Package.Version},
		Image:          SummaryImage{m.Image.Digest, m.Image.MediaType},
		ManifestDigest: mdig,
		Entries: []SummaryEntry{
			{Path: ManifestName, Digest: mdig, Size: int64(len(manifestBytes))},
			{Path: LayoutName, Digest: Digest(layout), Size: int64(len(layout))},
			{Path: IndexName, Digest: Digest(index), Size: int64(len(index))},
		},
	}
	for _, b := range m.Blobs {
		s.Entries = append(s.Entries, SummaryEntry{Path: b.Path(), Digest: b.Digest, Size: b.Size, MediaType: b.MediaType, Role: b.Role})
	}
	return canon.JSON(s)
}
