package keys_test

import (
	"fmt"
	"testing"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// ct keygen --suite and policy.json's suites.allowed accept exactly the same
// names (issue 9): a suite a user can create keys for can be named in a
// policy, and a name a policy refuses is refused by keygen too.
func TestParseSuiteAcceptsWhatPolicyAccepts(t *testing.T) {
	names := []string{"CT-SIG-01", "CT-SIG-02", "CT-SIG-03", "ct-sig-01", "Ct-Sig-02", "ed25519", "Ed25519",
		"hybrid", "ml-dsa-87", "ML-DSA-87", "CT-SIG-04", "CT-SIG-1", " CT-SIG-01", "CT-SIG-01 ", "rsa", "CT-SIG-01\x00"}
	for _, s := range keys.Suites {
		names = append(names, s.ID, s.Alias, s.Name)
	}
	for _, n := range names {
		_, kerr := keys.ParseSuite(n)
		_, perr := policy.Parse([]byte(fmt.Sprintf(`{"version":1,"suites":{"allowed":[%q]}}`, n)), "policy.json")
		if (kerr == nil) != (perr == nil) {
			t.Errorf("suite %q: ParseSuite error %v, policy error %v", n, kerr, perr)
		}
	}
}
