package spool

import "golang.org/x/sys/unix"

// available returns the bytes an unprivileged writer may still put into
// dir's file system (statfs: available blocks times the fragment size).
func available(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	bs := st.Frsize
	if bs <= 0 {
		bs = st.Bsize
	}
	if bs <= 0 || st.Bavail > uint64(1<<62)/uint64(bs) {
		return 1 << 62, nil
	}
	return int64(st.Bavail) * bs, nil
}
