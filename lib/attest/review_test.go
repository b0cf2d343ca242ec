package attest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
)

// TestAddPendingReview: ct attest without a key says whether ct sign will
// sign its pending attestation unasked (attestations.md §9.5): a scan or
// an SBOM of another namespace needs --sign-pending, an SBOM in ct-sbom's
// namespace for the bundle does not; a signed attestation has no review.
func TestAddPendingReview(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := bundle.Check(bytes.NewReader(in), "unsigned.ctp")
	if err != nil {
		t.Fatal(err)
	}
	spdx := func(ns string) []byte {
		return []byte(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"` + ns + `","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]},"packages":[]}`)
	}
	for _, c := range []struct {
		typ       string
		pred      []byte
		unchecked bool
	}{
		{"https://example.com/scan/v1", []byte(`{}`), true},
		{TypeSPDX, spdx("https://example.com/other"), true},
		{TypeSPDX, spdx(SBOMNamespace(m)), false},
	} {
		var out bytes.Buffer
		added, err := AddToBundle(bytes.NewReader(in), "unsigned.ctp", &out, AddRequest{PredicateType: c.typ, Predicate: c.pred}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if added.Review == nil || added.Review.Unchecked != c.unchecked {
			t.Errorf("%s %s: review %+v, want unchecked %v", c.typ, c.pred, added.Review, c.unchecked)
		}
	}
	var out bytes.Buffer
	added, err := AddToBundle(bytes.NewReader(in), "unsigned.ctp", &out, AddRequest{Key: testKey(t, "CT-SIG-01", 1), PredicateType: TypeSPDX, Predicate: spdx("x")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if added.Review != nil {
		t.Errorf("a signed attestation has a review: %+v", added.Review)
	}
}
