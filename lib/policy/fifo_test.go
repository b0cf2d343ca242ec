package policy

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// A policy file that is a FIFO is refused at once (11), not waited on.
func TestLoadFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.json")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no mkfifo:", err)
	}
	_, err := Load(p)
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("%v", err)
	}
	if _, err := Load(t.TempDir()); exit.CodeOf(err) != exit.IO {
		t.Fatalf("folder: %v", err)
	}
}
