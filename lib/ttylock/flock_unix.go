//go:build unix

package ttylock

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

func tryLock(f *os.File) bool {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
}

func waitLock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			return err
		}
	}
}

func unlock(f *os.File) { unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// openNode opens a terminal device node for locking only: read-only, never
// as a controlling terminal. It returns nil unless the node is the character
// device dev.
func openNode(path string, dev uint64) *os.File {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil
	}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || uint64(st.Rdev) != dev {
		f.Close()
		return nil
	}
	return f
}

// stdioNode opens the node of the first standard stream (stderr, stdin,
// stdout) that is the character device dev, or, with any, that is a
// terminal at all.
func stdioNode(dev uint64, any bool) *os.File {
	for _, fd := range []int{2, 0, 1} {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
			continue
		}
		if !any && uint64(st.Rdev) != dev {
			continue
		}
		if !term.IsTerminal(fd) {
			continue
		}
		// /proc/self/fd/N opens the node itself, not a copy of the stream.
		if f := openNode("/proc/self/fd/"+strconv.Itoa(fd), uint64(st.Rdev)); f != nil {
			return f
		}
	}
	return nil
}
