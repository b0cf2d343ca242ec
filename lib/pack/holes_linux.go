package pack

import (
	"os"

	"golang.org/x/sys/unix"
)

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
