package policyedit

import (
	"bytes"
	"testing"

	"github.com/cerro-torre/ct/lib/policy"
)

// FuzzCanonical: for every input lib/policy accepts, the canonical form
// parses back to the same policy, is a fixed point, and an edit of it is
// either refused or canonical again; nothing panics.
func FuzzCanonical(f *testing.F) {
	f.Add(policy.Example(), "release-*", "oci:*")
	f.Add([]byte(`{"version":1}`), fpA, "docker.io/library/*")
	f.Add([]byte(`{"version":1,"signers":{},"registries":{"allowed":["*"]},"suites":{"allowed":["CT-SIG-03"]},"pin":{"a/b":{"signers":["x"]}},"require_attestations":["<&>",{"type":"x","signers":["a"]}]}`), "a b", "docker.io")
	f.Fuzz(func(t *testing.T, data []byte, signer, registry string) {
		p, err := policy.Parse(data, "p")
		if err != nil {
			return
		}
		c, err := Canonical(p, "p")
		if err != nil {
			t.Fatalf("an accepted policy has no canonical form: %v", err)
		}
		q, err := policy.Parse(c, "p")
		if err != nil {
			t.Fatalf("the canonical form is refused: %v\n%s", err, c)
		}
		c2, err := Canonical(q, "p")
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("not a fixed point: %v\n%s\n%s", err, c, c2)
		}
		AddSigner(q, signer)
		AddRegistry(q, registry)
		if e, err := Canonical(q, "p"); err == nil {
			if _, err := policy.Parse(e, "p"); err != nil {
				t.Fatalf("an edit was written but is refused: %v", err)
			}
		}
		for _, s := range SplitList(signer) {
			if s == "" || bytes.ContainsAny([]byte(s), ", \t\r\n") {
				t.Fatalf("SplitList gave %q", s)
			}
		}
	})
}
