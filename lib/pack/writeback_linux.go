package pack

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing [off, off+n) of f to disk
// now, without waiting (sync_file_range SYNC_FILE_RANGE_WRITE), so that the
// disk works while the rest downloads and the final fsync has little left.
// It is only a hint: errors are ignored (the fsync reports real ones).
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// holesCheap reports whether f's file system stores a write past the end of
// the file without first writing zeros up to it (sparse files). FAT and
// exFAT do not: there WriteFile's out-of-order writes would write most of
// the bundle twice, so ct pack streams into the file in order instead.
func holesCheap(f *os.File) bool {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return true
	}
	return !noHoles(int64(st.Type))
}

func noHoles(fsType int64) bool {
	return fsType == unix.MSDOS_SUPER_MAGIC || fsType == unix.EXFAT_SUPER_MAGIC
}
