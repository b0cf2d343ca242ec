// Package meter shows how many bytes a command has read from a stream of
// unknown length (standard input, a pipe), on stderr, only when stderr is
// a terminal. It is lib/progress for the offline verifier: progressbar, which
// lib/progress uses, links net/http, and ct-verify must link no network
// code (tests/deps). Like lib/progress it takes the terminal lock
// (lib/ttylock) for each redraw and clears its line when done.
package meter

import (
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/ttylock"
)

// Meter counts bytes read through it. A nil *Meter does nothing.
type Meter struct {
	mu    sync.Mutex
	w     io.Writer
	desc  string
	n     int64
	start time.Time
	last  time.Time
	width int
	done  bool // Finish ran: a read still in flight (read ahead) draws nothing
}

// New returns a meter described by desc, or nil when quiet is set or
// stderr is not a terminal.
func New(desc string, quiet bool) *Meter {
	if quiet || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return &Meter{w: ttylock.Writer(os.Stderr), desc: desc}
}

// Reader wraps r so that reading from it advances the meter.
func (m *Meter) Reader(r io.Reader) io.Reader {
	if m == nil {
		return r
	}
	return reader{m, r}
}

type reader struct {
	m *Meter
	r io.Reader
}

func (r reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.add(int64(n))
	return n, err
}

// add counts n bytes and redraws at most ten times a second (the first
// read always draws, so even a short stream shows the line once).
func (m *Meter) add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return
	}
	now := time.Now()
	if m.start.IsZero() {
		m.start = now
	}
	m.n += n
	if !m.last.IsZero() && now.Sub(m.last) < 100*time.Millisecond {
		return
	}
	m.last = now
	line := fmt.Sprintf("%s %s", m.desc, human.Size(m.n))
	if s := now.Sub(m.start).Seconds(); s >= 1 {
		line += fmt.Sprintf(" (%s/s)", human.Size(int64(float64(m.n)/s)))
	}
	pad := ""
	if d := m.width - len(line); d > 0 {
		pad = fmt.Sprintf("%*s", d, "")
	}
	m.width = len(line)
	fmt.Fprintf(m.w, "\r%s%s", line, pad)
}

// Finish clears the meter's line.
func (m *Meter) Finish() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done = true
	if m.width > 0 {
		fmt.Fprintf(m.w, "\r%*s\r", m.width, "")
		m.width = 0
	}
}
