// Package passphrase obtains the passphrase for a private key, from (in
// this order) a file named on the command line, the CT_PASSPHRASE
// environment variable, or the terminal. It never reads a passphrase from
// standard input, which in ct pipelines carries bundles.
package passphrase

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/exit"
)

// Env is the environment variable holding a passphrase, for CI.
const Env = "CT_PASSPHRASE"

// MaxLen bounds a passphrase read from a file.
const MaxLen = 4096

// Source says where a passphrase may come from.
type Source struct {
	File string // --passphrase-file; "" for none
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
	if s.File != "" {
		return readFile(s.File)
	}
	// An empty CT_PASSPHRASE counts as unset: an empty passphrase is never valid.
	if v := os.Getenv(Env); v != "" {
		return []byte(v), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		if tty != nil {
			tty.Close()
		}
		return nil, exit.New(exit.Usage, "%s needs a passphrase and there is no terminal to ask for it", what).
			WithHint("set %s, or pass --passphrase-file FILE", Env)
	}
	defer tty.Close()
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(tty, prompt)
		p, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot read the passphrase from the terminal")
		}
		return p, nil
	}
	p, err := ask(fmt.Sprintf("Passphrase for %s: ", what))
	if err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, exit.New(exit.Usage, "empty passphrase").WithHint("type a passphrase, or use --no-passphrase when creating a key for CI")
	}
	if confirm {
		again, err := ask("Repeat the passphrase: ")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(p, again) {
			return nil, exit.New(exit.Usage, "the two passphrases differ").WithHint("run the command again")
		}
	}
	return p, nil
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
