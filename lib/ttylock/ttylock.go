// Package ttylock lets the processes that share a terminal take turns on it.
//
// In `ct pack -k A … | ct sign -k B` both processes may need to ask for a
// passphrase at the same moment. Each one holds the lock of the controlling
// terminal from writing its prompt until echo is back on, so the prompts come
// one after the other, each on its own line, and no process saves a terminal
// state that another one has just changed.
//
// The lock is an advisory flock(2) on the terminal's own device node (for
// example /dev/pts/3), which only the terminal's owner can open: processes on
// other terminals, and other users, never wait for it. When the node cannot
// be found or opened (and on systems other than Linux), Acquire still
// serializes the goroutines of this process but does not wait for other
// processes: a hang would be worse than two prompts on one line.
package ttylock

import (
	"errors"
	"io"
	"os"

	"golang.org/x/term"
)

// ErrCancelled is returned by Acquire when cancel is closed before the lock
// is free.
var ErrCancelled = errors.New("cancelled while waiting for the terminal")

// sem serializes the goroutines of this process: flock(2) locks belong to an
// open file, so two files of one process would not exclude each other.
var sem = make(chan struct{}, 1)

// Acquire waits until this process holds the terminal lock of tty (an open
// /dev/tty; nil opens it) or cancel is closed. The returned release function
// (never nil when err is nil) gives the lock back; call it once.
func Acquire(tty *os.File, cancel <-chan struct{}) (release func(), err error) {
	select {
	case sem <- struct{}{}:
	case <-cancel:
		return nil, ErrCancelled
	}
	f := openLockFile(tty)
	if f == nil {
		return func() { <-sem }, nil
	}
	rel := func() { f.Close(); <-sem } // closing the file drops the flock
	if tryLock(f) {
		return rel, nil
	}
	got := make(chan error, 1)
	go func() { got <- waitLock(f) }()
	select {
	case err := <-got:
		if err != nil {
			// The lock cannot be taken (not a lockable file): go on alone.
			return rel, nil
		}
		select { // a cancel that came at the same time wins
		case <-cancel:
			rel()
			return nil, ErrCancelled
		default:
			return rel, nil
		}
	case <-cancel:
		go func() { <-got; f.Close() }()
		<-sem
		return nil, ErrCancelled
	}
}

// Writer returns a writer that writes each Write to w while holding the
// terminal lock, so a progress bar waits while another process prompts
// instead of drawing over its prompt. It opens the lock file once; when the
// terminal cannot be found, or w is a file that is not a terminal, it
// writes straight through.
func Writer(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && !term.IsTerminal(int(f.Fd())) {
		return w
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return w
	}
	defer tty.Close()
	f := openLockFile(tty)
	if f == nil {
		return w
	}
	return &lockedWriter{w: w, f: f}
}

type lockedWriter struct {
	w io.Writer
	f *os.File
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	sem <- struct{}{}
	defer func() { <-sem }()
	if waitLock(l.f) == nil {
		defer unlock(l.f)
	}
	return l.w.Write(p)
}
