package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// A pending attestation never meets require_attestations
// (attestations.md §9.2). A signed bundle cannot hold one (the reader
// rejects it), so the policy's input is checked directly: the report of
// the pending-signed-by-ct-sign vector meets the policy; the same report
// with its attestation marked pending (as the unsigned bundle's is) does
// not, and says the attestation is missing (5).
func TestPendingNeverCounts(t *testing.T) {
	dir := filepath.Join("..", "..", "tests", "vectors", "verify")
	pubData, err := os.ReadFile(filepath.Join(dir, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.DecodePublic(pubData)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(filepath.Join(dir, "attest-require-slsa.json"))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Trusted: []TrustedKey{{Key: pub, Source: "trusted.pub"}}, Policy: p, PolicyName: "attest-require-slsa.json"}
	data, err := os.ReadFile(filepath.Join(dir, "pending-signed-by-ct-sign.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	rep := Verify(bytes.NewReader(data), "signed.ctp", opts)
	if !rep.Valid || len(rep.Attestations) != 1 || rep.Attestations[0].Pending {
		t.Fatalf("the signed vector: valid %v, attestations %+v (%v)", rep.Valid, rep.Attestations, rep.Err())
	}
	pending := &Report{Bundle: rep.Bundle, Manifest: rep.Manifest, ManifestDigest: rep.ManifestDigest, Signatures: rep.Signatures,
		Attestations: []Attestation{{Digest: rep.Attestations[0].Digest, Statement: rep.Attestations[0].Envelope,
			PredicateType: rep.Attestations[0].PredicateType, Pending: true}}}
	checkPolicy(pending, opts, false)
	var detail string
	code := 0
	for _, c := range pending.Checks {
		if strings.HasPrefix(c.Name, "policy") && !c.OK {
			detail, code = c.Detail, c.Code
		}
	}
	if code != 5 || !strings.Contains(detail, "require_attestations") {
		t.Errorf("a pending SLSA attestation: policy code %d (%s), want 5 (require_attestations)", code, detail)
	}
}
