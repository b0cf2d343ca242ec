package sbom

import (
	"strings"
	"testing"
	"time"

	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
)

// TestNamespaceIsWhatCtSignRecognises: ct sign signs a pending SBOM
// unasked only when its documentNamespace is ct-sbom's for the bundle
// (attestations.md §9.5, attest.SBOMNamespace); Reproducible must set
// exactly that, or ct-pack | ct-sbom | ct-sign -k KEY would stop working.
func TestNamespaceIsWhatCtSignRecognises(t *testing.T) {
	for _, pv := range [][2]string{{"web", "1.0"}, {"team/web app", "1.0+build/7"}, {"ü", "%2F"}} {
		m := &bundle.Manifest{Package: bundle.Package{Name: pv[0], Version: pv[1]},
			Image: bundle.Image{Digest: "sha256:" + strings.Repeat("ab", 32)}}
		doc := &v2_3.Document{DocumentNamespace: "https://anchore.com/syft/image/x-1234"}
		Reproducible(doc, m, time.Unix(0, 0), "ct-sbom")
		if got, want := doc.DocumentNamespace, attest.SBOMNamespace(m); got != want {
			t.Errorf("%q: ct-sbom writes %s, ct sign expects %s", pv, got, want)
		}
	}
}
