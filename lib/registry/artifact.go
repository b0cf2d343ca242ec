package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/source"
)

// Media types and annotations of the bundle artifact (docs/spec/registry.md).
const (
	ArtifactType          = "application/vnd.cerro-torre.bundle.v1"
	ManifestMediaType     = "application/vnd.cerro-torre.manifest.v1+toml"
	SignatureMediaType    = "application/vnd.cerro-torre.signature.v1+toml"
	ProofMediaType        = "application/vnd.cerro-torre.proof.v1+toml" // a transparency proof entry (bundle.md §6.1)
	OCIManifestMediaType  = "application/vnd.oci.image.manifest.v1+json"
	OCIIndexMediaType     = "application/vnd.oci.image.index.v1+json"
	EmptyMediaType        = "application/vnd.oci.empty.v1+json"
	EmptyDigest           = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	TitleAnnotation       = "org.opencontainers.image.title"
	MTimeAnnotation       = "dev.cerro-torre.bundle.mtime"
	MaxArtifactSize       = 1 << 20 // the artifact manifest itself
	maxMTime              = 253402300799
	manifestTitle         = bundle.ManifestName
	signatureEntryDirName = bundle.SignaturesDir
	proofEntryDirName     = bundle.ProofsDir
)

// EmptyConfig is the content of the OCI empty descriptor.
var EmptyConfig = []byte("{}")

// Descriptor is an OCI content descriptor, as written in the artifact.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// artifactManifest is the exact shape ct writes; encoding it with canon.JSON
// gives the same bytes on every run.
type artifactManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Subject       *Descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// Artifact is what a bundle artifact says: the image it is attached to, the
// manifest.toml blob, the signature blobs by entry name, the transparency
// proof blobs by entry name, and the entry mtime.
type Artifact struct {
	Subject    Descriptor
	Manifest   Descriptor   // the manifest.toml layer (no annotations)
	Signatures []SigLayer   // sorted by Name
	Proofs     []SigLayer   // transparency/… entries, sorted by Name, each proving one of Signatures
	ModTime    time.Time    // the bundle's entry mtime, whole seconds
	layers     []Descriptor // as written
}

// SigLayer is one signature or proof entry stored as a layer.
type SigLayer struct {
	Name string // the bundle entry name, signatures/<…> or transparency/<…>
	Descriptor
}

var reTitle = source.BoundedRe{Re: regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`), Max: 255}

var reMTime = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})$`)

// BuildArtifact returns the artifact manifest bytes for a bundle whose
// manifest.toml has descriptor manifest, with the given signature entries
// and transparency proof entries (bundle.md §6.1), attached to subject. The bytes are canonical JSON (RFC 8785): a function of
// the arguments only.
func BuildArtifact(subject Descriptor, manifest []byte, sigs, proofs []bundle.Entry, mtime time.Time) ([]byte, *Artifact, error) {
	a := &Artifact{
		Subject:  Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Manifest: Descriptor{MediaType: ManifestMediaType, Digest: bundle.Digest(manifest), Size: int64(len(manifest))},
		ModTime:  mtime.UTC().Truncate(time.Second),
	}
	for _, e := range sigs {
		a.Signatures = append(a.Signatures, SigLayer{Name: e.Name, Descriptor: Descriptor{
			MediaType: SignatureMediaType, Digest: bundle.Digest(e.Data), Size: int64(len(e.Data))}})
	}
	for _, e := range proofs {
		a.Proofs = append(a.Proofs, SigLayer{Name: e.Name, Descriptor: Descriptor{
			MediaType: ProofMediaType, Digest: bundle.Digest(e.Data), Size: int64(len(e.Data))}})
	}
	b, err := a.Encode()
	return b, a, err
}

// Encode returns the canonical artifact manifest for a.
func (a *Artifact) Encode() ([]byte, error) {
	if !bundle.ValidDigest(a.Subject.Digest) || a.Subject.Size <= 0 {
		return nil, exit.New(exit.Internal, "invalid subject descriptor %v", a.Subject)
	}
	secs := a.ModTime.Unix()
	if a.ModTime.IsZero() {
		secs = 0
	}
	if secs < 0 || secs > maxMTime {
		return nil, exit.New(exit.Usage, "bundle entry mtime %d is out of range", secs)
	}
	sort.Slice(a.Signatures, func(i, j int) bool { return a.Signatures[i].Name < a.Signatures[j].Name })
	if len(a.Signatures) > bundle.MaxSignatures {
		return nil, exit.New(exit.Malformed, "%d signatures, more than %d", len(a.Signatures), bundle.MaxSignatures)
	}
	layers := []Descriptor{{MediaType: ManifestMediaType, Digest: a.Manifest.Digest, Size: a.Manifest.Size,
		Annotations: map[string]string{TitleAnnotation: manifestTitle}}}
	for i, s := range a.Signatures {
		title, ok := strings.CutPrefix(s.Name, signatureEntryDirName)
		if !ok || !reTitle.MatchString(title) {
			return nil, exit.New(exit.Malformed, "signature entry name %q cannot be stored in a registry", s.Name)
		}
		if i > 0 && a.Signatures[i-1].Name == s.Name {
			return nil, exit.New(exit.Malformed, "duplicate signature entry %q", s.Name)
		}
		layers = append(layers, Descriptor{MediaType: SignatureMediaType, Digest: s.Digest, Size: s.Size,
			Annotations: map[string]string{TitleAnnotation: title}})
	}
	sort.Slice(a.Proofs, func(i, j int) bool { return a.Proofs[i].Name < a.Proofs[j].Name })
	if len(a.Proofs) > bundle.MaxProofs {
		return nil, exit.New(exit.Malformed, "%d transparency proofs, more than %d", len(a.Proofs), bundle.MaxProofs)
	}
	for i, p := range a.Proofs {
		title, _ := strings.CutPrefix(p.Name, proofEntryDirName)
		fp, ok := bundle.ProofFingerprint(p.Name)
		if !ok {
			return nil, exit.New(exit.Malformed, "%q is not a transparency proof entry name (transparency/<64 hex>.<16 hex>.proof)", p.Name)
		}
		if !a.hasSignature(signatureEntryDirName + fp + ".sig") {
			return nil, exit.New(exit.Malformed, "proof entry %q proves no signature of the artifact", p.Name)
		}
		if i > 0 && a.Proofs[i-1].Name == p.Name {
			return nil, exit.New(exit.Malformed, "duplicate proof entry %q", p.Name)
		}
		layers = append(layers, Descriptor{MediaType: ProofMediaType, Digest: p.Digest, Size: p.Size,
			Annotations: map[string]string{TitleAnnotation: title}})
	}
	a.layers = layers
	return canon.JSON(artifactManifest{
		SchemaVersion: 2,
		MediaType:     OCIManifestMediaType,
		ArtifactType:  ArtifactType,
		Config:        Descriptor{MediaType: EmptyMediaType, Digest: EmptyDigest, Size: int64(len(EmptyConfig))},
		Layers:        layers,
		Subject:       &a.Subject,
		Annotations:   map[string]string{MTimeAnnotation: strconv.FormatInt(secs, 10)},
	})
}

func (a *Artifact) hasSignature(name string) bool {
	i := sort.Search(len(a.Signatures), func(i int) bool { return a.Signatures[i].Name >= name })
	return i < len(a.Signatures) && a.Signatures[i].Name == name
}

// ProofCount is ", N transparency proof(s)" for status lines after the
// signature count, or "" when there are none.
func ProofCount(proofs []string) string {
	if len(proofs) == 0 {
		return ""
	}
	return ", " + human.Count(len(proofs), "transparency proof")
}

// Layers returns the layer descriptors as written (manifest.toml first).
func (a *Artifact) Layers() []Descriptor { return a.layers }

// ParseArtifact parses an artifact manifest strictly: it must be exactly
// what BuildArtifact writes (canonical JSON, known fields and media types
// only, manifest.toml first, signatures sorted by name, sizes within the
// bundle format's limits). where names it in errors (exit.Malformed).
func ParseArtifact(raw []byte, where string) (*Artifact, error) {
	bad := func(format string, args ...any) error {
		return exit.New(exit.Malformed, "bundle artifact: %s", fmt.Sprintf(format, args...)).At(where).
			WithHint("the artifact was not written by ct push or was altered; push the bundle again")
	}
	if len(raw) > MaxArtifactSize {
		return nil, bad("%d bytes, over the %d-byte limit", len(raw), MaxArtifactSize)
	}
	var m artifactManifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, bad("not a bundle artifact manifest: %v", err)
	}
	if m.SchemaVersion != 2 || m.MediaType != OCIManifestMediaType || m.ArtifactType != ArtifactType {
		return nil, bad("schemaVersion %d, mediaType %q, artifactType %q: want 2, %q, %q",
			m.SchemaVersion, m.MediaType, m.ArtifactType, OCIManifestMediaType, ArtifactType)
	}
	if m.Config.MediaType != EmptyMediaType || m.Config.Digest != EmptyDigest || m.Config.Size != 2 || m.Config.Annotations != nil {
		return nil, bad("config must be the OCI empty descriptor")
	}
	if m.Subject == nil || !bundle.ValidDigest(m.Subject.Digest) || m.Subject.Size <= 0 || m.Subject.Size > bundle.MaxMetaBlobSize || m.Subject.Annotations != nil {
		return nil, bad("missing or invalid subject")
	}
	if len(m.Annotations) != 1 || !reMTime.MatchString(m.Annotations[MTimeAnnotation]) {
		return nil, bad("annotations must be exactly %s with whole seconds", MTimeAnnotation)
	}
	secs, _ := strconv.ParseInt(m.Annotations[MTimeAnnotation], 10, 64)
	if secs > maxMTime {
		return nil, bad("mtime %d out of range", secs)
	}
	if len(m.Layers) == 0 {
		return nil, bad("no layers: manifest.toml is missing")
	}
	if len(m.Layers) > 1+bundle.MaxSignatures+bundle.MaxProofs {
		return nil, bad("%d layers, more than 1 + %d signatures + %d proofs", len(m.Layers), bundle.MaxSignatures, bundle.MaxProofs)
	}
	a := &Artifact{Subject: *m.Subject, ModTime: time.Unix(secs, 0).UTC()}
	for i, l := range m.Layers {
		if !bundle.ValidDigest(l.Digest) || l.Size < 0 || len(l.Annotations) != 1 {
			return nil, bad("layer %d: invalid descriptor", i)
		}
		title := l.Annotations[TitleAnnotation]
		if i == 0 {
			if l.MediaType != ManifestMediaType || title != manifestTitle {
				return nil, bad("layer 0 must be %s (%s)", manifestTitle, ManifestMediaType)
			}
			if l.Size == 0 || l.Size > bundle.MaxManifestSize {
				return nil, bad("manifest.toml of %d bytes (limit %d)", l.Size, bundle.MaxManifestSize)
			}
			a.Manifest = Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size}
			continue
		}
		if l.MediaType == ProofMediaType {
			name := proofEntryDirName + title
			if _, ok := bundle.ProofFingerprint(name); !ok {
				return nil, bad("layer %d: invalid proof title %q (<64 hex>.<16 hex>.proof)", i, title)
			}
			if l.Size > bundle.MaxProofSize {
				return nil, bad("layer %d: proof of %d bytes (limit %d)", i, l.Size, bundle.MaxProofSize)
			}
			a.Proofs = append(a.Proofs, SigLayer{Name: name, Descriptor: Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size}})
			continue
		}
		if l.MediaType != SignatureMediaType {
			return nil, bad("layer %d: unknown media type %q", i, l.MediaType)
		}
		if len(a.Proofs) > 0 {
			return nil, bad("layer %d: a signature after a proof (signatures come first)", i)
		}
		if !reTitle.MatchString(title) {
			return nil, bad("layer %d: invalid signature title %q", i, title)
		}
		if l.Size > bundle.MaxSignatureSize {
			return nil, bad("layer %d: signature of %d bytes (limit %d)", i, l.Size, bundle.MaxSignatureSize)
		}
		a.Signatures = append(a.Signatures, SigLayer{Name: signatureEntryDirName + title,
			Descriptor: Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size}})
	}
	// Exactly what ct writes, nothing else: re-encode and compare.
	want, err := a.Encode()
	if err != nil {
		return nil, bad("%v", err)
	}
	if !bytes.Equal(want, raw) {
		return nil, bad("not in canonical form (signatures, then proofs, each sorted by name; canonical JSON)")
	}
	return a, nil
}
