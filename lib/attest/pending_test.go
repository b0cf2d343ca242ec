package attest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// vecSLSA is the generator's SLSA predicate (tests/vectors/gen-verify).
const vecSLSA = `{"buildDefinition":{"buildType":"https://cerro-torre.dev/pack/v1","externalParameters":{"source":"registry.example/team/web:1.0"},"resolvedDependencies":[{"uri":"registry.example/team/web","digest":{"sha256":"00"}}]},"runDetails":{"builder":{"id":"https://cerro-torre.dev/ct-pack"}}}`

// TestAddPending: AddToBundle without a key adds a pending attestation
// (attestations.md §9), byte for byte the generator's pending-unsigned
// vector, and CheckPending accepts what it wrote.
func TestAddPending(t *testing.T) {
	dir := filepath.Join("..", "..", "tests", "vectors", "verify")
	in, err := os.ReadFile(filepath.Join(dir, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	added, err := AddToBundle(bytes.NewReader(in), "unsigned.ctp", &out, AddRequest{PredicateType: TypeSLSAProvenanceV1, Predicate: []byte(vecSLSA)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !added.Pending || added.Manifest.PendingCount() != 1 {
		t.Fatalf("pending %v, %d pending listed", added.Pending, added.Manifest.PendingCount())
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("the bundle differs from the pending-unsigned vector")
	}
	br, err := bundle.NewReader(bytes.NewReader(out.Bytes()), "out")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Finish(); err != nil {
		t.Fatal(err)
	}
	list := br.Attestations()
	if len(list) != 1 || !list[0].Pending {
		t.Fatalf("attestations %+v", list)
	}
	if _, err := CheckPending(list[0], br.Manifest()); err != nil {
		t.Error(err)
	}
	other := *br.Manifest()
	other.Image.Digest = "sha256:" + string(bytes.Repeat([]byte("0"), 64))
	if _, err := CheckPending(list[0], &other); err == nil {
		t.Error("a statement about another image passed")
	}
}

// TestSignPendingOnlyReviewed: SignPending signs only what ReviewPending
// checked (the statements are parsed once): without the review, or with a
// review of other attestations, it signs nothing.
func TestSignPendingOnlyReviewed(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(in), "pending-unsigned.ctp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Finish(); err != nil {
		t.Fatal(err)
	}
	m, list := br.Manifest(), br.Attestations()
	k := testKey(t, keys.SuiteEd25519, 1)
	reviewed, err := ReviewPending(m, list)
	if err != nil || len(reviewed) != 1 {
		t.Fatalf("review: %v, %d reviewed", err, len(reviewed))
	}
	if _, _, refs, err := SignPending(m, list, reviewed, k); err != nil || len(refs) != 1 {
		t.Fatalf("reviewed: %v, %d signed", err, len(refs))
	}
	other := reviewed[0]
	other.Digest = "sha256:" + string(bytes.Repeat([]byte("0"), 64))
	for name, r := range map[string][]PendingReview{"no review": nil, "another attestation's review": {other}} {
		if _, _, _, err := SignPending(m, list, r, k); exit.CodeOf(err) != exit.Internal {
			t.Errorf("%s: got %v, want an internal error and nothing signed", name, err)
		}
	}
}
