package registry

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// ct push and ct fetch take a registry reference, not ct pack's SOURCE: a
// malformed one is named as the reference and the hint shows a registry
// reference, not oci: or docker-archive: forms.
func TestParseRefSpeaksOfAReference(t *testing.T) {
	for _, s := range []string{"docker.io/UPPER/x", "", "localhost:5000/app:bad tag", "oci:dir:tag"} {
		_, err := parseRef(s)
		if err == nil {
			t.Fatalf("parseRef(%q) accepted", s)
		}
		if exit.CodeOf(err) != exit.Usage {
			t.Errorf("parseRef(%q): code %d, want %d", s, exit.CodeOf(err), exit.Usage)
		}
		msg, hint := err.Error(), exit.HintOf(err)
		if !strings.HasPrefix(msg, "reference "+s+": ") || strings.Contains(msg, "source") {
			t.Errorf("parseRef(%q) = %q", s, msg)
		}
		if !strings.HasPrefix(hint, "give REGISTRY/REPOSITORY[:TAG|@DIGEST]") || strings.Contains(hint, "SOURCE") {
			t.Errorf("parseRef(%q): hint %q", s, hint)
		}
	}
}
