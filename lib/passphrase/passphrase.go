// Package passphrase obtains the passphrase for a private key, from (in
// this order) a file named on the command line, the CT_PASSPHRASE
// environment variable, or the terminal. It never reads a passphrase from
// standard input, which in ct pipelines carries bundles.
//
// At the terminal, one process prompts at a time (lib/ttylock: in
// `ct pack -k A … | ct sign -k B` the second prompt waits for the first),
// the prompt names the program and the key, and echo is restored whatever
// happens: a wrong or empty answer, an I/O error, Ctrl-C, Ctrl-\, SIGTERM,
// SIGHUP or SIGPIPE. Ctrl-C or Ctrl-D at the prompt, or one of those signals
// while it is open or waits for the terminal, ends the command with
// exit.Cancelled (130). Only SIGKILL and SIGSTOP cannot be caught.
package passphrase

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/exit"
)

// Env is the environment variable holding a passphrase, for CI.
const Env = "CT_PASSPHRASE"

// MaxLen bounds a passphrase read from a file or typed at the terminal.
const MaxLen = 4096

// Source says where a passphrase may come from.
type Source struct {
	File string // --passphrase-file; "" for none
	// Context, when set, cancels a prompt, and the wait for another
	// process's prompt, once it is done. A command that catches signals
	// with cli.Context passes that context: it swallows a Ctrl-C that comes
	// just before the prompt listens, which would otherwise be lost. (In a
	// command without one, such a Ctrl-C ends the process before echo is
	// touched.)
	Context context.Context
	// NoEnv skips CT_PASSPHRASE: for the new passphrase of ct key passwd,
	// which must not silently become the old one (its "no terminal" hint
	// names --new-passphrase-file).
	NoEnv bool
	// CheckNew, when set, is applied to a new passphrase (Get with
	// confirm) from any source; at the terminal before it is asked again,
	// so a refused passphrase is not typed twice.
	CheckNew func([]byte) error
}

// Func returns a function that DecodePrivate calls only when the key is
// encrypted, so unencrypted keys never prompt. what names the key in the
// prompt.
func (s Source) Func(what string) func() ([]byte, error) {
	return func() ([]byte, error) { return s.Get(what, false) }
}

// Get returns the passphrase. With confirm, a passphrase typed at the
// terminal is asked twice (for a new key).
func (s Source) Get(what string, confirm bool) ([]byte, error) {
	newCheck := func(p []byte) error { return nil }
	if confirm && s.CheckNew != nil {
		newCheck = s.CheckNew
	}
	if s.File != "" {
		p, err := readFile(s.File)
		if err == nil {
			err = newCheck(p)
		}
		if err != nil {
			clear(p)
			return nil, at(err, s.File)
		}
		return p, nil
	}
	// An empty CT_PASSPHRASE counts as unset: an empty passphrase is never valid.
	if v := os.Getenv(Env); v != "" && !s.NoEnv {
		if err := newCheck([]byte(v)); err != nil {
			return nil, at(err, Env)
		}
		return []byte(v), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !isTerminal(tty) {
		if tty != nil {
			tty.Close()
		}
		hint := fmt.Sprintf("set %s, or pass --passphrase-file FILE", Env)
		if s.NoEnv {
			hint = "pass --new-passphrase-file FILE, or --no-passphrase to store the key unencrypted"
		}
		return nil, exit.New(exit.Usage, "%s needs a passphrase and there is no terminal to ask for it", what).WithHint("%s", hint)
	}
	defer tty.Close()
	return ask(s.Context, tty, what, confirm, newCheck)
}

// at sets where an *exit.Error without a place happened.
func at(err error, where string) error {
	if e, ok := err.(*exit.Error); ok && e.Where == "" {
		e.Where = where
	}
	return err
}

// check applies the rules every typed passphrase obeys.
func check(p []byte) error {
	if len(p) == 0 {
		return exit.New(exit.Usage, "empty passphrase").WithHint("type a passphrase, or use --no-passphrase when creating a key for CI")
	}
	if len(p) > MaxLen {
		return exit.New(exit.Usage, "the passphrase is longer than %d bytes", MaxLen)
	}
	return nil
}

// confirmSame compares the two answers for a new key.
func confirmSame(p, again []byte) error {
	if !bytes.Equal(p, again) {
		return exit.New(exit.Usage, "the two passphrases differ").WithHint("run the command again")
	}
	return nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read passphrase file").At(path)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxLen+1))
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read passphrase file").At(path)
	}
	if len(b) > MaxLen {
		return nil, exit.New(exit.Usage, "passphrase file is longer than %d bytes", MaxLen).At(path)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, exit.New(exit.Usage, "passphrase file is empty").At(path)
	}
	return b, nil
}
