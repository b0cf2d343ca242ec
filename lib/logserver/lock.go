package logserver

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cerro-torre/ct/lib/exit"
)

// lockDir takes an exclusive lock on the POSIX log directory for as long
// as the log runs: Tessera's POSIX driver assumes one writer, so a second
// ct-log on the same directory refuses to start. The lock is flock(2) on
// DIR/.ct-log.lock, released by the kernel if the process dies.
func lockDir(dir string) (func(), error) {
	p := lockPath(dir)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot open the log's lock file").At(p)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, exit.New(exit.IO, "the log directory is in use by another ct-log").At(dir).
				WithHint("stop the other ct-log serve on this directory first: one log directory has one server")
		}
		return nil, exit.Wrap(exit.IO, err, "cannot lock the log directory").At(p)
	}
	return func() { f.Close() }, nil
}
