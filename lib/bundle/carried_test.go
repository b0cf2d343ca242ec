package bundle

import "testing"

func TestCopiedArtifactType(t *testing.T) {
	for _, c := range []struct {
		raw, role, want string
	}{
		{`{"artifactType":"application/vnd.example.note+json","config":{"mediaType":"application/vnd.oci.empty.v1+json"}}`, RoleReferrer, "application/vnd.example.note+json"},
		// a referrer without artifactType: its config's media type, as a registry lists it
		{`{"config":{"mediaType":"application/vnd.example.sbom"}}`, RoleReferrer, "application/vnd.example.sbom"},
		// a cosign manifest says only what its artifactType says
		{`{"config":{"mediaType":"application/vnd.oci.image.config.v1+json"}}`, RoleCosignSig, ""},
		{`{"artifactType":"application/x","config":{}}`, RoleCosignAtt, "application/x"},
		{`not json`, RoleReferrer, ""},
	} {
		if got := CopiedArtifactType([]byte(c.raw), c.role); got != c.want {
			t.Errorf("CopiedArtifactType(%s, %s) = %q, want %q", c.raw, c.role, got, c.want)
		}
	}
}
