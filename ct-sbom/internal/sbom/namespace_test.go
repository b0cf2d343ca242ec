package sbom

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
)

// TestNamespaceIsWhatCtSignRecognises: ct sign signs a pending SBOM
// unasked only when its documentNamespace is ct-sbom's for the bundle
// (attestations.md §9.5, attest.SBOMNamespace); the two must not drift,
// or ct-pack | ct-sbom | ct-sign -k KEY would stop working.
func TestNamespaceIsWhatCtSignRecognises(t *testing.T) {
	for _, pv := range [][2]string{{"web", "1.0"}, {"team/web app", "1.0+build/7"}, {"ü", "%2F"}} {
		m := &bundle.Manifest{Package: bundle.Package{Name: pv[0], Version: pv[1]},
			Image: bundle.Image{Digest: "sha256:" + strings.Repeat("ab", 32)}}
		if got, want := Namespace(m.Package.Name, m.Package.Version, m.Image.Digest), attest.SBOMNamespace(m); got != want {
			t.Errorf("%q: ct-sbom writes %s, ct sign expects %s", pv, got, want)
		}
	}
	if NamespaceBase != attest.SBOMNamespaceBase {
		t.Errorf("bases differ: %s, %s", NamespaceBase, attest.SBOMNamespaceBase)
	}
}
