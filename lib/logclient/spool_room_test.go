package logclient

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
)

// TestSpooledNoRoom: a bundle on its way to standard output is held in
// TMPDIR; one whose manifest.toml declares more than TMPDIR has free is
// refused when its head is written, with nothing on standard output and
// nothing left in TMPDIR.
func TestSpooledNoRoom(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	huge, head, err := spooltest.HugeHead(data)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err = Spooled(&stdout, "-", func(err error) error { return err }, func(w io.Writer) error {
		_, err := io.Copy(w, io.LimitReader(huge, head))
		return err
	})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "TMPDIR "+dir+" has") ||
		!strings.HasSuffix(err.(*exit.Error).Hint, "or write to a file with -o") {
		t.Fatalf("got %v (code %d), want an I/O error about TMPDIR's room", err, exit.CodeOf(err))
	}
	if stdout.Len() != 0 {
		t.Errorf("%d bytes on standard output", stdout.Len())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}
