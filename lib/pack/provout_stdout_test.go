package pack

import (
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// --provenance-out naming standard output through a descriptor
// (/dev/stdout, /dev/fd/1) is refused as --provenance-out - is: lib/outfile
// writes such a name through the descriptor, so the provenance went into
// standard output ahead of the bundle (or of the --json report).
func TestProvenanceOutStdoutRefused(t *testing.T) {
	for _, c := range []struct {
		prov, output string
		toStdout     bool
	}{
		{"-", "", true}, {"/dev/stdout", "", true}, {"/dev/fd/1", "x.ctp", false}, {"/proc/self/fd/1", "-", true},
	} {
		if err := checkProvenanceOut(c.prov, c.output, c.toStdout); exit.CodeOf(err) != exit.Usage {
			t.Errorf("--provenance-out %s -o %q: %v, want usage (64)", c.prov, c.output, err)
		}
	}
	if err := checkProvenanceOut("x.slsa.json", "", true); err != nil {
		t.Errorf("--provenance-out FILE: %v", err)
	}
}
