//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package passphrase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/ttylock"
)

// caught are the signals that would otherwise end the process while echo
// is off (or, SIGPIPE, that announce the reader of our output is gone). While
// a prompt is open or waits for the terminal they cancel it instead, so echo
// is restored before the process exits.
var caught = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// ask prompts on tty for the passphrase of what (twice with confirm).
func ask(ctx context.Context, tty *os.File, what string, confirm bool, checkNew func([]byte) error) ([]byte, error) {
	what = termsafe.Escape(what)
	sigs := make(chan os.Signal, 1)
	for _, sig := range caught {
		if !signal.Ignored(sig) { // nohup or a background job: keep ignoring
			signal.Notify(sigs, sig)
		}
	}
	defer signal.Stop(sigs)
	c, err := newCanceller(ctx, sigs)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	if ctx != nil && ctx.Err() != nil {
		return nil, cancelled(what, ctxReason(ctx), false)
	}

	release, err := ttylock.Acquire(tty, c.done)
	if err != nil {
		return nil, cancelled(what, c.reason(), true)
	}
	defer release() // after echo is back on (defers run last-in, first-out)

	fd := int(tty.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the terminal settings to ask for the passphrase of %s", what)
	}
	defer term.Restore(fd, saved)
	if err := echoOff(fd); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot turn echo off to ask for the passphrase of %s", what)
	}

	prog := termsafe.Escape(filepath.Base(os.Args[0]))
	p, err := c.readLine(tty, fmt.Sprintf("%s: passphrase for %s: ", prog, what))
	if err == nil {
		err = check(p)
	}
	if err == nil && confirm {
		err = checkNew(p)
	}
	if err == nil && confirm {
		var again []byte
		again, err = c.readLine(tty, fmt.Sprintf("%s: repeat the passphrase for %s: ", prog, what))
		if err == nil {
			err = confirmSame(p, again)
		}
		clear(again)
	}
	if err != nil {
		clear(p)
		if errors.Is(err, errCancelled) {
			return nil, cancelled(what, c.reason(), false)
		}
		if errors.Is(err, io.EOF) {
			return nil, cancelled(what, "Ctrl-D", false)
		}
		return nil, err
	}
	return p, nil
}

func cancelled(what, why string, waiting bool) error {
	if waiting {
		return exit.New(exit.Cancelled, "cancelled (%s) while waiting for another passphrase prompt on this terminal; %s was not unlocked", why, what)
	}
	return exit.New(exit.Cancelled, "passphrase prompt for %s cancelled (%s)", what, why)
}

var errCancelled = errors.New("cancelled")

// canceller turns a caught signal or the end of ctx into a closed channel
// (for the wait for the terminal) and a readable pipe (for poll(2) during
// the read).
type canceller struct {
	done chan struct{} // closed on cancellation, after why is set
	why  string
	r, w *os.File
	quit chan struct{}
	gone chan struct{}
}

func newCanceller(ctx context.Context, sigs <-chan os.Signal) (*canceller, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot set up the passphrase prompt")
	}
	c := &canceller{done: make(chan struct{}), r: r, w: w, quit: make(chan struct{}), gone: make(chan struct{})}
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	go func() {
		defer close(c.gone)
		select {
		case s := <-sigs:
			c.why = signalName(s)
		case <-ctxDone:
			c.why = ctxReason(ctx)
		case <-c.quit:
			return
		}
		close(c.done)
		c.w.Write([]byte{0})
	}()
	return c, nil
}

// reason says what cancelled; call it only after a cancellation.
func (c *canceller) reason() string {
	<-c.done
	return c.why
}

func (c *canceller) stop() {
	close(c.quit)
	<-c.gone
	c.r.Close()
	c.w.Close()
}

// ctxReason names what ended ctx: signal.NotifyContext (cli.Context) gives
// the signal as the cause, so a Ctrl-C reads the same whichever of the two
// listeners saw it first.
func ctxReason(ctx context.Context) string {
	cause := context.Cause(ctx)
	for _, s := range caught {
		if cause != nil && cause.Error() == s.String()+" signal received" {
			return signalName(s)
		}
	}
	return "interrupted"
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "Ctrl-C"
	case syscall.SIGQUIT:
		return `Ctrl-\`
	}
	return "signal " + s.String()
}

// readLine writes prompt to tty, at the start of a cleared line, and reads one line, without its end, in the
// terminal's canonical mode (the kernel handles erase and kill). Ctrl-D on
// an empty line gives io.EOF; a cancellation gives errCancelled. The newline
// the user typed is not echoed, so readLine writes one.
func (c *canceller) readLine(tty *os.File, prompt string) ([]byte, error) {
	// \r and erase-line first: another process's progress bar may have
	// left a partial line (bars end with \r, not \n).
	if _, err := io.WriteString(tty, "\r\x1b[K"+prompt); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot write the passphrase prompt to the terminal")
	}
	defer io.WriteString(tty, "\n")
	fd, cfd := int(tty.Fd()), int(c.r.Fd())
	var line []byte
	buf := make([]byte, 512)
	defer clear(buf)
	fail := func(err error) ([]byte, error) {
		clear(line)
		return nil, err
	}
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(cfd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return fail(exit.Wrap(exit.IO, err, "cannot read the passphrase from the terminal"))
		}
		if fds[1].Revents != 0 {
			return fail(errCancelled)
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return fail(exit.Wrap(exit.IO, err, "cannot read the passphrase from the terminal"))
		}
		if n == 0 { // Ctrl-D at the start of a line, or the terminal hung up
			if len(line) == 0 {
				return fail(io.EOF)
			}
			return line, nil // text then Ctrl-D twice ends the line, as in x/term
		}
		for _, b := range buf[:n] {
			switch b {
			case '\n':
				return line, nil
			case '\r':
			case '\b':
				if len(line) > 0 {
					line = line[:len(line)-1]
				}
			default:
				if len(line) > MaxLen {
					return fail(exit.New(exit.Usage, "the passphrase is longer than %d bytes", MaxLen))
				}
				line = append(line, b)
			}
		}
	}
}
