package bundle

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestReferrerLimits: the manifest.toml rules of referrers.md §2, which a
// writer refuses to encode (so no vector can carry them).
func TestReferrerLimits(t *testing.T) {
	dig := func(i int) string { return fmt.Sprintf("sha256:%064x", 0xabc000+i) }
	with := func(bs ...Blob) *Manifest {
		m, _ := testImage()
		m.Blobs = append(m.Blobs, bs...)
		m.SortBlobs()
		return m
	}
	cases := []struct {
		name string
		m    *Manifest
		want string
	}{
		{"media type", with(Blob{Digest: dig(1), Size: 10, MediaType: "application/json", Role: RoleReferrer}), "a copied referrer manifest has media type"},
		{"docker referrer", with(Blob{Digest: dig(1), Size: 10, MediaType: MediaTypeDockerManifest, Role: RoleReferrer}), "a copied referrer manifest has media type application/vnd.oci.image.manifest.v1+json, not application/vnd.docker"},
		{"manifest size", with(Blob{Digest: dig(1), Size: MaxReferrerManifest + 1, MediaType: MediaTypeManifest, Role: RoleCosignSig}), "over the 262144-byte limit"},
		{"two cosign-sig", with(Blob{Digest: dig(1), Size: 10, MediaType: MediaTypeManifest, Role: RoleCosignSig},
			Blob{Digest: dig(2), Size: 10, MediaType: MediaTypeDockerManifest, Role: RoleCosignSig}), "a second cosign-sig manifest"},
		{"blob size", with(Blob{Digest: dig(1), Size: MaxReferrerBlob + 1, MediaType: "text/plain", Role: RoleReferrerBlob}), "referrer blob of 67108865 bytes"},
		{"blob total", with(Blob{Digest: dig(1), Size: MaxReferrerBlob, MediaType: "text/plain", Role: RoleReferrerBlob},
			Blob{Digest: dig(2), Size: MaxReferrerBlob, MediaType: "text/plain", Role: RoleReferrerBlob},
			Blob{Digest: dig(3), Size: MaxReferrerBlob, MediaType: "text/plain", Role: RoleReferrerBlob},
			Blob{Digest: dig(4), Size: MaxReferrerBlob, MediaType: "text/plain", Role: RoleReferrerBlob},
			Blob{Digest: dig(5), Size: 1, MediaType: "text/plain", Role: RoleReferrerBlob}), "referrer blobs add up to 268435457 bytes"},
	}
	var many []Blob
	for i := 0; i <= MaxReferrers; i++ {
		many = append(many, Blob{Digest: dig(100 + i), Size: 10, MediaType: MediaTypeManifest, Role: RoleReferrer})
	}
	cases = append(cases, struct {
		name string
		m    *Manifest
		want string
	}{"65 manifests", with(many...), "65 copied referrer manifests, more than the limit of 64"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.m.Validate()
			if exit.CodeOf(err) != exit.Malformed || !strings.Contains(fmt.Sprint(err), c.want) {
				t.Fatalf("got %v, want malformed with %q", err, c.want)
			}
		})
	}
	// At the limits, accepted (the graph check comes later).
	ok := with(Blob{Digest: dig(1), Size: MaxReferrerManifest, MediaType: MediaTypeDockerManifest, Role: RoleCosignSig},
		Blob{Digest: dig(2), Size: MaxReferrerBlob, MediaType: "text/plain", Role: RoleReferrerBlob})
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCosignTag(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for role, want := range map[string]string{RoleCosignSig: "sha256-" + strings.Repeat("ab", 32) + ".sig",
		RoleCosignAtt: "sha256-" + strings.Repeat("ab", 32) + ".att", RoleCosignSBOM: "sha256-" + strings.Repeat("ab", 32) + ".sbom",
		RoleReferrer: "", RoleLayer: "", "cosign-x": ""} {
		if got := CosignTag(d, role); got != want {
			t.Errorf("CosignTag(%s) = %q, want %q", role, got, want)
		}
	}
}

// TestStatementLimit: a pending statement is bounded so that its signed
// envelope fits MaxEnvelopeSize (attestations.md §9): one byte over is
// malformed, and the limit leaves room for base64 and a CT-SIG-02 signature.
func TestStatementLimit(t *testing.T) {
	if MaxStatementSize/3*4+64<<10 > MaxEnvelopeSize {
		t.Fatalf("MaxStatementSize %d: its envelope would not fit %d bytes", MaxStatementSize, MaxEnvelopeSize)
	}
	m, _ := testImage()
	m.Blobs = append(m.Blobs, Blob{Digest: fmt.Sprintf("sha256:%064x", 0xabc001), Size: MaxStatementSize + 1, MediaType: MediaTypeStatement, Role: RoleStatement})
	m.SortBlobs()
	err := m.Validate()
	if err == nil || !strings.Contains(err.Error(), "statement of 12533761 bytes is over the 12533760-byte limit") {
		t.Fatalf("got %v", err)
	}
}
