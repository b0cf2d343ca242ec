package attesting

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// stdinFile opens a copy of data as standard input redirected from a
// regular file (a shell's < FILE) and returns it with its path.
func stdinFile(t *testing.T, data []byte) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.ctp")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, path
}

// TestRunMakeStdinFileInPlace: ct sbom - < FILE reads the file in place
// like a named one: no copy in TMPDIR (here a folder that does not exist,
// which the copy a pipe gets needs), Make sees the bundle's bytes, the
// output holds the attestation, and the descriptor's shared offset is not
// moved (positioned reads only).
func TestRunMakeStdinFileInPlace(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "absent"))
	data := vector(t, "unsigned.ctp")
	stdin, _ := stdinFile(t, data)
	out := filepath.Join(t.TempDir(), "out.ctp")
	var seen []byte
	res, err := Run(context.Background(), Request{Input: "-", Output: out, Stdin: stdin, Stdout: os.Stdout, Quiet: true,
		PredicateType: "https://example.com/scan/v1", Command: "ct sbom",
		Make: func(_ context.Context, b *io.SectionReader) ([]byte, error) {
			var err error
			seen, err = io.ReadAll(b)
			return []byte(`{"passed":true}`), err
		}})
	if err != nil {
		t.Fatalf("ct sbom - < FILE with no TMPDIR: %v", err)
	}
	madeOnePending(t, seen, data, res, out)
	if off, err := stdin.Seek(0, io.SeekCurrent); err != nil || off != 0 {
		t.Errorf("standard input's offset is %d (%v) after the run, want 0: read through the shared offset", off, err)
	}
}

// TestRunSignedStdinFileRefusedFirst: a signed bundle redirected from a
// file is refused (64, attestations.md §6) before its blobs are read, as
// the named file is (TestRunSignedFileRefusedFirst): one of its layers is
// damaged, which reading it in one pass meets first (a hash mismatch, 1).
func TestRunSignedStdinFileRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	pred := filepath.Join(dir, "pred.json")
	if err := os.WriteFile(pred, []byte(`{"passed":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin, _ := stdinFile(t, vector(t, "flipped-layer-byte.ctp"))
	out := filepath.Join(dir, "out.ctp")
	_, err := Run(context.Background(), Request{Input: "-", Output: out, Stdin: stdin, Stdout: os.Stdout, Quiet: true,
		PredicateFile: pred, PredicateType: "https://example.com/scan/v1"})
	wantCode(t, err, exit.Usage, "is signed")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written: %v", err)
	}
}
