package bundle

import (
	"errors"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// failing is a destination that refuses every write with err.
type failing struct{ err error }

func (f failing) Write([]byte) (int, error) { return 0, f.err }

// TestWriteErrKeepsExitErrors: a write error that is already an exit error
// (lib/spool's full TMPDIR, its size bound) comes out of the writer as it
// is, its own location first; a plain one gets the entry it happened in.
func TestWriteErrKeepsExitErrors(t *testing.T) {
	m, _ := testImage()
	verdict := exit.New(exit.IO, "TMPDIR has no room").At("bundle -")
	if _, err := NewWriter(failing{verdict}, m, WriterOptions{}); err != verdict {
		t.Errorf("got %v, want the destination's own error", err)
	}
	_, err := NewWriter(failing{errors.New("disk full")}, m, WriterOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "writing entry "+ManifestName+": disk full") {
		t.Errorf("got %v, want the entry named", err)
	}
}
