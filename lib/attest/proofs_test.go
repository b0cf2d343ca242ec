package attest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

// Attesting a signed bundle with transparency proofs: refused with a
// message that names the proofs too; with DropSignatures the proofs go with
// the signatures (a proof of a dropped signature is invalid, bundle.md
// §6.1) and Added lists them, for the "dropped" warning.
func TestAddDropsProofs(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	lk, _ := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "log", bytes.Repeat([]byte{8}, 32))
	if in, err = tlogtest.AddProofFile(in, "log.example/ct", lk); err != nil {
		t.Fatal(err)
	}
	req := AddRequest{PredicateType: TypeSLSAProvenanceV1, Predicate: []byte(vecSLSA)}
	_, err = AddToBundle(bytes.NewReader(in), "valid.ctp", &bytes.Buffer{}, req, nil)
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "1 transparency log proof(s)") {
		t.Fatalf("signed bundle with a proof: %v", err)
	}
	req.DropSignatures = true
	var out bytes.Buffer
	added, err := AddToBundle(bytes.NewReader(in), "valid.ctp", &out, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(added.Dropped) != 1 || len(added.DroppedProofs) != 1 || !strings.HasPrefix(added.DroppedProofs[0], bundle.ProofsDir) {
		t.Fatalf("dropped %v and %v", added.Dropped, added.DroppedProofs)
	}
	if n := ProofsNote(added.DroppedProofs); !strings.Contains(n, "1 transparency log proof ") {
		t.Fatalf("note %q", n)
	}
	br, err := bundle.NewReader(bytes.NewReader(out.Bytes()), "out")
	if err != nil {
		t.Fatal(err)
	}
	if sigs, err := br.Finish(); err != nil || len(sigs) != 0 || len(br.Proofs()) != 0 {
		t.Fatalf("output: %d signatures, %d proofs, %v", len(sigs), len(br.Proofs()), err)
	}
}
