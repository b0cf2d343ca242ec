package sbom

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
)

// TestStreamNoRoom: ct sbom --spdx of a piped bundle whose manifest.toml
// declares more than the temporary folder has free is refused before a
// blob is extracted there (the endless stream was written out first).
func TestStreamNoRoom(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "vectors", "verify", "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	huge, head, err := spooltest.HugeHead(data)
	if err != nil {
		t.Fatal(err)
	}
	src := &spooltest.Counted{R: huge}
	tmp := t.TempDir()
	_, err = Generate(context.Background(), Request{Bundle: src, Name: "-", TempDir: tmp, Version: "test"})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "TMPDIR "+tmp+" has") {
		t.Fatalf("got %v (code %d), want an I/O error about the room in %s", err, exit.CodeOf(err), tmp)
	}
	if src.N.Load() != head {
		t.Errorf("read %d bytes, not the %d-byte head", src.N.Load(), head)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the temporary folder is not empty after a failure: %v", left)
	}
}
