package spool

import (
	"io"
	"os"
)

// StdinFile returns in as a file to read in place, like a named one, when
// it is standard input redirected from a regular file (a shell's < FILE):
// an *os.File whose fstat says regular file and whose offset is 0. Such
// input needs no private copy: every command that must read it more than
// once reads it again with positioned reads (ReadAt, io.NewSectionReader),
// never through its shared file offset and never by opening /dev/stdin or
// /proc/self/fd again (that path may name another file than the
// descriptor). Anything else returns nil and is read in one pass (or
// copied): a pipe, a terminal, a device, a reader that is not a file, and a
// file already partly read (as in { head -c 10 >/dev/null; ct verify -; }
// < FILE), whose bundle starts where the reading stopped.
func StdinFile(in io.Reader) *os.File {
	f, ok := in.(*os.File)
	if !ok || f == nil {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 0 {
		return nil
	}
	return f
}
