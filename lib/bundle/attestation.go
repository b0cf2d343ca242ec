package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// Attestations inside a bundle (docs/spec/attestations.md §4): each is an
// OCI 1.1 artifact manifest (role "attestation") whose subject is the image
// root, whose config is the empty descriptor (role "config") and whose one
// layer is a DSSE envelope (role "envelope"). manifest.toml lists all three
// kinds of blob, so the bundle's signatures cover them.
const (
	RoleAttestation = "attestation"
	RoleEnvelope    = "envelope"
	// A pending attestation (attestations.md §9) is an unsigned statement
	// (role "statement") under an artifact manifest of its own role, which
	// the first signing step replaces by a signed attestation.
	RolePending   = "pending-attestation"
	RoleStatement = "statement"

	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeEmpty    = "application/vnd.oci.empty.v1+json"
	MediaTypeEnvelope = "application/vnd.dsse.envelope.v1+json"
	// ArtifactType is the artifactType of every attestation manifest.
	ArtifactType = MediaTypeEnvelope
	// MediaTypeStatement is the media type of a pending attestation's
	// statement and the artifactType of its manifest.
	MediaTypeStatement  = "application/vnd.in-toto+json"
	PendingArtifactType = MediaTypeStatement

	// EmptyDigest is the digest of the two bytes "{}", the empty config.
	EmptyDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

	// Annotations of an attestation manifest.
	AnnoPredicateType = "in-toto.io/predicate-type"
	AnnoSignerSuite   = "dev.cerro-torre.signer.suite"
	AnnoSignerFP      = "dev.cerro-torre.signer.fingerprint"
	AnnoSignerKey     = "dev.cerro-torre.signer.public-key"

	MaxAttestations        = 64       // attestation manifests in one bundle
	MaxAttestationManifest = 16 << 10 // one attestation manifest
	MaxEnvelopeSize        = 16 << 20 // one DSSE envelope
	// MaxStatementSize bounds a pending statement so that the envelope
	// ct sign makes of it (the statement in base64, 4/3 of it, plus the
	// signature and framing, under 64 KiB even for CT-SIG-02) fits
	// MaxEnvelopeSize: a pending attestation a reader accepts can always
	// be signed (attestations.md §9).
	MaxStatementSize        = (MaxEnvelopeSize - 64<<10) / 4 * 3
	MaxEnvelopeTotal        = 64 << 20 // all envelopes of a bundle together
	MaxPredicateTypeLen     = 1024
	maxAttestationPublicKey = 4096 // base64 characters: a CT-SIG-02 key is 3500
)

// EmptyConfig is the content of the empty config blob.
var EmptyConfig = []byte("{}")

// ValidPredicateType reports whether s may be a predicate type: 1 to 1024 printable ASCII characters, no space.
func ValidPredicateType(s string) bool {
	if len(s) == 0 || len(s) > MaxPredicateTypeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Attestation is one attestation manifest as a bundle lists it, with the
// envelope it names, read after the last blob.
type Attestation struct {
	Digest        string // the attestation manifest's digest
	PredicateType string // its in-toto.io/predicate-type annotation
	SignerSuite   string
	SignerFP      string // 64 lowercase hex
	SignerKey     string // standard base64 of the raw public key
	// Envelope is the artifact's one layer: the DSSE envelope, or for a
	// pending attestation the statement.
	Envelope     Blob
	EnvelopeData []byte // nil when the layer did not match its digest
	// Pending marks a pending attestation (attestations.md §9): the layer
	// is an unsigned statement and the Signer* members are empty.
	Pending bool
}

// AttestationSigner names the signer of an attestation in its manifest's
// annotations (attestations.md §4.2).
type AttestationSigner struct {
	Suite       string
	Fingerprint string // 64 lowercase hex
	PublicKey   string // standard base64
}

type artifactManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        ociDescriptor     `json:"config"`
	Layers        []ociDescriptor   `json:"layers"`
	Subject       ociDescriptor     `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// AttestationManifest returns the canonical JSON (RFC 8785) of the
// attestation manifest for an envelope of the given digest and size about
// the root image of m (attestations.md §4.1). Writers emit exactly these
// bytes, and readers accept nothing else.
func AttestationManifest(m *Manifest, envelopeDigest string, envelopeSize int64, predicateType string, s AttestationSigner) ([]byte, error) {
	return artifactManifestJSON(m, ArtifactType, ociDescriptor{MediaType: MediaTypeEnvelope, Digest: envelopeDigest, Size: envelopeSize},
		predicateType, map[string]string{AnnoSignerSuite: s.Suite, AnnoSignerFP: s.Fingerprint, AnnoSignerKey: s.PublicKey})
}

// PendingManifest returns the canonical JSON of the artifact manifest of a
// pending attestation (attestations.md §9.1): as AttestationManifest, with
// the statement as its layer, artifactType application/vnd.in-toto+json
// and the predicate-type annotation alone.
func PendingManifest(m *Manifest, statementDigest string, statementSize int64, predicateType string) ([]byte, error) {
	return artifactManifestJSON(m, PendingArtifactType, ociDescriptor{MediaType: MediaTypeStatement, Digest: statementDigest, Size: statementSize},
		predicateType, map[string]string{})
}

// artifactManifestJSON is the canonical JSON of an artifact manifest about
// the root image of m with the one layer given, annotated with the predicate
// type and the extra annotations anno (which it takes over).
func artifactManifestJSON(m *Manifest, artifactType string, layer ociDescriptor, predicateType string, anno map[string]string) ([]byte, error) {
	if !ValidPredicateType(predicateType) {
		return nil, exit.New(exit.Usage, "predicate type %q is not 1 to %d printable ASCII characters", predicateType, MaxPredicateTypeLen)
	}
	anno[AnnoPredicateType] = predicateType
	return canon.JSON(artifactManifest{
		SchemaVersion: 2,
		MediaType:     MediaTypeManifest,
		ArtifactType:  artifactType,
		Config:        ociDescriptor{MediaType: MediaTypeEmpty, Digest: EmptyDigest, Size: 2},
		Layers:        []ociDescriptor{layer},
		Subject:       ociDescriptor{MediaType: m.Image.MediaType, Digest: m.Image.Digest, Size: m.Image.Size},
		Annotations:   anno,
	})
}

// AddPending returns a copy of m that also lists a pending attestation: the
// statement, its manifest and the empty config (unless listed already).
func AddPending(m *Manifest, statement, manifest []byte) (*Manifest, error) {
	return addArtifact(m, []Blob{
		{Digest: Digest(statement), Size: int64(len(statement)), MediaType: MediaTypeStatement, Role: RoleStatement},
		{Digest: Digest(manifest), Size: int64(len(manifest)), MediaType: MediaTypeManifest, Role: RolePending},
	})
}

// HasPending reports whether m lists a pending attestation.
func (m *Manifest) HasPending() bool { return m.PendingCount() > 0 }

// PendingCount returns the number of pending attestations m lists.
func (m *Manifest) PendingCount() int {
	n := 0
	for _, b := range m.Blobs {
		if b.Role == RolePending {
			n++
		}
	}
	return n
}

// RemovePending returns a copy of m without its pending attestations (their
// manifests and statements). The empty config stays listed: the signed
// attestations that replace them use it.
func RemovePending(m *Manifest) *Manifest {
	out := *m
	out.Blobs = nil
	for _, b := range m.Blobs {
		if b.Role == RolePending || b.Role == RoleStatement {
			continue
		}
		out.Blobs = append(out.Blobs, b)
	}
	return &out
}

// AddAttestation returns a copy of m that also lists an attestation: the
// envelope, its manifest and the empty config (unless listed already), in
// digest order. It refuses a second attestation with the same manifest.
func AddAttestation(m *Manifest, envelope, manifest []byte) (*Manifest, error) {
	return addArtifact(m, []Blob{
		{Digest: Digest(envelope), Size: int64(len(envelope)), MediaType: MediaTypeEnvelope, Role: RoleEnvelope},
		{Digest: Digest(manifest), Size: int64(len(manifest)), MediaType: MediaTypeManifest, Role: RoleAttestation},
	})
}

func addArtifact(m *Manifest, add []Blob) (*Manifest, error) {
	out := *m
	out.Blobs = append([]Blob(nil), m.Blobs...)
	if b, ok := m.Blob(EmptyDigest); !ok {
		add = append(add, Blob{Digest: EmptyDigest, Size: 2, MediaType: MediaTypeEmpty, Role: RoleConfig})
	} else if b.Role != RoleConfig || b.MediaType != MediaTypeEmpty || b.Size != 2 {
		// A bundle lists each blob once, and the reader requires the empty
		// config of an attestation to be listed as one (attestations.md);
		// refuse here rather than write a bundle the reader rejects.
		return nil, exit.New(exit.Malformed, "the image itself uses the empty blob %s as a %s (%s), and a bundle lists each blob once: an attestation, whose config is that blob, cannot be added", EmptyDigest, b.Role, b.MediaType).
			WithHint("attest an image that does not carry the 2-byte blob {} in another role")
	}
	for _, b := range add {
		if old, ok := m.Blob(b.Digest); ok {
			if !carriedCopyOf(old.Role, b.Role) {
				return nil, exit.New(exit.Usage, "the bundle already lists blob %s (%s): this attestation is there already", b.Digest, old.Role)
			}
			// The same bytes, carried as a copied artifact of the source
			// (ct pack --with-referrers of an image whose attestations
			// ct pushed): a blob is listed once, in its other role
			// (referrers.md §1), so it becomes the attestation's.
			for i := range out.Blobs {
				if out.Blobs[i].Digest == b.Digest {
					out.Blobs[i] = b
				}
			}
			continue
		}
		out.Blobs = append(out.Blobs, b)
	}
	out.SortBlobs()
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return &out, nil
}

// carriedCopyOf reports whether a blob listed in role old, the same bytes
// as a new attestation's blob of role new, is a copy the bundle carries of
// the source's (referrers.md §1): a referrer-blob (its envelope, or
// statement), or a copied referrer manifest that is the attestation manifest
// itself. Such a blob takes the attestation's role; the copy was a claim
// nobody checked, the attestation is checked as every other.
func carriedCopyOf(old, new string) bool {
	switch old {
	case RoleReferrerBlob:
		return true
	case RoleReferrer:
		return new == RoleAttestation || new == RolePending
	}
	return false
}

// attestationRoots returns the listed attestation manifests, signed and
// pending, in order.
func (m *Manifest) attestationRoots() []Blob {
	var out []Blob
	for _, b := range m.Blobs {
		if b.Role == RoleAttestation || b.Role == RolePending {
			out = append(out, b)
		}
	}
	return out
}

// validateAttestationBlobs applies the manifest.toml rules of
// attestations.md §4.3 that need no blob content.
func (m *Manifest) validateAttestationBlobs() error {
	bad := func(field, format string, args ...any) error {
		return exit.New(exit.Malformed, "%s: %s", field, fmt.Sprintf(format, args...)).At(ManifestName)
	}
	n := 0
	var total int64
	for i, b := range m.Blobs {
		f := fmt.Sprintf("blob[%d]", i)
		switch b.Role {
		case RoleAttestation, RolePending:
			n++
			if b.MediaType != MediaTypeManifest {
				return bad(f+".media_type", "an attestation manifest has media type %s, not %s", MediaTypeManifest, b.MediaType)
			}
			if b.Size > MaxAttestationManifest {
				return bad(f+".size", "attestation manifest of %d bytes is over the %d-byte limit", b.Size, MaxAttestationManifest)
			}
		case RoleEnvelope:
			if b.MediaType != MediaTypeEnvelope {
				return bad(f+".media_type", "an envelope has media type %s, not %s", MediaTypeEnvelope, b.MediaType)
			}
			if b.Size > MaxEnvelopeSize {
				return bad(f+".size", "envelope of %d bytes is over the %d-byte limit", b.Size, MaxEnvelopeSize)
			}
			total += b.Size
		case RoleStatement:
			if b.MediaType != MediaTypeStatement {
				return bad(f+".media_type", "a pending statement has media type %s, not %s", MediaTypeStatement, b.MediaType)
			}
			if b.Size > MaxStatementSize {
				return bad(f+".size", "statement of %d bytes is over the %d-byte limit", b.Size, MaxStatementSize)
			}
			total += b.Size
		}
	}
	if n > MaxAttestations {
		return bad("blob", "%d attestations, more than the limit of %d", n, MaxAttestations)
	}
	if total > MaxEnvelopeTotal {
		return bad("blob", "envelopes add up to %d bytes, over the %d-byte limit", total, int64(MaxEnvelopeTotal))
	}
	return nil
}

// checkAttestations checks every attestation manifest (attestations.md §4):
// that it is exactly the manifest a writer emits for its envelope, subject
// and annotations, and marks the blobs it reaches in seen. It returns the
// attestations in manifest.toml order.
func checkAttestations(m *Manifest, meta map[string][]byte, seen map[string]bool) ([]Attestation, error) {
	var out []Attestation
	for _, b := range m.attestationRoots() {
		where := "entry " + b.Path() + " (attestation manifest)"
		data := meta[b.Digest]
		if err := StrictJSON(data); err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "not JSON that reads one way").At(where)
		}
		var am artifactManifest
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&am); err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "not an attestation manifest").At(where)
		}
		if len(am.Layers) != 1 {
			return nil, exit.New(exit.Malformed, "an attestation manifest has exactly one layer (the envelope), this one has %d", len(am.Layers)).At(where)
		}
		env := am.Layers[0]
		pending := b.Role == RolePending
		layerRole, layerWhat := RoleEnvelope, "an envelope"
		if pending {
			layerRole, layerWhat = RoleStatement, "a statement"
		}
		eb, ok := m.Blob(env.Digest)
		if !ok || eb.Role != layerRole || eb.Size != env.Size || eb.MediaType != env.MediaType {
			return nil, exit.New(exit.Malformed, "its layer %s is not %s blob that manifest.toml lists with this size and media type", env.Digest, layerWhat).At(where)
		}
		if seen[env.Digest] {
			return nil, exit.New(exit.Malformed, "%s %s is named by more than one attestation manifest, or by the image", layerRole, env.Digest).At(where)
		}
		a := am.Annotations
		var want []byte
		var s AttestationSigner
		var err error
		if pending {
			want, err = PendingManifest(m, env.Digest, env.Size, a[AnnoPredicateType])
		} else {
			s = AttestationSigner{Suite: a[AnnoSignerSuite], Fingerprint: a[AnnoSignerFP], PublicKey: a[AnnoSignerKey]}
			if len(s.PublicKey) > maxAttestationPublicKey || len(s.Suite) > 32 || !reHex64.MatchString(s.Fingerprint) {
				return nil, exit.New(exit.Malformed, "the signer annotations are missing or malformed (suite, 64-hex fingerprint, base64 public key)").At(where)
			}
			want, err = AttestationManifest(m, env.Digest, env.Size, a[AnnoPredicateType], s)
		}
		if err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "invalid attestation manifest").At(where)
		}
		if !bytes.Equal(want, data) {
			what, sec := "attestation manifest", "§4.1"
			if pending {
				what, sec = "pending attestation manifest", "§9.1"
			}
			return nil, exit.New(exit.Malformed, "not the %s a writer emits for %s %s about image %s (subject, config, annotations or encoding differ)", what, layerRole, env.Digest, m.Image.Digest).
				At(where).WithHint("attestations.md %s defines its exact bytes; re-attest with ct attest", sec)
		}
		seen[b.Digest], seen[env.Digest], seen[EmptyDigest] = true, true, true
		out = append(out, Attestation{Digest: b.Digest, PredicateType: a[AnnoPredicateType], SignerSuite: s.Suite,
			SignerFP: s.Fingerprint, SignerKey: s.PublicKey, Envelope: eb, EnvelopeData: meta[env.Digest], Pending: pending})
	}
	// An envelope is kept only through its attestation manifest.
	for _, b := range m.Blobs {
		if (b.Role == RoleEnvelope || b.Role == RoleStatement) && !seen[b.Digest] {
			return nil, exit.New(exit.Malformed, "%s %s is listed but no attestation manifest names it", b.Role, b.Digest).At(ManifestName)
		}
	}
	return out, nil
}

var reHex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// attestationIndexEntries are the index.json descriptors of the attestation
// manifests, after the image's, in digest order (attestations.md §4.4).
func attestationIndexEntries(m *Manifest) []ociDescriptor {
	var out []ociDescriptor
	for _, b := range m.attestationRoots() {
		at := ArtifactType
		if b.Role == RolePending {
			at = PendingArtifactType
		}
		out = append(out, ociDescriptor{MediaType: b.MediaType, Digest: b.Digest, Size: b.Size, ArtifactType: at})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digest < out[j].Digest })
	return out
}

// Attestations returns, after the last blob, the bundle's attestations in
// manifest.toml order (nil when the image-graph check did not run or
// failed). An envelope whose bytes did not match its digest has nil
// EnvelopeData.
func (r *Reader) Attestations() []Attestation { return r.attest }

// isAttestationRole reports whether role is one of an attestation's own
// blobs (its manifest and its envelope or statement), which the reader
// keeps in memory under their own limits.
func isAttestationRole(role string) bool {
	return role == RoleAttestation || role == RoleEnvelope || role == RolePending || role == RoleStatement
}
