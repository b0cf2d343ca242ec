package deps

import (
	"strings"
	"testing"
)

// TestArchiveLinksNoNetworkCode: ct-verify verifies export archives with
// lib/archive, so lib/archive must stay offline too; the registry push of
// ct import lives in lib/archive/registrydest. (TestVerifierLinksNoNetworkCode
// covers this through ct-verify; this names the package that broke it.)
func TestArchiveLinksNoNetworkCode(t *testing.T) {
	list := deps(t, "./lib/archive")
	if len(list) < 20 {
		t.Fatalf("only %d dependencies listed", len(list))
	}
	for _, d := range list {
		if d == "net/http" || strings.HasSuffix(d, "/lib/registry") || strings.HasSuffix(d, "/lib/source") || strings.HasSuffix(d, "/lib/progress") {
			t.Errorf("lib/archive links %s: move the code that needs it out (e.g. to lib/archive/registrydest)", d)
		}
	}
	found := false
	for _, d := range deps(t, "./lib/archive/registrydest") {
		if d == "net/http" {
			found = true
		}
	}
	if !found {
		t.Fatal("lib/archive/registrydest does not link net/http: the dependency listing is broken")
	}
}
