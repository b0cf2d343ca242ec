package deps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifierSmall: packagers ship ct-verify alone, so it stays under
// 8 MiB stripped and reads attestations with small structs: no protobuf
// (in-toto and Sigstore libraries bring it), no syft. bench/run.sh prints
// the same size; this is the CI check of the issue 10 promise.
func TestVerifierSmall(t *testing.T) {
	const limit = 8 << 20
	protobuf := func(bin string) string {
		for _, d := range deps(t, bin) {
			if strings.HasPrefix(d, "google.golang.org/protobuf") || strings.HasPrefix(d, "github.com/golang/protobuf") {
				return d
			}
		}
		return ""
	}
	if d := protobuf("./ct-verify"); d != "" {
		t.Errorf("ct-verify links %s: parse statements with small structs instead", d)
	}
	// The check must be able to fail: ct-sbom links protobuf through syft.
	if protobuf("./ct-sbom") == "" {
		t.Fatal("ct-sbom links no protobuf: the dependency listing is broken")
	}
	if d := linksSyft(deps(t, "./ct-verify")); d != "" {
		t.Errorf("ct-verify links %s", d)
	}
	bin := filepath.Join(t.TempDir(), "ct-verify")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./ct-verify")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ct-verify: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= limit {
		t.Errorf("stripped ct-verify is %d bytes, over the %d-byte limit", fi.Size(), limit)
	}
	t.Logf("stripped ct-verify: %.2f MiB", float64(fi.Size())/(1<<20))
}
