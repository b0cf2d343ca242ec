package policy

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestLabelNeverMatches: a signature entry's key_id reaches the policy only
// as Label, which no rule matches (issue 8 §1); only KeyID, the verifier's
// name, and the fingerprint do.
func TestLabelNeverMatches(t *testing.T) {
	nginx := manifest("nginx", hub, dgA)
	ci := signer("ci", alice.Suite)
	ci.Label = "release-2024" // relabelled
	untrusted := Signature{Label: "release-2024", Fingerprint: bob.Fingerprint, Suite: bob.Suite, Valid: true}
	for _, tc := range []struct {
		name, policy string
		sig          Signature
		code         exit.Code
		detail       string
	}{
		{"allowed", `{"version":1,"signers":{"allowed":["release-*"]}}`, ci, exit.PolicyRejected,
			`ci (` + ci.Fingerprint.Short() + `, calls itself "release-2024") (not in signers.allowed)`},
		{"allowed by name", `{"version":1,"signers":{"allowed":["ci"]}}`, ci, exit.OK, "1 of 1 required signers: ci ("},
		{"denied", `{"version":1,"signers":{"denied":["ci"]}}`, Signature{KeyID: "ci", Label: "innocent", Fingerprint: ci.Fingerprint, Suite: ci.Suite, Valid: true, Trusted: true},
			exit.PolicyRejected, `calls itself "innocent") (denied by signers.denied)`},
		{"denied label", `{"version":1,"signers":{"denied":["release-*"]}}`, ci, exit.OK, "1 of 1"},
		{"pin", `{"version":1,"pin":{"nginx":{"signers":["release-*"]}}}`, ci, exit.PolicyRejected, `no counted signature by pinned signer(s) "release-*"`},
		{"pin by name", `{"version":1,"pin":{"nginx":{"signers":["c?"]}}}`, ci, exit.OK, "every pinned signer signed"},
		{"untrusted has no name", `{"version":1,"signers":{"allowed":["*"]}}`, untrusted, exit.PolicyRejected,
			bob.Fingerprint.Short() + ` (calls itself "release-2024") (key not trusted)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustParse(t, tc.policy).Evaluate(Input{Manifest: nginx, Signatures: []Signature{tc.sig}})
			if res.Code != tc.code {
				t.Fatalf("code %d, want %d: %v", res.Code, tc.code, res.Error())
			}
			var all []string
			for _, c := range res.Checks {
				all = append(all, c.Detail)
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.detail) {
				t.Errorf("no check detail contains %q:\n%s", tc.detail, strings.Join(all, "\n"))
			}
		})
	}
}
