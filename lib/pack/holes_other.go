//go:build !linux

package pack

import "os"

func holesCheap(f *os.File) bool { return true }
