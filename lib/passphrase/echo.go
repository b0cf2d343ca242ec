//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package passphrase

import "golang.org/x/sys/unix"

// echoOff sets the terminal to read a line with echo off: canonical mode
// (the kernel handles erase and kill), signals from Ctrl-C and Ctrl-\ on, CR
// read as NL. The same change x/term's ReadPassword makes, which cannot be
// used because it ignores Ctrl-D and cannot be cancelled.
func echoOff(fd int) error {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return err
	}
	t.Lflag &^= unix.ECHO | unix.ECHONL
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	return unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}
