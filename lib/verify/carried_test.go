package verify

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
)

// TestCarried: the report lists the copied supply-chain artifacts of
// referrers-valid (referrers.md §4) with what each says it is, never as
// attestations; in JSON under "carried".
func TestCarried(t *testing.T) {
	dir := "../../tests/vectors/verify/"
	data, err := os.ReadFile(dir + "referrers-valid.ctp")
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ReadPublicFile(dir + "trusted.pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		rep := Verify(bytes.NewReader(data), "referrers-valid.ctp", Options{Trusted: []TrustedKey{{Key: k, Source: "trusted.pub"}}, SkipContent: skip})
		if !rep.Valid {
			t.Fatalf("not valid: %v", rep.Err())
		}
		roles, digests := map[string]Carried{}, map[string]bool{}
		for _, c := range rep.Carried {
			roles[c.Role], digests[c.Digest] = c, true
		}
		if len(rep.Carried) != 3 || len(roles) != 3 {
			t.Fatalf("carried = %+v, want a cosign-sig, a cosign-att and a referrer", rep.Carried)
		}
		// the vector's referrer has no artifactType: its config's media type
		if c := roles[bundle.RoleReferrer]; c.ArtifactType != "application/vnd.oci.image.config.v1+json" || c.CosignTag != "" {
			t.Errorf("referrer = %+v", c)
		}
		if c := roles[bundle.RoleCosignSig]; c.CosignTag != bundle.CosignTag(rep.ImageDigest, bundle.RoleCosignSig) || !strings.HasSuffix(c.CosignTag, ".sig") {
			t.Errorf("cosign-sig = %+v", c)
		}
		if c := roles[bundle.RoleCosignAtt]; c.ArtifactType != "" || !strings.HasSuffix(c.CosignTag, ".att") {
			t.Errorf("cosign-att = %+v", c)
		}
		for _, a := range rep.Attestations {
			if digests[a.Digest] {
				t.Errorf("a carried artifact is listed as an attestation: %+v", a)
			}
		}
		b, _ := json.Marshal(rep)
		if !bytes.Contains(b, []byte(`"carried":[{"digest":"sha256:`)) {
			t.Errorf("JSON has no carried list: %s", b)
		}
	}
	// no manifest at all: an empty list, never null
	rep := Verify(strings.NewReader("not a bundle"), "x.ctp", Options{})
	if b, _ := json.Marshal(rep); !bytes.Contains(b, []byte(`"carried":[]`)) {
		t.Errorf("JSON of an unreadable bundle: %s", b)
	}
}
