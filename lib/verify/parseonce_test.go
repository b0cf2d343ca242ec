package verify

import (
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/tlog"
)

// Each proof entry is parsed once per verification (the report's claims
// and the checks share it): parsing is most of what a proof costs, and
// ct explain reads up to 256 proofs within its 0.1 s budget.
func TestProofsParsedOnce(t *testing.T) {
	calls := 0
	defer func(f func(string, []byte) (*tlog.Proof, error)) { parseProof = f }(parseProof)
	parseProof = func(name string, data []byte) (*tlog.Proof, error) {
		calls++
		return tlog.ParseProof(name, data)
	}
	for _, skip := range []bool{true, false} {
		calls = 0
		rep := VerifyPath(filepath.Join("../../tests/vectors/verify", "log-valid.ctp"), Options{}, PathOptions{SkipContent: skip})
		if len(rep.Proofs) != 2 || calls != 2 {
			t.Fatalf("skip content %v: %d proofs, %d parses", skip, len(rep.Proofs), calls)
		}
	}
}
