package deps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// syftish names what only ct-sbom may link: syft, its image library, the
// SQLite driver it needs and the SPDX model. Every other binary stays as
// small as it is (issue 10); ct-verify and ct-explain above all, which
// packagers ship alone.
var syftish = []string{
	"github.com/anchore/",
	"modernc.org/sqlite",
	"github.com/spdx/tools-golang",
}

func linksSyft(list []string) string {
	for _, d := range list {
		for _, f := range syftish {
			if strings.HasPrefix(d, f) {
				return d
			}
		}
	}
	return ""
}

func TestOnlySBOMLinksSyft(t *testing.T) {
	mains, err := filepath.Glob("../../ct-*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	bins := []string{"./ct"}
	for _, m := range mains {
		bins = append(bins, "./"+filepath.Base(filepath.Dir(m)))
	}
	for _, must := range []string{"./ct-verify", "./ct-explain", "./ct-sbom"} {
		found := false
		for _, b := range bins {
			found = found || b == must
		}
		if !found {
			t.Fatalf("%s is not among the binaries %v: the check is not looking at the suite", must, bins)
		}
	}
	for _, bin := range bins {
		if bin == "./ct-sbom" {
			continue
		}
		list := deps(t, bin)
		if len(list) < 20 {
			t.Fatalf("%s: only %d dependencies listed; the check is not looking at the binary", bin, len(list))
		}
		if bin == "./ct-witness" {
			// ct-witness keeps its state with the witness's own sqlite
			// persistence: the one other binary that links the driver.
			list = slices.DeleteFunc(slices.Clone(list), func(d string) bool { return strings.HasPrefix(d, "modernc.org/") })
		}
		if d := linksSyft(list); d != "" {
			t.Errorf("%s links %s: only ct-sbom may link syft and its dependencies", bin, d)
		}
	}
	// lib is shared by every binary: its module must not even require syft.
	mod, err := os.ReadFile("../../lib/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range syftish {
		if strings.Contains(string(mod), f) {
			t.Errorf("lib/go.mod requires %s: keep syft in the ct-sbom module", f)
		}
	}
	// The check must be able to fail: ct-sbom does link syft.
	if linksSyft(deps(t, "./ct-sbom")) == "" {
		t.Fatal("ct-sbom does not link syft: the dependency listing is broken")
	}
}
