package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzParse checks that Parse never panics, fails only with exit.Usage
// errors that carry a position, and that every policy it accepts marshals
// to JSON that parses back to an equal policy and can be evaluated.
func FuzzParse(f *testing.F) {
	for _, s := range specPolicies(f) {
		f.Add([]byte(s))
		f.Add([]byte(s[:len(s)/2]))                                   // truncated
		f.Add([]byte(strings.Replace(s, `"allowed"`, `"alowed"`, 1))) // unknown field
		f.Add([]byte(strings.Replace(s, `"version": 1`, `"version": "1"`, 1)))
		f.Add([]byte(strings.Replace(s, "{", `{"version": 1, `, 2))) // duplicate key
		f.Add([]byte(s + "{}"))                                      // trailing data
	}
	for _, s := range []string{
		`{"version":1}`, `{"version":1,"pin":{"a":{"signers":["b"]}}}`, `{"version":1,"signers":{"threshold":1e400}}`,
		`{"version":1,"registries":{"allowed":["*"],"blocked":["oci:*"]}}`, `{"version":1,"signers":{"allowed":["\u00e9"]}}`,
		`{"version":1,"pin":{"a\u002fb":{"digest":"sha256:` + strings.Repeat("0", 64) + `"}}}`, `[`, `"`, `{"version":1,"x":[[[[]]]]}`,
	} {
		f.Add([]byte(s))
	}
	in := Input{Manifest: manifest("nginx", hub, dgA), ManifestDigest: dgB, Signatures: []Signature{alice, bob, rel1, rel1}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "f.json")
		if err != nil {
			var xe *exit.Error
			if !errors.As(err, &xe) || xe.Code != exit.Usage || !strings.HasPrefix(xe.Where, "f.json:") {
				t.Fatalf("error %#v", err)
			}
			return
		}
		roundTrip(t, data)
		r := p.Evaluate(in)
		if r.OK != (r.Code == exit.OK) || (r.Error() == nil) != r.OK {
			t.Fatalf("inconsistent result %+v", r)
		}
		p.Evaluate(Input{Manifest: &bundle.Manifest{}})
	})
}
