package bundle

import (
	"strings"
	"testing"
)

// SplitProofName (bundle.md §6.1) is the one reader of a proof entry's
// name: ProofFingerprint, tlog.ParseProof and the registry's choice of
// proof layers all take the parts from it.
func TestSplitProofName(t *testing.T) {
	fp, id := strings.Repeat("a1", 32), "0123456789abcdef"
	got, gotID, ok := SplitProofName(ProofsDir + fp + "." + id + ".proof")
	if !ok || got != fp || gotID != id {
		t.Fatalf("SplitProofName = %q, %q, %v", got, gotID, ok)
	}
	if f, ok := ProofFingerprint(ProofsDir + fp + "." + id + ".proof"); !ok || f != fp {
		t.Fatalf("ProofFingerprint = %q, %v", f, ok)
	}
	for _, bad := range []string{
		"",
		fp + "." + id + ".proof",  // no folder
		ProofsDir + fp + "." + id, // no .proof
		ProofsDir + fp + "." + id + ".proof.proof",            // log id not 16 hex
		ProofsDir + fp + "." + strings.ToUpper(id) + ".proof", // uppercase
		ProofsDir + fp[:63] + "." + id + "0.proof",            // fingerprint of 63
		ProofsDir + fp + "x" + id + ".proof",                  // no dot
		ProofsDir + fp + "." + id[:15] + "g.proof",            // not hex
		SignaturesDir + fp + "." + id + ".proof",              // another folder
	} {
		if f, i, ok := SplitProofName(bad); ok || f != "" || i != "" {
			t.Errorf("SplitProofName(%q) = %q, %q, %v", bad, f, i, ok)
		}
	}
}
