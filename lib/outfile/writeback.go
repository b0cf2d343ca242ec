package outfile

import (
	"io"
	"os"
)

// writebackChunk is how much of the output is written before its writeback
// to disk is started.
const writebackChunk = 8 << 20

// writebackFile writes to f, starting the disk writeback of each
// writebackChunk written (StartWriteback), so that the disk works while the
// rest of an export is read and hashed and the final fsync has little left.
type writebackFile struct {
	f            *os.File
	off, started int64
}

// NewWriteback returns a writer to f, a new output file written from its
// start and fsynced before it is renamed into place (File), that
// starts the writeback of what it wrote as it goes. It changes no byte and
// no durability promise: it only moves disk work earlier.
func NewWriteback(f *os.File) io.Writer { return &writebackFile{f: f} }

func (w *writebackFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writebackChunk {
		StartWriteback(w.f, w.started, w.off-w.started)
		w.started = w.off
	}
	return n, err
}
