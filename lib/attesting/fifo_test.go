package attesting

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRunMakeFromFIFO: ct sbom reads its bundle three times (the
// signature precheck, the SBOM, the copy); a bundle named by a FIFO is
// copied to a private file first. Opening the FIFO again read bytes the
// copy needed, or waited for a writer that never came.
func TestRunMakeFromFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.ctp")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	var seen []byte
	out := filepath.Join(dir, "out.ctp")
	res, err := Run(context.Background(), Request{Input: fifo, Output: out, Stdin: os.Stdin, Stdout: os.Stdout, Quiet: true,
		PredicateType: "https://example.com/scan/v1",
		Make: func(_ context.Context, b *io.SectionReader) ([]byte, error) {
			var err error
			seen, err = io.ReadAll(b)
			return []byte(`{"passed":true}`), err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	madeOnePending(t, seen, data, res, out)
}
