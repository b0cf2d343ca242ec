// Package progress shows a byte progress bar on stderr when, and only when,
// stderr is a terminal: piped or redirected runs print nothing, so scripts
// and CI logs stay clean. The bar takes the terminal lock (lib/ttylock) for
// each redraw, so it waits while another process of the pipeline asks for a
// passphrase instead of drawing over the prompt.
package progress

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/ttylock"
)

// Bar counts bytes written to it. A nil *Bar is valid and does nothing.
type Bar struct{ pb *progressbar.ProgressBar }

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// New returns a bar for total bytes described by desc, or nil when quiet is
// set or stderr is not a terminal.
func New(total int64, desc string, quiet bool) *Bar {
	if quiet || !IsTerminal(os.Stderr) {
		return nil
	}
	return &Bar{pb: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(ttylock.Writer(os.Stderr)),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	)}
}

// Write adds len(p) to the bar.
func (b *Bar) Write(p []byte) (int, error) {
	if b != nil {
		b.pb.Add64(int64(len(p)))
	}
	return len(p), nil
}

// Reader wraps r so that reading from it advances the bar.
func (b *Bar) Reader(r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	return io.TeeReader(r, b)
}

// Finish clears the bar.
func (b *Bar) Finish() {
	if b != nil {
		b.pb.Finish()
	}
}

// Counter passes writes through to W and counts the bytes written, for
// reporting how large an output became.
type Counter struct {
	W io.Writer
	N int64
}

func (c *Counter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
