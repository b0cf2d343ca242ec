package keys

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// A key file that is a FIFO is refused at once (11), not waited on.
func TestReadPublicFileFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.pub")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no mkfifo:", err)
	}
	_, err := ReadPublicFile(p)
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf("%v", err)
	}
	if _, err := ReadPrivateFile(p); exit.CodeOf(err) != exit.IO {
		t.Fatalf("private: %v", err)
	}
	if _, err := ReadPublicFile(t.TempDir()); exit.CodeOf(err) != exit.IO {
		t.Fatalf("folder: %v", err)
	}
}
