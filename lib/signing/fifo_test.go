package signing

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
)

// TestRunPendingFromFIFO: a bundle with pending attestations named by a
// FIFO path (ct sign -k KEY <(…), a named pipe) cannot be opened again for
// the second pass; it is copied to a temporary file instead. Opening the
// FIFO again waited for a writer that never came, and no signal ended it.
func TestRunPendingFromFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.ctp")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	data, err := os.ReadFile(filepath.Join(vectors, "pending-unsigned.ctp"))
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
	out := filepath.Join(dir, "out.ctp")
	res, err := Run(context.Background(), Request{Input: fifo, Output: out, Stdin: os.Stdin, Stdout: os.Stdout,
		Key: alice(t), Quiet: true, SignPending: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.Attested != 1 {
		t.Fatalf("%d pending attestations signed, want 1", res.Attested)
	}
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m, _, err := bundle.Check(bytes.NewReader(signed), "out.ctp"); err != nil || m.HasPending() {
		t.Fatalf("output: %v, pending left %v", err, m != nil && m.HasPending())
	}
}
