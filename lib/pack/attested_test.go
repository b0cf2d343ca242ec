package pack

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/keys"
)

func TestAttestedHow(t *testing.T) {
	k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "release", bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if got := (Attested{}).How(k); got != "signed by "+k.ID() {
		t.Errorf("signed: %q", got)
	}
	for _, c := range []struct {
		a Attested
		k *keys.PrivateKey
	}{{Attested{Pending: true}, k}, {Attested{}, nil}} {
		if got := c.a.How(c.k); !strings.HasPrefix(got, "pending") {
			t.Errorf("%+v with key %v: %q", c.a, c.k != nil, got)
		}
	}
}

// The --json report's attestations keep their names (docs/json/pack.schema.json).
func TestAttestedJSON(t *testing.T) {
	b, err := json.Marshal([]Attested{{Digest: "sha256:a", PredicateType: "p", Pending: true}, {Digest: "sha256:b", PredicateType: "q"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"digest":"sha256:a","predicateType":"p","pending":true},{"digest":"sha256:b","predicateType":"q"}]`; string(b) != want {
		t.Fatalf("%s\nwant %s", b, want)
	}
}
