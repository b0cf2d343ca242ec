//go:build linux

package ttylock

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openLockFile opens the device node of the terminal behind tty (or behind
// /dev/tty when tty is nil), for flock. /dev/tty itself is one node for every
// terminal of the machine, so it is never used.
func openLockFile(tty *os.File) *os.File {
	if tty == nil {
		t, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return nil
		}
		defer t.Close()
		tty = t
	}
	d, err := unix.IoctlGetUint32(int(tty.Fd()), unix.TIOCGDEV)
	if err != nil {
		return stdioNode(0, true)
	}
	dev := uint64(d)
	if f := stdioNode(dev, false); f != nil {
		return f
	}
	if maj := unix.Major(dev); maj >= 136 && maj <= 143 { // Unix98 pseudo-terminals
		if f := openNode(fmt.Sprintf("/dev/pts/%d", (maj-136)<<8|unix.Minor(dev)), dev); f != nil {
			return f
		}
	}
	return openNode(fmt.Sprintf("/dev/char/%d:%d", unix.Major(dev), unix.Minor(dev)), dev)
}
