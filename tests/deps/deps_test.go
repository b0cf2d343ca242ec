// Package deps checks what the binaries link. Packagers ship ct-verify
// alone to check bundles offline, so it must not contain network code: a
// verifier that cannot open a connection cannot be talked into one.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

func TestVerifierLinksNoNetworkCode(t *testing.T) {
	forbidden := []string{
		"net/http",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"github.com/google/go-containerregistry/pkg/v1/remote/transport",
		"github.com/google/go-containerregistry/pkg/authn",
	}
	for _, bin := range []string{"./ct-verify", "./ct-explain"} {
		list := deps(t, bin)
		if len(list) < 20 {
			t.Fatalf("%s: only %d dependencies listed; the check is not looking at the binary", bin, len(list))
		}
		for _, d := range list {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s links %s", bin, d)
				}
			}
		}
	}
	// The check must be able to fail: ct-pack does link registry code.
	found := false
	for _, d := range deps(t, "./ct-pack") {
		if d == "net/http" {
			found = true
		}
	}
	if !found {
		t.Fatal("ct-pack does not link net/http: the dependency listing is broken")
	}
}
