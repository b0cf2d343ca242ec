//go:build !linux

package archive

import "os"

func startWriteback(f *os.File, off, n int64) {}
