package policy_test

import (
	"fmt"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

func ExampleParse() {
	_, err := policy.Parse([]byte("{\n  \"version\": 1,\n  \"signers\": {\"alowed\": [\"release-*\"]}\n}\n"), "policy.json")
	fmt.Println(err)
	fmt.Println(exit.HintOf(err))

	p, err := policy.Parse(policy.Example(), "policy.json")
	if err != nil {
		panic(err)
	}
	m := &bundle.Manifest{
		Package: bundle.Package{Name: "redis", Version: "7.4"},
		Source:  bundle.Source{Transport: "docker", Registry: "docker.io", Repository: "library/redis"},
	}
	alice := policy.Signature{KeyID: "release-alice", Fingerprint: keys.ComputeFingerprint(keys.SuiteEd25519, []byte("alice")),
		Suite: keys.SuiteEd25519, Valid: true, Trusted: true}
	r := p.Evaluate(policy.Input{Manifest: m, Signatures: []policy.Signature{alice}})
	for _, c := range r.Checks {
		fmt.Printf("%-18s %-5v %s\n", c.Rule, c.OK, c.Detail)
	}
	fmt.Println(exit.CodeOf(r.Error()), r.Error())
	// Output:
	// policy.json:3:15: signers.alowed: unknown field
	// this level may hold: allowed, denied, threshold (policy.md §3)
	// registries.blocked true  source docker.io/library/redis matches no blocked pattern
	// registries.allowed true  source docker.io/library/redis matches allowed pattern "docker.io/library/*"
	// signers.denied     true  no denied signer signed
	// signers.allowed    true  every valid trusted signer is allowed
	// signers.threshold  false 1 of 2 required signers: release-alice (5789:d613:39e2:441a)
	// pin                true  package "redis" is not pinned
	// 4 policy policy.json, rule signers.threshold: 1 of 2 required signers: release-alice (5789:d613:39e2:441a)
}
