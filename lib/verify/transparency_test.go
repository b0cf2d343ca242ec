package verify

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// logVector verifies tests/vectors/verify/NAME.ctp trusting trusted.pub,
// under the policy file pol ("" for none).
func logVector(t *testing.T, name, pol string) *Report {
	t.Helper()
	dir := "../../tests/vectors/verify/"
	k, err := keys.ReadPublicFile(dir + "trusted.pub")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Trusted: []TrustedKey{{Key: k, Source: "--key trusted.pub"}}}
	if pol != "" {
		if opts.Policy, err = policy.Load(dir + pol); err != nil {
			t.Fatal(err)
		}
		opts.PolicyName = pol
	}
	data, err := os.ReadFile(dir + name + ".ctp")
	if err != nil {
		t.Fatal(err)
	}
	return Verify(bytes.NewReader(data), name+".ctp", opts)
}

// TestTransparencyReport checks what the report says about proofs: the
// error of a shortage names the signer, each log and its witnesses and what
// is needed; the JSON lists each proof on its signature.
func TestTransparencyReport(t *testing.T) {
	rep := logVector(t, "log-untrusted-witness", "log-policy.json")
	err := rep.Err()
	want := `signature by alice (eee7:c1b1:fe9d:6e41): 1 of 2 required logs; log "log-b.example" cosigned by 1 of 2 required witnesses (w1.example); log "log-a.example" cosigned by 3 trusted witness(es)`
	if exit.CodeOf(err) != exit.LogProofMissing || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "rule transparency.logs_required") {
		t.Fatalf("got %v, want code 6 and %q", err, want)
	}
	if h := exit.HintOf(err); !strings.Contains(h, "ct log submit") || !strings.Contains(h, `it trusts the logs "log-a.example", "log-b.example"`) {
		t.Errorf("hint %q does not say what to do and which logs count", exit.HintOf(err))
	}

	rep = logVector(t, "log-valid", "log-policy.json")
	if !rep.Valid || len(rep.Signatures) != 1 || len(rep.Signatures[0].Logs) != 2 {
		t.Fatalf("valid: %v %+v", rep.Err(), rep.Signatures)
	}
	for _, lp := range rep.Signatures[0].Logs {
		if lp.Status != ProofWitnessed || !lp.LogTrusted || len(lp.Witnesses) != 3 || lp.TreeSize == 0 {
			t.Errorf("proof %+v", lp)
		}
	}
	js, err := json.Marshal(rep)
	if err != nil || !bytes.Contains(js, []byte(`"logs":[{"entry":"transparency/`)) || !bytes.Contains(js, []byte(`"status":"witnessed"`)) {
		t.Fatalf("json: %v %s", err, js)
	}

	// Without a policy the same proofs are claims, and valid.
	rep = logVector(t, "log-valid", "")
	if !rep.Valid || rep.Signatures[0].Logs[0].Status != ProofUntrustedLog || rep.Signatures[0].Logs[0].LogTrusted {
		t.Fatalf("no policy: %v %+v", rep.Err(), rep.Signatures[0].Logs)
	}

	// A forgery outranks the policy: 7, not 6, even with too few logs.
	rep = logVector(t, "log-forged-path", "log-policy.json")
	if rep.Code != int(exit.LogProofInvalid) {
		t.Fatalf("forged: %d %v", rep.Code, rep.Err())
	}
}

// TestPrecedenceWithLogs checks the order of verify.md §2 with the log
// codes: 10 and 11, then 1, 2, 7, 3, 4, 6, 5, whatever order the failures
// came in, and that the rule's text in verify.md says the same.
func TestPrecedenceWithLogs(t *testing.T) {
	order := []exit.Code{exit.Malformed, exit.HashMismatch, exit.SignatureInvalid, exit.LogProofInvalid,
		exit.KeyNotTrusted, exit.PolicyRejected, exit.LogProofMissing, exit.MissingAttestation}
	for i := range order {
		r := &Report{}
		for j := len(order) - 1; j >= i; j-- { // worst last: the order of arrival must not matter
			r.fail("c", exit.New(order[j], "code %d", order[j]))
		}
		if got := exit.CodeOf(r.Err()); got != order[i] {
			t.Errorf("failures %v: decided by %d, want %d", order[i:], got, order[i])
		}
	}
	spec, err := os.ReadFile("../../docs/spec/verify.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), "**10 and 11,\nthen 1, 2, 7, 3, 4, 6, 5**") {
		t.Error("verify.md §2 does not state the order 10 and 11, then 1, 2, 7, 3, 4, 6, 5")
	}
}
