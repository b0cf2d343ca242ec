package outfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// StartWriteback asks the kernel to start writing [off, off+n) of f to disk
// now, without waiting (sync_file_range SYNC_FILE_RANGE_WRITE). It is only a
// hint: errors are ignored (the final fsync reports real ones).
func StartWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
