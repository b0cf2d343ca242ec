//go:build !linux

package outfile

import "os"

// StartWriteback does nothing: sync_file_range is Linux only.
func StartWriteback(f *os.File, off, n int64) {}
