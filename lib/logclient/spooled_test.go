package logclient

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/outfile"
)

// -o naming a FIFO is written in place, not renamed into place: a failure
// after the blobs (a log that is down) must still write nothing into it,
// as for standard output.
func TestSpooledFIFOGetsNothingOnFailure(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	f, err := outfile.Create(fifo)
	if err != nil {
		t.Fatal(err)
	}
	down := errors.New("log down")
	err = Spooled(f, "x.ctp", func(err error) error { return err }, func(w io.Writer) error {
		w.Write([]byte("the blobs of half a bundle"))
		return down
	})
	if err != down {
		t.Fatalf("got %v", err)
	}
	f.Abort()
	if b := <-got; len(b) != 0 {
		t.Fatalf("the FIFO's reader got %q of a failed bundle", b)
	}
}
