//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package passphrase

import (
	"context"
	"os"

	"github.com/cerro-torre/ct/lib/exit"
)

func isTerminal(*os.File) bool { return false }

func ask(context.Context, *os.File, string, bool, func([]byte) error) ([]byte, error) {
	return nil, exit.New(exit.Usage, "no passphrase prompt on this system").WithHint("set %s, or pass --passphrase-file FILE", Env)
}
