package bundle_test

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// An attestation whose bytes the bundle carries only as a copy of the
// source's (referrers.md §1, attestations.md §4.4) takes those blobs over in
// its role instead of being refused as "there already"; an attestation the
// bundle lists as one is still refused.
func TestAddAttestationOverCarriedCopy(t *testing.T) {
	envelope := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`)
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)
	other := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"x":"y"}}`)
	carrying := func(ref []byte) *bundle.Manifest {
		m, _ := image(t)
		m.Blobs = append(m.Blobs,
			bundle.Blob{Digest: bundle.Digest(envelope), Size: int64(len(envelope)), MediaType: "application/vnd.dsse.envelope.v1+json", Role: bundle.RoleReferrerBlob},
			bundle.Blob{Digest: bundle.Digest(ref), Size: int64(len(ref)), MediaType: bundle.MediaTypeManifest, Role: bundle.RoleReferrer},
			bundle.Blob{Digest: bundle.EmptyDigest, Size: 2, MediaType: bundle.MediaTypeEmpty, Role: bundle.RoleConfig})
		m.SortBlobs()
		return m
	}
	role := func(m *bundle.Manifest, data []byte) string {
		b, _ := m.Blob(bundle.Digest(data))
		return b.Role
	}
	// the copied referrer is the attestation manifest itself: both blobs
	// become the attestation's
	m := carrying(manifest)
	n := len(m.Blobs)
	out, err := bundle.AddAttestation(m, envelope, manifest)
	if err != nil {
		t.Fatalf("AddAttestation over a carried copy: %v", err)
	}
	if role(out, envelope) != bundle.RoleEnvelope || role(out, manifest) != bundle.RoleAttestation || len(out.Blobs) != n {
		t.Fatalf("blobs %+v", out.Blobs)
	}
	// now it is an attestation: a second one is refused, saying so
	if _, err := bundle.AddAttestation(out, envelope, manifest); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "there already") {
		t.Fatalf("the same attestation twice: %v", err)
	}
	// only the envelope is carried (another referrer manifest): it becomes
	// the envelope, the other manifest stays a carried referrer
	m = carrying(other)
	out, err = bundle.AddAttestation(m, envelope, manifest)
	if err != nil {
		t.Fatalf("AddAttestation over a carried envelope: %v", err)
	}
	if role(out, envelope) != bundle.RoleEnvelope || role(out, manifest) != bundle.RoleAttestation || role(out, other) != bundle.RoleReferrer || len(out.Blobs) != len(m.Blobs)+1 {
		t.Fatalf("blobs %+v", out.Blobs)
	}
}
