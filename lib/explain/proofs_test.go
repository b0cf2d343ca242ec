package explain

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
	"github.com/cerro-torre/ct/lib/verify"
)

// ct explain shows a bundle's transparency proofs as claims (origin
// escaped, index, tree size, cosignature lines), in text and in JSON,
// read with the signatures and without content (the fast path), and says
// that ct verify checks them.
func TestProofClaims(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectors, "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	seed := func(b byte) *keys.PrivateKey {
		k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "k", bytes.Repeat([]byte{b}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	// Terminal-hostile but a valid signed-note name (note.Open refuses
	// C0 controls, so a checkpoint with ESC is malformed, log.md §4.3):
	// a C1 CSI and a right-to-left override.
	hostile := "evil.example/log\u009b2J\u202e"
	if data, err = tlogtest.AddProofFile(data, "log.example/ct", seed(1), seed(2), seed(3)); err != nil {
		t.Fatal(err)
	}
	if data, err = tlogtest.AddProofFile(data, hostile, seed(4)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "logged.ctp")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := verify.VerifyPath(path, verify.Options{}, verify.PathOptions{SkipContent: true}) // as ct explain reads
	if rep.ContentChecked {
		t.Fatal("content was read")
	}
	if len(rep.Proofs) != 2 {
		t.Fatalf("%d proof claims", len(rep.Proofs))
	}
	var out bytes.Buffer
	Text(&out, rep, Options{})
	s := out.String()
	noControl(t, s)
	for _, want := range []string{
		`logged      "log.example/ct" leaf 1 of 2: a claim: the policy does not trust this log (or its key)`,
		`logged      "evil.example/log\x9b2J\u202e" leaf 1 of 2`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	js, _ := json.Marshal(rep)
	var back struct {
		Proofs []verify.ProofClaim `json:"proofs"`
	}
	json.Unmarshal(js, &back)
	got := map[string]int{}
	for _, p := range back.Proofs {
		got[p.Origin] = p.Cosignatures
		if p.Index != 1 || p.TreeSize != 2 || p.Error != "" || len(p.Fingerprint) != 64 {
			t.Errorf("JSON claim %+v", p)
		}
	}
	if len(got) != 2 || got["log.example/ct"] != 2 || got[hostile] != 0 {
		t.Fatalf("JSON proofs: %+v", back.Proofs)
	}
}

// An unreadable proof entry proves nothing and belongs to no signer's
// "logged" line: it is listed once, under its own heading, with why (the
// vector's other proof, readable, is its signer's one logged line).
func TestUnreadableProof(t *testing.T) {
	rep := verify.VerifyPath(filepath.Join(vectors, "log-entry-format-2.ctp"), verify.Options{}, verify.PathOptions{SkipContent: true})
	var out bytes.Buffer
	Text(&out, rep, Options{})
	s := out.String()
	if strings.Count(s, "unreadable transparency log proofs\n") != 1 || strings.Count(s, "unreadable proof entry: ") != 1 ||
		!strings.Contains(s, "format 2") || strings.Count(s, "    logged") != 1 {
		t.Fatalf("output:\n%s", s)
	}
}
