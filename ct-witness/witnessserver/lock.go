package witnessserver

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cerro-torre/ct/lib/exit"
)

// lockDB takes an exclusive flock(2) on DB.lock for as long as the witness
// runs: two witnesses on one state would both answer for it (and a second
// one started by mistake with another key or logs file would cosign
// beside the first). The kernel releases the lock if the process dies.
func lockDB(db string) (func(), error) {
	p := db + ".lock"
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot open the witness state's lock file").At(p).
			WithHint("--db names an sqlite file the witness may create and write; its folder must exist")
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, exit.New(exit.IO, "the witness state is in use by another ct-witness").At(db).
				WithHint("stop the other ct-witness serve on this --db first: one state has one witness")
		}
		return nil, exit.Wrap(exit.IO, err, "cannot lock the witness state").At(p)
	}
	return func() { f.Close() }, nil
}
